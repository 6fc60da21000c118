"""Library → Problems about placeholders: every template compiles and fills for every school it applies to."""

from __future__ import annotations

import re

from safeplan.checks.validate import _schema_clean, rule
from safeplan.content.applicability import applies
from safeplan.content.model import WORKFLOW_KINDS, Document, Library, iter_strings
from safeplan.content.templating import PlaceholderError, compile_error, fill, has_placeholders
from safeplan.problems import ERROR, Problem


def template_context(library: Library, school: Document | None) -> dict:
    district = library.district.data if library.district else {}
    return {"district": district, "school": school.data if school else {}}


@rule("placeholders", ERROR, "每个占位符对适用的每所学校都能填写")
def check_placeholders(library: Library):
    docs = _schema_clean(library)
    schools = [d for d in docs if d.kind == "school"]
    for doc in docs:
        if doc.kind not in WORKFLOW_KINDS or doc.kind == "card":  # a card is filled per post: checks/cards.py
            continue
        text = doc.body
        if not has_placeholders(text) and not has_placeholders(repr(doc.data)):
            continue
        targets: list[Document | None]
        if doc.data.get("level") == "district" or doc.kind == "note":
            targets = [None]
        else:
            targets = [s for s in schools if applies(doc.data.get("applies_to"), s.data)[0]
                       and doc.data.get("school") in (None, s.id)]
        reported: set[tuple[str, str]] = set()
        texts = []
        for pointer, value in [("", text)] + [(p, v) for p, v in iter_strings(doc.data) if has_placeholders(v)]:
            error = compile_error(value)
            if error:  # refused on its syntax, before anything is filled
                yield _template_problem(doc, pointer, error)
            else:
                texts.append((pointer, value))
        for school in targets:
            context = template_context(library, school)
            for pointer, value in texts:
                try:
                    fill(value, context)
                except PlaceholderError as error:
                    key = (pointer, error.message)
                    if key in reported:
                        continue
                    reported.add(key)
                    where = f"（学校：{school.id}）" if school else ""
                    if pointer:
                        line, column = doc.position(pointer)
                    else:
                        line, column = _find_in_body(doc, error, context)
                    yield Problem(doc.path, line, column, ERROR, "", error.message + where,
                                  "在该校文件中补上这个字段，或改用所有学校都有的字段；"
                                  "也可以用 applies_to 把本文档限定到有这项数据的学校。")


def _template_problem(doc: Document, pointer: str, error: PlaceholderError) -> Problem:
    """A template refused on its syntax, located at the construct inside the body or the value."""
    lineno, column = error.lineno or 1, error.column or 1
    if pointer:
        line, start = doc.position(pointer)
        line, column = line + lineno - 1, (start + column - 1 if lineno == 1 else column)
    else:
        line = doc.body_line + lineno - 1
    return Problem(doc.path, line, column, ERROR, "", error.message, error.hint)


def _find_in_body(doc: Document, error: PlaceholderError, context: dict) -> tuple[int, int]:
    lines = doc.body.split("\n")
    if error.expression:
        for index, line in enumerate(lines):
            if error.expression in line:
                return doc.body_line + index, line.index(error.expression) + 1
    if error.lineno:
        return doc.body_line + error.lineno - 1, 1
    for index, line in enumerate(lines):  # the first placeholder that fails on its own
        for match in re.finditer(r"\{\{.*?\}\}", line):
            try:
                fill(match.group(0), context)
            except PlaceholderError:
                return doc.body_line + index, match.start() + 1
    return doc.body_line or 1, 1
