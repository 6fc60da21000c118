"""A filled hazard sheet (.xlsx) → hazard records and located problems (`FILE.xlsx:隐患!C7`), nothing written here.

Every cell is read as the school typed it: a date cell or YYYY-MM-DD text, coded values by their
Chinese labels (or the codes themselves). Each row then passes the hazard schema; a problem names the
cell it comes from. The caller writes only when there is no error at all.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from safeplan.content.hazard_columns import SHEET, Column, hazard_columns
from safeplan.content.schemas import schema_for, validator_for
from safeplan.problems import ERROR, Problem

RULE = "import"


@dataclass
class ImportedSheet:
    records: list[tuple[int, dict]] = field(default_factory=list)  # (row, record data)
    problems: list[Problem] = field(default_factory=list)


def read_hazard_sheet(path: Path, school_id: str, shown: str | None = None, schema=schema_for) -> ImportedSheet:
    """The sheet's rows as records of `school_id`; `shown` is the file name problems carry."""
    from openpyxl import load_workbook  # only the import needs it

    shown = shown or path.name
    result = ImportedSheet()

    def problem(cell: str, message: str, hint: str, row: int = 1, column: int = 1) -> Problem:
        return Problem(shown, row, column, ERROR, RULE, message, hint, cell=cell)

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as error:
        result.problems.append(problem("", f"无法作为 Excel 工作簿（.xlsx）打开：{type(error).__name__}。",
                                       "用 safeplan report hazards --template 生成的模板填写，并另存为 .xlsx。"))
        return result
    if SHEET not in book.sheetnames:
        result.problems.append(problem("", f"工作簿中没有名为“{SHEET}”的工作表（现有：{'、'.join(book.sheetnames)}）。",
                                       "用 safeplan report hazards --template 生成的模板填写，不要改工作表名。"))
        return result
    columns = hazard_columns(schema)
    rows = book[SHEET].iter_rows(values_only=True)
    header = [str(v).strip() if v is not None else "" for v in next(rows, ())]
    expected = [c.header for c in columns]
    if header[:len(expected)] != expected:
        wrong = next(i for i, c in enumerate(expected) if i >= len(header) or header[i] != c)
        result.problems.append(problem(f"{SHEET}!{columns[wrong].letter}1",
                                       f"表头应为“{expected[wrong]}”，这里是“{header[wrong] if wrong < len(header) else ''}”。",
                                       "表头要与模板完全一致：重新生成模板，把数据粘贴进去。", 1, wrong + 1))
        return result
    seen: dict[str, int] = {}
    validator = validator_for("hazard")
    for row_number, values in enumerate(rows, 2):
        if all(v is None or str(v).strip() == "" for v in values[:len(columns)]):
            continue
        record, cell_problems = _record(values, columns, school_id, row_number, problem)
        result.problems += cell_problems
        if cell_problems:
            continue
        if record["id"] in seen:
            result.problems.append(problem(f"{SHEET}!A{row_number}", f"编号“{record['id']}”与第 {seen[record['id']]} 行重复。",
                                           "每条隐患一个编号。", row_number, 1))
            continue
        seen[record["id"]] = row_number
        schema_problems = [_schema_problem(error, columns, row_number, problem) for error in validator.iter_errors(record)]
        result.problems += schema_problems
        if not schema_problems:
            result.records.append((row_number, record))
    return result


def _record(values, columns: tuple[Column, ...], school_id: str, row: int, problem):
    record: dict = {"id": None, "school": school_id}
    problems = []
    for index, column in enumerate(columns):
        raw = values[index] if index < len(values) else None
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        value, error = _value(raw, column)
        if error:
            problems.append(problem(f"{SHEET}!{column.letter}{row}", f"{column.header}：{error}", _hint(column), row, index + 1))
            continue
        target = record
        for step in column.path[:-1]:
            target = target.setdefault(step, {})
        target[column.path[-1]] = value
    ordered = {"id": record.pop("id"), "school": record.pop("school")}
    ordered.update(record)
    return ordered, problems


def _value(raw, column: Column):
    if column.kind == "date":
        if isinstance(raw, datetime):
            return raw.date().isoformat(), ""
        if isinstance(raw, date):
            return raw.isoformat(), ""
        text = str(raw).strip().replace("/", "-").replace(".", "-")
        try:
            return date.fromisoformat(text).isoformat(), ""
        except ValueError:
            return None, f"“{raw}”不是日期。"
    text = str(raw).strip() if not isinstance(raw, float) or not raw.is_integer() else str(int(raw))
    if column.kind == "enum":
        by_label = {label: value for value, label in column.labels.items()}
        if text in by_label:
            return by_label[text], ""
        if text in column.labels:
            return text, ""
        return None, f"“{text}”不在可选项中。"
    return text, ""


def _hint(column: Column) -> str:
    if column.kind == "date":
        return "写成 2026-11-05，或设为 Excel 日期格式。"
    if column.kind == "enum":
        return "从下拉列表中选择：" + "、".join(column.labels.values()) + "。"
    return "改正这个单元格。"


def _schema_problem(error, columns: tuple[Column, ...], row: int, problem) -> Problem:
    path = tuple(str(p) for p in error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path = path + (missing,)
    column = next((c for c in columns if c.path == path[:len(c.path)] or c.path[:len(path)] == path), None)
    if column is None:
        index, header = 1, "、".join(path) or "本行"
    else:
        index, header = columns.index(column) + 1, column.header
    cell = f"{SHEET}!{columns[index - 1].letter}{row}"
    if error.validator == "required":
        message = f"{header}：必须填写。"
    elif error.validator in ("minLength", "maxLength"):
        message = f"{header}：{'太短' if error.validator == 'minLength' else '太长'}（{error.schema.get('description') or ''}）。"
    else:
        message = f"{header}：{error.schema.get('description') or '格式不对'}"
    return problem(cell, message, _hint(column) if column else "补全这一行。", row, index)
