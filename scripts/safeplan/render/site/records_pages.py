"""SiteIndex → the office's record pages (internal edition): the district dashboard, each school's figures, ICS calendars.

The dashboard lists the schools that are behind first (overdue hazards, then drills short of the
calendar, then open hazards); the figures are resolve/records' monthly tally, the same as the
Excel report's. Records never reach the public edition: the public site has neither the pages nor
the figures, and its scan runs with the records present.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from safeplan.dates import chinese_date
from safeplan.render.records.calendar import school_calendar
from safeplan.render.site.index import SiteIndex
from safeplan.render.site.markup import relative, table, text, unsearched
from safeplan.resolve.records import DrillsHeld, HazardMonth, Month, drills_held, hazard_month, incidents
from safeplan.resolve.views import SchoolView

DASHBOARD = "records/index.md"


def calendar_file(school_id: str) -> str:
    return f"downloads/calendar/{school_id}.ics"


@dataclass(frozen=True)
class Standing:
    """Where one school stands: last month's report, what is open and overdue today, drills this school year."""

    view: SchoolView
    reported: HazardMonth  # the last complete month: the figures of that month's Excel report
    today: HazardMonth  # the running month up to today: open and overdue now
    drills: DrillsHeld

    @property
    def drills_short(self) -> int:
        return max(0, self.drills.due - self.drills.held)

    @property
    def behind(self) -> bool:
        return bool(self.today.total.overdue or self.drills_short)


def _months(day: date) -> tuple[Month, Month]:
    """(the last complete month, the running month)."""
    last = Month(day.year - (day.month == 1), (day.month - 2) % 12 + 1)
    return last, Month(day.year, day.month)


def standing(index: SiteIndex, view: SchoolView) -> Standing:
    day = date.fromisoformat(index.site.today)
    library, (last, running) = index.site.library, _months(day)
    return Standing(view, hazard_month(library, view.school, last), hazard_month(library, view.school, running, as_of=day),
                    drills_held(library, view.school, [d.month for d in view.calendar], day))


def standings(index: SiteIndex) -> list[Standing]:
    """Every school's standing, the schools behind first."""
    found = [standing(index, view) for view in index.site.views]
    return sorted(found, key=lambda s: (-s.today.total.overdue, -s.drills_short, -s.today.total.open_at_end, s.view.id))


def _rate(drills: DrillsHeld) -> str:
    return "—" if drills.report_rate is None else f"{drills.report_rate:.0%}"


def _overdue(count: int) -> str:
    return f'<span class="sp-overdue">{count}</span>' if count else "0"


def records_pages(index: SiteIndex) -> dict[str, str]:
    """The dashboard and the calendars; nothing on the public edition."""
    pages = {calendar_file(view.id): school_calendar(view).decode("utf-8") for view in index.site.views}
    if index.site.audience != "internal":
        return pages
    found = standings(index)
    source = DASHBOARD
    last, _ = _months(date.fromisoformat(index.site.today))
    behind = sum(1 for s in found if s.behind)
    lines = ["---", "title: 隐患与演练", "---", "", "# 隐患与演练", "",
             f"截至 {text(chinese_date(index.site.today))}：{len(found)} 所学校中 {behind} 所有逾期隐患或演练少于日历，排在前面。"
             f"“{last.label}”两列与该月的隐患月报（`safeplan report hazards --month {last}`）相同。", "",
             unsearched("各校情况", "standings"), ""]
    rows = [[index.link_school(source, s.view.id), str(s.today.total.open_at_end), _overdue(s.today.total.overdue),
             str(s.reported.total.new), str(s.reported.total.fixed), f"{s.drills.held} / {s.drills.due}", _rate(s.drills)]
            for s in found]
    lines.append(table(["学校", "未整改", "逾期", f"{last.label}新增", f"{last.label}已整改", "演练（已举行 / 应举行）", "报送率"],
                       rows) if rows else "暂无学校。")
    pages[DASHBOARD] = "\n".join(lines) + "\n"
    return pages


def school_records_section(index: SiteIndex, view: SchoolView) -> list[str]:
    """The figures on a school's own page (internal edition), and its calendar to subscribe to."""
    source = index.school_pages[view.id]
    link = f"[订阅本校演练与评审日历（ICS）]({relative(source, calendar_file(view.id))})"
    if index.site.audience != "internal":
        return [link, ""]
    here = standing(index, view)
    now, reported, drills = here.today.total, here.reported.total, here.drills
    lines = [unsearched("隐患与演练", "records"), "",
             f"今天未整改的隐患 {now.open_at_end} 条，其中逾期 {now.overdue} 条；{here.reported.month.label}新增 {reported.new} 条、"
             f"整改 {reported.fixed} 条。本学年已举行演练 {drills.held} 次（按日历到上月应举行 {drills.due} 次），报送率 {_rate(drills)}。"
             f"全区情况见[隐患与演练]({relative(source, DASHBOARD)})。", ""]
    open_hazards = [h for h in here.today.hazards if h.data["status"] in ("open", "rectifying")]
    if open_hazards:
        lines += [table(["发现日期", "类别", "部位", "整改时限", "整改责任人"],
                        [[text(h.data["found_on"]), text(h.data["category"]), text(h.data["place"]),
                          index.review_cell(h.data["deadline"]), text(h.data["owner"]["name"])] for h in open_hazards]), ""]
    reports = incidents(index.site.library, view.school)
    if reports:
        latest = reports[0].data
        lines += [f"最近一次突发事件：{text(latest['occurred_at'])}，{text(latest['place'])}（{len(latest['reports'])} 次报告）。", ""]
    return lines + [link, ""]
