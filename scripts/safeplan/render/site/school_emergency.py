"""SchoolView → the emergency block at the top of the school's page: signals, assembly points, numbers to call.

What a teacher needs in one phone screen during an incident. Everything comes from the view, already
redacted for the audience (the public edition has no personal mobiles), and the district's data; the
alarm signals are the ones the comprehensive plan sets (校园广播信号), so they are written once.
"""

from __future__ import annotations

import html
import re

from safeplan.content.model import Library
from safeplan.resolve.views import SchoolView

NATIONAL = (("110", "报警"), ("119", "火警"), ("120", "急救"))
LEADERS = ("principal", "deputy", "safety_officer")  # the school's own leaders to call, in this order
SIGNAL_PLAN = "comprehensive"
SIGNAL_HEADING = "校园广播信号"
_SIGNAL = re.compile(r"^\s*[-*]\s*(疏散|就地避险|封控)[^：:]*[：:]\s*(.+)$", re.M)
# how people shorten a school's kind when they name it: 礼嘉高中, 嘉泽职校
KIND_SHORT = {"职业学校": "职校", "特殊教育": "特校", "完全中学": "中学", "九年一贯制": "学校"}
_TOWN_SUFFIX = re.compile(r"(镇|街道|区)$")


def alarm_signals(library: Library) -> list[tuple[str, str]]:
    """(situation, what is heard) from the comprehensive plan's 校园广播信号 list."""
    plan = next((d for d in library.documents if d.kind == "plan" and d.id == SIGNAL_PLAN), None)
    if plan is None or plan.data.get("status") != "approved":
        return []
    body = plan.body or ""
    start = body.find(SIGNAL_HEADING)
    if start < 0:
        return []
    found = []
    for line in body[start:].splitlines()[1:]:  # the list right under the heading, up to its end
        match = _SIGNAL.match(line)
        if not match:
            if found or not line.strip().startswith(("-", "*")):
                break
            continue
        found.append((match.group(1), match.group(2).strip().rstrip("；;。")))
    return found


def esc(value) -> str:
    return html.escape(str(value if value is not None else ""))


def short_names(data: dict) -> list[str]:
    """The names people use for a school besides its full one: 洛阳小学, 礼嘉高中 and the recorded short name."""
    town = _TOWN_SUFFIX.sub("", str(data.get("town") or ""))
    kind = str(data.get("kind") or "")
    names = [str(data["short_name"])] if data.get("short_name") else []
    if town and kind:
        names.append(town + KIND_SHORT.get(kind, kind))
    return [n for i, n in enumerate(names) if n and n not in names[:i] and n != data.get("name")]


def phone(number, label: str) -> str:
    """A tappable number: the link dials, the text shows the number."""
    digits = re.sub(r"[^0-9+]", "", str(number or ""))
    return f'<a class="sp-call" href="tel:{digits}">{esc(label)} <b>{esc(number)}</b></a>' if digits else ""


def emergency_block(view: SchoolView, district: dict, library: Library) -> list[str]:
    """HTML for the top of the school page (a raw block: every value escaped here)."""
    data = view.data
    lines = []
    names = short_names(data)
    if names:
        lines += [f'<p class="sp-aliases">简称：{esc("、".join(names))}</p>', ""]
    calls = [phone(number, what) for number, what in NATIONAL]
    contacts = data.get("contacts") or {}
    for key in ("police", "hospital"):
        contact = contacts.get(key) or {}
        calls.append(phone(contact.get("phone"), contact.get("name") or key))
    duty = (district.get("organisation") or {}).get("duty_officer") or {}
    bureau = duty.get("office_phone") or (district.get("office") or {}).get("phone") or (contacts.get("bureau") or {}).get("phone")
    calls.append(phone(bureau, "教育局值班"))
    organisation = data.get("organisation") or {}
    for key in LEADERS:
        person = organisation.get(key) or {}
        number = person.get("mobile") or person.get("office_phone")
        if person.get("name") and number:
            calls.append(phone(number, f"{person.get('title') or ''} {person['name']}".strip()))
    for internal in contacts.get("internal") or []:
        calls.append(phone(internal.get("phone"), internal.get("name") or ""))
    # data-sp-school-name: the school's checklists and drills open with its name in their forms (safeplan-forms.js)
    lines += [f'<div class="sp-emergency" data-search-exclude data-sp-school-name="{esc(data.get("name"))}">', ""]
    signals = alarm_signals(library)
    if signals:
        lines += ['<p class="sp-emergency__title">警报信号</p>', '<ul class="sp-signals">']
        lines += [f"<li><b>{esc(what)}</b>：{esc(sound)}</li>" for what, sound in signals]
        lines += ["</ul>"]
    points = {p.get("id"): p for p in data.get("assembly_points") or []}
    routes = data.get("evacuation_routes") or []
    if routes:
        lines += ['<p class="sp-emergency__title">各楼栋集合点</p>', '<ul class="sp-assembly">']
        for route in routes:
            point = points.get(route.get("assembly_point")) or {}
            lines.append(f"<li><b>{esc(route.get('building'))}</b> → {esc(point.get('name') or route.get('assembly_point'))}</li>")
        lines += ["</ul>"]
    lines += ['<p class="sp-emergency__title">紧急电话</p>', '<p class="sp-calls">' + "".join(c for c in calls if c) + "</p>", "", "</div>", ""]
    return lines
