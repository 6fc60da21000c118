"""The office's files from records: the monthly Excel report, the import template and import, the ICS calendar.

Workbooks are opened with openpyxl and calendars parsed with icalendar, as the office's own tools would.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from icalendar import Calendar

from safeplan import cli
from safeplan.content.loader import load_library
from safeplan.resolve.views import resolve_school
from test_records import SCHOOL, hazard


def run(tree: Path, *argv: str) -> int:
    return cli.main(["--root", str(tree), *argv])


def month_tree(tree: Path) -> Path:
    """November 2026 at hutang: one carried over from October, three new (one fixed), one overdue; one void."""
    hazard(tree, id="hz-202610-01", found="2026-10-20", deadline="2026-12-20", status="rectifying")  # carried, not overdue
    hazard(tree, id="hz-202610-02", found="2026-10-05", deadline="2026-10-12")  # verified in November? no: 2026-11-06
    hazard(tree, id="hz-202611-01", found="2026-11-03", deadline="2026-11-10", status="open")  # new, overdue
    hazard(tree, id="hz-202611-02", found="2026-11-04", deadline="2026-11-11",
           extra='closed_on: "2026-11-08"\nverified_by: {name: 钱样例, post: 安全办主任}\nverified_on: "2026-11-09"\n')  # new, fixed
    hazard(tree, id="hz-202611-03", found="2026-11-20", deadline="2026-12-05", category="体育设施", status="open")  # new
    hazard(tree, id="hz-202611-04", found="2026-11-21", deadline="2026-11-28", status="void",
           extra="void_reason: 与 hz-202611-01 重复登记。\n")
    hazard(tree, id="hz-202609-01", found="2026-09-01", deadline="2026-09-08",
           extra='closed_on: "2026-09-05"\nverified_by: {name: 钱样例, post: 安全办主任}\nverified_on: "2026-09-06"\n')  # fixed before
    return tree


def rows(sheet) -> list[tuple]:
    return [r for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]


def test_monthly_report_counts_per_category(tree, capsys):
    out = tree / "report.xlsx"
    assert run(month_tree(tree), "report", "hazards", "--month", "2026-11", "--out", str(out)) == 0
    book = openpyxl.load_workbook(out)
    summary = {r[0]: r[1:] for r in rows(book["汇总"])[2:]}
    school = load_library(tree)[0].get("school", SCHOOL).data
    # carried, new, fixed, overdue, open at the end: hz-202610-02 was fixed on 2026-11-06, so it is carried and fixed
    assert summary[school["name"]] == (2, 3, 2, 1, 3)
    sheet = book[school["short_name"]]
    by_category = {r[0]: r[1:6] for r in rows(sheet)[2:5]}
    assert by_category == {"封闭管理与门卫": (2, 2, 2, 1, 2), "体育设施": (0, 1, 0, 0, 1), "合计": (2, 3, 2, 1, 3)}
    listed = [r[0] for r in rows(sheet) if isinstance(r[0], str) and r[0].startswith("hz-")]
    assert listed == ["hz-202610-02", "hz-202610-01", "hz-202611-01", "hz-202611-02", "hz-202611-03"]
    assert "逾期 1" in capsys.readouterr().out


def _filled(tree: Path, capsys, *new_rows) -> Path:
    template = tree / "template.xlsx"
    assert run(tree, "report", "hazards", "--school", SCHOOL, "--template", "--out", str(template)) == 0
    book = openpyxl.load_workbook(template)
    sheet = book["隐患"]
    for values in new_rows:
        sheet.append(list(values))
    book.save(template)
    capsys.readouterr()
    return template


NEW = ("hz-202611-21", "2026-11-25", "班主任", None, "教学与活动场所", "二楼走廊", "走廊地砖松动一块，有绊倒风险。", "一般",
       "赵样例", "总务主任", "2026-12-02", "更换地砖。", "放置警示牌并绕行。", "待整改")


def snapshot(tree: Path) -> dict:
    return {p.relative_to(tree).as_posix(): p.read_bytes() for p in (tree / "records").rglob("*") if p.is_file()}


def test_import_round_trip_creates_the_record(tree, capsys):
    hazard(tree)
    template = _filled(tree, capsys, NEW)
    before = snapshot(tree)
    assert run(tree, "import", "hazards", str(template), "--school", SCHOOL) == 0
    assert "新增 1 条" in capsys.readouterr().out
    after = snapshot(tree)
    assert set(after) - set(before) == {f"records/{SCHOOL}/hazards/2026/hz-202611-21.yaml"}
    assert all(after[path] == before[path] for path in before)  # the existing record is untouched
    library, problems = load_library(tree)
    record = library.get("hazard", "hz-202611-21").data
    assert (record["status"], record["risk_level"], record["owner"]) == ("open", "general", {"name": "赵样例", "post": "总务主任"})
    assert run(tree, "validate") == 0


def test_a_bad_workbook_writes_nothing_and_names_each_cell(tree, capsys):
    hazard(tree)
    bad_date = list(NEW)
    bad_date[0], bad_date[1] = "hz-202611-22", "11月25日"
    bad_enum = list(NEW)
    bad_enum[0], bad_enum[7] = "hz-202611-23", "很高"
    early = list(NEW)
    early[0], early[10] = "hz-202611-24", "2026-11-20"  # deadline before the finding
    missing = list(NEW)
    missing[0], missing[11] = "hz-202611-25", None
    template = _filled(tree, capsys, NEW, bad_date, bad_enum, early, missing)
    before = snapshot(tree)
    assert run(tree, "import", "hazards", str(template), "--school", SCHOOL) == 1
    err = capsys.readouterr().err
    assert "template.xlsx:隐患!B4: error[import]: 发现日期：“11月25日”不是日期。" in err
    assert "template.xlsx:隐患!H5: error[import]: 风险等级：“很高”不在可选项中。" in err
    assert "template.xlsx:隐患!K6: error[hazard-dates]" in err
    assert "template.xlsx:隐患!L7: error[import]: 整改方案：必须填写。" in err
    assert "没有写入任何记录" in err and "Traceback" not in err
    assert snapshot(tree) == before


def test_a_changed_record_is_shown_and_needs_update(tree, capsys):
    hazard(tree)
    template = tree / "template.xlsx"
    assert run(tree, "report", "hazards", "--school", SCHOOL, "--template", "--out", str(template)) == 0
    book = openpyxl.load_workbook(template)
    book["隐患"]["F2"] = "北校门"
    book.save(template)
    before = snapshot(tree)
    capsys.readouterr()
    assert run(tree, "import", "hazards", str(template), "--school", SCHOOL) == 1
    captured = capsys.readouterr()
    assert "-place: 南校门" in captured.out and "+place: 北校门" in captured.out and "--update" in captured.err
    assert snapshot(tree) == before
    assert run(tree, "import", "hazards", str(template), "--school", SCHOOL, "--update") == 0
    assert load_library(tree)[0].get("hazard", "hz-202611-01").data["place"] == "北校门"


def test_not_a_workbook_is_a_located_problem(tree, capsys):
    fake = tree / "fake.xlsx"
    fake.write_text("not a zip", encoding="utf-8")
    assert run(tree, "import", "hazards", str(fake), "--school", SCHOOL) == 1
    assert "无法作为 Excel 工作簿" in capsys.readouterr().err


def test_calendar_holds_the_drills_and_review_dates(tree, capsys):
    out = tree / "cal.ics"
    assert run(tree, "report", "calendar", "--school", SCHOOL, "--out", str(out)) == 0
    library, _ = load_library(tree)
    view = resolve_school(library, library.get("school", SCHOOL), "internal")
    events = [c for c in Calendar.from_ical(out.read_bytes()).walk("VEVENT")]
    drills = sorted((e.decoded("dtstart").strftime("%Y-%m"), str(e["summary"])) for e in events if "演练" in e["categories"].cats)
    assert [m for m, _ in drills] == sorted(d.month for d in view.calendar) and len(drills) > 0
    reviews = [e for e in events if "评审" in e["categories"].cats]
    assert len(reviews) == sum(1 for a in view.documents if a.data.get("next_review"))


@pytest.mark.parametrize("argv,message", [
    (("report", "hazards", "--month", "2026-13", "--out", "x.xlsx"), "应写成 YYYY-MM"),
    (("report", "hazards", "--template", "--out", "x.xlsx"), "--template 需要 --school"),
    (("report", "calendar", "--school", "nowhere", "--out", "x.ics"), "没有编号为“nowhere”的学校"),
])
def test_usage_errors_are_chinese_and_exit_2(tree, capsys, argv, message):
    assert run(tree, *argv) == 2
    assert message in capsys.readouterr().err
