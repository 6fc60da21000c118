"""School-independent tables (form grids, reference pages, the summary form) → laid out once per process, reused.

A blank form grid is the same in every school that files the checklist, and its 30 × 20 cells
cost more to lay out than pages of text. An edition's HTML is rendered with an empty slot of the
table's size where each such table was; the table itself is laid out once (in a sheet of such
tables, kept in memory by the worker) and its boxes are moved into the slot when the school's document is drawn.
WeasyPrint draws and subsets it with the rest of the document: one font subset, the same glyphs
in the same places as laid out in place, the same bytes on every run; headings, page numbers,
links and outline stay the school's own. Tagged PDF would tag the table under the slot, which is
one reason tagging is off (render_pdf.py). A table that does not fit on
one page, or whose slot lands elsewhere than the table would, is laid out in place.
"""

from __future__ import annotations

import gc
import hashlib
import re
from dataclasses import dataclass

import weasyprint

from safeplan.render.pdf import fonts

# Blank forms whose cells come from the checklist, never from the school, and cost most to lay out; each
# starts a page or follows a few lines of heading (a table that could start anywhere would often break
# where a slot cannot).
SHARED = re.compile(r'<table class="(?:grid|reference|summary)"[^>]*>.*?</table>', re.S)
_SECTION = re.compile(r'<section class="([^"]*)"')
SLOT_CLASS = "sp-block-slot"
KEPT = 400  # laid-out tables kept per process (a worker sees a few schools' worth)

_laid_out: dict[str, object] = {}  # block key → the table's wrapper box, or None when it breaks over pages
_sheets: list = []  # the sheets' documents: their boxes hold fonts and layouts of these documents


@dataclass(frozen=True)
class Block:
    """One school-independent table, the classes of the section it sits in and the stylesheet: what it looks like."""

    table: str
    context: str
    css: str

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.css}\0{self.context}\0{self.table}".encode()).hexdigest()


def find_blocks(html: str, css: str) -> list[tuple[int, int, Block]]:
    """(start, end, block) of each shared table in an edition's HTML."""
    found = []
    for match in SHARED.finditer(html):
        sections = list(_SECTION.finditer(html, 0, match.start()))
        found.append((match.start(), match.end(), Block(match.group(0), sections[-1].group(1) if sections else "", css)))
    return found


def lay_out(blocks: list[Block]) -> dict[str, object]:
    """block key → its laid-out table (None: it breaks over pages), laying out in one sheet those not seen yet."""
    if len(_laid_out) > KEPT:
        _laid_out.clear()
        _sheets.clear()
        gc.unfreeze()
    missing = [block for block in dict.fromkeys(blocks) if block.key not in _laid_out]
    if missing:
        sections = "".join(f'<section class="{b.context}" style="break-before: page">'
                           + b.table.replace(">", f' id="sp-block-{n}">', 1) + "</section>" for n, b in enumerate(missing))
        html = (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>{missing[0].css}</style></head>'
                f'<body><main class="forms">{sections}</main></body></html>')
        document = weasyprint.HTML(string=html, url_fetcher=fonts.fetcher()).render(font_config=fonts.font_config())
        fragments: dict[str, list] = {}
        for page in document.pages:
            for box in page._page_box.descendants():
                if getattr(box, "is_table_wrapper", False) and box.element is not None:
                    fragments.setdefault(box.element.get("id", ""), []).append(box)
        for n, block in enumerate(missing):
            parts = fragments.get(f"sp-block-{n}", [])
            _laid_out[block.key] = parts[0] if len(parts) == 1 else None
        _sheets.append(document)
        # The kept tables are hundreds of thousands of objects that live as long as the worker: the one
        # collection after each edition (render/pdf/layout.py) need not walk them every time.
        gc.collect()
        gc.freeze()
    return {block.key: _laid_out[block.key] for block in blocks if _laid_out[block.key] is not None}


def in_place(keys: set[str]) -> None:
    """These tables are laid out in place from now on in this process: their slot broke from what precedes it,
    and would in the next school too (a sheet starts its page), costing a second layout of the whole edition."""
    for key in keys:
        _laid_out[key] = None


def with_slots(html: str, found: list[tuple[int, int, Block]], tables: dict[str, object]) -> tuple[str, list[str]]:
    """The HTML with an empty slot of each laid-out table's size instead of the table, and the slots' block keys."""
    pieces, slots, position = [], [], 0
    for start, end, block in found:
        box = tables.get(block.key)
        if box is None or block.key in slots:  # a box is drawn in one place
            continue
        n = len(slots)
        # An empty mark before the slot (margins collapse through it): a slot on another page than its
        # mark was pushed over a page break that would have split the table.
        pieces += [html[position:start], f'<div class="{SLOT_CLASS}" id="sp-mark-{n}"></div>',
                   f'<div class="{SLOT_CLASS}" id="sp-slot-{n}" style="height: {box.border_height()}px; '
                   f'margin-top: {box.margin_top}px; margin-bottom: {box.margin_bottom}px"></div>']
        slots.append(block.key)
        position = end
    return "".join(pieces) + html[position:], slots


def slot_boxes(document) -> dict[str, list]:
    """slot or mark id → its boxes in a rendered document that fit their page (one unless it broke)."""
    found: dict[str, list] = {}
    for page in document.pages:
        bottom = page._page_box.content_box_y() + page._page_box.height
        for box in page._page_box.descendants():
            if box.element is None or box.element_tag != "div" or SLOT_CLASS not in (box.element.get("class") or ""):
                continue
            if box.border_box_y() + box.border_height() <= bottom + 0.5:  # overflowing the page: not placed
                found.setdefault(box.element.get("id"), []).append((page, box))
    return found


def misplaced(slots: list[str], boxes: dict[str, list]) -> set[str]:
    """Blocks whose slot broke from what precedes it, broke across pages or overflowed: laid out in place instead."""
    split = set()
    for n, key in enumerate(slots):
        mark, slot = boxes.get(f"sp-mark-{n}", ()), boxes.get(f"sp-slot-{n}", ())
        if len(slot) != 1 or len(mark) != 1 or mark[0][0] is not slot[0][0]:
            split.add(key)
    return split


def place(slots: list[str], boxes: dict[str, list], tables: dict[str, object]) -> None:
    """Before drawing: each slot holds its table, moved to the slot's place.

    A table stays where it was last drawn: the next school's slot is mostly in the same place, and
    moving 600 cells there and back for each page cost as much as drawing them.
    """
    for n, key in enumerate(slots):
        (_, slot), = boxes[f"sp-slot-{n}"]
        table = tables[key]
        dx, dy = slot.border_box_x() - table.border_box_x(), slot.border_box_y() - table.border_box_y()
        if dx or dy:
            table.translate(dx, dy)
        slot.children = [table]
