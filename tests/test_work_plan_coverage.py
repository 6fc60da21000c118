"""The district work plan's obligations → the documents that serve them, checked for substance.

tests/work-plan-coverage.yaml names, for each obligation, the document that serves it (`serves`: kind and id)
and what that document must hold to serve it (`requires`): the fields it is filed under, the schools it must
reach, its sections, how many entries its lists have, patterns every entry follows and the posts, lists or days
it must cover. Each requirement has a control that hollows just that part of the document and must make it fail.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from safeplan.checks.structure_rules import REQUIRED_SECTIONS
from safeplan.checks.validate import validate
from safeplan.content.loader import load_library
from safeplan.content.model import Library, heading_text
from safeplan.content.applicability import field_value
from safeplan.content.schemas import schema_for
from safeplan.resolve.views import applies_to_school

REPO = Path(__file__).resolve().parents[1]
COVERAGE = yaml.safe_load((REPO / "tests" / "work-plan-coverage.yaml").read_text(encoding="utf-8"))
SERVED = COVERAGE
MIN_SECTION_CHARS = 40


@pytest.fixture(scope="module")
def library():
    library, problems = load_library(REPO)
    problems += validate(library)
    return library, {p.path for p in problems if p.severity == "error"}


def label(entry: dict) -> str:
    return f"{entry['item']}-{entry['topic']}"


# ------------------------------------------------------------------ served entries

def is_first_edition_in_review(doc) -> bool:
    """A new document as workflow.yaml lets it enter (there is no new → approved): in review at 1.0 with its
    one revision record, until its owner approves it in a PR of its own."""
    data = doc.data
    return data.get("status") == "review" and data.get("version") == "1.0" and len(data.get("revisions") or []) == 1


def values_at(data, path: str) -> list:
    """Every value at a dotted path, lists flattened: 'items.check' → each item's check."""
    values = [data]
    for part in path.split("."):
        found = []
        for value in values:
            value = value.get(part) if isinstance(value, dict) else None
            found += value if isinstance(value, list) else [] if value is None else [value]
        values = found
    return values


def wanted_values(cover: dict) -> list[str]:
    if "schema" in cover:  # e.g. checklist.role: every post the library knows, named once in the schema
        kind, field = cover["schema"].split(".")
        return [v for v in schema_for(kind)["properties"][field]["enum"] if v not in cover.get("except", [])]
    return cover["values"]


def chapters(doc) -> dict[str, str]:
    """'## ' title → its text with every subsection under it."""
    found, current = {}, None
    for section in doc.sections:
        if section.level <= 2:
            current = heading_text(section.title) if section.level == 2 else None
            found[current] = ""
        if current is not None:
            found[current] += section.text
    return found


def required_sections(doc, requires: dict) -> list[str]:
    """`sections: tier` is the GB/T 29639-2020 list for the plan's tier, named once in checks/validate."""
    wanted = requires.get("sections", [])
    return REQUIRED_SECTIONS.get(doc.data.get("tier"), ["（未知层级）"]) if wanted == "tier" else wanted


def holds(value, wanted) -> bool:
    """A school field against an applies_where condition: a value, or {not: value}."""
    return value != wanted["not"] if isinstance(wanted, dict) else value == wanted


def shortfalls(lib: Library, broken: set[str], entry: dict) -> list[str]:
    """What the serving document lacks; [] when it serves the obligation."""
    kind, doc_id = entry["serves"]["kind"], entry["serves"]["id"]
    doc = lib.get(kind, doc_id)
    if doc is None:
        return [f"没有 {kind} {doc_id}"]
    if doc.path in broken:
        return [f"{doc.path} 校验不通过"]
    found = []
    if doc.data.get("status") != "approved" and not is_first_edition_in_review(doc):
        found.append(f"状态为 {doc.data.get('status')}（第 {doc.data.get('version')} 版），既不是现行，也不是提交审核的首版")
    data, requires = doc.data, entry.get("requires", {})
    for key, wanted in requires.get("fields", {}).items():
        value = data.get(key)
        if not (value == wanted or (isinstance(value, list) and wanted in value)):
            found.append(f"{key} 应为 {wanted}，实为 {value}")
    if "applies_where" in requires:
        expected = {s.id for s in lib.schools if all(holds(field_value(s.data, path), value)
                                                     for path, value in requires["applies_where"].items())}
        actual = {s.id for s in lib.schools if applies_to_school(doc, s)[0]}
        if not expected or actual != expected:
            found.append(f"适用学校应为 {sorted(expected)}，实为 {sorted(actual)}")
    sections = chapters(doc)
    for title in required_sections(doc, requires):
        if len(re.sub(r"\s", "", sections.get(title, ""))) < MIN_SECTION_CHARS:
            found.append(f"缺少有内容的章节“{title}”")
    for title, words in requires.get("mentions", {}).items():
        missing = [w for w in words if w not in sections.get(title, "")]
        if missing:
            found.append(f"章节“{title}”没有写到：{'、'.join(missing)}")
    for path, least in requires.get("min", {}).items():
        if len(values_at(data, path)) < least:
            found.append(f"{path} 少于 {least} 项")
    for path, pattern in requires.get("each", {}).items():
        values = values_at(data, path)
        bad = [v for v in values if not re.search(pattern, str(v))]
        if not values or bad:
            found.append(f"{path} 每项都应符合 {pattern}：{bad[:2] or '没有任何一项'}")
    for path, total in requires.get("total", {}).items():
        numbers = [re.search(total["pattern"], str(v)) for v in values_at(data, path)]
        score = sum(int(n.group(1)) for n in numbers if n)
        if score != total["equals"]:
            found.append(f"{path} 中 {total['pattern']} 合计应为 {total['equals']}，实为 {score}")
    for cover in requires.get("covers", []):
        values = [str(v) for v in values_at(data, cover["field"])]
        missing = [w for w in wanted_values(cover) if not any(w in v for v in values)]
        if missing:
            found.append(f"{cover['field']} 没有覆盖：{'、'.join(missing)}")
    return found


@pytest.mark.parametrize("entry", SERVED, ids=label)
def test_obligation_is_served(library, entry):
    lib, broken = library
    assert shortfalls(lib, broken, entry) == [], f"工作要点第 {entry['item']} 条“{entry['topic']}”"


def rewrite(value, parts: list[str], change):
    """Apply change(list, key) to each list at the end of a dotted path; key is the field its items hold
    the value under, or None when the list holds the values themselves."""
    if isinstance(value, list):
        if not parts:
            return change(value, None)
        if len(parts) == 1 and all(isinstance(v, dict) for v in value):
            return change(value, parts[0])
        return [rewrite(v, parts, change) for v in value]
    if isinstance(value, dict) and parts and parts[0] in value:
        value[parts[0]] = rewrite(value[parts[0]], parts[1:], change)
    return value


def hollowed(doc, requirement: str, entry: dict):
    """A copy of doc with exactly the part one requirement looks at emptied or broken."""
    doc = copy.deepcopy(doc)
    data, requires = doc.data, entry["requires"]
    if requirement == "fields":
        for key in requires["fields"]:
            data[key] = None
    elif requirement == "applies_where":
        data["applies_to"] = {"kinds": ["职业学校"]} if not requires["applies_where"] else {}
    elif requirement in ("sections", "mentions"):
        doc.body, doc.sections = "", []
    elif requirement == "min":
        for path in requires["min"]:
            rewrite(data, path.split("."), lambda items, key: items[:1])
    elif requirement == "each":
        for path in requires["each"]:
            rewrite(data, path.split("."), lambda items, key: [dict(i, **{key: ""}) if key else "" for i in items])
    elif requirement == "total":
        for path in requires["total"]:
            rewrite(data, path.split("."), lambda items, key: items[:-1])
    elif requirement == "covers":
        for cover in requires["covers"]:
            last = wanted_values(cover)[-1]
            rewrite(data, cover["field"].split("."),
                    lambda items, key: [i for i in items if last not in str(i.get(key) if key else i)])
    return doc


def replaced(lib: Library, old, new) -> Library:
    return Library(lib.root, [new if d is old else d for d in lib.documents if new is not None or d is not old])


CONTROLS = [(entry, requirement) for entry in SERVED for requirement in entry.get("requires", {})]


@pytest.mark.parametrize("entry,requirement", CONTROLS, ids=[f"{label(e)}-{r}" for e, r in CONTROLS])
def test_hollowing_a_document_fails_its_obligation(library, entry, requirement):
    lib, broken = library
    doc = lib.get(entry["serves"]["kind"], entry["serves"]["id"])
    assert shortfalls(replaced(lib, doc, hollowed(doc, requirement, entry)), broken, entry), requirement


@pytest.mark.parametrize("entry", SERVED, ids=label)
def test_removing_or_breaking_a_document_fails_its_obligation(library, entry):
    lib, broken = library
    doc = lib.get(entry["serves"]["kind"], entry["serves"]["id"])
    assert shortfalls(replaced(lib, doc, None), broken, entry) == [f"没有 {doc.kind} {doc.id}"]
    assert shortfalls(lib, broken | {doc.path}, entry) == [f"{doc.path} 校验不通过"]
    draft = copy.deepcopy(doc)
    draft.data["status"] = "draft"
    assert shortfalls(replaced(lib, doc, draft), broken, entry)
    withdrawn = copy.deepcopy(doc)  # an approved document sent back to review is not published: it serves nothing
    withdrawn.data.update(status="review", version="9.1", revisions=[{}, {}])
    assert shortfalls(replaced(lib, doc, withdrawn), broken, entry)
