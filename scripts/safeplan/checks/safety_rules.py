"""Library → Problems against national school-safety requirements: drills, guards, “三个100%”, micro fire stations."""

from __future__ import annotations

from safeplan.checks.validate import _at, _schema_clean, rule
from safeplan.content.model import Library
from safeplan.problems import ERROR, WARNING


# Minimum evacuation drills per school year (MOE 2014 guide: monthly; kindergartens quarterly),
# counting the ten teaching months of a school year.
EVACUATION_MINIMUM = {"幼儿园": 4, "小学": 10, "初中": 10, "高中": 10, "九年一贯制": 10,
                      "完全中学": 10, "特殊教育": 10, "职业学校": 10}


@rule("drill-frequency", ERROR, "疏散演练次数达到各类学校的国家最低要求")
def check_drill_frequency(library: Library):
    drills = [d for d in _schema_clean(library) if d.kind == "drill" and d.data.get("status") == "approved"]
    if not drills:
        return
    evacuation = [d for d in drills if d.data.get("evacuation")]
    anchor = evacuation[0] if evacuation else drills[0]
    for kind, minimum in EVACUATION_MINIMUM.items():
        total = sum(d.data["per_year"].get(kind, 0) for d in evacuation)
        if total < minimum:
            names = "、".join(f"{d.id}（{d.data['per_year'].get(kind, 0)} 次）" for d in evacuation) or "无"
            yield _at(anchor, "/per_year", f"{kind}每学年疏散演练合计 {total} 次，低于最低要求 {minimum} 次。",
                      f"现有疏散演练：{names}。请提高 per_year 中“{kind}”的次数。")


@rule("onsite-drill", WARNING, "每个现场处置方案每半年至少演练一次")
def check_onsite_drills(library: Library):
    docs = _schema_clean(library)
    drills = {d.id: d for d in docs if d.kind == "drill"}
    for doc in docs:
        if doc.kind != "plan" or doc.data.get("tier") != "现场处置方案" or doc.data.get("status") != "approved":
            continue
        linked = [drills[i] for i in (doc.data.get("references") or {}).get("drills", []) if i in drills]
        linked += [d for d in drills.values() if doc.id in (d.data.get("references") or {}).get("plans", [])]
        if not any(min(d.data["per_year"].values()) >= 2 for d in linked):
            yield _at(doc, "/references", "现场处置方案没有关联每学年至少 2 次的演练指南。",
                      "在 references.drills 中关联一份演练指南，并保证其 per_year 各类学校都不少于 2 次。")


def required_guards(people: int) -> int:
    """Full-time guards by 《中小学幼儿园安全防范工作规范（试行）》: <100 → 1, <1000 → 2, +1 per 500 above."""
    if people < 100:
        return 1
    if people <= 1000:
        return 2
    return 2 + -(-(people - 1000) // 500)


@rule("guard-staffing", WARNING, "专职保安员人数达到配备标准")
def check_guards(library: Library):
    for doc in _schema_clean(library):
        if doc.kind != "school":
            continue
        people = doc.data["counts"]["students"] + doc.data["counts"]["staff"]
        need, have = required_guards(people), doc.data["security"]["full_time_guards"]
        if have < need:
            yield _at(doc, "/security/full_time_guards", f"师生共 {people} 人，至少应配专职保安员 {need} 名，现有 {have} 名。",
                      "按《中小学幼儿园安全防范工作规范（试行）》补足保安员后更新此数。")


@rule("three-100", WARNING, "“三个100%”安防设施达标")
def check_three_100(library: Library):
    labels = {"closed_management": "封闭式管理", "anti_collision_barriers": "硬质防冲撞设施",
              "one_button_alarm_linked": "一键式紧急报警与公安联网", "video_linked": "重要部位视频监控联网"}
    for doc in _schema_clean(library):
        if doc.kind != "school":
            continue
        for key, label in labels.items():
            if not doc.data["security"][key]:
                yield _at(doc, f"/security/{key}", f"“三个100%”未达标：{label}。", "落实后把此项改为 true；整改期间在隐患清单中登记。")


@rule("micro-fire-station", WARNING, "寄宿制学校和有午睡室的幼儿园建有微型消防站")
def check_micro_fire_station(library: Library):
    for doc in _schema_clean(library):
        if doc.kind != "school":
            continue
        facilities = doc.data["facilities"]
        if (facilities["boarding"] or facilities["nap_room"]) and not doc.data["security"].get("micro_fire_station"):
            yield _at(doc, "/security", "寄宿制学校或有午睡室的幼儿园应建微型消防站。",
                      "建成后在 security 中写 micro_fire_station: true。")
