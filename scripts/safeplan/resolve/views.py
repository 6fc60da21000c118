"""Library + school + audience → SchoolView: what applies to one school, filled and redacted.

Site pages and PDF bundles both render from a SchoolView, so a school's page and
its bundle can never disagree on what applies. The audience filter is applied
here, once, so the site, its search index and the PDFs see the same redacted data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date

from safeplan.content.applicability import applies
from safeplan.problems import Problem
from safeplan.resolve.cards import Card, CardStep, openings, school_cards
from safeplan.content.model import SECTION_KINDS, Document, Library
from safeplan.content.schemas import internal_pointers
from safeplan.content.school_words import data_in_words_of, in_words_of
from safeplan.content.templating import fill, fill_data
from safeplan.content.vocabulary import Vocabulary, vocabulary

AUDIENCES = ("internal", "public")


class _Redacted(str):
    """Shown as its text, false in a condition: an `{% if school.security.micro_fire_station %}`, or an
    applies_to rule on a hidden field, then reads the same for every school and tells nothing."""

    def __bool__(self) -> bool:
        return False


REDACTED = _Redacted("（内部版可见）")
KIND_ORDER = {"plan": 0, "checklist": 1, "drill": 2, "note": 3}
TEACHING_MONTHS = (9, 10, 11, 12, 1, 2, 3, 4, 5, 6)  # a school year's ten teaching months


@dataclass
class Applied:
    """One document as it applies to one school (or to the district): filled and redacted."""

    doc: Document
    data: dict
    body: str
    reason: str

    @property
    def id(self) -> str:
        return self.doc.id

    @property
    def kind(self) -> str:
        return self.doc.kind

    @property
    def title(self) -> str:
        return str(self.data.get("title", self.doc.id))


@dataclass
class DrillDate:
    month: str  # "2026-10"
    drill_id: str
    title: str
    drill_type: str


@dataclass
class SchoolView:
    school: Document
    data: dict  # the school's data, redacted for the audience
    district: dict
    audience: str
    documents: list[Applied] = field(default_factory=list)
    not_applied: list[tuple[Document, str]] = field(default_factory=list)
    calendar: list[DrillDate] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)  # the emergency cards of its plans, filled (resolve/cards.py)
    card_problems: list[Problem] = field(default_factory=list)
    openings: dict[str, list[tuple[str, str, list[CardStep]]]] = field(default_factory=dict)  # plan → who does what first

    @property
    def id(self) -> str:
        return self.school.id

    def of_kind(self, kind: str) -> list[Applied]:
        return [item for item in self.documents if item.kind == kind]

    def fingerprint(self) -> str:
        """A hash of everything a bundle shows, for the PDF cache."""
        payload = {
            "school": self.data, "district": self.district, "audience": self.audience,
            "documents": [(a.kind, a.id, a.data, a.body, a.reason) for a in self.documents],
            "calendar": [vars(d) for d in self.calendar],
            "cards": [asdict(card) for card in self.cards],
            "openings": {plan: [(post, person, [vars(s) for s in steps]) for post, person, steps in rows]
                         for plan, rows in self.openings.items()},
        }
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def redact(data, kind: str, audience: str):
    """Replace fields marked x-audience: internal in the schema when the audience is public."""
    if audience != "public":
        return data
    result = json.loads(json.dumps(data, ensure_ascii=False, default=str))
    for path in internal_pointers(kind):
        _blank(result, path)
    return result


def _blank(value, path: tuple[str, ...]):
    if not path:
        return
    head, rest = path[0], path[1:]
    children = []
    if isinstance(value, dict):
        # a hidden leaf reads the same written or not: whether a school has a micro fire station at all is the secret
        children = list(value) if head == "*" else [head] if head in value or not rest else []
        for key in children:
            if rest:
                _blank(value[key], rest)
            else:
                value[key] = REDACTED
    elif isinstance(value, list) and head == "*":
        for index in range(len(value)):
            if rest:
                _blank(value[index], rest)
            else:
                value[index] = REDACTED


def bundle_order(documents, words: Vocabulary | None = None) -> list[Document]:
    """Documents in bundle order: by kind, plans by tier, then by path."""
    words = words or vocabulary()
    return sorted(documents, key=lambda doc: (KIND_ORDER.get(doc.kind, 9), words.tier_rank(doc.data.get("tier")), doc.path))


def is_publishable(doc: Document) -> bool:
    return doc.data.get("status") == "approved"


def district_context(library: Library, audience: str) -> dict:
    district = library.district.data if library.district else {}
    return redact(district, "district", audience)


def applies_to_school(doc: Document, school: Document, data: dict | None = None) -> tuple[bool, str]:
    """Whether doc applies to the school, judged on `data`: the school's data as the audience sees it."""
    owner = doc.data.get("school")
    if owner and owner != school.id:
        return False, f"本文档属于学校 {owner}"
    if doc.data.get("level") == "district":
        return False, "区级预案，由区教育局执行"
    matched, reason = applies(doc.data.get("applies_to"), school.data if data is None else data)
    if matched and owner:
        reason = "本校专用文档"
    return matched, reason


def school_context(library: Library, school: Document, audience: str = "internal") -> dict:
    """What placeholders in a school's documents read: its redacted data and the district's."""
    return {"school": redact(school.data, "school", audience), "district": district_context(library, audience)}


def applicable(library: Library, school: Document, data: dict | None = None
               ) -> tuple[list[tuple[Document, str]], list[tuple[Document, str]]]:
    """(applied, not applied): the approved documents for one school, in bundle order, with the reason; nothing filled.

    Judged on `data`, the school's data as the audience sees it: the public edition's choice of documents
    must not reveal a hidden field."""
    applied, not_applied = [], []
    candidates = [doc for kind in SECTION_KINDS if kind != "note" for doc in library.of_kind(kind)]
    for doc in bundle_order(candidates):
        if not is_publishable(doc):
            continue
        matched, reason = applies_to_school(doc, school, data)
        (applied if matched else not_applied).append((doc, reason))
    return applied, not_applied


def filled(doc: Document, context: dict, reason: str, words: Vocabulary | None = None) -> Applied:
    """The document filled for the context's school, in the words of its kind of school."""
    terms = (words or vocabulary()).terms_for((context.get("school") or {}).get("kind"))
    return Applied(doc, data_in_words_of(fill_data(doc.data, context), terms),
                   in_words_of(fill(doc.body, context), terms), in_words_of(reason, terms))


def resolve_school(library: Library, school: Document, audience: str = "internal") -> SchoolView:
    """Every approved document that applies to the school, filled with its redacted data."""
    context = school_context(library, school, audience)
    view = SchoolView(school=school, data=context["school"], district=context["district"], audience=audience)
    applied, view.not_applied = applicable(library, school, context["school"])
    words = vocabulary()
    view.documents = [filled(doc, context, reason, words) for doc, reason in applied]
    view.calendar = drill_calendar(view)
    approved_cards = [doc for doc in library.of_kind("card") if is_publishable(doc)]
    view.cards, view.card_problems = school_cards(approved_cards, view.of_kind("plan"), school, context)
    view.openings = openings(view.cards, view.of_kind("plan"), context["school"])
    return view


def resolve_district(library: Library, audience: str = "internal") -> list[Applied]:
    """District-level plans and supporting notes, filled with the district's data."""
    context = {"district": district_context(library, audience), "school": {}}
    found = []
    for doc in bundle_order(library.documents):
        if doc.kind == "note" or (doc.kind == "plan" and doc.data.get("level") == "district"):
            found.append(Applied(doc, fill_data(doc.data, context), fill(doc.body, context), "区级文档"))
    return found


def school_year(district: dict) -> int:
    start = district.get("school_year_start") or "2026-09-01"
    return date.fromisoformat(start).year


def drill_calendar(view: SchoolView) -> list[DrillDate]:
    """Spread each drill's yearly count over the teaching months.

    Evacuation drills form one sequence (fire, earthquake, fire, …) so that every
    teaching month has one, as the national rule intends; other drills are spread
    evenly and staggered so they do not all fall in September.
    """
    year = school_year(view.district)
    kind = view.data.get("kind")
    slots = len(TEACHING_MONTHS)
    drills = [a for a in view.of_kind("drill") if a.data.get("per_year", {}).get(kind)]
    placed: list[tuple[int, Applied]] = []
    evacuation = [d for d in drills if d.data.get("evacuation")]
    occurrences = sorted(((j + 0.5) / d.data["per_year"][kind], order, d)
                         for order, d in enumerate(evacuation) for j in range(d.data["per_year"][kind]))
    for slot, (_, _, drill) in enumerate(occurrences):
        placed.append((slot * slots // len(occurrences), drill))
    for order, drill in enumerate(d for d in drills if not d.data.get("evacuation")):
        count = drill.data["per_year"][kind]
        placed += [(((j * slots) // count + order) % slots, drill) for j in range(count)]
    dates = []
    for index, drill in placed:
        month = TEACHING_MONTHS[index]
        calendar_year = year if month >= 9 else year + 1
        dates.append(DrillDate(f"{calendar_year}-{month:02d}", drill.id, drill.title, drill.data.get("drill_type", "")))
    return sorted(dates, key=lambda d: (d.month, d.drill_id))


def resolve_all(library: Library, audience: str = "internal", only: set[str] | None = None) -> list[SchoolView]:
    return [resolve_school(library, school, audience)
            for school in sorted(library.schools, key=lambda s: s.id)
            if not only or school.id in only]
