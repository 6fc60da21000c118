"""Records (hazards, drills held, incident reports) → problems: the closed loop the work plan asks for.

A hazard needs a deadline after its finding, a verifier other than its owner, and closure in time
(warning once overdue, error after the grace safeplan.yaml sets); a school's data must not contradict
its open hazards; drills held are counted against the national minimum per term; a first report
must leave within the reporting rule's limit.
"""

from __future__ import annotations

from datetime import date, datetime

from safeplan.checks.validate import _at, _schema_clean, rule
from safeplan.content.applicability import applies, field_value
from safeplan.content.model import RECORD_KINDS, Document, Library
from safeplan.dates import today
from safeplan.problems import ERROR, WARNING

OPEN = ("open", "rectifying")  # a hazard still waiting for its fix
DEFAULT_GRACE_DAYS = 30
FIRST_REPORT_MINUTES = 60  # work plan item 15: a general incident is reported within one hour

# A hazard of this category concerns a facility the school must have (its school field).
CATEGORY_FIELDS = {
    "校车": "facilities.school_bus", "宿舍": "facilities.boarding", "实验室": "facilities.laboratory",
    "食堂与食品": "facilities.canteen", "高层建筑": "facilities.high_rise",
    "微型消防站": "security.micro_fire_station",
}
# The “三个100%” fields: a school that reports one as met while a hazard against it is open contradicts itself.
THREE_100 = ("security.closed_management", "security.anti_collision_barriers",
             "security.one_button_alarm_linked", "security.video_linked")


def records(library: Library, kind: str | None = None) -> list[Document]:
    return [d for d in _schema_clean(library) if d.kind in RECORD_KINDS and (kind is None or d.kind == kind)]


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _when(doc: Document) -> str:
    return {"hazard": "found_on", "drill_record": "held_on", "incident": "occurred_at"}[doc.kind]


@rule("record-place", ERROR, "记录放在所属学校和年份的目录下，学校存在")
def check_record_place(library: Library):
    schools = {s.id for s in library.schools}
    for doc in records(library):
        _, folder, _, year, _ = doc.path.split("/")
        school, field = doc.data["school"], _when(doc)
        if school not in schools:
            yield _at(doc, "/school", f"学校“{school}”不存在。", "写 schools/ 中某所学校的 id。")
        elif folder != school:
            yield _at(doc, "/school", f"记录写的学校是“{school}”，却放在 records/{folder}/ 下。",
                      f"把文件移到 records/{school}/ 下，或改正 school。")
        if doc.data[field][:4] != year:
            yield _at(doc, f"/{field}", f"日期 {doc.data[field]} 与所在年份目录 {year} 不一致。",
                      f"把文件移到 {doc.data[field][:4]}/ 目录下，或改正日期。")


@rule("hazard-dates", ERROR, "隐患的整改时限晚于发现日期，各日期先后有序且不晚于今天")
def check_hazard_dates(library: Library):
    now = today()
    for doc in records(library, "hazard"):
        data = doc.data
        found = _day(data["found_on"])
        if found > now:
            yield _at(doc, "/found_on", f"发现日期 {data['found_on']} 晚于今天。", "写隐患实际被发现的日期。")
        if _day(data["deadline"]) <= found:
            yield _at(doc, "/deadline", f"整改时限 {data['deadline']} 不晚于发现日期 {data['found_on']}。",
                      "整改时限是整改完成的期限，应在发现日期之后，例如一般隐患 7 天内。")
        for field, after, what in (("closed_on", "found_on", "发现日期"), ("verified_on", "closed_on", "整改完成日期")):
            if field in data and after in data and _day(data[field]) < _day(data[after]):
                yield _at(doc, f"/{field}", f"{data[field]} 早于{what} {data[after]}。", "核对日期。")
            if field in data and _day(data[field]) > now:
                yield _at(doc, f"/{field}", f"日期 {data[field]} 晚于今天。", "只记录已经发生的整改和复查。")


@rule("hazard-verifier", ERROR, "隐患由整改责任人以外的人复查销号")
def check_hazard_verifier(library: Library):
    for doc in records(library, "hazard"):
        verifier = doc.data.get("verified_by")
        if verifier and verifier["name"] == doc.data["owner"]["name"]:
            yield _at(doc, "/verified_by/name", f"复查人“{verifier['name']}”就是整改责任人。",
                      "销号须由整改责任人以外的安全管理人员复查，写明复查人。")


def _grace(library: Library) -> int:
    value = library.config.get("hazard_grace_days")
    return value if isinstance(value, int) else DEFAULT_GRACE_DAYS


def _overdue(library: Library, beyond_grace: bool):
    now, grace = today(), _grace(library)
    for doc in records(library, "hazard"):
        if doc.data["status"] not in OPEN:
            continue
        late = (now - _day(doc.data["deadline"])).days
        # a sample record only illustrates the states: it stays a warning as the calendar moves on
        past_grace = late > grace and not doc.data.get("sample")
        if late > 0 and past_grace == beyond_grace:
            yield doc, late, grace


@rule("hazard-overdue", WARNING, "未整改的隐患没有超过整改时限")
def check_hazard_overdue(library: Library):
    for doc, late, grace in _overdue(library, beyond_grace=False):
        yield _at(doc, "/deadline", f"隐患已超过整改时限 {late} 天（时限 {doc.data['deadline']}）。",
                  f"督促整改责任人{doc.data['owner']['name']}完成整改；超过 {grace} 天宽限期将成为错误。")


@rule("hazard-overdue-grace", ERROR, "未整改的隐患没有超过整改时限加宽限期（safeplan.yaml 的 hazard_grace_days）")
def check_hazard_overdue_grace(library: Library):
    for doc, late, grace in _overdue(library, beyond_grace=True):
        yield _at(doc, "/deadline", f"隐患已超过整改时限 {late} 天，超过 {grace} 天宽限期仍未整改。",
                  "完成整改后把 status 改为 closed 并写 closed_on；确需延期时，写明原因并由区局同意后修改 deadline。")


@rule("hazard-school-data", WARNING, "隐患与学校数据（设施、“三个100%”）不矛盾")
def check_hazard_school_data(library: Library):
    schools = {s.id: s for s in library.schools}
    for doc in records(library, "hazard"):
        school = schools.get(doc.data["school"])
        if school is None:
            continue
        field = doc.data.get("school_field") or CATEGORY_FIELDS.get(doc.data["category"])
        pointer = "/school_field" if "school_field" in doc.data else "/category"
        if field is None:
            continue
        value = field_value(school.data, field)
        if not value and field not in THREE_100:
            yield _at(doc, pointer, f"学校数据中 {field} 为“否”，但本隐患属于这项设施。",
                      f"核对 {school.path} 中的 {field}，或改正隐患的类别。")
        elif value and field in THREE_100 and doc.data["status"] in OPEN:
            yield _at(doc, pointer, f"学校数据称 {field} 已达标，但本隐患尚未整改。",
                      f"整改完成前把 {school.path} 中的 {field} 改为 false，或在整改后销号。")


def _terms(start: date, end: date):
    """(label, first day, last day) of each school term that began on or after `start` and ended before `end`."""
    for year in range(start.year - 1, end.year + 1):
        for label, first, last in ((f"{year}–{year + 1} 学年第一学期", date(year, 9, 1), date(year + 1, 1, 31)),
                                   (f"{year}–{year + 1} 学年第二学期", date(year + 1, 2, 1), date(year + 1, 7, 15))):
            if last >= start and last < end:
                yield label, first, last


@rule("drills-held", WARNING, "每学期举行的疏散演练不少于国家最低要求的一半（按演练记录）")
def check_drills_held(library: Library):
    drills = {d.id: d for d in _schema_clean(library) if d.kind == "drill"}
    held: dict[str, list[Document]] = {}
    for doc in records(library, "drill_record"):
        held.setdefault(doc.data["school"], []).append(doc)
    for school in _schema_clean(library):
        if school.kind != "school" or school.id not in held:
            continue
        kind = school.data["kind"]
        guides = [d for d in drills.values() if d.data.get("evacuation") and d.data.get("status") == "approved"
                  and applies(d.data.get("applies_to"), school.data)[0]]
        # half the year's minimum, rounded down: an odd count leaves its extra drill to either term
        per_term = sum(d.data["per_year"].get(kind, 0) for d in guides) // 2
        first = min(_day(r.data["held_on"]) for r in held[school.id])
        for label, start, end in _terms(first, today()):
            count = sum(1 for r in held[school.id] if start <= _day(r.data["held_on"]) <= end
                        and drills.get(r.data["drill"], None) is not None and drills[r.data["drill"]].data.get("evacuation"))
            if count < per_term:
                yield _at(school, "/id", f"{label}举行疏散演练 {count} 次，少于应举行的 {per_term} 次（按演练记录）。",
                          f"在 records/{school.id}/drills/ 中补登已举行的演练，或按演练日历补做演练。")


@rule("drill-record-links", ERROR, "演练记录引用的演练指南和隐患都存在")
def check_drill_record_links(library: Library):
    drills = {d.id for d in library.of_kind("drill")}
    hazards = {(d.data.get("school"), d.id) for d in library.of_kind("hazard")}
    for doc in records(library, "drill_record"):
        if doc.data["drill"] not in drills:
            yield _at(doc, "/drill", f"演练指南“{doc.data['drill']}”不存在。", "写 drills/ 中某份演练指南的 id。")
        for index, action in enumerate(doc.data["actions"]):
            if "hazard" in action and (doc.data["school"], action["hazard"]) not in hazards:
                yield _at(doc, f"/actions/{index}/hazard", f"本校没有编号为“{action['hazard']}”的隐患记录。",
                          f"先在 records/{doc.data['school']}/hazards/ 中登记这条隐患，再在这里引用它的 id。")


def _moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


def first_report_minutes(library: Library) -> int:
    """The reporting rule's limit for a first report, in minutes (district.yaml `reporting.first_report_minutes`)."""
    district = library.district.data if library.district else {}
    reporting = district.get("reporting") if isinstance(district.get("reporting"), dict) else {}
    value = reporting.get("first_report_minutes")
    return value if isinstance(value, int) else FIRST_REPORT_MINUTES


# A warning: a record states what happened, and a late report cannot be made on time afterwards.
@rule("incident-first-report", WARNING, "突发事件的首报在报告时限内发出，报告不早于事发")
def check_incident_reports(library: Library):
    limit = first_report_minutes(library)
    plans = {d.id for d in library.of_kind("plan")}
    for doc in records(library, "incident"):
        occurred = _moment(doc.data["occurred_at"])
        if doc.data["plan"] not in plans:
            yield _at(doc, "/plan", f"预案“{doc.data['plan']}”不存在。", "写 plans/ 中某份预案的 id。")
        reports = doc.data["reports"]
        firsts = [i for i, r in enumerate(reports) if r["stage"] == "first"]
        if not firsts:
            yield _at(doc, "/reports", "没有首报。", "补记首报：时间、对象（教育局、属地政府）、报告人和内容。")
            continue
        index = firsts[0]
        minutes = (_moment(reports[index]["at"]) - occurred).total_seconds() / 60
        if minutes > limit:
            yield _at(doc, f"/reports/{index}/at", f"首报在事发后 {minutes:.0f} 分钟才发出，超过 {limit} 分钟的报告时限。",
                      "事发后第一时间报告教育局和属地政府；在 notes 中写明迟报原因，并在事件总结中整改。")
        for i, report in enumerate(reports):
            if _moment(report["at"]) < occurred:
                yield _at(doc, f"/reports/{i}/at", f"报告时间 {report['at']} 早于事发时间 {doc.data['occurred_at']}。", "核对时间。")


EVACUATION_TARGET_SECONDS = 120  # MOE drill guide: buildings of at most 4 floors, all out within 2 minutes


@rule("drill-evacuation-time", WARNING, "疏散演练记录写明疏散用时；4 层及以下的学校超过 2 分钟时写明发现的问题")
def check_drill_evacuation_time(library: Library):
    drills = {d.id: d for d in library.of_kind("drill")}
    schools = {s.id: s for s in library.schools}
    for doc in records(library, "drill_record"):
        guide, school = drills.get(doc.data["drill"]), schools.get(doc.data["school"])
        if guide is None or not guide.data.get("evacuation"):
            continue
        seconds = doc.data.get("evacuation_seconds")
        if seconds is None:
            yield _at(doc, "/drill", "疏散演练没有记录疏散用时。",
                      "写 evacuation_seconds：从发出信号到最后一个班到达集合点的秒数。")
            continue
        routes = (school.data.get("evacuation_routes") or []) if school else []
        low = routes and all(isinstance(r.get("floors"), int) and r["floors"] <= 4 for r in routes)
        if low and seconds > EVACUATION_TARGET_SECONDS and not doc.data["problems"]:
            yield _at(doc, "/evacuation_seconds", f"疏散用时 {seconds} 秒，超过 2 分钟的目标，但没有记录发现的问题。",
                      "在 problems 中写明哪里拖慢了疏散，在 actions 中写整改措施。")
