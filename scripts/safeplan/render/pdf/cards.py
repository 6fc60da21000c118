"""SchoolView's cards → bundle HTML (an A6 page per card, each plan's action-first opening) and the cards sheet.

The cards sheet is a separate PDF per school: four A6 cards to an A4 page, with dashed cut lines.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from safeplan.content.reporting_text import levels_line
from safeplan.render.pdf.fonts import DEFAULT_STACKS, with_fonts
from safeplan.resolve.cards import Card
from safeplan.resolve.views import SchoolView

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_FILES = ("cards.html.j2", "cards.css", "cards-sheet.css")
PER_SHEET = 4
CARDS_TITLE = "应急处置卡"


@lru_cache(maxsize=1)
def _template():
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
    return environment.get_template("cards.html.j2").module


@lru_cache(maxsize=None)
def _read(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def card_css() -> str:
    """The cards' styles (role placeholders unreplaced), appended to the bundle's stylesheet."""
    return _read("cards.css")


def _school_name(view: SchoolView) -> str:
    return str(view.data.get("short_name") or view.data.get("name") or view.id)


def bundle_cards(view: SchoolView, anchor: str) -> tuple[str, str, Markup] | None:
    """The bundle's article of cards, one A6 page each, or None for a school without cards."""
    if not view.cards:
        return None
    title = f"本校{CARDS_TITLE}（{len(view.cards)} 张）"
    return anchor, title, Markup(str(_template().bundle_cards(anchor, title, view.cards, _school_name(view))))


def plan_opening(view: SchoolView, plan) -> Markup:
    """What a plan opens with: who does what in the first ten minutes, its response levels, then its organisation."""
    line = levels_line(view.district, view.data) if view.district.get("response") else ""
    return Markup(str(_template().opening(view.openings.get(plan.id, []), line, plan.data.get("response_levels") or [],
                                          plan.data["organisation"])))


def sheets(cards: list[Card]) -> list[list[Card]]:
    return [cards[start:start + PER_SHEET] for start in range(0, len(cards), PER_SHEET)]


def card_sheet_html(view: SchoolView, fonts: tuple = DEFAULT_STACKS, trimmed: tuple = ()) -> str:
    """The cards PDF's HTML: A4 sheets of four A6 cards with cut lines."""
    css = Markup(with_fonts(_read("cards.css") + _read("cards-sheet.css"), fonts, trimmed))
    title = f"{view.data.get('name', view.id)}{CARDS_TITLE}"
    return str(_template().sheet(title, css, sheets(view.cards), _school_name(view)))
