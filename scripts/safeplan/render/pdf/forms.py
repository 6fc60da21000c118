"""Checklist and drill documents → the blank forms a school prints and files: month grids, summary, records.

Data only: how much room a form's rows and fields take; what the sheets say is in content/form_sheets.py. The markup is in
templates/forms.html.j2, the page geometry in templates/bundle.css.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from safeplan.content.form_sheets import DATE_HEAD, ITEM_HEAD, NUMBER_HEAD, PLACE_HEAD, SIGN_ROWS, periods, shape

SUMMARY_ROWS = 12  # the monthly summary's blank rows (its columns: content/form_sheets.py)
# Drill-record fields filled in by hand at length; the rest take one line (a time, a count, a name).
_DRAWN = ("路线图", "示意图")
_WRITTEN = ("问题", "整改", "意见", "点评", "评估", "总结", "情况")
# A landscape sheet's type area (168 mm) less its title, heading line, column heads, sign rows and legend:
# what the item rows share, so a long list (a 16-point risk register) still prints on one sheet.
ITEM_ROOM_MM = 104.0
NUMBER_SHARE = 4  # % of the sheet: the 序号 column
ROW_MM = 8.0  # a row's height when the items leave room: space for a tick and a short note


@dataclass(frozen=True)
class Grid:
    """A checklist as a one-page grid: its items down the side, the checks of one period across."""

    period: str  # what the sheet covers, written in by hand: "　　年　　月"
    columns: tuple[str, ...]  # one per check; "" where the date is written in
    row_mm: float = ROW_MM  # each item row's height: all rows share ITEM_ROOM_MM
    number_head: ClassVar[str] = NUMBER_HEAD
    item_head: ClassVar[str] = ITEM_HEAD
    sign_rows: ClassVar[tuple[str, ...]] = SIGN_ROWS
    place_head: ClassVar[str] = PLACE_HEAD
    date_head: ClassVar[str] = DATE_HEAD

    @property
    def shape(self) -> str:
        return shape(self.columns)

    @property
    def item_share(self) -> int:
        """The item column's width in % of the sheet (the 序号 column takes NUMBER_SHARE, the checks the rest)."""
        return {"narrow": 28, "wide": 60}.get(self.shape, 48)


def grid(frequency: str, items: int = 0) -> Grid:
    """The sheet for a checklist of this frequency with this many items (0: the row height unchanged)."""
    row = min(ROW_MM, math.floor(ITEM_ROOM_MM / items * 10) / 10) if items else ROW_MM
    return Grid(*periods(frequency), row)


def record_fields(fields: list[str], evacuation: bool) -> list[str]:
    """A drill record's rows: the drill's own fields, plus room for the problems found and their fixes in
    every drill and for the route drawn in an evacuation drill, where the drill does not name them."""
    rows = list(fields)

    def has(word: str) -> bool:
        return any(word in row for row in rows)

    end = rows.index("记录人") if "记录人" in rows else len(rows)
    rows[end:end] = [field for field, word in (("发现的问题", "问题"), ("整改措施", "整改")) if not has(word)]
    if evacuation and not has("路线图"):
        rows.insert(next(i for i, row in enumerate(rows) if "问题" in row), "疏散路线图")
    return rows


def record_space(field: str) -> str:
    """How much room a drill-record field needs on paper: "draw", "write" or "" (one line)."""
    if any(word in field for word in _DRAWN):
        return "draw"
    return "write" if any(word in field for word in _WRITTEN) else ""
