#!/usr/bin/env python3
"""A library's schools → records/: a school year of fictional hazards, drills held and an incident per school.

Writes the sample records of the starter library and the records of a synthetic district for the
benchmarks. Every record is marked `sample: true`; names come from the school's own (fictional)
organisation. The same school always gets the same records (seeded by its id).

    python bench/make_records.py --root . [--hazards 12] [--until 2026-11-30]
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import date, timedelta
from pathlib import Path

import yaml

HEADER = "# 样例数据：本记录为虚构，仅用于演示隐患闭环、演练报送和信息报告。\n"

# category → (school field that must be true, or None; [(place, description, fix plan, interim measures, level)])
HAZARDS = {
    "消防安全与消防通道": (None, [
        ("{building}一楼西侧安全出口", "安全出口外堆放体育器材，通道净宽不足 1.4 米。", "清理堆放物，器材移入器材室并划定禁放区。", "安排专人看守该出口，课间保持畅通。", "high"),
        ("{building}二楼走廊", "两只灭火器压力指针进入红区。", "联系维保单位充装或更换，并全面检查本楼灭火器。", "从器材库调配灭火器临时替换。", "general"),
        ("{building}楼梯间", "应急照明灯断电测试不亮。", "更换蓄电池并检查同楼应急照明。", "晚间在该楼梯间加装临时照明，巡查时重点查看。", "general"),
    ]),
    "危化品与电气火灾": (None, [
        ("{building}三楼教师办公室", "插线板串接使用，电热水壶与打印机共用一个插座。", "拆除串接插线板，增设墙面插座。", "立即停用电热水壶，告知办公室教师。", "general"),
        ("配电房", "配电柜前绝缘垫破损，柜门未上锁。", "更换绝缘垫，柜门加锁并登记钥匙。", "在配电房门口张贴警示，非电工禁止入内。", "high"),
    ]),
    "封闭管理与门卫": (None, [
        ("南校门", "放学高峰家长进入校门内接孩子，门卫未登记。", "重新划定家长等候区，门卫严格执行访客登记。", "放学时段增派一名教师在校门口值守。", "general"),
        ("北侧围墙", "围墙有一处 40 厘米宽的破损缺口。", "砌筑修补并加装防攀爬刺网。", "缺口处临时用铁皮围挡封闭，保安每两小时巡查。", "high"),
    ]),
    "教学与活动场所": (None, [
        ("{building}三楼东侧楼梯间", "楼梯扶手立柱松动，用力推时晃动约 2 厘米。", "更换松动立柱的膨胀螺栓，逐段检查同楼扶手。", "张贴警示，课间安排值周教师值守。", "general"),
        ("{building}四楼走廊", "走廊窗户限位器缺失，窗扇可完全推开。", "全楼加装窗户限位器，开启宽度不超过 10 厘米。", "该处窗户暂时锁闭。", "high"),
    ]),
    "体育设施": (None, [
        ("田径场东侧", "篮球架底座配重块缺失，架体可晃动。", "补装配重块并检查全部篮球架。", "该篮球架停用并用警示带围挡。", "high"),
        ("体育器材室", "跳箱包布破损，内部木框外露。", "更换跳箱包布。", "停用该跳箱。", "low"),
    ]),
    "食堂与食品": ("facilities.canteen", [
        ("食堂操作间", "留样冰箱温度计显示 8℃，高于 0–8℃ 上限边缘且无温度记录。", "维修冰箱并建立每日两次温度记录。", "留样临时移入备用冰箱。", "general"),
        ("食堂仓库", "一批调味品未记录进货查验信息。", "补录进货查验台账，今后入库前逐批查验。", "该批调味品暂停使用。", "general"),
    ]),
    "宿舍": ("facilities.boarding", [
        ("{dorm}二楼盥洗室", "地面积水无防滑垫，夜间照明不足。", "铺设防滑垫并更换照明灯具。", "宿管员夜间巡查时提醒学生，放置警示牌。", "general"),
        ("{dorm}三楼 305 室", "查出学生私藏电热杯一只。", "没收违规电器，对全楼开展违规电器检查。", "当晚对该楼层逐间检查。", "general"),
    ]),
    "实验室": ("facilities.laboratory", [
        ("化学实验室", "通风橱排风机噪声大、风量不足。", "联系厂家检修排风机并检测风速。", "暂停需要通风橱的实验，改为演示实验。", "general"),
    ]),
    "校车": ("facilities.school_bus", [
        ("校车停车场", "一辆校车灭火器过期一个月。", "更换灭火器，建立随车安全设备月检表。", "该车暂停运行，由备用车替代。", "high"),
    ]),
    "防溺水": ("facilities.waterside", [
        ("校外东侧河道", "河道护栏有两处断开，警示牌褪色。", "报镇政府协调修复护栏、更换警示牌。", "放学时段安排教师在河道沿线护导。", "major"),
    ]),
    "三个100%安防设施": (None, [
        ("南校门", "一键式紧急报警按钮测试时报警中心未收到信号。", "联系安防公司检修并与公安重新联调。", "门卫室配备手持报警器，保持 110 直拨。", "high"),
    ]),
}
POSTS = ("安全管理人员", "班主任", "保安", "任课教师", "后勤人员")
KINDERGARTEN_POSTS = ("安全管理人员", "带班教师", "保安", "保育员", "后勤人员")


def _date(d: date) -> str:
    return d.isoformat()


def _person(school: dict, key: str, fallback: str) -> dict:
    person = school["organisation"].get(key) or school["organisation"]["safety_officer"]
    return {"name": person["name"], "post": person.get("title") or fallback}


def _hazards(school: dict, rng: random.Random, count: int, start: date, until: date, overdue: int) -> list[dict]:
    routes = school["evacuation_routes"]
    buildings = [r["building"].split("（")[0] for r in routes if r.get("floors", 1) >= 4] or [routes[0]["building"].split("（")[0]]
    dorms = [b for b in buildings if "公寓" in b or "宿舍" in b] or buildings
    pool = [(category, item) for category, (needs, items) in HAZARDS.items()
            if needs is None or _field(school, needs) for item in items]
    found = []
    span = (until - start).days
    states = ["verified"] * (count - 6) + ["carried", "closed", "rectifying", "open", "overdue" if overdue else "verified", "void"]
    if overdue > 1:
        states[0] = "overdue"
    for index, state in enumerate(states):
        category, (place, text, plan, interim, level) = pool[rng.randrange(len(pool))]
        day = until - timedelta(days=rng.randrange(1, 6)) if state in ("open", "rectifying", "closed") else \
            until - timedelta(days=25) if state == "overdue" else start + timedelta(days=span * index // count)
        days = {"major": 30, "high": 7, "general": 7, "low": 14}[level]
        owner = _person(school, "logistics", "总务主任")
        record = {
            "id": f"hz-{day:%Y%m}-{index + 1:02d}", "sample": True, "school": school["id"], "found_on": _date(day),
            "found_by": {"post": rng.choice(KINDERGARTEN_POSTS if school["kind"] == "幼儿园" else POSTS)}, "category": category,
            "place": place.format(building=buildings[rng.randrange(len(buildings))], dorm=dorms[0]),
            "description": text, "risk_level": level, "owner": owner,
            "deadline": _date(day + timedelta(days=days)), "fix_plan": plan, "interim_measures": interim,
            "status": "rectifying" if state in ("overdue", "carried") else state,
        }
        if state == "overdue":  # found 25 days before `until` with a 7-day deadline: past it, within the grace
            record["found_on"], record["deadline"] = _date(until - timedelta(days=25)), _date(until - timedelta(days=18))
            record["id"] = f"hz-{until - timedelta(days=25):%Y%m}-{index + 1:02d}"
        if state == "carried":  # found last month, a long fix (a contractor, the town) still within its deadline
            record["found_on"], record["deadline"] = _date(until - timedelta(days=45)), _date(until + timedelta(days=20))
            record["id"] = f"hz-{until - timedelta(days=45):%Y%m}-{index + 1:02d}"
            record["fix_plan"] += "（需外请施工单位，已报总务处立项。）"
        if state in ("closed", "verified"):
            record["closed_on"] = _date(min(day + timedelta(days=max(1, days - 2)), until))
        if state == "verified":
            record["verified_by"] = _person(school, "safety_officer", "安全管理人员")
            record["verified_on"] = _date(min(day + timedelta(days=days), until))
        if state == "void":
            record["void_reason"] = "复查发现与本月已登记的另一条隐患重复，合并到那一条跟踪。"
        found.append(record)
    return found


def _field(school: dict, path: str):
    value = school
    for part in path.split("."):
        value = value.get(part, {}) if isinstance(value, dict) else {}
    return value


def _drills(school: dict, calendar: list, guides: dict, rng: random.Random, start: date, until: date,
            behind: bool) -> list[dict]:
    """The drills the school's calendar plans (this school year's, and the same months a year earlier), held up to
    `until`; a school that is behind skipped every other one and reported some late."""
    pupils = school["counts"].get("students") or school["counts"].get("children") or 300
    staff = school["counts"].get("staff", 40)
    planned = sorted({(f"{int(d.month[:4]) - shift}{d.month[4:]}", d.drill_id) for d in calendar for shift in (0, 1)})
    records = []
    for index, (month, drill_id) in enumerate(planned):
        first = date.fromisoformat(month + "-01")
        if first < start or first > until or (behind and index % 2):
            continue
        guide = guides[drill_id]
        day = min(first + timedelta(days=rng.randrange(8, 24)), until)
        record = {
            "id": f"{drill_id}-{day:%Y%m%d}", "sample": True, "school": school["id"], "drill": drill_id,
            "held_on": _date(day), "start_time": f"{rng.choice((9, 10, 14, 15)):02d}:{rng.choice(('00', '20', '40'))}",
            "scenario": f"{guide['title'].replace('演练指南', '')}：按演练方案发出信号，各岗位按分工处置。",
            "participants": {"pupils": pupils, "staff": staff},
        }
        problems = []
        if guide.get("evacuation"):
            record["evacuation_seconds"] = seconds = rng.randrange(95, 150)
            if seconds > 120:
                problems = [f"最后一个班到达集合点用时 {seconds} 秒，超过 2 分钟目标。"]
        record["problems"] = problems
        record["actions"] = [{"action": "调整拥堵楼层的分流方案，下次演练复核。"}] if problems else []
        if not (behind and index % 4 == 0):
            record["reported_on"] = _date(min(day + timedelta(days=1), until))
        records.append(record)
    return records


def _months(start: date, until: date):
    month = date(start.year, start.month, 1)
    while month <= until:
        yield month
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _incident(school: dict, rng: random.Random, until: date, late: bool) -> dict:
    day = until - timedelta(days=rng.randrange(30, 60))
    occurred = f"{_date(day)} 14:05"
    first = f"{_date(day)} {'16:20' if late else '14:40'}"
    bureau, town = school["contacts"]["bureau"]["name"], school["contacts"]["town"]["name"]
    reporter = school["organisation"]["safety_officer"]["title"]
    return {
        "id": f"injury-{day:%Y%m%d}", "sample": True, "school": school["id"], "occurred_at": occurred,
        "plan": "student-injury", "place": "操场", "injured": 1, "hospital": True, "police": False,
        "summary": "一名学生体育课跑步时摔倒致左前臂疼痛，校医现场固定后由班主任陪同送医检查，家长已到医院。",
        "reports": [
            {"stage": "first", "at": first, "to": [bureau, town], "by": reporter,
             "content": "事件经过、受伤学生班级与伤情、已送医、家长已通知。"},
            {"stage": "follow_up", "at": f"{_date(day)} 18:30", "to": [bureau], "by": reporter,
             "content": "诊断为左前臂桡骨青枝骨折，已石膏固定，学生情绪稳定。"},
            {"stage": "final", "at": f"{_date(day + timedelta(days=3))} 16:00", "to": [bureau], "by": reporter,
             "content": "学生已返校；体育组检查场地，跑道边缘破损处已修补；对全体体育教师重申课前热身要求。"},
        ],
    }


def _write(root: Path, folder: str, record: dict, when: str) -> None:
    path = root / "records" / record["school"] / folder / record[when][:4] / f"{record['id']}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + yaml.safe_dump(record, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8")


def make_records(root: Path, hazards: int = 10, until: date = date(2026, 11, 30), start: date = date(2025, 9, 1)) -> int:
    from safeplan.content.loader import load_library
    from safeplan.resolve.views import resolve_school

    root = Path(root)
    library, _ = load_library(root)
    guides = {d.id: d.data for d in library.of_kind("drill")}
    written = 0
    for index, doc in enumerate(sorted(library.schools, key=lambda s: s.id)):
        school = doc.data
        rng = random.Random(school["id"])
        behind = index % 6 == 5  # one school in six is behind with its drills and reports late
        for record in _hazards(school, rng, hazards, start, until, overdue=2 if behind else index % 2):
            _write(root, "hazards", record, "found_on")
            written += 1
        calendar = resolve_school(library, doc, "internal").calendar
        for record in _drills(school, calendar, guides, rng, start, until, behind):
            _write(root, "drills", record, "held_on")
            written += 1
        _write(root, "incidents", _incident(school, rng, until, late=behind), "occurred_at")
        written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--hazards", type=int, default=10, help="hazards per school")
    parser.add_argument("--until", type=date.fromisoformat, default=date(2026, 11, 30))
    args = parser.parse_args(argv)
    print(f"{make_records(args.root, args.hazards, args.until)} 条记录", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
