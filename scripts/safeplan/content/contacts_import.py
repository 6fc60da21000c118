"""A filled contacts workbook (.xlsx) → a school's organisation and contacts, and problems located by cell.

Each cell is read as the school typed it; what the import cannot take as it stands (a formula, a date, a
merged cell, a full-width digit in a phone, a post the schema does not know) is refused at its cell, and
the school as it would be passes the school schema, each error moved to the cell it comes from. Nothing is
written here: the caller writes only when there is no error at all.
"""

from __future__ import annotations

import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from safeplan.content.contacts_columns import Column, Sheet, contact_sheets
from safeplan.content.hazard_columns import column_letter
from safeplan.content.schemas import validator_for
from safeplan.problems import ERROR, Problem

RULE = "import"
TEMPLATE_HINT = "用 safeplan import contacts --template 生成的模板填写，不要改工作表名和表头。"


@dataclass
class ImportedContacts:
    values: dict = field(default_factory=dict)  # top-level field (organisation, contacts) → its new value
    problems: list[Problem] = field(default_factory=list)
    cells: dict = field(default_factory=dict)  # data path → (sheet, row, column number, what the cell holds)


def read_contacts(path, school: dict, shown: str) -> ImportedContacts:
    """The workbook's sheets as the school's new organisation and contacts (`school` is its data now)."""
    from openpyxl import load_workbook  # only the import needs it

    result = ImportedContacts()

    def problem(sheet: str, row: int, column: int, message: str, hint: str) -> Problem:
        cell = f"{sheet}!{column_letter(column)}{row}" if sheet else ""
        return Problem(shown, row, column, ERROR, RULE, message, hint, cell=cell)

    try:  # not read-only: merged cells and formulas are visible only so
        book = load_workbook(path, data_only=False)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as error:
        result.problems.append(problem("", 1, 1, f"无法作为 Excel 工作簿（.xlsx）打开：{type(error).__name__}。", TEMPLATE_HINT))
        return result
    sheets = contact_sheets()
    readable = True
    for sheet in sheets:
        if sheet.title not in book.sheetnames:
            result.problems.append(problem("", 1, 1, f"工作簿中没有名为“{sheet.title}”的工作表（现有：{'、'.join(book.sheetnames)}）。",
                                           TEMPLATE_HINT))
            readable = False
        else:
            readable = _read_sheet(book[sheet.title], sheet, result, problem) and readable
    if not readable:  # a sheet or header not as the template has them: what the rows mean is unknown
        return result
    for name in dict.fromkeys(s.path[0] for s in sheets):
        result.values[name] = _assemble([s for s in sheets if s.path[0] == name], result.cells, name)
    after = {**school, **result.values}
    refused = {p.cell for p in result.problems}  # a cell already refused is not also reported as empty
    for error in sorted(validator_for("school").iter_errors(after), key=lambda e: list(map(str, e.absolute_path))):
        found = _schema_problem(error, sheets, result.cells, problem)
        if found.cell not in refused:
            result.problems.append(found)
            refused.add(found.cell)
    return result


def _read_sheet(worksheet, sheet: Sheet, result: ImportedContacts, problem) -> bool:
    """The sheet's cells into `result`; False when its header is not the template's."""
    for merged in worksheet.merged_cells.ranges:
        result.problems.append(problem(sheet.title, merged.min_row, merged.min_col, f"单元格 {merged.coord} 是合并单元格。",
                                       "取消合并单元格，每一行都完整填写自己的内容。"))
    header = [_shown(worksheet.cell(row=1, column=i + 1).value) for i in range(len(sheet.headers))]
    wrong = next((i for i, (h, e) in enumerate(zip(header, sheet.headers)) if h != e), None)
    if wrong is not None:
        result.problems.append(problem(sheet.title, 1, wrong + 1, f"表头应为“{sheet.headers[wrong]}”，这里是“{header[wrong]}”。",
                                       TEMPLATE_HINT))
        return False
    seen: dict[str, int] = {}
    items = 0
    for row in range(2, worksheet.max_row + 1):
        cells = [worksheet.cell(row=row, column=i + 1) for i in range(len(sheet.headers))]
        if all(c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in cells):
            continue
        if sheet.post_header:
            key = _post(cells[0], sheet, row, result, problem, seen)
            if key is None:
                continue
            base = sheet.path + (key,)
        else:
            base = sheet.path + (items,)
            items += 1
        result.cells[base] = (sheet.title, row, 1, "")
        for column in sheet.columns:
            cell = cells[sheet.column_number(column) - 1]
            value, error = _value(cell.value, column)
            where = f"{sheet.post_label(base[-1])}的{column.header}" if sheet.post_header else f"第 {row} 行的{column.header}"
            if error:
                result.problems.append(problem(sheet.title, row, sheet.column_number(column), f"{where}：{error[0]}", error[1]))
            elif value is not None:
                result.cells[base + (column.name,)] = (sheet.title, row, sheet.column_number(column), value)
    return True


def _post(cell, sheet: Sheet, row: int, result: ImportedContacts, problem, seen: dict) -> str | None:
    text = _shown(cell.value)
    by_label = {label: key for key, label in sheet.posts.items()}
    key = by_label.get(text) or (text if text in sheet.posts else None)
    if key is None:
        result.problems.append(problem(sheet.title, row, 1, f"“{text}”不是可填写的{sheet.post_header}。",
                                       f"{sheet.post_header}从下拉列表中选择：{'、'.join(sheet.posts.values())}。"
                                       "其他人员和电话填到“校内其他联系人”表。"))
        return None
    if key in seen:
        result.problems.append(problem(sheet.title, row, 1, f"{sheet.post_header}“{text}”与第 {seen[key]} 行重复。",
                                       f"每个{sheet.post_header}只填一行。"))
        return None
    seen[key] = row
    return key


def _shown(value) -> str:
    return "" if value is None else str(value).strip()


def _value(raw, column: Column):
    """(value, None) or (None, (message, hint)); None for an empty cell."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    if isinstance(raw, str) and raw.startswith("="):
        return None, (f"这是公式（{raw}），导入只读取填写的内容。", "复制这个单元格，用“选择性粘贴 → 数值”粘回原处后保存。")
    if isinstance(raw, (date, datetime, time)):  # Excel took what was typed for a date
        shown = (raw.date() if isinstance(raw, datetime) and raw.time() == time() else raw).isoformat()
        return None, (f"这个单元格是日期（{shown}），不是{column.header}。", "把单元格格式设为“文本”后重新输入。")
    if not isinstance(raw, (str, int, float)) or isinstance(raw, bool):  # TRUE/FALSE, an array formula
        return None, (f"这个单元格的内容（{raw}）不是{column.header}。", "把单元格格式设为“文本”后重新输入。")
    if column.kind == "number":
        try:
            return (raw if isinstance(raw, (int, float)) else float(raw.strip())), None
        except ValueError:
            return None, (f"“{raw}”不是数字。", "只写数字，例如 1.5。")
    text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw).strip()
    if column.kind == "phone":
        wide = next((c for c in text if unicodedata.normalize("NFKC", c) != c and unicodedata.normalize("NFKC", c).isascii()), None)
        if wide:
            return None, (f"“{text}”含全角字符“{wide}”。", "关闭输入法的全角模式，用半角数字和半角“-”重新输入。")
    return text, None


def _assemble(sheets: list[Sheet], cells: dict, name: str) -> dict:
    """organisation or contacts from the cells read: posts in schema order, fields in column order, lists in row order."""
    assembled: dict = {}
    for sheet in sheets:
        keys = [key for key in sheet.posts] if sheet.post_header else sorted(
            {path[len(sheet.path)] for path in cells if path[:len(sheet.path)] == sheet.path and len(path) > len(sheet.path)})
        rows = []
        for key in keys:
            base = sheet.path + (key,)
            row = {c.name: cells[base + (c.name,)][3] for c in sheet.columns if base + (c.name,) in cells}
            if row:
                rows.append((key, row))
        target = assembled
        for step in sheet.path[1:-1]:
            target = target.setdefault(step, {})
        if sheet.post_header:
            target.update(rows)
        elif rows:
            target[sheet.path[-1]] = [row for _, row in rows]
    return assembled


def _schema_problem(error, sheets: tuple[Sheet, ...], cells: dict, problem) -> Problem:
    path = tuple(error.absolute_path)
    missing = ""
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path = path + (missing,)
    sheet = max((s for s in sheets if path[:len(s.path)] == s.path), key=lambda s: len(s.path), default=None)
    if sheet is None:  # not a field the sheets hold (the school's file had it wrong before)
        return problem("", 1, 1, f"学校文件：{error.message}", "先改正学校文件，再导入。")
    depth = len(sheet.path)
    post = path[depth] if len(path) > depth else None
    label = sheet.post_label(post) if sheet.post_header and isinstance(post, str) else (
        f"第 {cells[sheet.path + (post,)][1]} 行" if sheet.path + (post,) in cells else "")
    column = next((c for c in sheet.columns if len(path) > depth + 1 and path[depth + 1] == c.name), None)
    if column is None and error.validator == "required":  # a post's row without anything in it
        column = next(c for c in sheet.columns if c.required)
    where = label + (f"的{column.header}" if column else "")
    if post is not None and sheet.path + (post,) not in cells:  # a post without a row (or with an empty one)
        return problem(sheet.title, 1, 1, f"{sheet.title}：缺少“{label}”。",
                       f"在“{sheet.title}”表中加一行{sheet.post_header}为“{label}”，填写姓名、职务和手机等。")
    _, row, number, value = cells.get(path, cells[sheet.path + (post,)])
    if column:
        number = sheet.column_number(column)
    if error.validator == "required":
        message = f"{where}：必须填写。"
    elif error.validator == "pattern":
        message = f"{where}：“{value}”格式不对（{error.schema.get('description') or error.schema['pattern']}）"
    else:
        message = f"{where}：{error.schema.get('description') or '不符合要求'}（“{value}”）"
    if error.validator == "required":
        hint = f"填写{column.header}；没有人担任这个{sheet.post_header or '联系人'}时，把整行清空。"
    elif column and column.kind == "phone":
        hint = "只写半角数字、“-”、“+”、括号和空格，例如 13900050001 或 0519-86000000。"
    else:
        hint = "改正这个单元格。"
    return problem(sheet.title, row, number, message, hint)
