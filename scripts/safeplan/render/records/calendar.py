"""SchoolView → .ics bytes: the school's drill calendar and its documents' review dates, for the office's calendar."""

from __future__ import annotations

import hashlib
from datetime import date

from icalendar import Calendar, Event

from safeplan.resolve.views import SchoolView

PRODUCT = "-//safeplan//武进区校园安全预案库//ZH"


def _uid(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24] + "@safeplan"


def school_calendar(view: SchoolView) -> bytes:
    """One all-day event per planned drill (the 10th of its month) and per document review due."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{view.data.get('name')} 演练与评审日历")
    calendar.add("x-wr-timezone", "Asia/Shanghai")
    for drill in view.calendar:
        year, month = (int(part) for part in drill.month.split("-"))
        event = Event()
        event.add("uid", _uid(view.id, "drill", drill.month, drill.drill_id))
        event.add("summary", f"{drill.title}（{drill.drill_type}）" if drill.drill_type else drill.title)
        event.add("description", f"按演练日历，本月举行{drill.title}；举行后在 records/{view.id}/drills/ 中登记演练记录。")
        event.add("dtstart", date(year, month, 10))
        event.add("dtstamp", date(year, month, 1))
        event.add("categories", ["演练"])
        calendar.add_component(event)
    for applied in view.documents:
        due = applied.data.get("next_review")
        if not isinstance(due, str):
            continue
        event = Event()
        event.add("uid", _uid(view.id, "review", applied.doc.id, due))
        event.add("summary", f"评审到期：{applied.doc.title}")
        event.add("description", f"《{applied.doc.title}》{applied.doc.data.get('version', '')} 版的下次评审日期。")
        event.add("dtstart", date.fromisoformat(due))
        event.add("dtstamp", date.fromisoformat(due))
        event.add("categories", ["评审"])
        calendar.add_component(event)
    return calendar.to_ical()
