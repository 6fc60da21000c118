"""Base Library + head Library → the reviewer's diff: fields under their Chinese labels, sections, affected schools.

A school's bundle changes exactly when its resolved view (resolve.resolve_school)
changes, so the affected schools are those whose view fingerprints differ; only
schools that a changed file can reach are resolved.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass, field

from .model import KIND_LABELS, STATUS_LABELS, WORKFLOW_KINDS, Document, Library
from .resolve import applies_to_school, resolve_school
from .schemas import field_labels
from .templating import PlaceholderError

IDENTITY_KEYS = ("id", "version", "role", "stage", "check", "building", "level", "at")
_MISSING = object()
MD_LIMIT = 60000  # a pull-request comment holds 65,536 characters


@dataclass
class FieldChange:
    label: str  # e.g. "应急集合点「playground-east」· 集合点名称与位置"
    pointer: str
    change: str  # "changed", "added" or "removed"
    old: str = ""
    new: str = ""


@dataclass
class SectionChange:
    title: str  # "应急响应 › 信息报告"
    change: str  # "added", "removed" or "changed"
    lines: int  # lines in the section (at head; at base when removed)
    added: int = 0
    removed: int = 0


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

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


@dataclass
class SchoolImpact:
    id: str
    name: str
    reasons: list[str]


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

def show(value) -> str:
    text = _text(value)
    return text if len(text) <= 120 else text[:117] + "…"


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


def focus(old: str, new: str, context: int = 12, limit: int = 60) -> tuple[str, str]:
    """Two long texts → the part that differs, with a little context on each side."""
    if len(old) <= limit and len(new) <= limit:
        return old, new
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    start = max(0, head - context)

    def cut(text: str) -> str:
        end = min(len(text), len(text) - tail + context)
        middle = text[start:end]
        if len(middle) > 2 * limit:
            middle = middle[:2 * limit] + "…"
        return ("…" if start else "") + middle + ("…" if end < len(text) else "")

    return cut(old), cut(new)


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


def diff_fields(kind: str, old, new) -> list[FieldChange]:
    """Leaf changes between two parsed documents, labelled from the kind's schema."""
    found: list[FieldChange] = []

    def label(path: tuple, names: tuple) -> str:
        labels = field_labels(kind, path)
        parts = []
        for text, name in zip(labels, names):
            if text == "" and parts:  # a list item: name it after the list
                parts[-1] += name
            elif text:
                parts.append(text)
        return " · ".join(parts)

    def walk(a, b, path: tuple, names: tuple):
        pointer = "".join(f"/{p}" for p in path)
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(b) + [k for k in a if k not in b]:
                walk(a.get(key, _MISSING), b.get(key, _MISSING), path + (key,), names + ("",))
            return
        if isinstance(a, list) and isinstance(b, list) and any(isinstance(i, dict) for i in a + b):
            key = _identity(a, b)
            if key:
                olds = {item[key]: item for item in a}
                for index, item in enumerate(b):
                    walk(olds.pop(item[key], _MISSING), item, path + (index,), names + (f"「{item[key]}」",))
                for ident, item in olds.items():
                    walk(item, _MISSING, path + (a.index(item),), names + (f"「{ident}」",))
            else:
                for index in range(max(len(a), len(b))):
                    walk(a[index] if index < len(a) else _MISSING, b[index] if index < len(b) else _MISSING,
                         path + (index,), names + (f"第 {index + 1} 项",))
            return
        if a == b:
            return
        change = "added" if a is _MISSING else "removed" if b is _MISSING else "changed"
        if path and path[-1] == "status":
            a, b = (f"{STATUS_LABELS.get(v, v)}（{v}）" if isinstance(v, str) else v for v in (a, b))
        shown_a, shown_b = focus(_text(a), _text(b)) if change == "changed" else (show(a), show(b))
        found.append(FieldChange(label(path, names), pointer, change,
                                 "" if change == "added" else shown_a, "" if change == "removed" else shown_b))

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


def diff_sections(old: Document | None, new: Document | None) -> list[SectionChange]:
    before, after = _sections(old), _sections(new)
    found = []
    for title in list(after) + [t for t in before if t not in after]:
        if title not in before:
            found.append(SectionChange(title, "added", len(after[title]), added=len(after[title])))
        elif title not in after:
            found.append(SectionChange(title, "removed", len(before[title]), removed=len(before[title])))
        elif before[title] != after[title]:
            added = removed = 0
            matcher = difflib.SequenceMatcher(a=before[title], b=after[title], autojunk=False)
            for op, i1, i2, j1, j2 in matcher.get_opcodes():
                if op != "equal":
                    removed += i2 - i1
                    added += j2 - j1
            found.append(SectionChange(title, "changed", len(after[title]), added, removed))
    return found


def diff_document(old: Document | None, new: Document | None) -> DocumentDiff:
    doc = new or old
    change = "added" if old is None else "removed" if new is None else "renamed" if old.path != new.path else "modified"
    return DocumentDiff(
        kind=doc.kind, id=doc.id, title=doc.title, path=doc.path, change=change,
        old_path=old.path if old and new and old.path != new.path else "",
        fields=diff_fields(doc.kind, old.data if old else {}, new.data if new else {}) if old and new else [],
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


def _view(library: Library, school: Document | None):
    if school is None:
        return None
    try:
        return resolve_school(library, school)
    except PlaceholderError as error:
        return error


def _school_reasons(old_view, new_view, old_school: Document, new_school: Document) -> list[str]:
    reasons = []
    fields = diff_fields("school", old_school.data, new_school.data)
    if fields:
        names = []
        for change in fields:
            name = change.label.split(" · ")[0].split("「")[0].split("第 ")[0]
            if name not in names:
                names.append(name)
        reasons.append("学校信息修改：" + "、".join(names))
    if old_view.district != new_view.district:
        reasons.append("区教育局信息修改")
    before = {(a.kind, a.id): a for a in old_view.documents}
    after = {(a.kind, a.id): a for a in new_view.documents}
    for key, item in after.items():
        label = f"{KIND_LABELS.get(item.kind, item.kind)}“{item.title}”"
        if key not in before:
            reasons.append(f"新增{label}（{item.reason}）")
        elif before[key].doc.source_sha != item.doc.source_sha:  # the document itself, not its filling
            reasons.append(f"{label}修改（{item.reason}）")
    for key, item in before.items():
        if key not in after:
            why = next((r for d, r in new_view.not_applied if (d.kind, d.id) == key), "已不是现行文档或已删除")
            reasons.append(f"移除{KIND_LABELS.get(item.kind, item.kind)}“{item.title}”（{why}）")
    if not reasons and old_view.calendar != new_view.calendar:
        reasons.append("演练日历变化")
    return reasons or ["汇编内容变化"]


def _narrowed(library: Library, changed: set[str], drills: bool) -> Library:
    """The district and the changed documents, plus every drill when one changed (they share a calendar).

    When neither a school nor the district changed, the documents that did not change fill
    the same way at base and head, so this smaller library's views differ exactly when the
    full views do; resolving it costs one document per change instead of the whole library.
    """
    keep = [doc for doc in library.documents
            if doc.kind == "district" or doc.path in changed or drills and doc.kind == "drill"]
    return Library(root=library.root, documents=keep)


def affected_schools(pairs, base: Library, head: Library) -> list[SchoolImpact]:
    found = []
    changed_paths = {doc.path for pair in pairs for doc in pair if doc is not None}
    moved = any(old and new and old.path != new.path for old, new in pairs)
    whole = moved or any((new or old).kind == "district" for old, new in pairs)
    drills = any((new or old).kind == "drill" for old, new in pairs)
    narrow_base, narrow_head = _narrowed(base, changed_paths, drills), _narrowed(head, changed_paths, drills)
    for school_id in sorted(_reachable(pairs, base, head)):
        old_school, new_school = base.get("school", school_id), head.get("school", school_id)
        school = new_school or old_school
        name = str(school.data.get("name", school_id))
        if old_school is None:
            found.append(SchoolImpact(school_id, name, ["新增学校：生成新的汇编"]))
            continue
        if new_school is None:
            found.append(SchoolImpact(school_id, name, ["删除学校：不再生成汇编"]))
            continue
        if whole or old_school.source_sha != new_school.source_sha:
            old_view, new_view = _view(base, old_school), _view(head, new_school)
        else:
            old_view, new_view = _view(narrow_base, old_school), _view(narrow_head, new_school)
        if isinstance(new_view, PlaceholderError) or isinstance(old_view, PlaceholderError):
            error = new_view if isinstance(new_view, PlaceholderError) else old_view
            found.append(SchoolImpact(school_id, name, [f"无法生成汇编：{error.message}（请先运行 safeplan validate）"]))
        elif old_view.fingerprint() != new_view.fingerprint():
            found.append(SchoolImpact(school_id, name, _school_reasons(old_view, new_view, old_school, new_school)))
    return found


def semantic_diff(base: Library, head: Library, pairs, base_ref: str = "", base_sha: str = "",
                  head_label: str = "") -> SemanticDiff:
    documents = [diff_document(old, new) for old, new in pairs]
    return SemanticDiff(base_ref, base_sha, head_label, documents, affected_schools(pairs, base, head), len(head.schools))


# ---- output ---------------------------------------------------------------------------------

CHANGE_LABELS = {"added": "新增", "removed": "删除", "renamed": "改名", "modified": "修改", "changed": "修改"}


def _grouped(schools: list[SchoolImpact]) -> list[tuple[tuple[str, ...], list[SchoolImpact]]]:
    groups: dict[tuple[str, ...], list[SchoolImpact]] = {}
    for school in schools:
        groups.setdefault(tuple(school.reasons), []).append(school)
    return list(groups.items())


def _section_line(section: SectionChange) -> str:
    if section.change == "changed":
        return f"修改章节“{section.title}”：+{section.added} −{section.removed} 行"
    return f"{CHANGE_LABELS[section.change]}章节“{section.title}”（{section.lines} 行）"


def _field_line(change: FieldChange) -> str:
    if change.change == "added":
        return f"{change.label}: 新增 {change.new}"
    if change.change == "removed":
        return f"{change.label}: 删除（原为 {change.old}）"
    return f"{change.label}: {change.old} → {change.new}"


def _heading(doc: DocumentDiff) -> str:
    where = f"{doc.old_path} → {doc.path}" if doc.old_path else doc.path
    title = f"“{doc.title}”" if doc.title else ""
    return f"{CHANGE_LABELS[doc.change]}{doc.kind_label}{title}（{where}）"


def _summary(diff: SemanticDiff) -> str:
    base = f"与 {diff.base_ref}（合并基点 {diff.base_sha[:10]}）比较" if diff.base_ref else "比较结果"
    head = f"，{diff.head_label}" if diff.head_label else ""
    schools = f"{len(diff.schools)} 所学校的汇编会变化" if diff.schools else "没有学校的汇编变化"
    return f"{base}{head}：{len(diff.documents)} 个文件有改动，{schools}。"


def as_text(diff: SemanticDiff) -> str:
    lines = [_summary(diff)]
    for doc in diff.documents:
        lines += ["", _heading(doc)]
        lines += [f"  {_field_line(c)}" for c in doc.fields]
        lines += [f"  {_section_line(s)}" for s in doc.sections]
    if diff.schools:
        lines += ["", f"受影响的学校（{len(diff.schools)} 所）："]
        for reasons, schools in _grouped(diff.schools):
            for school in schools:
                lines.append(f"  {school.id} {school.name}：{'；'.join(reasons)}")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def as_markdown(diff: SemanticDiff) -> str:
    lines = ["<!-- safeplan-diff -->", "## 预案库改动说明", "", _summary(diff)]
    for doc in diff.documents:
        lines += ["", f"### {_cell(_heading(doc))}"]
        if doc.fields:
            lines += ["", "| 字段 | 原来 | 现在 |", "|---|---|---|"]
            lines += [f"| {_cell(c.label)} | {_cell(c.old) or '—'} | {_cell(c.new) or '—'} |" for c in doc.fields]
        if doc.sections:
            lines += [""] + [f"- {_section_line(s)}" for s in doc.sections]
    if diff.schools:
        lines += ["", f"### 受影响的学校（{len(diff.schools)} 所，共 {diff.school_count} 所）", ""]
        for reasons, schools in _grouped(diff.schools):
            names = "、".join(f"{s.name}（`{s.id}`）" for s in schools)
            lines.append(f"- **{_cell('；'.join(reasons))}**")
            if len(schools) > 10:
                lines.append(f"  <details><summary>{len(schools)} 所学校</summary>\n\n  {names}\n\n  </details>")
            else:
                lines.append(f"  {names}")
    text = "\n".join(lines) + "\n"
    if len(text) > MD_LIMIT:
        cut = text[:MD_LIMIT].rsplit("\n", 1)[0]
        text = cut + "\n\n……（内容过长，其余部分请运行 `safeplan diff` 查看）\n"
    return text


def as_json(diff: SemanticDiff) -> str:
    return json.dumps(diff.as_dict(), ensure_ascii=False, indent=2) + "\n"


def render(diff: SemanticDiff, fmt: str) -> str:
    return {"md": as_markdown, "json": as_json}.get(fmt, as_text)(diff)
