"""Schemas → the Chinese labels of kinds, tiers, frequencies, revision reasons, statuses and folders.

Every coded value a reader sees is labelled here and only here, from the schemas: an enum's
`x-labels` (value → label) or `x-anchors` (value → the site's anchor), a kind's `x-label` or
`title`. A Vocabulary is built afresh each time it is asked for (a few dictionary lookups over
the run's Schemas, content/schemas), so a build after a schema edit reads the edit; build.py makes
one per run and the renderers take it as an argument, so that one build reads one vocabulary.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from safeplan.content.model import FOLDERS
from safeplan.content.schemas import SCHEMA_FILES, common_definition, schema_for
from safeplan.content.school_words import in_words_of


@dataclass(frozen=True)
class Vocabulary:
    kinds: dict[str, str]  # document kind → label: plan → 应急预案
    statuses: dict[str, str]  # draft → 草稿, in workflow order
    tiers: dict[str, str]  # 综合应急预案 → comprehensive (its anchor), in GB/T 29639 order
    categories: dict[str, str]  # 自然灾害 → natural (its anchor)
    frequencies: dict[str, str]  # daily → 每日, in checklist order
    revision_reasons: dict[str, str]  # law_change → 法规标准或上级预案变化
    terms: dict[str, dict[str, str]] = field(default_factory=dict)  # 幼儿园 → {学生: 幼儿, …}: its own words
    folders: dict[str, str] = field(default_factory=lambda: dict(FOLDERS))  # plan → plans
    posts: dict[str, str] = field(default_factory=dict)  # class_teacher → 班主任 (a school's word), in the card schema's order
    buildings: dict[str, str] = field(default_factory=dict)  # dormitory → 宿舍楼

    def kind(self, kind: str) -> str:
        return self.kinds.get(kind, kind)

    def status(self, value) -> str:
        return self.statuses.get(value, str(value)) if isinstance(value, str) else str(value)

    def frequency(self, value) -> str:
        return self.frequencies.get(value, str(value)) if isinstance(value, str) else str(value)

    def revision_reason(self, value) -> str:
        return self.revision_reasons.get(value, str(value)) if isinstance(value, str) else str(value)

    def tier_rank(self, tier) -> int:
        """A plan's place in the standard's order of tiers; unknown tiers last."""
        return list(self.tiers).index(tier) if tier in self.tiers else len(self.tiers)

    def terms_for(self, school_kind) -> dict[str, str]:
        """The words a kind of school uses instead of the library's (none for most kinds)."""
        return self.terms.get(school_kind, {}) if isinstance(school_kind, str) else {}

    def posts_for(self, school_kind=None) -> dict[str, str]:
        """Post → its label in a kind of school's words (幼儿园: 总指挥（园长）, 带班教师, 保健医生); with no kind,
        for pages not for one school, every kind's word side by side (班主任/带班教师)."""
        if school_kind is None:
            terms: dict[str, str] = {}
            for kind_terms in self.terms.values():
                for term, counterpart in kind_terms.items():
                    terms[term] = f"{terms.get(term, term)}/{counterpart}"
        else:
            terms = self.terms_for(school_kind)
        return {post: in_words_of(label, terms) for post, label in self.posts.items()}

    def labels_at(self, path: tuple) -> dict[str, str] | None:
        """The labels of the coded values a field holds, for a data path (list indexes as ints)."""
        shape = tuple("*" if isinstance(step, int) else step for step in path)
        return {("status",): self.statuses, ("frequency",): self.frequencies,
                ("revisions", "*", "reason"): self.revision_reasons}.get(shape)

    def fingerprint(self) -> str:
        """Changes exactly when a label does: part of every cache key of rendered output."""
        payload = json.dumps([self.kinds, self.statuses, self.tiers, self.categories, self.frequencies,
                              self.revision_reasons, self.folders, self.posts, self.buildings, self.terms],
                             ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()


def vocabulary(schema=schema_for, definition=common_definition) -> Vocabulary:
    """The vocabulary of the schemas: `schema(kind)` gives a kind's schema, `definition(name)` a common $def."""
    plan, checklist = schema("plan")["properties"], schema("checklist")["properties"]
    return Vocabulary(
        kinds={kind: schema(kind).get("x-label") or schema(kind)["title"] for kind in SCHEMA_FILES},
        statuses=_labels(definition("status")),
        tiers=_anchors(plan["tier"]),
        categories=_anchors(plan["category"]),
        frequencies=_labels(checklist["frequency"]),
        revision_reasons=_labels(definition("revision_reason")),
        posts=_labels(schema("card")["$defs"]["post"]),
        buildings={**_labels(definition("building_use")),
                   **{value: label for branch in schema("card")["$defs"]["building"]["anyOf"]
                      for value, label in (branch.get("x-labels") or {}).items()}},
        terms=definition("school_kind").get("x-terms") or {},
    )


def _labels(enum: dict) -> dict[str, str]:
    """value → label in the enum's order; a value without a label reads as itself."""
    labels = enum.get("x-labels") or {}
    return {value: labels.get(value, value) for value in enum["enum"]}


def _anchors(enum: dict) -> dict[str, str]:
    anchors = enum.get("x-anchors") or {}
    return {value: anchors.get(value, str(index)) for index, value in enumerate(enum["enum"])}
