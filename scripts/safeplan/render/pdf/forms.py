"""Checklist and drill documents → the blank forms a school prints and files: month grids, summary, records.

Data only: which columns a form has and how much room a field needs. The markup is in
templates/forms.html.j2, the page geometry in templates/bundle.css.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

# Drill-record fields filled in by hand at length; the rest take one line (a time, a count, a name).
_DRAWN = ("路线图", "示意图")
_WRITTEN = ("问题", "整改", "意见", "点评", "评估", "总结", "情况")
SCHOOL_MONTHS = ("9月", "10月", "11月", "12月", "1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月")
# The monthly hazard summary (隐患排查整改台账): where each hazard came from, then how it is closed.
SUMMARY_TITLE = "月度隐患排查整改汇总表"
SUMMARY_ORIGINS = ("以前未整改", "当月新增")
SUMMARY_COLUMNS = ("隐患部位及情形", "等级", "整改时限", "责任人", "整改方案", "安全措施", "销号（日期、签名）")
SUMMARY_ROWS = 12
# What a sheet prints besides its check columns: its heads, the rows signed below the items, the marks a cell takes.
NUMBER_HEAD = "序号"
ITEM_HEAD = "排查项目（标准与依据见说明页）"
SIGN_ROWS = ("检查人（签名）", "复查人（签名）")
MARKS = (("✓", "合格"), ("×", f"有隐患（写入当月{SUMMARY_TITLE.removeprefix('月度')}）"), ("／", "不适用"))
LEGEND = "填写：" + "　".join(f"{mark} {meaning}" for mark, meaning in MARKS) + "。发现重大隐患立即报告安全办主任并采取临时防护措施。"
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

    @property
    def shape(self) -> str:
        """"narrow": 12 or 31 check columns, small heads; "wide": a register of one or two periods,
        its item text across most of the sheet (one line a row); "" between."""
        return "narrow" if len(self.columns) > 8 else "wide" if len(self.columns) <= 2 else ""

    @property
    def item_share(self) -> int:
        """The item column's width in % of the sheet (the 序号 column takes NUMBER_SHARE, the checks the rest)."""
        return {"narrow": 28, "wide": 60}.get(self.shape, 48)


def grid(frequency: str, items: int = 0) -> Grid:
    """The sheet for a checklist of this frequency with this many items (0: the row height unchanged)."""
    row = min(ROW_MM, math.floor(ITEM_ROOM_MM / items * 10) / 10) if items else ROW_MM
    if frequency == "daily":
        # "1日 2日 …": bare day numbers side by side read as one long number to the public scan (an ID card)
        return Grid("　　　　年　　月", tuple(f"{day}日" for day in range(1, 32)), row)
    if frequency == "weekly":
        return Grid("　　　　年　　月", tuple(f"第{n}周" for n in range(1, 6)), row)
    if frequency == "monthly":
        return Grid("　　　　—　　　　学年", SCHOOL_MONTHS, row)
    if frequency == "term":
        return Grid("　　　　—　　　　学年", ("第一学期", "第二学期"), row)
    return Grid("　　　　年", ("",) * 8, row)  # seasonal and event checks: the date goes in the heading


def column_names(sheet: Grid) -> frozenset[str]:
    """The columns and rows a text may tell a checker to fill: the sheet's and the monthly summary's, each by its
    name without the bracketed note ("检查人" for 检查人（签名）, "销号" for 销号（日期、签名）)."""
    names = (sheet.number_head, sheet.item_head, *sheet.sign_rows, *sheet.columns, *SUMMARY_ORIGINS, *SUMMARY_COLUMNS)
    return frozenset(name.split("（")[0] for name in names if name)


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
