"""district.yaml's response rule + a school → the Markdown every plan prints for its levels and its reporting rule.

The district defines the response scale and the reporting rule once (`response` in district.yaml);
plans print them through the filters `{{ school | response_scale }}` and `{{ school | reporting_rule }}`,
so no plan can carry a deadline or a list of whom to tell of its own.
"""

from __future__ import annotations

from jinja2 import pass_context

from safeplan.content.schemas import schema_for


class MissingRule(ValueError):
    """district.yaml has no response rule: the placeholder cannot be filled."""


def _get(mapping, key, default=""):
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return default


def rule_of(district) -> dict:
    rule = _get(district, "response", None)
    if not isinstance(rule, dict):
        raise MissingRule("district.yaml 缺少 response（全区统一的响应分级和信息报告规则）")
    return rule


def duration(minutes: int) -> str:
    """60 → 1 小时, 10 → 10 分钟."""
    return f"{minutes // 60} 小时" if minutes % 60 == 0 else f"{minutes} 分钟"


def _person(school, key: str) -> str:
    person = _get(_get(school, "organisation", {}), key, {})
    return f"{_get(person, 'title')}{_get(person, 'name')}"


def _units(school, rule: dict, with_phone: bool = True) -> str:
    contacts = _get(school, "contacts", {})
    units = [_get(contacts, key, {}) for key in rule["report_to"]]
    return "和".join(f"{_get(u, 'name')}（{_get(u, 'phone')}）" if with_phone and _get(u, 'phone') else f"{_get(u, 'name')}"
                    for u in units)


def first_report(school, rule: dict) -> str:
    return (f"{rule['phone_minutes']} 分钟内电话报告、{duration(rule['first_report_minutes'])}内书面报告"
            f"{_units(school, rule, with_phone=False)}")


@pass_context
def response_scale(context, school) -> str:
    """The district's levels as a Markdown table: what each covers, who commands, who arrives, whether it is reported."""
    rule = rule_of(context.get("district"))
    rows = ["| 级别 | 包括的事件 | 指挥 | 到位 | 向上级报告 |", "|---|---|---|---|---|"]
    for level in rule["levels"]:
        report = first_report(school, rule) if level["reported"] else "校内登记，纳入每周汇总；需要送医或报警的按上一级处理"
        rows.append(f"| {level['level']} | {level['when']} | {_person(school, level['commander'])} | {level['arrive']} | {report} |")
    return "\n".join(rows)


@pass_context
def reporting_rule(context, school) -> str:
    """Whom to tell, within how long, and what the first, follow-up and final reports contain, as a Markdown list."""
    rule = rule_of(context.get("district"))
    lines = [f"- **报告对象和时限**（全区统一规则）：{rule['report_when']}。由{_person(school, 'safety_officer')}"
             f"在事发后 {rule['phone_minutes']} 分钟内电话报告{_units(school, rule)}，"
             f"{duration(rule['first_report_minutes'])}内书面报告；不得迟报、漏报、瞒报。"]
    for report in rule["reports"]:
        lines.append(f"- **{report['stage']}**（{report['within']}）：{'；'.join(report['contains'])}。")
    lines.append(f"- **学生姓名**：{rule['names']}")
    return "\n".join(lines)


def levels_line(district, school) -> str:
    """The scale in one sentence for a plan's first page: who commands each level, who reports, to whom, how fast."""
    rule = rule_of(district)
    groups: dict[str, list[str]] = {}
    for level in rule["levels"]:
        groups.setdefault(_person(school, level["commander"]), []).append(level["level"])
    commands = "；".join(f"{'、'.join(levels)}由{person}指挥" for person, levels in groups.items())
    reported = "、".join(level["level"].split("（")[0] for level in rule["levels"] if level["reported"])
    return (f"响应分级（全区统一）：{commands}。{reported}由{_person(school, 'safety_officer')}"
            f"在事发后 {rule['phone_minutes']} 分钟内电话报告、{duration(rule['first_report_minutes'])}内书面报告"
            f"{_units(school, rule)}。")


def roles_school() -> dict:
    """A school of the school schema's role names (校长（园长）, 区教育局安全科), no people: levels_line of a page
    that is for no one school."""
    properties = schema_for("school")["properties"]

    def named(spec: dict) -> str:
        return str(spec.get("description", "")).split("，")[0].rstrip("。")
    return {"organisation": {key: {"title": named(spec)} for key, spec in properties["organisation"]["properties"].items()},
            "contacts": {key: {"name": named(spec)} for key, spec in properties["contacts"]["properties"].items()}}


FILTERS = {
    "response_scale": ("全区统一的响应分级表（级别、指挥、到位、报告），例如 {{ school | response_scale }}", 0, response_scale),
    "reporting_rule": ("全区统一的信息报告规则（对象、时限、首报续报终报），例如 {{ school | reporting_rule }}", 0, reporting_rule),
}
