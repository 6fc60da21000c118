"""Post labels by kind of school (issue 12 item 5): a primary school's products say 总指挥（校长）, 班主任, 校医, a
kindergarten's 总指挥（园长）, 带班教师, 保健医生; no label that joins both kinds with a slash ("班主任/带班教师")
is left on anything rendered for one school. The generic library pages keep the joined label."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conftest import REPO
from safeplan.content.loader import load_library
from safeplan.content.vocabulary import vocabulary
from safeplan.render.pdf.bundle_html import BundleMeta, bundle_html
from safeplan.render.site.school_cards import cards_section
from safeplan.resolve.views import resolve_school

META = BundleMeta("2026-09-01", "0123456789", "test")
OWN_WORDS = {"小学": ("总指挥（校长）", "班主任", "校医"), "幼儿园": ("总指挥（园长）", "带班教师", "保健医生")}


def _joined_labels() -> set[str]:
    """The labels of pages for no one school that differ from every kind's own label."""
    words = vocabulary()
    own = {label for kind in OWN_WORDS for label in words.posts_for(kind).values()}
    return {label for label in words.posts_for().values() if label not in own}


def _products(view) -> str:
    """What is rendered for the school: its bundle (plan openings, cards sheet, text) and its site page's cards."""
    return bundle_html(view, META) + "\n".join(cards_section(view, "internal"))


def _found(text: str) -> set[str]:
    return {label for label in _joined_labels() if label in text}


@pytest.fixture(scope="module")
def library():
    library, problems = load_library(REPO)
    assert not problems
    return library


def test_the_joined_labels_are_the_ones_that_differ_by_kind():
    assert _joined_labels() == {"总指挥（校长/园长）", "班主任/带班教师", "校医/保健医生"}


@pytest.mark.parametrize("school, kind", [("hutang-experimental-primary", "小学"),
                                          ("xihu-experimental-kindergarten", "幼儿园")])
def test_a_schools_products_name_its_posts_in_its_own_words(library, school, kind):
    view = resolve_school(library, library.get("school", school))
    assert view.data["kind"] == kind and view.cards
    products = _products(view)
    assert _found(products) == set()
    labels = {card.post_label for card in view.cards} | {post for rows in view.openings.values() for post, _, _ in rows}
    assert set(OWN_WORDS[kind]) <= labels, labels
    for label in OWN_WORDS[kind]:
        assert label in products, label
    # control: the same products built with the labels of no one school show every joined label to the scan
    generic = vocabulary().posts_for()
    joined = replace(view, cards=[replace(card, post_label=generic[card.post]) for card in view.cards],
                     openings={plan: [(generic.get(next((c.post for c in view.cards if c.post_label == post), ""), post),
                                       person, steps) for post, person, steps in rows]
                               for plan, rows in view.openings.items()})
    assert _found(_products(joined)) == _joined_labels()
