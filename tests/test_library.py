"""The repository's own library: validates clean and covers everything the 2020 work plan names."""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import REPO
from safeplan.content.loader import load_library
from safeplan.checks.validate import validate

COVERAGE = yaml.safe_load((REPO / "tests" / "work-plan-coverage.yaml").read_text(encoding="utf-8"))
LIST_FIELDS = ("periods", "seasons", "areas")


@pytest.fixture(scope="module")
def library():
    library, problems = load_library(REPO)
    problems += validate(library)
    return library, problems


def test_repository_validates_clean(library):
    _, problems = library
    errors = [f"{p.path}:{p.line}:{p.column}: {p.rule}: {p.message}" for p in problems if p.severity == "error"]
    assert errors == []


def matches(doc, criteria: dict) -> bool:
    for key, wanted in criteria.items():
        if key == "kind":
            ok = doc.kind == wanted
        elif key == "title":
            ok = wanted in doc.title
        elif key == "text":
            ok = wanted in json.dumps(doc.data, ensure_ascii=False) + doc.body
        elif key in LIST_FIELDS:
            ok = wanted in (doc.data.get(key) or [])
        else:
            ok = doc.data.get(key) == wanted
        if not ok:
            return False
    return True


@pytest.mark.parametrize("entry", COVERAGE, ids=lambda e: f"{e['item']}-{e['topic']}")
def test_work_plan_topic_is_covered(library, entry):
    lib, problems = library
    broken = {p.path for p in problems if p.severity == "error"}
    found = [doc.path for doc in lib.documents
             if doc.data.get("status") == "approved" and doc.path not in broken and matches(doc, entry["match"])]
    assert found, f"工作要点第 {entry['item']} 条“{entry['topic']}”没有对应的现行文档（条件：{entry['match']}）"


def test_coverage_check_can_fail(library):
    lib, _ = library
    assert not any(matches(doc, {"kind": "plan", "title": "不存在的预案"}) for doc in lib.documents)


def test_every_document_is_approved_except_workflow_examples(library):
    lib, _ = library
    others = sorted(f"{d.path}: {d.data.get('status')}" for d in lib.documents
                    if d.kind in ("plan", "checklist", "drill", "note") and d.data.get("status") != "approved")
    # one document in review and one draft show the workflow's two open states; any other is a slip
    assert others == ["plans/school/onsite/onsite-swimming-pool.md: review",
                      "plans/school/special/cyber-security.md: draft"], others


def test_sample_people_are_marked_fictional(library):
    lib, _ = library
    for doc in lib.schools + [lib.district]:
        assert doc.data.get("sample") is True, doc.path
        text = (REPO / doc.path).read_text(encoding="utf-8")
        assert text.startswith("# 样例数据"), doc.path
