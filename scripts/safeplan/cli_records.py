"""`safeplan report` and `safeplan import` → the records library calls: monthly Excel report, template, import, ICS."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from safeplan.problems import ERROR, UsageError
from safeplan.report import EXIT_OK, EXIT_PROBLEMS, exit_code, render

DESCRIPTIONS = {
    "report": "给区局和省平台的报表。`report hazards --month 2026-11` 写出隐患月报（Excel）：第一张“汇总”表按学校列出"
              "以前未整改、当月新增、当月已整改、逾期和月末未整改（逾期多的学校在前），之后每校一张表，按类别统计并逐条列出隐患，"
              "列的顺序便于录入江苏省安全风险管控系统。`--school ID` 只出一所学校；`--template` 写出该校的隐患台账导入模板"
              "（含现有隐患和下拉选项）。`report calendar --school ID` 写出该校演练日历和文档评审日期的 ICS 日历文件。",
    "import": "把学校填好的 Excel 读回隐患台账：`import hazards FILE.xlsx --school ID`。每个有问题的单元格都报出"
              "`FILE.xlsx:隐患!C7` 和改法；整个文件没有错误才写入任何记录。新编号写成新记录；已有记录有改动时先列出改动，"
              "加 `--update` 才覆盖，不会悄悄改掉已有记录。`import contacts FILE.xlsx --school ID` 用学校填好的表格更新"
              "该校的应急组织（领导小组各岗位的姓名、职务、电话）和联系方式：有问题的单元格逐个报出（`联系方式!C5`），"
              "全部正确才改写学校文件，且只改这两部分，文件中的注释和其余内容原样保留；"
              "`import contacts --template [OUT.xlsx] [--school ID]` 写出模板（给出 --school 时填好该校现有的内容）。",
}


def register(command, root_of) -> None:
    """Add the records commands to the CLI: `command(name, handler, summary, description)` makes a subparser."""
    report = command("report", lambda args: _report(args, root_of(args)), "写出隐患月报（Excel）、导入模板或演练日历（ICS）",
                     DESCRIPTIONS["report"])
    report.add_argument("what", metavar="WHAT", choices=("hazards", "calendar"), help="hazards 隐患月报或模板；calendar 演练与评审日历")
    report.add_argument("--month", metavar="YYYY-MM", help="月报的月份（默认：本月）")
    report.add_argument("--school", metavar="ID", help="只出这所学校（--template 和 calendar 必填）")
    report.add_argument("--template", action="store_true", help="写出导入模板，而不是月报")
    report.add_argument("--out", required=True, metavar="FILE", help="写到这个文件（.xlsx 或 .ics）")
    imported = command("import", lambda args: _import(args, root_of(args)), "把填好的隐患台账或联系人 Excel 读回库中",
                       DESCRIPTIONS["import"])
    imported.add_argument("what", metavar="WHAT", choices=("hazards", "contacts"),
                          help="hazards 隐患台账；contacts 应急组织与联系方式")
    imported.add_argument("file", metavar="FILE", nargs="?", help="填好的 .xlsx 文件")
    imported.add_argument("--school", metavar="ID", help="这些隐患或联系人所属的学校")
    imported.add_argument("--template", nargs="?", const="", metavar="OUT", help="contacts：写出导入模板（默认 contacts-template.xlsx）")
    imported.add_argument("--update", action="store_true", help="已有记录有改动时也写入（先看清列出的改动）")


def _library(root: Path):
    from safeplan.checks.library_check import check_library

    library, problems = check_library(root)
    errors = [p for p in problems if p.severity == ERROR]
    if errors:
        sys.stderr.write(render(errors, len({p.path for p in errors}), "text"))
        print("safeplan: 内容有错误，没有写出报表；请先修正上面的问题。", file=sys.stderr)
    return library, errors


def _library_and_school(root: Path, school_id: str | None):
    """(library, the school asked for or None); (None, None) when the library has errors (printed)."""
    library, errors = _library(root)
    if errors:
        return None, None
    if school_id is None:
        return library, None
    school = library.get("school", school_id)
    if school is None:
        raise UsageError(f"没有编号为“{school_id}”的学校。可选：{'、'.join(sorted(s.id for s in library.schools))}")
    return library, school


def _report(args, root: Path) -> int:
    from safeplan.content.hazard_columns import hazard_columns
    from safeplan.content.schemas import schema_for
    from safeplan.dates import today
    from safeplan.render.output import write_bytes
    from safeplan.resolve.records import Month, hazard_month, school_records

    library, school = _library_and_school(root, args.school)
    if library is None:
        return EXIT_PROBLEMS
    out = Path(args.out)
    if args.what == "calendar":
        return _calendar(library, school, out)
    columns = hazard_columns()
    if args.template:
        if school is None:
            raise UsageError("--template 需要 --school ID：模板按学校生成，含该校现有的隐患。")
        from safeplan.render.records.workbook import template_workbook

        hazards = sorted(school_records(library, school, "hazard"), key=lambda d: (d.data["found_on"], d.id))
        write_bytes(out, template_workbook(school.data, hazards, columns))
        print(f"已写出 {out}：{school.data['name']} 隐患台账导入模板（现有 {len(hazards)} 条）。")
        return EXIT_OK
    from safeplan.render.records.workbook import report_workbook

    now = today()
    try:
        month = Month.parse(args.month) if args.month else Month(now.year, now.month)
    except ValueError as error:
        raise UsageError(str(error)) from None
    schools = [school] if school else sorted(library.schools, key=lambda s: s.id)
    months = [hazard_month(library, s, month, as_of=now) for s in schools]
    categories = schema_for("checklist")["properties"]["areas"]["items"]["enum"]
    write_bytes(out, report_workbook(months, columns, categories))
    totals = [sum(getattr(m.total, f) for m in months) for f in ("carried", "new", "fixed", "overdue")]
    print(f"已写出 {out}：{month.label}，{len(months)} 所学校；以前未整改 {totals[0]}，当月新增 {totals[1]}，"
          f"当月已整改 {totals[2]}，逾期 {totals[3]}。")
    return EXIT_OK


def _calendar(library, school, out: Path) -> int:
    from safeplan.render.output import write_bytes
    from safeplan.render.records.calendar import school_calendar
    from safeplan.resolve.views import resolve_school

    if school is None:
        raise UsageError("report calendar 需要 --school ID。")
    view = resolve_school(library, school, "internal")
    write_bytes(out, school_calendar(view))
    print(f"已写出 {out}：{school.data['name']} 的演练日历（{len(view.calendar)} 次演练）和文档评审日期。")
    return EXIT_OK


def _import(args, root: Path) -> int:
    from safeplan.content.hazard_import import read_hazard_sheet
    from safeplan.content.loader import parse_document, source_text
    from safeplan.content.serialise import to_yaml
    from safeplan.render.output import write_text

    if args.what == "contacts":
        from safeplan.cli_contacts import import_contacts

        return import_contacts(args, root, _library_and_school)
    if not args.file or not args.school or args.template is not None:
        raise UsageError("import hazards 需要 FILE.xlsx 和 --school ID；隐患台账模板用 report hazards --template 生成。")
    library, school = _library_and_school(root, args.school)
    if library is None:
        return EXIT_PROBLEMS
    source = Path(args.file)
    if not source.is_file():
        raise UsageError(f"文件不存在：{source}")
    sheet = read_hazard_sheet(source, school.id, source.name)
    existing = {d.id: d for d in library.of_kind("hazard") if d.path.split("/")[1] == school.id}
    planned = []  # (relative path, text, old text or None, row)
    for row, record in sheet.records:
        old = existing.get(record["id"])
        rel = old.path if old else f"records/{school.id}/hazards/{record['found_on'][:4]}/{record['id']}.yaml"
        old_text = source_text(root, old.path) if old else None
        header = "".join(line + "\n" for line in (old_text or "").splitlines() if line.startswith("#")) if old_text else ""
        text = to_yaml(_sample_first(record) if old and old.data.get("sample") else record, header)
        if old_text is not None and old.data == parse_document(rel, "hazard", text.encode()).data:
            continue  # unchanged
        planned.append((rel, text, old_text, row))
    problems = list(sheet.problems) + _rule_problems(library, planned, source.name)
    if any(p.severity == ERROR for p in problems):
        sys.stderr.write(render(problems, 1, "text"))
        print("safeplan: 表格有错误，没有写入任何记录；改正上面列出的单元格后重新导入。", file=sys.stderr)
        return EXIT_PROBLEMS
    changed = [(rel, text, old) for rel, text, old, _ in planned if old is not None]
    for rel, text, old in changed:
        sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True), f"a/{rel}", f"b/{rel}"))
    if changed and not args.update:
        print(f"safeplan: {len(changed)} 条已有记录有改动（见上），没有写入任何记录；确认这些改动后加 --update 重新导入。",
              file=sys.stderr)
        return EXIT_PROBLEMS
    for rel, text, _, _ in planned:
        write_text(root / rel, text)
    added = len(planned) - len(changed)
    print(f"已导入 {source.name}：新增 {added} 条，更新 {len(changed)} 条，其余 {len(sheet.records) - len(planned)} 条没有变化。")
    return exit_code(problems)


def _sample_first(record: dict) -> dict:
    return {"id": record["id"], "sample": True, **{k: v for k, v in record.items() if k != "id"}}


def _rule_problems(library, planned, shown: str) -> list:
    """The library's own rules over the library as it would be after the import, each problem moved to its sheet row."""
    from safeplan.checks.validate import validate
    from safeplan.content.hazard_columns import SHEET, hazard_columns
    from safeplan.content.loader import parse_document
    from safeplan.content.model import Library

    replaced = {rel for rel, *_ in planned}
    docs = {rel: parse_document(rel, "hazard", text.encode()) for rel, text, _, _ in planned}
    after = Library(root=library.root, documents=[d for d in library.documents if d.path not in replaced] + list(docs.values()),
                    site_config=library.site_config)
    rows = {rel: row for rel, _, _, row in planned}
    columns = hazard_columns()
    moved = []
    for problem in validate(after):
        if problem.path not in docs or problem.rule == "schema":
            continue
        doc = docs[problem.path]
        pointer = min((p for p, place in doc.positions.items() if place[0] == problem.line), key=len, default="")
        path = tuple(pointer.strip("/").split("/")) if pointer else ()
        index = next((i for i, c in enumerate(columns) if c.path[:len(path)] == path or path[:len(c.path)] == c.path), 0)
        row = rows[problem.path]
        moved.append(type(problem)(shown, row, index + 1, problem.severity, problem.rule, problem.message, problem.hint,
                                   cell=f"{SHEET}!{columns[index].letter}{row}"))
    return moved
