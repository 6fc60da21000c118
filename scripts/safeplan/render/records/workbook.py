"""Hazard months → .xlsx bytes: the monthly report (district summary, one sheet per school) and the fill-in template.

Laid out for re-keying into 江苏省安全风险管控系统: one row per hazard in the columns of
content/hazard_columns, dates as dates, coded values by their Chinese labels.
"""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from safeplan.content.hazard_columns import SHEET, Column, cell_value
from safeplan.resolve.records import HazardMonth, Tally

TALLY_HEADERS = ("以前未整改", "当月新增", "当月已整改", "逾期", "月末未整改")
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
WRAP = Alignment(wrap_text=True, vertical="top")
_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def _figures(tally: Tally) -> list[int]:
    return [tally.carried, tally.new, tally.fixed, tally.overdue, tally.open_at_end]


def _header(sheet, row: int, headers) -> None:
    for index, text in enumerate(headers, 1):
        cell = sheet.cell(row=row, column=index, value=text)
        cell.font, cell.fill, cell.alignment = BOLD, HEADER_FILL, WRAP


def _widths(sheet, widths) -> None:
    for index, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _sheet_title(name: str, taken: set[str]) -> str:
    title = name.translate(_FORBIDDEN)[:31]
    while title in taken:
        title = title[:29] + f"{len(taken) % 100:02d}"
    taken.add(title)
    return title


def _cell(value, column: Column):
    return date.fromisoformat(value) if column.kind == "date" and isinstance(value, str) else value


def _save(book: Workbook) -> bytes:
    book.properties.creator = "safeplan"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def report_workbook(months: list[HazardMonth], columns: tuple[Column, ...], categories: list[str]) -> bytes:
    """The district summary sheet (schools with overdue hazards first), then each school's categories and hazards."""
    book = Workbook()
    summary = book.active
    month = months[0].month if months else None
    summary.title = "汇总"
    summary.cell(row=1, column=1, value=f"{month.label if month else ''}学校安全隐患问题清单汇总").font = Font(bold=True, size=14)
    _header(summary, 3, ("学校", *TALLY_HEADERS))
    ordered = sorted(months, key=lambda m: (-m.total.overdue, -m.total.open_at_end, m.school.id))
    total = Tally()
    for row, entry in enumerate(ordered, 4):
        summary.cell(row=row, column=1, value=entry.school.data.get("name"))
        for index, figure in enumerate(_figures(entry.total), 2):
            summary.cell(row=row, column=index, value=figure)
        total.add(entry.total)
    last = 4 + len(ordered)
    summary.cell(row=last, column=1, value="合计").font = BOLD
    for index, figure in enumerate(_figures(total), 2):
        summary.cell(row=last, column=index, value=figure).font = BOLD
    _widths(summary, (34, 12, 12, 12, 10, 12))
    summary.freeze_panes = "B4"
    taken = {"汇总"}
    for entry in ordered:
        sheet = book.create_sheet(_sheet_title(entry.school.data.get("short_name") or entry.school.id, taken))
        sheet.cell(row=1, column=1, value=f"{entry.school.data.get('name')} {entry.month.label}隐患问题清单").font = Font(bold=True, size=13)
        _header(sheet, 3, ("类别", *TALLY_HEADERS))
        row = 4
        for category in categories:
            tally = entry.by_category.get(category)
            if tally is None:
                continue
            sheet.cell(row=row, column=1, value=category)
            for index, figure in enumerate(_figures(tally), 2):
                sheet.cell(row=row, column=index, value=figure)
            row += 1
        sheet.cell(row=row, column=1, value="合计").font = BOLD
        for index, figure in enumerate(_figures(entry.total), 2):
            sheet.cell(row=row, column=index, value=figure).font = BOLD
        row += 2
        _hazard_rows(sheet, row, entry.hazards, columns)
        _widths(sheet, [18 if c.kind != "text" else 24 for c in columns])
    return _save(book)


def _hazard_rows(sheet, first: int, hazards, columns: tuple[Column, ...]) -> None:
    _header(sheet, first, [c.header for c in columns])
    for row, hazard in enumerate(hazards, first + 1):
        for index, column in enumerate(columns, 1):
            cell = sheet.cell(row=row, column=index, value=_cell(cell_value(hazard.data, column), column))
            cell.alignment = WRAP
            if column.kind == "date":
                cell.number_format = "yyyy-mm-dd"


def template_workbook(school: dict, hazards, columns: tuple[Column, ...]) -> bytes:
    """The sheet a school fills: the columns, the school's current hazards, and drop-down lists for coded values."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    _hazard_rows(sheet, 1, hazards, columns)
    sheet.freeze_panes = "B2"
    _widths(sheet, [18 if c.kind != "text" else 24 for c in columns])
    lists = book.create_sheet("选项")
    for index, column in enumerate(c for c in columns if c.kind == "enum"):
        letter = get_column_letter(index + 1)
        lists.cell(row=1, column=index + 1, value=column.header).font = BOLD
        for row, label in enumerate(column.labels.values(), 2):
            lists.cell(row=row, column=index + 1, value=label)
        rule = DataValidation(type="list", formula1=f"=选项!${letter}$2:${letter}${len(column.labels) + 1}",
                              allow_blank=not column.required, showErrorMessage=True,
                              errorTitle=column.header, error=f"请从列表中选择{column.header}。")
        sheet.add_data_validation(rule)
        rule.add(f"{column.letter}2:{column.letter}1000")
    notes = book.create_sheet("说明")
    for row, text in enumerate((
        f"{school.get('name')} 隐患台账导入模板",
        "每行一条隐患；第一行是表头，不要改动。编号用小写字母开头，例如 hz-202611-01，已有编号的行会更新那条记录。",
        "日期写成 2026-11-05 或用 Excel 的日期格式；类别、风险等级、状态从下拉列表中选择。",
        "填好后运行：safeplan import hazards 本文件.xlsx --school " + str(school.get("id"))), 1):
        notes.cell(row=row, column=1, value=text)
    notes.column_dimensions["A"].width = 100
    return _save(book)
