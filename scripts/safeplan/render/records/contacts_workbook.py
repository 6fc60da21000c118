"""A school's organisation and contacts (or none) → the .xlsx template `safeplan import contacts` reads back.

One sheet per table of content/contacts_columns, every post listed (filled where the school has someone),
phone columns formatted as text so that Excel keeps a leading 0 and does not turn digits into numbers.
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from safeplan.content.contacts_columns import Sheet, sheet_rows
from safeplan.render.records.workbook import BOLD, WRAP, _header, _save, _widths

ROWS = 200  # rows formatted as text and offered the list of posts
LISTS = "选项"


def contacts_workbook(school: dict | None, sheets: tuple[Sheet, ...]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        page = book.create_sheet(sheet.title)
        _header(page, 1, sheet.headers)
        for row, values in enumerate(sheet_rows(school or {}, sheet), 2):
            for index, value in enumerate(values, 1):
                page.cell(row=row, column=index, value=value).alignment = WRAP
        for column in sheet.columns:
            if column.kind == "phone":
                number = sheet.column_number(column)
                for row in range(2, ROWS + 1):
                    page.cell(row=row, column=number).number_format = "@"
        _widths(page, [18] * len(sheet.headers))
        page.freeze_panes = "B2" if sheet.post_header else "A2"
    lists = book.create_sheet(LISTS)
    for index, sheet in enumerate((s for s in sheets if s.post_header), 1):
        page = book[sheet.title]
        letter = get_column_letter(index)
        lists.cell(row=1, column=index, value=sheet.post_header).font = BOLD
        for row, label in enumerate(sheet.posts.values(), 2):
            lists.cell(row=row, column=index, value=label)
        rule = DataValidation(type="list", formula1=f"={LISTS}!${letter}$2:${letter}${len(sheet.posts) + 1}",
                              allow_blank=True, showErrorMessage=True, errorTitle=sheet.post_header,
                              error=f"请从列表中选择{sheet.post_header}。")
        page.add_data_validation(rule)
        rule.add(f"A2:A{ROWS}")
    notes = book.create_sheet("说明")
    name = (school or {}).get("name") or "本校"
    command = "safeplan import contacts 本文件.xlsx --school " + str((school or {}).get("id") or "学校编号")
    for row, text in enumerate((
        f"{name} 应急组织与联系方式导入表",
        "第一行是表头，不要改动；工作表名也不要改。每个岗位、每个单位一行，没有这个岗位的行留空。",
        "电话只写半角数字、“-”、“+”、括号和空格，例如 13900050001、0519-86000000；电话列已设为文本格式。",
        "不要合并单元格，不要用公式；从别处复制时用“选择性粘贴 → 数值”。",
        f"填好后运行：{command}（全部正确才会写入；有错时逐个单元格列出，例如 {sheets[0].title}!E3）。"), 1):
        notes.cell(row=row, column=1, value=text)
    notes.column_dimensions["A"].width = 110
    return _save(book)
