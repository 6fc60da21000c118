"""What a printed page holds, read back from a PDF with poppler: glyph boxes and lines per page."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

MM = 72 / 25.4
# Each page is checked against the type area of its own page box (width × height in mm → left, right in mm):
TYPE_AREAS_X = {
    (210, 297): (28.0, 184.0),  # A4 (GB/T 9704: 156 mm text block)
    (297, 210): (28.0, 277.0),  # the forms' landscape sheets: the same binding margin, 20 mm on the right
    (105, 148): (5.0, 100.0),  # an emergency card's A6 page in a bundle: 5 mm margins (render/pdf/templates/cards.css)
}
TOLERANCE = 0.5  # mm: glyph side bearings
PAGE_NUMBER = re.compile(r"—\d+—")
COLLAPSED_LIST = ("：- ", "；- ", "：* ", "；* ")


@dataclass(frozen=True)
class Word:
    page: int  # 1-based
    landscape: bool
    area: tuple[float, float]  # the type area's left and right edge on this word's page, mm
    left: float  # mm
    right: float
    top: float
    text: str


def pages(pdf: Path) -> list[list[tuple[int, str]]]:
    """Per page, its lines as (top in mm, text without spaces), in reading order."""
    found = []
    for page in _layout(pdf).iter("page"):
        lines: dict[float, str] = {}  # poppler splits a line at wide gaps; one baseline is one line
        for line in page.iter("line"):
            top = round(float(line.get("yMin")) / MM)
            lines[top] = lines.get(top, "") + "".join(w.text or "" for w in line.iter("word"))
        found.append(sorted(lines.items()))
    return found


def type_area_x(width: float, height: float) -> tuple[float, float]:
    """The type area of a page of this size in points; a page size the scan does not know fails loudly."""
    size = (round(width / MM), round(height / MM))
    if size not in TYPE_AREAS_X:
        raise ValueError(f"no type area known for a {size[0]} × {size[1]} mm page")
    return TYPE_AREAS_X[size]


def words(pdf: Path) -> list[Word]:
    found = []
    for n, page in enumerate(_layout(pdf).iter("page"), 1):
        width, height = float(page.get("width")), float(page.get("height"))
        area = type_area_x(width, height)
        found += [Word(n, width > height, area, float(w.get("xMin")) / MM, float(w.get("xMax")) / MM,
                       float(w.get("yMin")) / MM, w.text or "") for w in page.iter("word")]
    return found


def outside_type_area(pdf: Path) -> list[Word]:
    return [word for word in words(pdf)
            if word.left < word.area[0] - TOLERANCE or word.right > word.area[1] + TOLERANCE]


def content_lines(page: list[tuple[int, str]]) -> list[str]:
    """A page's lines without its page number."""
    return [text for _, text in page if not PAGE_NUMBER.fullmatch(text)]


def sparse_pages(pdf: Path, fewer_than: int) -> list[tuple[int, list[str]]]:
    """Pages with some content but fewer than `fewer_than` lines (blank pages are intentional versos)."""
    return [(n, lines) for n, page in enumerate(pages(pdf), 1)
            if 0 < len(lines := content_lines(page)) < fewer_than]


def plain_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _layout(pdf: Path) -> ElementTree.Element:
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return ElementTree.fromstring(re.sub(r' xmlns="[^"]+"', "", xml, count=1))


def printed_numbers(pdf: Path) -> list[str | None]:
    """Per page, the page number printed in its footer ("— 7 —" → "7"), or None."""
    return [next((text.strip("—") for _, text in page if PAGE_NUMBER.fullmatch(text)), None) for page in pages(pdf)]


def check_page_labels(pdf: Path) -> list[tuple[int, str, str]]:
    """Pages whose viewer label differs from the printed number; front matter must be labelled in roman numerals."""
    from pypdf import PdfReader

    labels = PdfReader(pdf).page_labels
    wrong = []
    for index, (label, printed) in enumerate(zip(labels, printed_numbers(pdf))):
        if printed is not None and label != printed:
            wrong.append((index, label, printed))
        if printed is None and not re.fullmatch(r"[ivxlc]+|\d+", label):
            wrong.append((index, label, ""))
    return wrong
