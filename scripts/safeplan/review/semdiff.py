"""Base Library + head Library → the changes a reviewer reads: fields at their schema places, sections, affected schools.

A school's bundle changes exactly when its resolved view (resolve.resolve_school)
would change; only schools that a changed file can reach are looked at, and only
the documents that changed are filled (see school_reasons). This module computes;
diff_report.py formats (labels joined, values shortened, text, JSON, Markdown).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import asdict, dataclass, field, replace

from safeplan.content.model import WORKFLOW_KINDS, Document, Library
from safeplan.resolve.views import applicable, applies_to_school, filled, school_context
from safeplan.content.schemas import field_labels
from safeplan.content.templating import PlaceholderError
from safeplan.content.vocabulary import Vocabulary, vocabulary

IDENTITY_KEYS = ("id", "version", "role", "stage", "check", "building", "level", "at")
_MISSING = object()


@dataclass
class Step:
    """One step of the place a field changed at: a field under its schema label, or an item of the list before it."""

    label: str  # e.g. "应急集合点"; "" for an item of a list that is itself an item
    item: str = ""  # a list item's identity (its id, role, stage…), e.g. "playground-east"
    number: int = 0  # a list item without an identity: its position, from 1


@dataclass
class FieldChange:
    place: list[Step]  # e.g. [Step("应急集合点", item="playground-east"), Step("集合点名称与位置")]
    field: str  # the top-level field's label, e.g. "应急集合点"
    pointer: str
    change: str  # "changed", "added" or "removed"
    old: str = ""  # the value in words (a coded one as 草稿（draft）), whole: diff_report shortens it
    new: str = ""


@dataclass
class ProseChange:
    """Consecutive sentences of a section replaced by others (either side may be empty)."""

    removed: list[str]
    added: list[str]


@dataclass
class SectionChange:
    title: str  # "应急响应 › 信息报告"
    change: str  # "added", "removed" or "changed"
    lines: int  # lines in the section (at head; at base when removed)
    added: int = 0
    removed: int = 0
    prose: list[ProseChange] = field(default_factory=list)  # of a changed section, in order


@dataclass
class DocumentDiff:
    kind: str
    id: str
    title: str
    path: str
    change: str  # "added", "removed", "renamed" or "modified"
    old_path: str = ""
    fields: list[FieldChange] = field(default_factory=list)
    sections: list[SectionChange] = field(default_factory=list)


@dataclass(frozen=True)
class Reason:
    """Why one school's bundle changes; diff_report puts it into words."""

    change: str  # school-added, school-removed, school-data, district-data, document-added, document-changed,
    #              document-removed, unfillable (a document cannot be filled: why says the error) or bundle (otherwise)
    kind: str = ""  # of the document (document-…)
    title: str = ""
    why: str = ""  # why the document applies (added, changed) or no longer does (removed; "" when it left the library)
    fields: tuple[str, ...] = ()  # school-data: the top-level labels of the school's changed fields


@dataclass
class SchoolImpact:
    id: str
    name: str
    reasons: list[Reason]


@dataclass
class SemanticDiff:
    base_ref: str
    base_sha: str
    head_label: str
    documents: list[DocumentDiff]
    schools: list[SchoolImpact]
    school_count: int  # schools at head, to say "all of them"

    def as_dict(self) -> dict:
        return asdict(self)


# ---- fields ---------------------------------------------------------------------------------

def _text(value) -> str:
    if value is _MISSING or value is None:
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, separators=("，", "：")).replace('"', "")
    else:
        text = str(value)
    return " ".join(text.split())


def _identity(*lists: list) -> str | None:
    """A key that names every item of each list once, to match items that moved."""
    for key in IDENTITY_KEYS:
        ok = True
        for items in lists:
            values = [item.get(key) if isinstance(item, dict) else None for item in items]
            ok = ok and all(isinstance(v, (str, int)) for v in values) and len(set(values)) == len(values)
        if ok:
            return key
    return None


def diff_fields(kind: str, old, new, words: Vocabulary | None = None) -> list[FieldChange]:
    """Leaf changes between two parsed documents, labelled from the kind's schema; coded values read
    as their label and code, e.g. 草稿（draft）."""
    words = words or vocabulary()
    found: list[FieldChange] = []

    def coded(path: tuple, value):
        labels = words.labels_at(path)
        return f"{labels.get(value, value)}（{value}）" if labels is not None and isinstance(value, str) else value

    def as_shown(path: tuple, value):
        """A value as shown; a whole added or removed item as its fields under their labels, in its order."""
        if not isinstance(value, dict) or not value:
            return coded(path, value)
        return "，".join(f"{field_labels(kind, path + (key,))[-1] or key} {_text(coded(path + (key,), v))}"
                        for key, v in value.items())

    def place(path: tuple, items: tuple) -> tuple[list[Step], str]:
        labels = field_labels(kind, path)
        steps: list[Step] = []
        for text, item in zip(labels, items):
            if item is None:
                if text:
                    steps.append(Step(text))
            elif steps and not (steps[-1].item or steps[-1].number):  # a list item: named after its list
                steps[-1] = replace(steps[-1], **item)
            elif steps:
                steps.append(Step("", **item))
        return steps, labels[0] if labels else ""

    def walk(a, b, path: tuple, items: tuple):
        pointer = "".join(f"/{p}" for p in path)
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(b) + [k for k in a if k not in b]:
                walk(a.get(key, _MISSING), b.get(key, _MISSING), path + (key,), items + (None,))
            return
        if isinstance(a, list) and isinstance(b, list) and any(isinstance(i, dict) for i in a + b):
            key = _identity(a, b)
            if key:
                olds = {item[key]: item for item in a}
                for index, item in enumerate(b):
                    walk(olds.pop(item[key], _MISSING), item, path + (index,), items + ({"item": str(item[key])},))
                for ident, item in olds.items():
                    walk(item, _MISSING, path + (a.index(item),), items + ({"item": str(ident)},))
            else:
                for index in range(max(len(a), len(b))):
                    walk(a[index] if index < len(a) else _MISSING, b[index] if index < len(b) else _MISSING,
                         path + (index,), items + ({"number": index + 1},))
            return
        if a == b:
            return
        change = "added" if a is _MISSING else "removed" if b is _MISSING else "changed"
        a, b = (v if v is _MISSING else as_shown(path, v) for v in (a, b))
        found.append(FieldChange(*place(path, items), pointer, change,
                                 "" if change == "added" else _text(a), "" if change == "removed" else _text(b)))

    walk(old, new, (), ())
    return found


# ---- sections -------------------------------------------------------------------------------

def _sections(doc: Document | None) -> dict[str, list[str]]:
    """'Parent › Child' → the section's own lines; text before the first heading is '（开头）'."""
    if doc is None or not doc.body.strip():
        return {}
    lines = doc.body.split("\n")
    found: dict[str, list[str]] = {}
    first = (doc.sections[0].line - doc.body_line) if doc.sections else len(lines)
    lead = [line for line in lines[:first] if line.strip()]
    if lead:
        found["（开头）"] = lead
    trail: list[tuple[int, str]] = []
    for section in doc.sections:
        while trail and trail[-1][0] >= section.level:
            trail.pop()
        trail.append((section.level, section.title))
        title = " › ".join(t for _, t in trail)
        key, count = title, 2
        while key in found:
            key, count = f"{title}（{count}）", count + 1
        found[key] = [line for line in section.text.split("\n") if line.strip()]
    return found


_SENTENCE = re.compile(r"[^。！？；\n]+[。！？；]*")


def sentences(lines: list[str]) -> list[str]:
    """Prose → sentences, split after 。！？； and at line ends."""
    return [s.strip() for s in _SENTENCE.findall("\n".join(lines)) if s.strip()]


def diff_sections(old: Document | None, new: Document | None) -> list[SectionChange]:
    before, after = _sections(old), _sections(new)
    found = []
    for title in list(after) + [t for t in before if t not in after]:
        if title not in before:
            found.append(SectionChange(title, "added", len(after[title]), added=len(after[title])))
        elif title not in after:
            found.append(SectionChange(title, "removed", len(before[title]), removed=len(before[title])))
        elif before[title] != after[title]:
            change = SectionChange(title, "changed", len(after[title]))
            lines = difflib.SequenceMatcher(a=before[title], b=after[title], autojunk=False)
            for op, i1, i2, j1, j2 in lines.get_opcodes():
                if op != "equal":
                    change.removed += i2 - i1
                    change.added += j2 - j1
            old_sentences, new_sentences = sentences(before[title]), sentences(after[title])
            prose = difflib.SequenceMatcher(a=old_sentences, b=new_sentences, autojunk=False)
            for op, i1, i2, j1, j2 in prose.get_opcodes():
                if op != "equal":
                    change.prose.append(ProseChange(old_sentences[i1:i2], new_sentences[j1:j2]))
            found.append(change)
    return found


def diff_document(old: Document | None, new: Document | None, words: Vocabulary | None = None) -> DocumentDiff:
    words = words or vocabulary()
    doc = new or old
    change = "added" if old is None else "removed" if new is None else "renamed" if old.path != new.path else "modified"
    return DocumentDiff(
        kind=doc.kind, id=doc.id, title=doc.title, path=doc.path, change=change,
        old_path=old.path if old and new and old.path != new.path else "",
        fields=diff_fields(doc.kind, old.data if old else {}, new.data if new else {}, words) if old and new else [],
        sections=diff_sections(old, new),
    )


# ---- schools --------------------------------------------------------------------------------

def _reachable(pairs, base: Library, head: Library) -> set[str]:
    """Schools whose view a changed file can change; the others' views are equal by construction."""
    ids = {s.id for s in base.schools} | {s.id for s in head.schools}
    reach: set[str] = set()
    for old, new in pairs:
        doc = new or old
        if doc.kind == "district":
            return ids
        if doc.kind == "school":
            reach.add(doc.id)
            if old:
                reach.add(old.id)
        elif doc.kind in WORKFLOW_KINDS and doc.kind != "note":
            for library, version in ((base, old), (head, new)):
                if version is None or version.data.get("status") != "approved":
                    continue
                reach |= {s.id for s in library.schools if applies_to_school(version, s)[0]}
    return reach


def school_reasons(base: Library, head: Library, old_school: Document, new_school: Document,
                   district_changed: bool, words: Vocabulary | None = None) -> list[Reason]:
    """Why one school's bundle changes; [] when it does not.

    A bundle (resolve.SchoolView) is the school's data, the district's, and the approved
    documents that apply, filled from those two. When either data changed, or other documents
    apply or apply for other reasons, the bundle differs and nothing needs filling. Otherwise
    every document fills from the same context on both sides, so only an edited document can
    fill differently, and only those are filled: the cost is the change's, not the library's.
    """
    words = words or vocabulary()
    fields = [] if old_school.source_sha == new_school.source_sha else \
        list(dict.fromkeys(c.field for c in diff_fields("school", old_school.data, new_school.data, words)))
    old_applied, _ = applicable(base, old_school)
    new_applied, not_applied = applicable(head, new_school)
    before = {(d.kind, d.id): (d, r) for d, r in old_applied}
    after = {(d.kind, d.id): (d, r) for d, r in new_applied}
    edited = [key for key, (doc, _) in after.items()
              if key in before and (doc.data, doc.body) != (before[key][0].data, before[key][0].body)]
    placed = [(key, r) for key, (_, r) in before.items()] != [(key, r) for key, (_, r) in after.items()]
    if not (fields or district_changed or placed):
        old_context, new_context = school_context(base, old_school), school_context(head, new_school)
        try:
            edited = [key for key in edited
                      if _shown(filled(before[key][0], old_context, "")) != _shown(filled(after[key][0], new_context, ""))]
        except PlaceholderError as error:
            return [Reason("unfillable", why=error.message)]
        if not edited:
            return []
    reasons = [Reason("school-data", fields=tuple(fields))] if fields else []
    if district_changed:
        reasons.append(Reason("district-data"))
    for key, (doc, reason) in after.items():
        if key not in before:
            reasons.append(Reason("document-added", doc.kind, doc.title, reason))
        elif key in edited:
            reasons.append(Reason("document-changed", doc.kind, doc.title, reason))
    for key, (doc, _) in before.items():
        if key not in after:
            why = next((r for d, r in not_applied if (d.kind, d.id) == key), "")
            reasons.append(Reason("document-removed", doc.kind, doc.title, why))
    return reasons or [Reason("bundle")]


def _shown(applied) -> tuple:
    return applied.data, applied.body


def affected_schools(pairs, base: Library, head: Library, words: Vocabulary | None = None) -> list[SchoolImpact]:
    words = words or vocabulary()
    found = []
    district_changed = (base.district.data if base.district else {}) != (head.district.data if head.district else {})
    for school_id in sorted(_reachable(pairs, base, head)):
        old_school, new_school = base.get("school", school_id), head.get("school", school_id)
        school = new_school or old_school
        name = str(school.data.get("name", school_id))
        if old_school is None:
            reasons = [Reason("school-added")]
        elif new_school is None:
            reasons = [Reason("school-removed")]
        else:
            reasons = school_reasons(base, head, old_school, new_school, district_changed, words)
        if reasons:
            found.append(SchoolImpact(school_id, name, reasons))
    return found


def semantic_diff(base: Library, head: Library, pairs, base_ref: str = "", base_sha: str = "",
                  head_label: str = "", words: Vocabulary | None = None) -> SemanticDiff:
    """The whole diff; coded values labelled from `words` (the schemas' by default)."""
    words = words or vocabulary()
    documents = [diff_document(old, new, words) for old, new in pairs]
    return SemanticDiff(base_ref, base_sha, head_label, documents, affected_schools(pairs, base, head, words),
                        len(head.schools))
