"""Records rules: every hazard rule fires where the closed loop breaks, located at the field, and stays quiet otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import MINI, REPO, edit
from safeplan.checks.library_check import check_tree
from safeplan.content.loader import load_library
from safeplan.review import codeowners
from test_workflow import commit, git, problems

SCHOOL = "hutang-experimental-primary"  # 小学 with a school bus and anti-collision barriers
HAZARD = """id: {id}
school: {school}
found_on: "{found}"
found_by: {{post: 保安}}
category: {category}
place: 南校门
description: 防冲撞桩一根倾斜，底座松动。
risk_level: high
owner: {{name: 赵样例, post: 总务主任}}
deadline: "{deadline}"
fix_plan: 重新浇筑底座并复测。
interim_measures: 倾斜桩前摆放水马，上下学时段保安值守。
status: {status}
{extra}"""


def hazard(tree: Path, id="hz-202611-01", school=SCHOOL, found="2026-11-02", deadline="2026-11-09",
           category="封闭管理与门卫", status="verified", extra=None, year=None) -> Path:
    if extra is None:
        extra = ('closed_on: "2026-11-06"\nverified_by: {name: 钱样例, post: 安全办主任}\nverified_on: "2026-11-07"\n'
                 if status == "verified" else "")
    path = tree / "records" / school / "hazards" / (year or found[:4]) / f"{id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HAZARD.format(id=id, school=school, found=found, deadline=deadline, category=category,
                                  status=status, extra=extra), encoding="utf-8")
    return path


def found(tree: Path, rule: str) -> list:
    return [p for p in check_tree(tree) if p.rule == rule]


def line_of(path: Path, key: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.startswith(key))


def test_a_closed_loop_hazard_raises_nothing(tree):
    hazard(tree)
    assert [p for p in check_tree(tree) if p.severity == "error"] == []
    assert found(tree, "hazard-overdue") == found(tree, "hazard-verifier") == []


def test_deadline_not_after_finding_is_located(tree):
    path = hazard(tree, deadline="2026-11-02")
    [problem] = found(tree, "hazard-dates")
    assert (problem.path, problem.line, problem.severity) == (path.relative_to(tree).as_posix(), line_of(path, "deadline"), "error")
    assert "不晚于发现日期" in problem.message


def test_owner_cannot_verify_own_fix(tree):
    path = hazard(tree, extra='closed_on: "2026-11-06"\nverified_by: {name: 赵样例, post: 总务主任}\nverified_on: "2026-11-07"\n')
    [problem] = found(tree, "hazard-verifier")
    assert problem.line == line_of(path, "verified_by") and "整改责任人" in problem.message


def test_verified_without_verifier_is_a_schema_error(tree):
    hazard(tree, extra='closed_on: "2026-11-06"\n')
    assert any("verified_by" in p.message for p in found(tree, "schema"))


@pytest.mark.parametrize("deadline,rule,severity", [
    ("2026-11-20", "hazard-overdue", "warning"),  # 11 days late on 2026-12-01, within 30 days' grace
    ("2026-10-20", "hazard-overdue-grace", "error"),  # 42 days late
])
def test_overdue_is_a_warning_then_an_error_after_the_grace(tree, deadline, rule, severity):
    path = hazard(tree, found="2026-10-01", deadline=deadline, status="rectifying")
    problems = [p for p in check_tree(tree) if p.rule.startswith("hazard-overdue")]
    assert [(p.rule, p.severity, p.line) for p in problems] == [(rule, severity, line_of(path, "deadline"))]


def test_the_grace_comes_from_safeplan_yaml(tree):
    hazard(tree, found="2026-10-01", deadline="2026-11-20", status="open")
    (tree / "safeplan.yaml").write_text((tree / "safeplan.yaml").read_text(encoding="utf-8") + "hazard_grace_days: 5\n",
                                        encoding="utf-8")
    assert [p.severity for p in found(tree, "hazard-overdue-grace")] == ["error"]


def test_a_sample_record_stays_a_warning_however_late(tree):
    hazard(tree, found="2026-10-01", deadline="2026-10-02", status="open", extra="sample: true\n")
    assert found(tree, "hazard-overdue-grace") == [] and len(found(tree, "hazard-overdue")) == 1


def test_hazard_contradicting_the_school_data(tree):
    # small-village-primary has no bus; hutang reports anti-collision barriers as met
    bus = hazard(tree, id="hz-202611-02", school="small-village-primary", category="校车", status="open",
                 found="2026-11-28", deadline="2026-12-05")
    barrier = hazard(tree, id="hz-202611-03", status="open", found="2026-11-28", deadline="2026-12-05",
                     extra="school_field: security.anti_collision_barriers\n")
    problems = {p.path: p.message for p in found(tree, "hazard-school-data")}
    assert "facilities.school_bus" in problems[bus.relative_to(tree).as_posix()]
    assert "已达标" in problems[barrier.relative_to(tree).as_posix()]
    edit(barrier, "status: open", 'status: closed\nclosed_on: "2026-11-30"')
    assert barrier.relative_to(tree).as_posix() not in {p.path for p in found(tree, "hazard-school-data")}


def test_record_in_the_wrong_place(tree):
    hazard(tree, year="2025")  # found in 2026
    hazard(tree, id="hz-202611-05", school="small-village-primary")
    moved = tree / "records" / SCHOOL / "hazards" / "2026" / "hz-202611-05.yaml"
    moved.parent.mkdir(parents=True)
    (tree / "records" / "small-village-primary" / "hazards" / "2026" / "hz-202611-05.yaml").rename(moved)
    messages = [p.message for p in found(tree, "record-place")]
    assert any("年份目录 2025" in m for m in messages) and any("records/hutang-experimental-primary/" in m for m in messages)
    stray = tree / "records" / SCHOOL / "notes.yaml"
    stray.write_text("id: x\n", encoding="utf-8")
    assert any(p.path.endswith("notes.yaml") for p in found(tree, "unknown-file"))


def test_same_id_in_two_schools_is_fine_but_not_twice_in_one(tree):
    hazard(tree)
    hazard(tree, school="small-village-primary")
    assert found(tree, "unique-id") == []
    hazard(tree, found="2025-11-02", deadline="2025-11-09", extra="")  # same id, same school, another year
    edit(tree / "records" / SCHOOL / "hazards" / "2025" / "hz-202611-01.yaml", "status: verified", "status: open")
    assert len(found(tree, "unique-id")) == 1


DRILL = """id: {id}
school: {school}
drill: fire-drill
held_on: "{day}"
start_time: "09:40"
scenario: 教学楼二楼冒烟，全楼疏散。
participants: {{pupils: 300, staff: 30}}
evacuation_seconds: 110
problems: []
actions: []
"""


def drill(tree: Path, day: str, school=SCHOOL) -> None:
    path = tree / "records" / school / "drills" / day[:4] / f"fire-{day}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DRILL.format(id=f"fire-{day}", school=school, day=day), encoding="utf-8")


def test_too_few_drills_held_in_an_ended_term(tree):
    # the mini library asks 10 evacuation drills a year of a 小学: 5 per term
    days = [f"2025-{m}-15" for m in ("09", "10", "11", "12")] + ["2026-01-10"] + [f"2026-{m}-15" for m in ("02", "03", "04", "05", "06")]
    for day in days:
        drill(tree, day)
    assert found(tree, "drills-held") == []
    for day in days[-2:]:
        (tree / "records" / SCHOOL / "drills" / "2026" / f"fire-{day}.yaml").unlink()
    [problem] = found(tree, "drills-held")
    assert problem.path == f"schools/{SCHOOL}.yaml" and "第二学期举行疏散演练 3 次，少于应举行的 5 次" in problem.message


def test_drill_record_must_name_a_guide_and_its_hazards(tree):
    drill(tree, "2026-11-10")
    path = tree / "records" / SCHOOL / "drills" / "2026" / "fire-2026-11-10.yaml"
    edit(path, "drill: fire-drill", "drill: no-such-drill")
    edit(path, "actions: []", "actions:\n  - {action: 修补楼梯防滑条, hazard: hz-209901-01}")
    messages = [p.message for p in found(tree, "drill-record-links")]
    assert any("no-such-drill" in m for m in messages) and any("hz-209901-01" in m for m in messages)


INCIDENT = """id: injury-20261110
school: {school}
occurred_at: "2026-11-10 14:05"
plan: {plan}
place: 操场
summary: 学生跑步摔倒，送医检查。
injured: 1
hospital: true
police: false
reports:
  - {{stage: first, at: "{first}", to: [区教育局安全科], by: 安全办主任, content: 事件经过与伤情。}}
"""


@pytest.mark.parametrize("first,late", [("2026-11-10 14:50", False), ("2026-11-10 16:20", True)])
def test_first_report_against_the_reporting_limit(tree, first, late):
    plan = next((tree / "plans").rglob("*.md")).stem
    path = tree / "records" / SCHOOL / "incidents" / "2026" / "injury-20261110.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(INCIDENT.format(school=SCHOOL, plan=plan, first=first), encoding="utf-8")
    problems = found(tree, "incident-first-report")
    assert [(p.line, "135 分钟" in p.message) for p in problems] == ([(line_of(path, "  - {stage: first"), True)] if late else [])


# ---- the review gate over records ------------------------------------------------------------------

def test_records_are_never_deleted_and_closed_hazards_never_reopen(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(MINI, root)
    shutil.copy(REPO / "workflow.yaml", root / "workflow.yaml")
    verified = hazard(root)
    voided = hazard(root, id="hz-202611-02", status="void", extra="void_reason: 重复登记。\n")
    kept = hazard(root, id="hz-202611-03", status="open", found="2026-11-28", deadline="2026-12-05")
    git(root, "init", "-q", "-b", "main")
    codeowners.write(load_library(root)[0])
    commit(root, "初始内容和隐患记录")
    git(root, "checkout", "-q", "-b", "change")
    assert problems(root) == []
    edit(kept, "status: open", "status: rectifying")  # work goes on: allowed
    assert problems(root) == []
    edit(verified, "status: verified", "status: open")
    edit(voided, "status: void", "status: open")
    kept.unlink()
    found = problems(root)
    rel = lambda p: p.relative_to(root).as_posix()  # noqa: E731
    assert (f"{rel(kept)}:1:1", "record-deleted") in found
    assert (f"{rel(verified)}:{line_of(verified, 'status')}:1", "hazard-reopened") in found
    assert (f"{rel(voided)}:{line_of(voided, 'status')}:1", "hazard-reopened") in found


def test_evacuation_time_against_the_two_minute_target(tree):
    drill(tree, "2026-11-10")
    path = tree / "records" / SCHOOL / "drills" / "2026" / "fire-2026-11-10.yaml"
    assert found(tree, "drill-evacuation-time") == []
    edit(path, "evacuation_seconds: 110", "evacuation_seconds: 150")  # hutang's buildings have at most 4 floors
    [problem] = found(tree, "drill-evacuation-time")
    assert problem.line == line_of(path, "evacuation_seconds") and "150 秒" in problem.message
    edit(path, "problems: []", "problems: [二楼东侧楼梯拥堵。]")
    assert found(tree, "drill-evacuation-time") == []
    edit(path, "evacuation_seconds: 150\n", "")
    assert "没有记录疏散用时" in found(tree, "drill-evacuation-time")[0].message
