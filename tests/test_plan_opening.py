"""Each plan's first printed page says who does what in the first ten minutes (issue 12, action-first plans):
every post's row with the school's own names and mobiles, each step with its time limit, and the district's
response levels in one line.

Real full bundles of three kinds of sample school (a kindergarten, a boarding school, a special-education
school), read back page by page with poppler: `pdftotext -raw` keeps a table cell's lines together.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import REPO
from safeplan.content.loader import load_library
from safeplan.content.reporting_text import levels_line
from safeplan.content.school_words import in_words_of
from safeplan.content.vocabulary import vocabulary
from safeplan.render.pdf.bundle_html import BundleMeta, bundle_html
from safeplan.render.pdf.render_pdf import render_pdf
from safeplan.resolve.views import resolve_school

SCHOOLS = ("xihu-experimental-kindergarten", "lijia-senior-high", "nanxiashu-special-education")
META = BundleMeta("2026-09-01", "0123456789", "test")


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _page_text(pdf: Path, number: int) -> str:
    return subprocess.run(["pdftotext", "-raw", "-f", str(number), "-l", str(number), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def _starts(pdf: Path) -> dict[str, int]:
    """Outline title → 1-based page number, at every level."""
    reader = PdfReader(pdf)

    def walk(items):
        for item in items:
            if isinstance(item, list):
                yield from walk(item)
            else:
                yield item.title, reader.get_destination_page_number(item) + 1
    return dict(walk(reader.outline))


def _render(view, path: Path) -> Path:
    path.write_bytes(render_pdf(bundle_html(view, META), "0" * 32)[0])
    return path


def first_page_misses(pdf: Path, view) -> dict[str, list[str]]:
    """Plan id → the parts of its opening that are not on the plan's first page (the page its title opens)."""
    terms = vocabulary().terms_for(view.data["kind"])
    school_words = lambda text: _flat(in_words_of(text, terms))  # noqa: E731 - the bundle prints the kind's words
    starts, misses = _starts(pdf), {}
    for plan in view.of_kind("plan"):
        page = _flat(_page_text(pdf, starts[in_words_of(plan.title, terms)]))
        wanted = [school_words(levels_line(view.district, view.data))]
        for post, person, steps in view.openings[plan.id]:
            wanted += [school_words(post), school_words(person)]
            wanted += [school_words(step.within) + school_words(step.action) for step in steps]
        missing = [text for text in wanted if text not in page]
        if missing:
            misses[plan.id] = missing
    return misses


@pytest.fixture(scope="module")
def library():
    return load_library(REPO)[0]


@pytest.mark.parametrize("school", SCHOOLS)
def test_every_plan_opens_with_the_whole_ten_minute_opening_on_its_first_page(library, school, tmp_path):
    view = resolve_school(library, library.get("school", school))
    plans = view.of_kind("plan")
    assert len(plans) >= 10 and all(view.openings[plan.id] for plan in plans)  # something to check, every plan
    people = [person for plan in plans for _, person, _ in view.openings[plan.id] if person]
    mobiles = {view.data["organisation"][key]["mobile"] for key in ("principal", "safety_officer")}
    assert all(any(mobile in person for person in people) for mobile in mobiles)  # the school's own mobiles
    pdf = _render(view, tmp_path / f"{school}.pdf")
    assert first_page_misses(pdf, view) == {}


def test_the_first_page_scan_sees_an_opening_that_runs_onto_page_two(library, tmp_path):
    """Control: the comprehensive plan's opening forced four times as long (three more teams of the same posts)
    runs past its first page and is found; the fire plan beside it, as it is, still fits."""
    view = resolve_school(library, library.get("school", SCHOOLS[0]))
    rows = view.openings["comprehensive"]
    longer = rows + [(f"第{n}梯队{post}", person, steps) for n in (2, 3, 4) for post, person, steps in rows]
    kept = [a for a in view.documents if a.kind != "plan" or a.id in ("comprehensive", "fire")]
    long = replace(view, documents=kept, openings={**view.openings, "comprehensive": longer})
    pdf = _render(long, tmp_path / "long.pdf")
    misses = first_page_misses(pdf, long)
    assert list(misses) == ["comprehensive"]
    pushed = _flat(in_words_of(longer[-1][0], vocabulary().terms_for(long.data["kind"])))
    assert pushed in misses["comprehensive"] and _flat(levels_line(long.district, long.data)) in misses["comprehensive"]
    start = _starts(pdf)["学校综合应急预案"]
    assert pushed in "".join(_flat(_page_text(pdf, start + n)) for n in (1, 2, 3))  # the last rows went on overleaf


def test_a_post_label_names_the_post_in_the_kind_of_schools_words():
    """One label per post in the schema (the school's word); a kindergarten's comes from its x-terms."""
    words = vocabulary()
    kindergarten, primary = words.posts_for("幼儿园"), words.posts_for("小学")
    assert [kindergarten[p] for p in ("principal", "class_teacher", "medical")] == ["总指挥（园长）", "带班教师", "保健医生"]
    assert [primary[p] for p in ("principal", "class_teacher", "medical")] == ["总指挥（校长）", "班主任", "校医"]
    assert words.posts_for()["class_teacher"] == "班主任/带班教师"  # a page for no one school names both
    assert in_words_of("副校长向校长报告", words.terms_for("幼儿园")) == "副园长向园长报告"
