"""A checklist's frequency → the labels of the sheet a school fills in: heads, period columns, sign rows, marks, summary.

One place for what the paper says, so the PDF forms pack (render/pdf/forms.py) and the site's printable form
(render/site/forms.py) print the same sheet; the layout of each stays with its renderer.
"""

from __future__ import annotations

SCHOOL_MONTHS = ("9月", "10月", "11月", "12月", "1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月")
# The monthly hazard summary (隐患排查整改台账): where each hazard came from, then how it is closed.
SUMMARY_TITLE = "月度隐患排查整改汇总表"
SUMMARY_ORIGINS = ("以前未整改", "当月新增")
SUMMARY_COLUMNS = ("隐患部位及情形", "等级", "整改时限", "责任人", "整改方案", "安全措施", "销号（日期、签名）")
# What a sheet prints besides its check columns: its heads, the rows signed below the items, the marks a cell takes.
NUMBER_HEAD = "序号"
ITEM_HEAD = "排查项目（标准与依据见说明页）"
PLACE_HEAD = "部位（班级）"
DATE_HEAD = "　月　日"  # a blank date column's head: seasonal and event checks write the date in
SIGN_ROWS = ("检查人（签名）", "复查人（签名）")
MARKS = (("√", "合格"), ("×", f"有隐患（写入当月{SUMMARY_TITLE.removeprefix('月度')}）"), ("／", "不适用"))
LEGEND = "填写：" + "　".join(f"{mark} {meaning}" for mark, meaning in MARKS) + "。发现重大隐患立即报告安全办主任并采取临时防护措施。"
BLANK_DATES = 8


def periods(frequency: str) -> tuple[str, tuple[str, ...]]:
    """(what one sheet covers, written in by hand; its check columns, "" where the date is written in)."""
    if frequency == "daily":
        # "1日 2日 …": bare day numbers side by side read as one long number to the public scan (an ID card)
        return "　　　　年　　月", tuple(f"{day}日" for day in range(1, 32))
    if frequency == "weekly":
        return "　　　　年　　月", tuple(f"第{n}周" for n in range(1, 6))
    if frequency == "monthly":
        return "　　　　—　　　　学年", SCHOOL_MONTHS
    if frequency == "term":
        return "　　　　—　　　　学年", ("第一学期", "第二学期")
    return "　　　　年", ("",) * BLANK_DATES  # seasonal and event checks: the date goes in the heading


def shape(columns: tuple[str, ...]) -> str:
    """"narrow": 12 or 31 check columns, small heads; "wide": a register of one or two periods, its item text
    across most of the sheet (one line a row); "" between."""
    return "narrow" if len(columns) > BLANK_DATES else "wide" if len(columns) <= 2 else ""


def column_names(frequency: str) -> frozenset[str]:
    """The columns and rows a text may tell a checker to fill: the sheet's and the monthly summary's, each by its
    name without the bracketed note ("检查人" for 检查人（签名）, "销号" for 销号（日期、签名）)."""
    names = (NUMBER_HEAD, ITEM_HEAD, PLACE_HEAD, *SIGN_ROWS, *periods(frequency)[1], *SUMMARY_ORIGINS, *SUMMARY_COLUMNS)
    return frozenset(name.split("（")[0] for name in names if name)
