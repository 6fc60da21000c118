"""Library records → per-school figures: the monthly hazard summary, drills held against the calendar, reports.

One computation serves the Excel report, the district dashboard and each school's page, so the three
can never disagree. A month's summary follows the work plan (item 5): hazards carried over from before
the month (以前未整改), found in it (当月新增), fixed in it (当月已整改) and overdue at its end (逾期).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from safeplan.content.model import Document, Library

OPEN = ("open", "rectifying")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Month":
        """'2026-11' → Month; ValueError (with the Chinese reason) otherwise."""
        try:
            year, month = (int(part) for part in text.split("-"))
            date(year, month, 1)
        except ValueError:
            raise ValueError(f"月份“{text}”应写成 YYYY-MM，例如 2026-11。") from None
        return cls(year, month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"


@dataclass
class Tally:
    carried: int = 0  # 以前未整改
    new: int = 0  # 当月新增
    fixed: int = 0  # 当月已整改
    overdue: int = 0  # 逾期（月末仍未整改且已过整改时限）

    @property
    def open_at_end(self) -> int:
        return self.carried + self.new - self.fixed

    def add(self, other: "Tally") -> None:
        self.carried += other.carried
        self.new += other.new
        self.fixed += other.fixed
        self.overdue += other.overdue


@dataclass
class HazardMonth:
    """One school's hazards in one month: a tally per category, the total, and the hazards listed."""

    school: Document
    month: Month
    by_category: dict[str, Tally] = field(default_factory=dict)
    total: Tally = field(default_factory=Tally)
    hazards: list[Document] = field(default_factory=list)  # every hazard the month counts, oldest first


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _fixed_on(hazard: Document) -> date | None:
    return _day(hazard.data.get("closed_on")) if hazard.data.get("status") in ("closed", "verified") else None


def hazard_month(library: Library, school: Document, month: Month, as_of: date | None = None) -> HazardMonth:
    """The month's tally; `as_of` (today, for the running month) is when overdue is judged, else the month's end."""
    end = min(month.last, as_of) if as_of else month.last
    result = HazardMonth(school, month)
    for hazard in sorted(school_records(library, school, "hazard"), key=lambda d: (d.data["found_on"], d.id)):
        if hazard.data["status"] == "void":
            continue
        found, fixed = _day(hazard.data["found_on"]), _fixed_on(hazard)
        if found > month.last or (fixed and fixed < month.first):
            continue  # not yet found, or fixed before the month began
        tally = Tally(carried=int(found < month.first), new=int(found >= month.first),
                      fixed=int(bool(fixed) and fixed <= month.last))
        tally.overdue = int(not tally.fixed and _day(hazard.data["deadline"]) < end)
        result.by_category.setdefault(hazard.data["category"], Tally()).add(tally)
        result.total.add(tally)
        result.hazards.append(hazard)
    return result


def school_records(library: Library, school: Document, kind: str) -> list[Document]:
    """The school's records of a kind: those in its own folder that name it (record-place reports the others)."""
    return list(library.records.get((kind, school.id), ()))


@dataclass(frozen=True)
class DrillsHeld:
    held: int  # drills held this school year up to the day
    due: int  # drills the calendar put in the months before the day
    reported: int  # of those held, reported to the platform

    @property
    def report_rate(self) -> float | None:
        return self.reported / self.held if self.held else None


def drills_held(library: Library, school: Document, calendar_months: list[str], as_of: date) -> DrillsHeld:
    """Held and reported drills of the school year whose calendar months (YYYY-MM) are given, up to `as_of`."""
    months = sorted(calendar_months)
    if not months:
        return DrillsHeld(0, 0, 0)
    start = Month.parse(months[0]).first
    held = [d for d in school_records(library, school, "drill_record") if start <= _day(d.data["held_on"]) <= as_of]
    due = sum(1 for m in months if Month.parse(m).last < as_of)
    return DrillsHeld(len(held), due, sum(1 for d in held if d.data.get("reported_on")))


def incidents(library: Library, school: Document) -> list[Document]:
    return sorted(school_records(library, school, "incident"), key=lambda d: d.data["occurred_at"], reverse=True)
