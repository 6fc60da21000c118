"""Emergency cards in print (render/pdf/cards.py), checked on the PDFs' structure with pypdf: page sizes, one
A6 page per card, four cards to an A4 sheet, no placeholder text and no empty number, for every sample school."""

from __future__ import annotations

import io
import json
import math
import re
import subprocess
from dataclasses import replace

import pytest
from pypdf import PdfReader
from test_cards import approved_copy

from safeplan.build import BuildOptions, build
from safeplan.checks.library_check import check_library
from safeplan.render.pdf.bundle_html import _css
from safeplan.render.pdf.cards import bundle_cards, card_css, card_sheet_html
from safeplan.render.pdf.render_pdf import render_pdf
from safeplan.resolve.views import resolve_all

A4 = (595, 842)
A6 = (298, 420)
A4_LANDSCAPE = (842, 595)  # the checklists' month grids
PLACEHOLDER = re.compile(r"\{\{|\{%|school\.[a-z_]+")


def _size(page) -> tuple[int, int]:
    return round(float(page.mediabox.width)), round(float(page.mediabox.height))


def _pages(data: bytes) -> list:
    return list(PdfReader(io.BytesIO(data)).pages)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _empty_numbers(text: str, card) -> list[str]:
    """The callees of a card whose number is not printed right after them on its page."""
    flat = _flat(text)
    return [who for who, number in card.calls
            if not number.strip() or not re.search(re.escape(_flat(who)) + re.escape(_flat(number)) + r"(?![0-9])", flat)]


@pytest.fixture(scope="module")
def views(tmp_path_factory):
    root = approved_copy(tmp_path_factory.mktemp("cards-pdf") / "library")
    library, problems = check_library(root)
    assert not [p for p in problems if p.severity == "error"]
    return root, resolve_all(library)


def _bundle_cards_pdf(view) -> bytes:
    """The bundle's cards article, set with the bundle's whole stylesheet, as the bundle sets it."""
    _, _, html = bundle_cards(view, "cards")
    page = f"<html><head><style>{_css()}{card_css()}</style></head><body><main>{html}</main></body></html>"
    return render_pdf(page, "0" * 64)[0]


def test_every_sample_school_gets_one_a6_page_per_card_filled(views):
    _, all_views = views
    assert len(all_views) == 12
    for view in all_views:
        assert view.cards, view.id
        pages = _pages(_bundle_cards_pdf(view))
        a6 = [page for page in pages if _size(page) == A6]
        assert len(a6) == len(view.cards), (view.id, len(a6), len(view.cards))  # a card too long would spill over
        for page, card in zip(a6, view.cards):
            text = page.extract_text()
            assert card.post_label in text and card.steps[0].within in text, (view.id, card.plan_id, card.post)
            assert not PLACEHOLDER.search(text), (view.id, card.plan_id, card.post)
            assert _empty_numbers(text, card) == [], (view.id, card.plan_id, card.post)


def test_the_scans_find_what_they_look_for(views):
    """Control: a card with a leftover placeholder and an empty number is caught by the same two scans."""
    _, all_views = views
    view = all_views[0]
    card = replace(view.cards[0], dont=["{{ school.organisation.principal.name }}不在时不启动"],
                   calls=[(view.cards[0].calls[0][0], "")] + view.cards[0].calls[1:])
    text = next(page for page in _pages(_bundle_cards_pdf(replace(view, cards=[card]))) if _size(page) == A6).extract_text()
    assert PLACEHOLDER.search(text)
    assert _empty_numbers(text, card) == [card.calls[0][0]]


def test_the_cards_sheet_puts_four_cards_on_each_a4_page_with_cut_lines(views):
    _, all_views = views
    for view in all_views:
        pages = _pages(render_pdf(card_sheet_html(view), "1" * 64)[0])
        assert [_size(page) for page in pages] == [A4] * math.ceil(len(view.cards) / 4), view.id
        for number, page in enumerate(pages):
            text = page.extract_text()
            assert not PLACEHOLDER.search(text), view.id
            assert re.search(rb"\[[0-9. ]+\] 0 d", page.get_contents().get_data()), view.id  # dashed cut lines
            for card in view.cards[4 * number:4 * number + 4]:
                assert card.post_label in text and _empty_numbers(text, card) == [], (view.id, card.plan_id, card.post)


def test_the_bundle_holds_the_cards_and_the_manifest_lists_the_sheet(views):
    """One real build of the boarding high school (the most cards of a day-and-night school)."""
    root, all_views = views
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=测试", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "库"],
                   cwd=root, check=True)
    result = build(BuildOptions(root=root, only=("pdf",), schools=("lijia-senior-high",), jobs=1))
    assert not [p for p in result.problems if p.severity == "error"], result.problems
    view = next(v for v in all_views if v.id == "lijia-senior-high")
    out = root / "build" / "pdf"
    entry = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["bundles"][0]
    sheet_entry = next(e for e in entry["editions"] if e["edition"] == "cards")
    assert sheet_entry["file"] == "lijia-senior-high.cards.pdf"
    sheet = PdfReader(out / sheet_entry["file"])
    assert sheet_entry["pages"] == len(sheet.pages) == math.ceil(len(view.cards) / 4)
    bundle = PdfReader(out / entry["file"])
    sizes = [_size(page) for page in bundle.pages]
    assert sizes.count(A6) == len(view.cards) and set(sizes) == {A4, A4_LANDSCAPE, A6}
    first = sizes.index(A6)
    assert sizes[first:first + len(view.cards)] == [A6] * len(view.cards)  # together, one card a page
    dorm = next(i for i, c in enumerate(view.cards) if c.post == "dorm")
    assert "生活区中心广场" in bundle.pages[first + dorm].extract_text()
    # Action-first: the earthquake plan's first page says who does what in ten minutes, with the school's names.
    start = next(i for i, page in enumerate(bundle.pages) if "地震灾害专项应急预案编号：" in _flat(page.extract_text() or ""))
    first = _flat(bundle.pages[start].extract_text())
    assert "事发后10分钟内：谁做什么" in first and "于样例" in first  # the commander's first actions, on the first page
    assert "保安/门卫" in first and "余样例" in first and "响应分级（全区统一）" in first  # every post (test_plan_opening)
    plan = "".join(_flat(page.extract_text()) for page in bundle.pages[start:start + 4])
    assert plan.index("谁做什么") < plan.index("响应分级") < plan.index("应急组织机构及职责") < plan.index("适用范围")
