"""Edition HTML → PDF bytes: laid out once, with the school-independent tables drawn into slots."""

from __future__ import annotations

import gc
import re

import weasyprint

from safeplan.render.pdf import blocks, fonts
from safeplan.render.pdf.structure import page_labels

_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


def render_pdf(html: str, key: str, restart: bool = True, share: bool = False) -> tuple[bytes, int]:
    """HTML → (PDF bytes, pages). Nothing is fetched: bundles are self-contained.

    With `share`, school-independent tables are laid out once per process and drawn into
    slots of their size (render/pdf/blocks.py): the same glyphs in the same places as laid out in place.
    """
    # Laying out a full edition makes about a million objects in reference cycles; the collector walking
    # them again and again while they are alive cost a third of the time. One collection after, instead.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _render_pdf(html, key, restart, share)
    finally:
        if enabled:
            gc.enable()
        gc.collect()


def _render_pdf(html: str, key: str, restart: bool, share: bool) -> tuple[bytes, int]:
    found = blocks.find_blocks(html, _STYLE.search(html).group(1)) if share else []
    tables = blocks.lay_out([block for _, _, block in found]) if found else {}
    for attempt in range(3):  # a slot that broke across pages: again with its table in place (the third time, all)
        slotted, slots = blocks.with_slots(html, found, tables)
        document = weasyprint.HTML(string=slotted, url_fetcher=fonts.fetcher()).render(font_config=fonts.font_config())
        boxes = blocks.slot_boxes(document) if slots else {}
        split = blocks.misplaced(slots, boxes)
        if not split:
            break
        blocks.in_place(split)
        tables = {} if attempt else {key: table for key, table in tables.items() if key not in split}
    blocks.place(slots, boxes, tables)
    # A fixed identifier (from the HTML's key) instead of none or a random one: stable and unique.
    # Untagged: WeasyPrint's pdf_tags costs about 40 % more CPU per page (measured on a full edition).
    data = document.write_pdf(pdf_identifier=key[:32].encode(), finisher=page_labels(restart))
    return data, len(document.pages)
