"""Checklist and drill documents → the blank forms a school prints and files: month grids, summary, records.

Data only: which columns a form has and how much room a field needs. The markup is in
templates/forms.html.j2, the page geometry in templates/bundle.css.
"""

from __future__ import annotations

from dataclasses import dataclass

# Drill-record fields filled in by hand at length; the rest take one line (a time, a count, a name).
_DRAWN = ("路线图", "示意图")
_WRITTEN = ("问题", "整改", "意见", "点评", "评估", "总结", "情况")
SCHOOL_MONTHS = ("9月", "10月", "11月", "12月", "1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月")
# The monthly hazard summary (隐患排查整改台账): where each hazard came from, then how it is closed.
SUMMARY_ORIGINS = ("以前未整改", "当月新增")
SUMMARY_COLUMNS = ("隐患部位及情形", "等级", "整改时限", "责任人", "整改方案", "安全措施", "销号（日期、签名）")
SUMMARY_ROWS = 12
LEGEND = "填写：✓ 合格　× 有隐患（写入当月隐患排查整改汇总表）　／ 不适用。发现重大隐患立即报告安全办主任并采取临时防护措施。"


@dataclass(frozen=True)
class Grid:
    """A checklist as a one-page grid: its items down the side, the checks of one period across."""

    period: str  # what the sheet covers, written in by hand: "　　年　　月"
    columns: tuple[str, ...]  # one per check; "" where the date is written in
    narrow: bool  # 31 day columns: smaller type


def grid(frequency: str) -> Grid:
    if frequency == "daily":
        # "1日 2日 …": bare day numbers side by side read as one long number to the public scan (an ID card)
        return Grid("　　　　年　　月", tuple(f"{day}日" for day in range(1, 32)), True)
    if frequency == "weekly":
        return Grid("　　　　年　　月", tuple(f"第{n}周" for n in range(1, 6)), False)
    if frequency == "monthly":
        return Grid("　　　　—　　　　学年", SCHOOL_MONTHS, True)
    if frequency == "term":
        return Grid("　　　　—　　　　学年", ("第一学期", "第二学期"), False)
    return Grid("　　　　年", ("",) * 8, False)  # seasonal and event checks: the date goes in the heading


def record_space(field: str) -> str:
    """How much room a drill-record field needs on paper: "draw", "write" or "" (one line)."""
    if any(word in field for word in _DRAWN):
        return "draw"
    return "write" if any(word in field for word in _WRITTEN) else ""
