"""School plans + district.yaml's response rule → Problems: no plan writes levels or report deadlines of its own.

The scale and the rule are defined once (district.yaml `response`); plans print them through
`{{ school | response_scale }}` and `{{ school | reporting_rule }}`. A plan's own text may still
say "1 小时内报告区教育局和镇政府" where it helps the reader, but not a longer deadline, not
one of the two authorities without the other, and not a level the scale does not have.
"""

from __future__ import annotations

import re

from safeplan.checks.text_places import at, clean, texts
from safeplan.checks.validate import rule
from safeplan.content.model import Library
from safeplan.content.reporting_text import duration
from safeplan.problems import ERROR, Problem

_CN = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "半": 0.5}
_UNIT_MINUTES = {"分钟": 1, "小时": 60, "h": 60, "日": 1440, "天": 1440, "工作日": 1440, "周": 10080}
DEADLINE = re.compile(r"(立即|第一时间|马上|当日|当天|次日)|([0-9]+|[一两二三四五六七八九十半])\s*个?\s*(分钟|小时|h|工作日|日|天|周)内")
PERIODIC = re.compile(r"每\s*[0-9一两二三四五六七八九十半]*\s*个?\s*(分钟|小时|日|天|周|工作日)")
BUREAU = r"(?:区?教育局|\{\{\s*school\.contacts\.bureau\.\w+\s*\}\})"
GOVERNMENT = r"(?:(?:镇|街道|属地|当地)政府|\{\{\s*school\.contacts\.town\.\w+\s*\}\})"
REPORTED_TO = re.compile(rf"(?:报告|报送|上报|报)[^。；，、]*?(?:向)?[^。；]{{0,20}}?({BUREAU}|{GOVERNMENT})|向\s*({BUREAU}|{GOVERNMENT})[^。；]{{0,40}}?报")
# a clause about these is not a first report: its own deadlines are the rule's follow-up and final reports
LATER_REPORTS = ("续报", "终报", "补报", "总结", "复课", "评估", "调解", "复核", "培训", "演练", "部署", "同意", "汇总")
CLAUSE = re.compile(r"[^，。；\n]+")  # a deadline and the authorities it is for are written in one clause


def minutes(match: re.Match) -> float:
    if match.group(1):
        return 0 if match.group(1) in ("立即", "第一时间", "马上") else 1440
    amount = match.group(2)
    number = float(amount) if amount.isdigit() else _CN[amount]
    return number * _UNIT_MINUTES[match.group(3)]


def _problem(doc, line, column, message, hint) -> Problem:
    return Problem(doc.path, line, column, ERROR, "", message, hint)


def _rule(library: Library) -> dict | None:
    district = library.district.data if library.district else {}
    found = district.get("response") if isinstance(district, dict) else None
    return found if isinstance(found, dict) else None


@rule("reporting-rule", ERROR, "学校预案的响应级别和报告时限、报告对象与 district.yaml 的统一规则一致，并引用该规则")
def check_reporting_rule(library: Library):
    response = _rule(library)
    if response is None:
        return
    names = [level["level"] for level in response["levels"]]
    limit = response["first_report_minutes"]
    for doc in clean(library):
        if doc.kind != "plan" or doc.data.get("level") != "school":
            continue
        for index, level in enumerate(doc.data.get("response_levels") or []):
            if level["level"] not in names:
                line, column = doc.position(f"/response_levels/{index}/level")
                yield _problem(doc, line, column, f"响应级别“{level['level']}”不在全区统一的响应分级中。",
                               f"改用 district.yaml 的级别名称之一：{'、'.join(names)}；本类事件的具体条件写在 trigger 中。")
        if doc.data.get("tier") != "综合应急预案" and "reporting_rule" not in doc.body:
            yield _problem(doc, doc.body_line or 1, 1, "预案没有引用全区统一的信息报告规则。",
                           "在“信息报告”或“报警与报告”处写 {{ school | reporting_rule }}，删掉本预案自己写的报告时限和内容。")
        for place in texts(doc):
            if place.pointer.startswith("/revisions/"):
                continue
            for clause in CLAUSE.finditer(place.text):
                yield from _clause(doc, place, clause, limit)


def _clause(doc, place, clause: re.Match, limit: int):
    text = clause.group(0)
    reported = list(REPORTED_TO.finditer(text))
    if not reported or any(word in text for word in LATER_REPORTS):
        return
    deadlines = [m for m in DEADLINE.finditer(PERIODIC.sub(lambda p: "＿" * len(p.group(0)), text))]
    if not deadlines:
        return
    shortest = min(deadlines, key=minutes)
    line, column = at(place, clause.start() + shortest.start())
    if minutes(shortest) > limit:
        yield _problem(doc, line, column,
                       f"这里的报告时限“{shortest.group(0)}”长于全区统一规则：首报须在 {duration(limit)}内报告区教育局和属地政府。",
                       "删掉本预案自己的报告时限，改写为“按全区信息报告规则首报”，并在信息报告处用 {{ school | reporting_rule }}。")
        return
    has_bureau, has_government = re.search(BUREAU, text), re.search(GOVERNMENT, text)
    if bool(has_bureau) != bool(has_government):
        missing = "属地政府" if has_bureau else "区教育局"
        yield _problem(doc, line, column, f"这里只写了向{'区教育局' if has_bureau else '属地政府'}报告，漏了{missing}：全区统一规则要求两者都报。",
                       "写成“报告区教育局和镇政府”，或改为“按全区信息报告规则首报”。")
