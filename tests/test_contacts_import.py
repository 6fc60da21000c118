"""`safeplan import contacts`: a school's Excel sheet of its emergency team and contacts into its school file,
every bad cell located, nothing written unless all is valid, and nothing else in the file changed."""

from __future__ import annotations

import copy
import datetime
import difflib
from pathlib import Path

import openpyxl
import pytest

from conftest import edit, run_cli
from safeplan.content.loader import load_library, parse_document

SCHOOL = "hutang-experimental-primary"
FILE = f"schools/{SCHOOL}.yaml"


def school_data(tree: Path) -> dict:
    return parse_document(FILE, "school", (tree / FILE).read_bytes()).data


def template(tree: Path, tmp_path: Path, *school: str) -> Path:
    out = tmp_path / "contacts.xlsx"
    result = run_cli("--root", str(tree), "import", "contacts", "--template", str(out), *school)
    assert result.returncode == 0, result.stderr
    return out


def importing(tree: Path, workbook: Path):
    return run_cli("--root", str(tree), "import", "contacts", str(workbook), "--school", SCHOOL)


def row_of(sheet, label: str) -> int:
    return next(row for row in range(2, sheet.max_row + 1) if sheet.cell(row=row, column=1).value == label)


def put(sheet, row: int, column: int, value) -> None:
    sheet.cell(row=row, column=column).value = value  # cell(value=None) would leave the cell as it was


def cells(path: Path) -> dict:
    """Each sheet's values, row by row, without the empty rows at the end (formatted, never filled)."""
    book = openpyxl.load_workbook(path)
    found = {}
    for name in book.sheetnames:
        rows = [[c.value for c in row] for row in book[name].iter_rows()]
        while rows and all(v is None for v in rows[-1]):
            rows.pop()
        found[name] = rows
    return found


@pytest.fixture
def commented(tree: Path) -> Path:
    """The school file as people write it: comments beside and between the posts, one person in block style."""
    path = tree / FILE
    edit(path, "  deputy: {name: 郑样例, title: 分管安全副校长, mobile: \"13900001003\"}\n",
         "  # 分管副校长 2026 年 9 月起由郑样例担任。\n"
         "  deputy:\n    name: 郑样例  # 兼工会主席\n    title: 分管安全副校长\n    mobile: \"13900001003\"\n")
    edit(path, "  bureau: {name: 区教育局安全科, phone: \"0519-86000110\"}",
         "  bureau: {name: 区教育局安全科, phone: \"0519-86000110\"}  # 24 小时值班")
    assert load_library(tree)[1] == [] or not [p for p in load_library(tree)[1] if p.severity == "error"]
    return tree


def test_the_template_lists_every_post_with_the_school_s_people(tree, tmp_path):
    sheets = cells(template(tree, tmp_path, "--school", SCHOOL))
    assert list(sheets)[:3] == ["应急组织", "联系方式", "校内其他联系人"]
    assert sheets["应急组织"][0] == ["岗位", "姓名", "职务", "办公电话", "个人手机"]  # the schema's labels
    assert ["校长", "周样例", "校长", "0519-86100001", "13900001001"] in sheets["应急组织"]
    assert ["宿舍管理负责人", None, None, None, None] in sheets["应急组织"]  # a post the school leaves empty
    assert sheets["联系方式"][0] == ["单位", "单位名称", "值班电话", "距学校距离"]
    assert ["属地派出所", "湖塘派出所（虚构）", "0519-86200110", 1.2] in sheets["联系方式"]
    assert sheets["校内其他联系人"][1:] == [["门卫室", "0519-86100010"], ["医务室", "0519-86100011"]]
    blank = cells(template(tree, tmp_path))  # without --school: the posts, nobody's data
    assert blank["应急组织"][1] == ["校长", None, None, None, None] and len(blank["校内其他联系人"]) == 1


def test_round_trip_template_fill_import_export(commented, tmp_path):
    tree = commented
    before_text, before = (tree / FILE).read_text(encoding="utf-8"), school_data(tree)
    workbook = template(tree, tmp_path, "--school", SCHOOL)
    unchanged = importing(tree, workbook)
    assert unchanged.returncode == 0 and "没有需要写入的改动" in unchanged.stdout
    assert (tree / FILE).read_text(encoding="utf-8") == before_text

    book = openpyxl.load_workbook(workbook)
    team, units, others = book["应急组织"], book["联系方式"], book["校内其他联系人"]
    team.cell(row=row_of(team, "校长"), column=5, value="13900001099")
    team.cell(row=row_of(team, "分管安全副校长"), column=2, value="钱样例")
    for column in range(2, 6):  # the psychologist's post is vacant now
        put(team, row_of(team, "心理健康教师"), column, None)
    dorm = row_of(team, "宿舍管理负责人")
    put(team, dorm, 2, "孙样例")
    put(team, dorm, 3, "宿管员")
    team.cell(row=dorm, column=5, value=13900001020)  # typed as a number: Excel's General format
    units.cell(row=row_of(units, "属地派出所"), column=4, value=1.5)
    put(others, 4, 1, "保卫处")  # the row after the last department
    put(others, 4, 2, "0519-86100012")
    book.save(workbook)

    result = importing(tree, workbook)
    assert result.returncode == 0, result.stderr
    assert "应急组织 › 校长 › 个人手机：13900001001 → 13900001099" in result.stdout
    after_text, after = (tree / FILE).read_text(encoding="utf-8"), school_data(tree)

    expected = copy.deepcopy(before)
    team_data = expected["organisation"]
    team_data["principal"]["mobile"] = "13900001099"
    team_data["deputy"]["name"] = "钱样例"
    del team_data["psychologist"]
    team_data["dorm_manager"] = {"name": "孙样例", "title": "宿管员", "mobile": "13900001020"}
    expected["contacts"]["police"]["distance_km"] = 1.5
    expected["contacts"]["internal"].append({"name": "保卫处", "phone": "0519-86100012"})
    assert after == expected  # the same data apart from the imported fields
    assert {k: v for k, v in after.items() if k not in ("organisation", "contacts")} == \
        {k: v for k, v in before.items() if k not in ("organisation", "contacts")}

    # what the user wrote survives: comments, the block-style person, flow style, key order, quotes
    for kept in ("# 分管副校长 2026 年 9 月起由郑样例担任。", "  # 兼工会主席", "# 24 小时值班", before_text.splitlines()[0]):
        assert kept in after_text, kept
    assert "    name: 钱样例  # 兼工会主席\n" in after_text
    assert '  principal: {name: 周样例, title: 校长, office_phone: "0519-86100001", mobile: "13900001099"}\n' in after_text
    assert list(after) == list(before) and list(after["organisation"])[:3] == ["principal", "party_secretary", "deputy"]
    assert after_text.index("  canteen_manager:") < after_text.index("  dorm_manager:") < after_text.index("  bus_manager:")
    changed = [line for line in difflib.unified_diff(before_text.splitlines(), after_text.splitlines(), n=0, lineterm="")
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert len(changed) == 9, changed  # 3 lines edited (old and new), the psychologist out, the dorm manager and 保卫处 in
    assert not load_library(tree)[1] or all(p.severity != "error" for p in load_library(tree)[1])

    exported = cells(template(tree, tmp_path, "--school", SCHOOL))
    filled = cells(workbook)
    assert exported == filled  # export again equals what was imported


BAD = {  # (sheet, post or row, column, value) → the message at that cell
    ("应急组织", "校长", 5, "1390000１099"): ("应急组织!E2", "校长的个人手机：“1390000１099”含全角字符“１”。"),
    ("应急组织", "安全办主任", 2, None): ("应急组织!B5", "安全办主任的姓名：必须填写。"),
    ("应急组织", "总务", 1, "副书记"): ("应急组织!A6", "“副书记”不是可填写的岗位。"),
    ("应急组织", "教务", 5, "=C7&\"1\""): ("应急组织!E7", "教务的个人手机：这是公式（=C7&\"1\"），导入只读取填写的内容。"),
    ("联系方式", "属地派出所", 3, datetime.datetime(2026, 1, 5)): ("联系方式!C2", "属地派出所的值班电话：这个单元格是日期（2026-01-05），不是值班电话。"),
    ("联系方式", "最近的医院", 3, "电话 120"): ("联系方式!C4", "最近的医院的值班电话：“电话 120”格式不对"),
    ("联系方式", "最近的医院", 4, "三公里"): ("联系方式!D4", "最近的医院的距学校距离：“三公里”不是数字。"),
}


def test_each_bad_cell_is_located_and_nothing_is_written(tree, tmp_path):
    before = (tree / FILE).read_bytes()
    workbook = template(tree, tmp_path, "--school", SCHOOL)
    book = openpyxl.load_workbook(workbook)
    for (sheet, post, column, value) in BAD:
        put(book[sheet], row_of(book[sheet], post), column, value)
    book["校内其他联系人"].merge_cells("A2:A3")  # one department over two rows
    book.save(workbook)

    result = importing(tree, workbook)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (tree / FILE).read_bytes() == before  # nothing written
    assert "没有写入" in result.stderr
    for cell, message in BAD.values():
        assert f"contacts.xlsx:{cell}: error[import]: {message}" in result.stderr, (cell, result.stderr)
    assert "contacts.xlsx:校内其他联系人!A2: error[import]: 单元格 A2:A3 是合并单元格。" in result.stderr
    assert "半角" in result.stderr and "选择性粘贴" in result.stderr and "从下拉列表中选择：校长、" in result.stderr  # hints


def test_the_schema_s_own_rules_are_located_too(tree, tmp_path):
    """Checked against the school schema as a whole: the canteen manager a school with a canteen must have."""
    workbook = template(tree, tmp_path, "--school", SCHOOL)
    book = openpyxl.load_workbook(workbook)
    team = book["应急组织"]
    row = row_of(team, "食堂负责人")
    for column in range(2, 6):
        put(team, row, column, None)
    team.cell(row=row_of(team, "校医"), column=5, value="1390000109a")
    book.save(workbook)
    result = importing(tree, workbook)
    assert result.returncode == 1
    assert f"contacts.xlsx:应急组织!B{row}: error[import]: 食堂负责人的姓名：必须填写。" in result.stderr
    assert "contacts.xlsx:应急组织!E9: error[import]: 校医的个人手机：“1390000109a”格式不对（电话号码" in result.stderr
    team.cell(row=row_of(team, "校医"), column=5, value="13900001008")  # the control: with the manager back, it imports
    for column, value in zip(range(2, 6), ("韩样例", "食堂经理", None, "13900001010")):
        put(team, row, column, value)
    book.save(workbook)
    assert importing(tree, workbook).returncode == 0


def test_a_wrong_sheet_or_header_or_file_is_a_located_problem(tree, tmp_path):
    workbook = template(tree, tmp_path, "--school", SCHOOL)
    book = openpyxl.load_workbook(workbook)
    book["联系方式"].cell(row=1, column=3, value="电话")
    book["校内其他联系人"].title = "其他"
    book.save(workbook)
    result = importing(tree, workbook)
    assert result.returncode == 1
    assert "contacts.xlsx:联系方式!C1: error[import]: 表头应为“值班电话”，这里是“电话”。" in result.stderr
    assert "工作簿中没有名为“校内其他联系人”的工作表" in result.stderr
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a workbook", encoding="utf-8")
    result = importing(tree, fake)
    assert result.returncode == 1 and "无法作为 Excel 工作簿" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("argv,message", [
    (("import", "contacts"), "需要填好的 .xlsx 文件"),
    (("import", "contacts", "x.xlsx"), "需要 --school ID"),
    (("import", "contacts", "x.xlsx", "--school", "nowhere"), "没有编号为“nowhere”的学校"),
    (("import", "hazards", "--template"), "report hazards --template"),
])
def test_usage_errors_are_chinese_and_exit_2(tree, argv, message):
    result = run_cli("--root", str(tree), *argv)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_the_in_place_editor_keeps_what_it_does_not_change():
    """content/yaml_edit on its own: keys removed, added and changed in flow and block style, list items
    appended and dropped; the result loads to the data asked for, the rest of the text is as it was."""
    from safeplan.content.yaml_edit import edit_yaml, merged_order
    from safeplan.content.yaml_positions import parse_yaml

    def load(text):
        return parse_yaml(text, lambda *a: ValueError(a))[0]

    text = ("# top\na: 1\nb:  # b's comment\n  x: {p: '1', q: \"2\"}  # x\n  y:\n    - {n: 1}\n    - {n: 2}\n"
            "  z:\n    k: v  # k\nc: [1, 2]\n")
    old = load(text)
    new = copy.deepcopy(old)
    new["b"]["x"]["q"] = "3"
    del new["b"]["x"]["p"]
    new["b"]["w"] = {"m": "0519"}
    new["b"]["y"].append({"n": 3})
    new["b"]["z"]["k"] = "v2"
    new["c"] = [1]
    edited = edit_yaml(text, old, new)
    assert load(edited) == new
    assert edited == ("# top\na: 1\nb:  # b's comment\n  x: {q: \"3\"}  # x\n  y:\n    - {n: 1}\n    - {n: 2}\n    - {n: 3}\n"
                      "  z:\n    k: v2  # k\n  w: {m: \"0519\"}\nc: [1]\n")
    assert edit_yaml(text, old, old) == text  # the control: no change, no edit
    assert merged_order(["a", "c"], ["a", "b", "c", "d"]) == ["a", "b", "c", "d"]


def test_every_sample_school_round_trips_through_its_template(tmp_path):
    """For each school of the sample library: its template reads back to its own organisation and contacts, and a
    new mobile, a post left empty and one more department rewrite its file to exactly that data."""
    from safeplan.content.contacts_import import read_contacts
    from safeplan.content.yaml_edit import edit_yaml
    from safeplan.render.records.contacts_workbook import contacts_workbook
    from safeplan.content.contacts_columns import contact_sheets

    repo = Path(__file__).resolve().parents[1]
    paths = sorted((repo / "schools").glob("*.yaml"))
    assert len(paths) >= 10
    for path in paths:
        rel = f"schools/{path.name}"
        text = path.read_text(encoding="utf-8")
        data = parse_document(rel, "school", text.encode()).data
        workbook = tmp_path / f"{path.stem}.xlsx"
        workbook.write_bytes(contacts_workbook(data, contact_sheets()))
        read = read_contacts(workbook, data, workbook.name)
        assert read.problems == [], (rel, read.problems[:3])
        assert read.values == {"organisation": data["organisation"], "contacts": data["contacts"]}, rel

        wanted = copy.deepcopy(data)
        wanted["organisation"]["principal"]["mobile"] = "13900009999"
        del wanted["organisation"][list(wanted["organisation"])[-1]]
        wanted["contacts"].setdefault("internal", []).append({"name": "保卫处", "phone": "0519-86109999"})
        edited = edit_yaml(text, data, wanted)
        assert parse_document(rel, "school", edited.encode()).data == wanted, rel
        kept = [line for line in text.splitlines() if line.lstrip().startswith("#")]
        assert all(line in edited.splitlines() for line in kept), rel  # every comment line survives
