"""Library → Problems: the schema check and every rule no schema can express.

Rules are small functions registered with a stable id and a default severity;
`safeplan.yaml` at the content root may change a severity or switch a rule off,
within the severities the rule allows (safety rules cannot be switched off).
This module holds the registry, the schema rule and what rules share; the rules
themselves are grouped by subject in the modules imported at its end.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Iterator

from safeplan.content.model import Document, Library
from safeplan.content.schemas import check_document
from safeplan.problems import ERROR, OFF, SEVERITIES, Problem

Rule = Callable[[Library], Iterator[Problem]]
RULES: dict[str, tuple[str, str, Rule]] = {}  # id → (default severity, Chinese summary, function)
ALLOWED: dict[str, tuple[str, ...]] = {}  # id → the severities safeplan.yaml may choose for it


def rule(rule_id: str, severity: str, summary: str, allowed: tuple[str, ...] = SEVERITIES):
    def register(function: Rule) -> Rule:
        RULES[rule_id] = (severity, summary, function)
        ALLOWED[rule_id] = allowed
        return function
    return register


def severity_for(rule_id: str, default: str, allowed: tuple[str, ...], configured: dict) -> str:
    """The configured severity when the rule allows it, else its default (the schema reports the bad value)."""
    chosen = configured.get(rule_id, default) if isinstance(configured, dict) else default
    return chosen if chosen in allowed else default


def validate(library: Library, severities: dict[str, str] | None = None) -> list[Problem]:
    """Run every rule; apply configured severities; return problems sorted by place."""
    configured = library.config.get("rules")
    severities = {**(configured if isinstance(configured, dict) else {}), **(severities or {})}
    problems: list[Problem] = []
    for rule_id, (default, _, function) in RULES.items():
        severity = severity_for(rule_id, default, ALLOWED.get(rule_id, SEVERITIES), severities)
        if severity == OFF:
            continue
        problems.extend(replace(p, severity=severity, rule=rule_id) for p in function(library))
    return sorted(set(problems))


def _at(doc: Document, pointer: str, message: str, hint: str = "") -> Problem:
    line, column = doc.position(pointer)
    return Problem(doc.path, line, column, ERROR, "", message, hint)


def _schema_clean(library: Library) -> list[Document]:
    """Documents that passed their schema: later rules can trust their shape."""
    return [doc for doc in library.documents if not _schema_problems(doc)]


def _schema_problems(doc: Document) -> list[Problem]:
    if doc.schema_problems is None:
        doc.schema_problems = check_document(doc)
    return doc.schema_problems


# Error only: every later rule, the site and the PDFs trust a document's shape only once its schema
# passed, and safeplan.yaml itself is checked by it (a bad rule id or severity is a schema error).
@rule("schema", ERROR, "文件符合 JSON Schema", allowed=(ERROR,))
def check_schema(library: Library):
    for doc in library.documents:
        yield from _schema_problems(doc)


# The rules by subject: each module registers its rules with @rule when imported, in this order
# (the order validate runs them and --list-rules lists them). A new module of rules is added here.
from safeplan.checks import (reference_rules, review_rules, safety_rules, structure_rules,  # noqa: E402
                             template_rules, markup_rules, privacy_rules, site_checks, records, cards,
                             assembly, reporting, official_form)

RULE_MODULES = (reference_rules, review_rules, safety_rules, structure_rules, template_rules, markup_rules, privacy_rules,
                site_checks, records, cards, assembly, reporting, official_form)
