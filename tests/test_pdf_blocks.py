"""Blank-form tables laid out once and drawn into slots print exactly what laying them out in place prints."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from test_forms import forms_pack_html
from print_scan import words
from safeplan.render.pdf import blocks
from safeplan.render.pdf.editions import BY_NAME
from safeplan.render.pdf.layout import _STYLE, render_pdf


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict:
    _, html = forms_pack_html()
    folder = tmp_path_factory.mktemp("blocks")
    found = {}
    for name, share in (("in-place", False), ("shared", True), ("shared-again", True)):
        data, _ = render_pdf(html, "0" * 32, BY_NAME["forms"].restart, share=share)
        (folder / f"{name}.pdf").write_bytes(data)
        found[name] = folder / f"{name}.pdf"
    return {"html": html, **found}


def _boxes(pdf: Path) -> list[tuple]:
    return [(w.page, round(w.left, 1), round(w.right, 1), round(w.top, 1), w.text) for w in words(pdf)]


def test_tables_are_really_shared(rendered):
    html = rendered["html"]
    found = blocks.find_blocks(html, _STYLE.search(html).group(1))
    assert len(found) > 20  # every grid, reference page and the summary form
    tables = blocks.lay_out([block for _, _, block in found])
    slotted, slots = blocks.with_slots(html, found, tables)
    assert len(slots) >= len(found) * 3 // 4 and slotted.count(blocks.SLOT_CLASS) == 2 * len(slots)
    grids = (html.count('<table class="grid"'), slotted.count('<table class="grid"'))  # counts: no giant diffs
    assert grids[0] > 10 and grids[1] < grids[0] // 4  # most grids are gone from the school's HTML


def test_shared_tables_print_the_same_glyphs_in_the_same_places(rendered):
    shared, in_place = _boxes(rendered["shared"]), _boxes(rendered["in-place"])
    assert len(in_place) > 1000
    assert (shared == in_place) is True  # a bool: pytest would diff thousands of boxes
    # Control: the comparison sees a table's header missing from its page.
    assert ([w for w in shared if w[4] != "序号"] == in_place) is False


def test_shared_pages_look_the_same(rendered, tmp_path):
    for name in ("in-place", "shared"):
        subprocess.run(["pdftoppm", "-r", "30", "-gray", str(rendered[name]), str(tmp_path / name)], check=True)
    images = sorted(tmp_path.glob("in-place-*.pgm"))
    assert len(images) == len(PdfReader(rendered["in-place"]).pages)
    # Antialiasing may round an edge differently; a glyph or rule missing or moved changes pixels by far more.
    differing = {p.name: _far_pixels(p, tmp_path / p.name.replace("in-place", "shared")) for p in images}
    assert {name: n for name, n in differing.items() if n} == {}
    # Control: the measure sees one form sheet in place of another (two landscape pages of the same size).
    assert _pgm(images[6])[0] == _pgm(images[7])[0] and _far_pixels(images[6], images[7]) > 100


def _far_pixels(a: Path, b: Path) -> int:
    """Pixels of two greyscale PGM pages more than 100 levels apart (any size difference counts as all)."""
    head_a, pixels_a = _pgm(a)
    head_b, pixels_b = _pgm(b)
    if head_a != head_b:
        return len(pixels_a)
    return sum(1 for x, y in zip(pixels_a, pixels_b) if abs(x - y) > 100)


def _pgm(path: Path) -> tuple[bytes, bytes]:
    magic, size, depth, pixels = path.read_bytes().split(b"\n", 3)
    return magic + size + depth, pixels


def test_shared_rendering_is_reproducible_and_keeps_structure(rendered):
    assert rendered["shared"].read_bytes() == rendered["shared-again"].read_bytes()
    shared, in_place = PdfReader(rendered["shared"]), PdfReader(rendered["in-place"])
    assert [item.title for item in shared.outline if not isinstance(item, list)] == \
        [item.title for item in in_place.outline if not isinstance(item, list)]
    assert shared.trailer["/Root"]["/PageLabels"] == in_place.trailer["/Root"]["/PageLabels"]
    assert shared.trailer["/Root"]["/Lang"] == "zh-CN"
