"""Action first on the site (issue 12 item 2): every plan page with first steps opens, before its information box,
with who does what in the first ten minutes by post (the bundles' builder, labels of no one school, no person's
name) and the district's response levels in one line. Pages generated in-process from the repository's library."""

from __future__ import annotations

import re

import pytest

from conftest import REPO
from safeplan.content.loader import load_library
from safeplan.content.reporting_text import levels_line, roles_school
from safeplan.render.site import document_pages
from safeplan.render.site.index import SiteData, SiteIndex
from safeplan.render.site.markup import text
from safeplan.render.site.plan_opening import TITLE
from safeplan.resolve.views import district_context, resolve_all, resolve_district


@pytest.fixture(scope="module")
def index() -> SiteIndex:
    library, problems = load_library(REPO)
    assert problems == []
    return SiteIndex.gather(SiteData(library=library, views=resolve_all(library, "internal"),
                                     district_docs=resolve_district(library, "internal"),
                                     district=district_context(library, "internal"), audience="internal",
                                     build_date="2026-12-01", commit="0123456789", review_due_days=90,
                                     today="2026-12-01"))


def _plans(index: SiteIndex):
    return [entry for entry in index.entries.values() if entry.kind == "plan" and entry.data.get("procedure")]


def opening_misses(index: SiteIndex, page_of) -> dict[str, str]:
    """Plan id → what is wrong with the opening of its page (page_of: entry → the page's Markdown)."""
    line = text(levels_line(index.site.district, roles_school()))
    names = {str(view.data.get(key)) for view in index.site.views for key in ("name", "short_name") if view.data.get(key)}
    names |= {str(person.get("name")) for view in index.site.views
              for person in (view.data.get("organisation") or {}).values() if isinstance(person, dict) and person.get("name")}
    misses = {}
    for entry in _plans(index):
        page = page_of(entry)
        start, box = page.find(f"## {TITLE}"), page.find('<div class="sp-meta"')
        if start < 0 or not 0 <= start < box or re.search(r"^## ", page[:start], re.M):
            misses[entry.doc.id] = "the page does not open with the first ten minutes"
            continue
        opening = page[start:box]
        labels = set(re.findall(r"^\*\*(.+)\*\*$", opening, re.M))
        allowed = set(map(text, index.words.posts_for().values())) | {text(s["who"]) for s in entry.data["procedure"]}
        if line not in opening:
            misses[entry.doc.id] = "no response-level line"
        elif not labels or not labels <= allowed or any(name in opening for name in names):
            misses[entry.doc.id] = "not in the labels of no one school"
    return misses


def test_every_plan_page_opens_with_its_first_ten_minutes_and_levels(index):
    plans = _plans(index)
    assert len(plans) >= 10
    assert opening_misses(index, lambda entry: document_pages.document_page(index, entry)) == {}
    fire = document_pages.document_page(index, index.entries[("plan", "fire")])
    assert "**班主任/带班教师**" in fire and "**总指挥（校长/园长）**" in fire


def test_a_page_built_without_the_opening_is_refused(index, monkeypatch):
    """Control: the same pages without the opening are each reported."""
    monkeypatch.setattr(document_pages, "plan_opening", lambda index, entry: [])
    misses = opening_misses(index, lambda entry: document_pages.document_page(index, entry))
    assert set(misses) == {entry.doc.id for entry in _plans(index)}


def test_a_school_word_or_name_in_the_opening_is_refused(index):
    """Control of the label and name scans: a kindergarten's label, or a school's name, in the opening."""
    kindergarten = next(view for view in index.site.views if view.data.get("kind") == "幼儿园")
    for wrong in (f"**{index.words.posts_for('幼儿园')['class_teacher']}**", str(kindergarten.data["name"])):
        def page_of(entry, wrong=wrong):
            return document_pages.document_page(index, entry).replace("**班主任/带班教师**", wrong).replace(
                "**总指挥（校长/园长）**", wrong)
        misses = opening_misses(index, page_of)
        assert misses and set(misses.values()) == {"not in the labels of no one school"}, wrong
