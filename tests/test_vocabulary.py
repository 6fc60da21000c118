"""One heading-numbering rule for validate and the bundles; owners computed one way."""

from __future__ import annotations

import re

import pytest

from conftest import edit
from safeplan.bundle_html import BundleMeta, bundle_html
from safeplan.loader import load_library
from safeplan.model import Document, heading_text
from safeplan.resolve import resolve_school
from safeplan.validate import validate

PLAN = "plans/school/special/fire.md"
SCHOOL = "hutang-experimental-primary"


@pytest.mark.parametrize("title, text", [
    ("一、总则", "总则"), ("十一、附则", "附则"), ("第三章 应急响应", "应急响应"), ("（一）信息报告", "信息报告"),
    ("(2)预警", "预警"), ("1. 总则", "总则"), ("1、总则", "总则"), ("1.1 适用范围", "适用范围"), ("5.3.1. 要点", "要点"),
    ("总则", "总则"), ("2020年工作要点", "2020年工作要点"), ("1.5倍距离", "1.5倍距离"),
])
def test_heading_numbers(title, text):
    assert heading_text(title) == text


def test_validate_and_the_bundle_read_a_numbered_heading_alike(tree):
    """'1.1 适用范围' is numbered: validate finds the section, the bundle neither numbers it again nor misses it."""
    edit(tree / PLAN, "## 适用范围", "## 1.1 适用范围")
    library, _ = load_library(tree)
    assert not [p for p in validate(library) if p.rule.startswith("gbt29639")]
    html = bundle_html(resolve_school(library, library.get("school", SCHOOL)), BundleMeta("2026-12-01", "0" * 10, "t"))
    assert "<h3>1.1 适用范围</h3>" in html and "、1.1 适用范围" not in html
    edit(tree / PLAN, "## 1.1 适用范围", "## 范围与适用")  # control: an unnumbered, unknown title is missed and numbered
    library, _ = load_library(tree)
    assert [p.rule for p in validate(library) if p.rule == "gbt29639-sections"] == ["gbt29639-sections"]
    html = bundle_html(resolve_school(library, library.get("school", SCHOOL)), BundleMeta("2026-12-01", "0" * 10, "t"))
    assert re.search(r"<h3>[一二三四五六七八九十]+、范围与适用</h3>", html)


# ---- owners computed one way -----------------------------------------------------------------

def test_owners_of_a_school_document_the_district_and_a_missing_school(tree):
    library, _ = load_library(tree)
    school, district = library.get("school", SCHOOL), library.district
    plan = library.get("plan", "fire")
    assert library.owners(plan).source is district and library.owners().source is district
    assert library.owners(school).source is school
    own = Document("note", "notes/own.md", {"id": "own", "school": SCHOOL}, {})
    assert library.owners(own).source is school and set(library.owners(own).people) == {
        o["id"] for o in school.data["owners"]}
    orphan = Document("note", "notes/orphan.md", {"id": "orphan", "school": "no-such-school"}, {})
    assert library.owners(orphan).source is district  # as the gate decides: a school that is not there owns nothing
    assert library.owners(school).handles == sorted({o["handle"] for o in school.data["owners"]})
