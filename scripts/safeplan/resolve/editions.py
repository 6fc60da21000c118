"""SchoolView + edition name → the SchoolView and bundle parts that edition of the bundle shows.

One definition for every output of a bundle (the Word export now, the PDF editions next):
the action edition is what a school prints and acts on — cover, 颁布令, the comprehensive plan,
the on-site plans and the contacts; the full edition is everything, the archive and inspection copy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from safeplan.content.vocabulary import Vocabulary, vocabulary
from safeplan.resolve.views import SchoolView

# A bundle's articles by kind: the part of an article anchor before the first "-" (plan-fire → plan).
ARTICLE_KINDS = ("profile", "cards", "plan", "checklist", "drill", "directory", "revisions")


@dataclass(frozen=True)
class Edition:
    name: str
    label: str
    articles: tuple[str, ...]  # ARTICLE_KINDS shown
    plan_tiers: tuple[str, ...] | None  # tier anchors (schema x-anchors) shown; None: every tier

    def shows(self, anchor: str) -> bool:
        """Whether this edition shows the bundle article with this anchor (profile, plan-fire, drill-calendar, …)."""
        return anchor.split("-", 1)[0] in self.articles


EDITIONS = {
    "action": Edition("action", "应急处置版", ("plan", "directory"), ("comprehensive", "onsite")),  # cards: their own sheet
    "full": Edition("full", "完整版", ARTICLE_KINDS, None),
}


def edition_view(view: SchoolView, edition: Edition, words: Vocabulary | None = None) -> SchoolView:
    """The view with only the documents the edition shows, so every count and contents line agrees with it."""
    words = words or vocabulary()
    tiers = None if edition.plan_tiers is None else {t for t, anchor in words.tiers.items() if anchor in edition.plan_tiers}

    def shown(applied) -> bool:
        if applied.kind not in edition.articles:
            return False
        return applied.kind != "plan" or tiers is None or applied.data.get("tier") in tiers

    return replace(view, documents=[a for a in view.documents if shown(a)],
                   calendar=list(view.calendar) if "drill" in edition.articles else [])
