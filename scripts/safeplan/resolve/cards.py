"""Approved cards + a school + its filled plans → the school's emergency cards (应急处置卡), filled, and their problems.

Only cards whose plan applies to the school and whose post the school has (no 宿管 card for a day school,
no 校车 cards without buses). Steps, time limits and roles come from the plan as filled for the school, so a
card says what the plan says; names and numbers come from the school's data.
"""

from __future__ import annotations

from dataclasses import dataclass

from safeplan.checks.cards import fill_card, post_applies, post_person, post_steps, row_posts
from safeplan.content.model import Document
from safeplan.content.school_words import data_in_words_of
from safeplan.content.templating import points_for, has_placeholders
from safeplan.content.vocabulary import Vocabulary, vocabulary
from safeplan.problems import ERROR, WARNING, Problem

# How a building of each kind is written in schools/*.yaml today (evacuation_routes[].building is free text).
@dataclass
class CardStep:
    within: str
    who: str
    action: str


@dataclass
class Card:
    """One post's card for one plan, as it applies to one school."""

    plan_id: str
    plan_title: str
    post: str
    post_label: str
    steps: list[CardStep]
    calls: list[tuple[str, str]]  # (who, number)
    dont: list[str]
    assembly: str = ""  # the assembly point of the building the post works in, '' where none applies
    building: str = ""  # that building's label
    go: str = ""
    person: str = ""  # who holds the post at this school, e.g. 皮样例（安全保卫处主任） 13900070004


def assembly_point(school: dict, building: str) -> str:
    """The assembly point(s) of the school's buildings of this use ('' for outdoor posts or none found): the
    routes' `uses`, read by the same function the plans' assembly_point_for placeholder uses."""
    return "、".join(points_for(school, building)) if building != "outdoor" else ""


def school_cards(card_docs: list[Document], plans: list, school: Document, context: dict,
                 words: Vocabulary | None = None) -> tuple[list[Card], list[Problem]]:
    """The school's cards in plan order (as `plans`, the school's filled plans, come) then post order, and every
    name, number or text that did not fill. `plans` are the view's applied plans: .doc, .data filled."""
    words = words or vocabulary()
    by_plan: dict[str, list[Document]] = {}
    for doc in card_docs:
        by_plan.setdefault(doc.data.get("plan"), []).append(doc)
    order, labels = list(words.posts), words.posts_for(context["school"].get("kind"))
    terms = words.terms_for(context["school"].get("kind"))
    cards, problems = [], []
    for plan in plans:
        for doc in by_plan.get(plan.id, []):
            entries = sorted(enumerate(doc.data["cards"]), key=lambda e: order.index(e[1]["post"]))
            for index, entry in entries:
                if not post_applies(entry["post"], context["school"]):
                    continue
                filled, found = fill_card(doc, index, context)
                filled = data_in_words_of(filled, terms)  # the plan's steps already are in the school's words
                steps = _steps(plan.doc, plan.data, entry["post"])
                card = Card(plan.id, plan.title, entry["post"], labels[entry["post"]], steps,
                            [(c["who"], c["phone"]) for c in filled["call"]], filled["dont"],
                            assembly_point(context["school"], entry.get("building", "")),
                            words.buildings.get(entry.get("building", ""), ""), filled.get("go", ""),
                            _person(post_person(entry["post"], context["school"])))
                found += _leftovers(doc, index, card, school)
                if entry.get("building") not in (None, "outdoor") and not card.assembly:
                    line, column = doc.position(f"/cards/{index}/building")
                    found.append(Problem(doc.path, line, column, WARNING, "card-fill",
                                         f"{_name(school)}：疏散路线中没有{card.building}，{card.post_label}卡上写不出集合点。",
                                         "在学校文件的 evacuation_routes 中写明这栋楼的路线和集合点。"))
                problems += found
                cards.append(card)
    return cards, problems


def openings(cards: list[Card], plans: list, school: dict, words: Vocabulary | None = None
             ) -> dict[str, list[tuple[str, str, list[CardStep]]]]:
    """Plan id → who does what in its first ten minutes at this school: opening_rows with its cards' posts,
    in this kind of school's words and with the school's people."""
    labels = (words or vocabulary()).posts_for(school.get("kind"))
    return {plan.id: opening_rows(plan.doc, plan.data, [card.post for card in cards if card.plan_id == plan.id], labels,
                                  lambda post: _person(post_person(post, school))) for plan in plans}


def opening_rows(plan: Document, data: dict, posts: list[str], labels: dict[str, str], person=lambda post: ""
                 ) -> list[tuple[str, str, list[CardStep]]]:
    """(post label, person, steps) in order: each of `posts` (the plan's cards') with its first-steps rows, else
    the rows grouped by the post a row names (or by the row's own who). The one builder of a plan's opening, for a
    school's bundle and for the site's plan pages (generic labels, no person)."""
    if posts:
        return [(labels[post], person(post), _steps(plan, data, post)) for post in posts]
    groups: dict[str, tuple[str, list[CardStep]]] = {}
    for row in data.get("procedure") or []:
        named = [post for post in labels if post in row_posts(plan, row)]
        label = labels[named[0]] if named else str(row["who"])
        groups.setdefault(label, (person(named[0]) if named else "", []))[1].append(
            CardStep(row["within"], row["who"], row["action"]))
    return [(label, who, steps) for label, (who, steps) in groups.items()]


def _steps(plan: Document, data: dict, post: str) -> list[CardStep]:
    rows = data.get("procedure") or []
    return [CardStep(**{key: rows[n - 1][key] for key in ("within", "who", "action")})
            for n in post_steps(plan, post) if n <= len(rows)]



def _person(person: dict) -> str:
    if not person.get("name"):
        return ""
    number = person.get("mobile") or person.get("office_phone") or ""
    return f"{person['name']}（{person.get('title', '')}）" + (f" {number}" if number else "")


def _name(school: Document) -> str:
    return str(school.data.get("short_name") or school.data.get("name") or school.id)


def _leftovers(doc: Document, index: int, card: Card, school: Document) -> list[Problem]:
    """Placeholder text or an empty number left on a filled card (e.g. a plan step the placeholders rule let by)."""
    texts = [s.action for s in card.steps] + [s.who for s in card.steps] + [w for w, _ in card.calls] + card.dont
    texts += [card.go]
    line, column = doc.position(f"/cards/{index}")
    name = _name(school)
    found = []
    if any(has_placeholders(text) for text in texts):
        found.append(Problem(doc.path, line, column, ERROR, "card-fill", f"{name}：{card.post_label}卡上留有未填写的占位符。",
                             "检查预案和处置卡中的占位符，确认学校文件里有对应的字段。"))
    if any(not number.strip() or has_placeholders(number) for _, number in card.calls):
        found.append(Problem(doc.path, line, column, ERROR, "card-fill", f"{name}：{card.post_label}卡上有空号码。",
                             "在学校文件中补上号码，或换一个本校有的联系人。"))
    return found
