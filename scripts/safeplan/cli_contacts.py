"""`safeplan import contacts` → a school file's organisation and contacts rewritten in place from a workbook, or the template."""

from __future__ import annotations

import sys
from pathlib import Path

from safeplan.problems import ERROR, UsageError
from safeplan.report import EXIT_OK, EXIT_PROBLEMS, exit_code, render

DEFAULT_TEMPLATE = "contacts-template.xlsx"


def import_contacts(args, root: Path, library_and_school) -> int:
    if args.template is not None:
        return _template(args, root, library_and_school)
    if not args.file:
        raise UsageError("import contacts 需要填好的 .xlsx 文件，或用 --template 生成模板。")
    if not args.school:
        raise UsageError("import contacts 需要 --school ID：这些联系人属于哪所学校。")
    from safeplan.content.contacts_import import read_contacts
    from safeplan.content.loader import parse_document, source_text
    from safeplan.content.yaml_edit import EditError, edit_yaml

    library, school = library_and_school(root, args.school)
    if library is None:
        return EXIT_PROBLEMS
    source = Path(args.file)
    if not source.is_file():
        raise UsageError(f"文件不存在：{source}")
    sheet = read_contacts(source, school.data, source.name)
    problems = list(sheet.problems)
    text = None
    if not problems:
        old_text = source_text(root, school.path)
        old = parse_document(school.path, "school", old_text.encode()).data
        wanted = {**old, **sheet.values}
        try:
            text = edit_yaml(old_text, old, wanted)
        except EditError as error:
            problems.append(_file_problem(school.path, f"无法在原处改写：{error}", "把这部分改成每行一项的写法后重新导入。"))
        else:
            if parse_document(school.path, "school", text.encode()).data != wanted:  # never write what was not asked for
                problems.append(_file_problem(school.path, "改写后的文件与表格内容不一致，没有写入。", "请把表格和学校文件一起报告维护人员。"))
            else:
                problems += _rule_problems(library, school, text, sheet.cells, source.name)
    if any(p.severity == ERROR for p in problems):
        sys.stderr.write(render(problems, 1, "text"))
        print(f"safeplan: 表格有错误，没有写入 {school.path}；改正上面列出的单元格后重新导入。", file=sys.stderr)
        return EXIT_PROBLEMS
    changes = _changes(old, wanted)
    if not changes:
        print(f"{source.name} 与 {school.path} 一致，没有需要写入的改动。")
        return exit_code(problems)
    from safeplan.render.output import write_text

    write_text(root / school.path, text)
    print(f"已把 {source.name} 导入 {school.path}（{len(changes)} 处改动，文件中其余内容和注释原样保留）：")
    for line in changes:
        print("  " + line)
    return exit_code(problems)


def _template(args, root: Path, library_and_school) -> int:
    from safeplan.content.contacts_columns import contact_sheets
    from safeplan.render.output import write_bytes
    from safeplan.render.records.contacts_workbook import contacts_workbook

    school = None
    if args.school:
        library, school = library_and_school(root, args.school)
        if library is None:
            return EXIT_PROBLEMS
    out = Path(args.template or args.file or DEFAULT_TEMPLATE)
    write_bytes(out, contacts_workbook(school.data if school else None, contact_sheets()))
    print(f"已写出 {out}：{school.data['name'] + '的' if school else ''}应急组织与联系方式导入模板。")
    return EXIT_OK


def _file_problem(path: str, message: str, hint: str):
    from safeplan.problems import Problem

    return Problem(path, 1, 1, ERROR, "import", message, hint)


def _changes(old: dict, new: dict, path: tuple = ()) -> list[str]:
    """What changes, one line per field: 应急组织 › 校长 › 个人手机：13900050001 → 13900059999."""
    from safeplan.content.schemas import field_labels
    from safeplan.content.yaml_edit import same

    if same(old, new):
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        return [line for key in dict.fromkeys([*old, *new])
                for line in _changes(old.get(key), new.get(key), path + (key,))]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [line for index, (a, b) in enumerate(zip(old, new)) for line in _changes(a, b, path + (index,))]
    labels = [label or f"第 {step + 1} 项" for label, step in zip(field_labels("school", path), path)]
    return [f"{' › '.join(labels)}：{_brief(old)} → {_brief(new)}"]


def _brief(value) -> str:
    if value is None:
        return "（无）"
    if isinstance(value, dict):
        return "、".join(str(v) for v in value.values())
    if isinstance(value, list):
        return "；".join(_brief(v) for v in value)
    return str(value)


def _rule_problems(library, school, text: str, cells: dict, shown: str) -> list:
    """The library's rules over the library with the school as it would be; each problem moved to its cell."""
    from safeplan.checks.validate import validate
    from safeplan.content.hazard_columns import column_letter
    from safeplan.content.loader import parse_document
    from safeplan.content.model import Library

    doc = parse_document(school.path, "school", text.encode())
    after = Library(root=library.root, documents=[d if d.path != school.path else doc for d in library.documents],
                    site_config=library.site_config)
    before = {(p.rule, p.message) for p in validate(library) if p.path == school.path}
    moved = []
    for problem in validate(after):
        if problem.path != school.path or (problem.rule, problem.message) in before:
            continue
        pointer = min((p for p, place in doc.positions.items() if place[0] == problem.line), key=len, default="")
        path = tuple(int(s) if s.isdigit() else s for s in pointer.strip("/").split("/")) if pointer else ()
        place = next((cells[path[:n]] for n in range(len(path), 0, -1) if path[:n] in cells), None)
        if place is None:
            moved.append(problem)
            continue
        sheet, row, column, _ = place
        moved.append(type(problem)(shown, row, column, problem.severity, problem.rule, problem.message, problem.hint,
                                   cell=f"{sheet}!{column_letter(column)}{row}"))
    return moved
