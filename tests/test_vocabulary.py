"""One vocabulary, one heading-numbering rule, one owners rule: every reader sees the schemas' words.

The revision reason of a document must read the same on its site page, in its bundle and in the
reviewer's diff; a label changed in the schema must change all three (the control).
"""

from __future__ import annotations

import copy
import re
import shutil

import pytest

from conftest import MINI, edit
from safeplan.render.pdf.bundle_html import BundleMeta, bundle_html
from safeplan.diff_report import as_markdown, as_text
from safeplan.content.loader import load_library
from safeplan.content.model import Document, heading_text
from safeplan.resolve.views import district_context, resolve_district, resolve_school
from safeplan.content.schemas import common_definition
from safeplan.review.semdiff import semantic_diff
from safeplan.render.site.site_pages import SiteData, generate
from safeplan.checks.structure_rules import REQUIRED_SECTIONS
from safeplan.checks.validate import validate
from safeplan.content.vocabulary import vocabulary

PLAN = "plans/school/special/fire.md"
SCHOOL = "hutang-experimental-primary"
NEW_RECORD = '  - {version: "1.1", date: "2026-12-01", reason: drill_findings, summary: 按秋季演练发现的问题修订疏散路线。}\n'


@pytest.fixture
def libraries(tmp_path):
    """The mini library (base), and a copy whose fire plan was revised for drill findings (head)."""
    base_root, head_root = tmp_path / "base", tmp_path / "head"
    shutil.copytree(MINI, base_root)
    shutil.copytree(MINI, head_root)
    edit(head_root / PLAN, 'version: "1.0"', 'version: "1.1"')
    edit(head_root / PLAN, "tags: [消防, 疏散, 火灾]\n", NEW_RECORD + "tags: [消防, 疏散, 火灾]\n")
    (base, base_problems), (head, head_problems) = load_library(base_root), load_library(head_root)
    assert base_problems == head_problems == []
    assert [p for p in validate(head) if p.severity == "error"] == []
    return base, head


def shown_reasons(base, head, words=None) -> dict[str, str]:
    """The text each reader sees for the new revision record: site page, bundle, diff as text and as Markdown."""
    site = SiteData(library=head, views=[resolve_school(head, s) for s in head.schools],
                    district_docs=resolve_district(head), district=district_context(head, "internal"),
                    audience="internal", build_date="2026-12-01", commit="", review_due_days=90, today="2026-12-01",
                    **({"words": words} if words else {}))
    page = generate(site)["plans/fire.md"]
    (row,) = [line for line in page.splitlines() if line.startswith("| 1.1 | 2026年12月1日 |")]
    html = bundle_html(resolve_school(head, head.get("school", SCHOOL)), BundleMeta("2026-12-01", "0" * 10, "test"),
                       words)
    (cell,) = re.findall(r"<td>1\.1</td>\s*<td>2026年12月1日</td>\s*<td>([^<]*)</td>", html)
    diff = semantic_diff(base, head, [(base.get("plan", "fire"), head.get("plan", "fire"))], words=words)
    text, markdown = as_text(diff), as_markdown(diff)
    (line,) = [line for line in text.splitlines() if "「1.1」" in line]
    (md_row,) = [line for line in markdown.splitlines() if "「1.1」" in line]
    return {"site": row.split(" | ")[2], "bundle": cell.strip(),
            "diff": re.search(r"修订原因 ([^，]*)（drill_findings）", line).group(1),
            "comment": re.search(r"修订原因 ([^，]*)（drill\\_findings）", md_row).group(1)}


def test_revision_reason_reads_the_same_on_the_site_in_the_bundle_and_in_the_diff(libraries):
    label = common_definition("revision_reason")["x-labels"]["drill_findings"]
    assert label == "演练或处置中发现问题"  # the shipped schema's label: the readers below must not have their own
    assert shown_reasons(*libraries) == {"site": label, "bundle": label, "diff": label, "comment": label}


def test_a_label_changed_in_the_schema_changes_every_reader(libraries):
    reasons = copy.deepcopy(common_definition("revision_reason"))
    reasons["x-labels"]["drill_findings"] = "试改的修订原因"
    words = vocabulary(definition=lambda name: reasons if name == "revision_reason" else common_definition(name))
    assert shown_reasons(*libraries, words) == dict.fromkeys(("site", "bundle", "diff", "comment"), "试改的修订原因")


def test_status_and_frequency_labels_come_from_the_schemas():
    words = vocabulary()
    for name, labels in (("status", words.statuses), ("revision_reason", words.revision_reasons)):
        definition = common_definition(name)
        assert list(labels) == definition["enum"] and labels == definition["x-labels"], name
    assert words.statuses["approved"] == "现行" and words.frequencies["weekly"] == "每周"
    assert words.kinds["checklist"] == "排查清单" and words.kinds["plan"] == "应急预案"
    assert list(words.tiers) == ["综合应急预案", "专项应急预案", "现场处置方案"]
    assert set(REQUIRED_SECTIONS) == set(words.tiers)  # the standard's sections name every tier, and only those


def test_a_status_label_changed_in_the_schema_reaches_the_diff(libraries):
    base, head = libraries
    statuses = copy.deepcopy(common_definition("status"))
    statuses["x-labels"]["approved"] = "试改的现行"
    words = vocabulary(definition=lambda name: statuses if name == "status" else common_definition(name))
    old, new = base.get("plan", "fire"), head.get("plan", "fire")
    retired = Document(new.kind, new.path, {**new.data, "status": "retired"}, new.positions, new.body, new.body_line,
                       new.sections)
    for chosen, label in ((None, "现行"), (words, "试改的现行")):
        text = as_text(semantic_diff(base, head, [(old, retired)], words=chosen))
        assert f"工作流状态: {label}（approved） → 废止（retired）" in text


# ---- one heading-numbering rule --------------------------------------------------------------

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
