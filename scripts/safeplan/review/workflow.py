"""Base Library + head Library → workflow Problems: transitions, versions, approvers, dangling references.

Everything that decides the gate comes from the merge base: workflow.yaml, the severities
in safeplan.yaml, the owners and each document's owning school. A pull request's own
changes to them take effect once merged, and changing the gate's files needs the district
owners' approval on the host (`protected-file`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from safeplan.review import codeowners
from safeplan.review import history
from safeplan.checks import rules
from safeplan.review.approvals import UNVERIFIED, Review, approver_problems, protected_file_problems
from safeplan.review.compare import Pair, compare
from safeplan.review.records_gate import record_problems
from safeplan.content.model import REVIEWED, WORKFLOW_KINDS, Document, Library
from safeplan.checks.check_rules import RULES, allowed_severities  # noqa: F401  re-exported: workflow implements these rules
from safeplan.problems import ERROR, OFF, WARNING, Problem
from safeplan.resolve.views import applies_to_school
from safeplan.content.schemas import check_document, field_labels
from safeplan.content.vocabulary import vocabulary
from safeplan.dates import today

PSEUDO_STATES = {"new": "新建", "deleted": "删除"}
CONTENT_EXEMPT = ("id", "status", "version", "revisions")  # identity and bookkeeping have rules of their own
_VERSION = re.compile(r"^([0-9]+)\.([0-9]+)$")


@dataclass(frozen=True)
class Transition:
    id: str
    title: str
    sources: tuple[str, ...]
    target: str
    by: str
    requires: tuple[str, ...]


@dataclass
class Workflow:
    states: dict[str, dict]
    transitions: list[Transition]
    path: str = "workflow.yaml"

    def find(self, source: str, target: str) -> Transition | None:
        return next((t for t in self.transitions if source in t.sources and t.target == target), None)

    def label(self, state: str) -> str:
        title = PSEUDO_STATES.get(state) or (self.states.get(state) or {}).get("title") or vocabulary().status(state)
        return f"{title}（{state}）"

    def editable(self, state: str) -> bool:
        return bool((self.states.get(state) or {}).get("editable"))

    def allowed_from(self, source: str) -> str:
        options = [f"{t.title}（{t.id}）→ {self.label(t.target)}" for t in self.transitions if source in t.sources]
        return "；".join(options) if options else "没有（这是最终状态）"


def workflow_from(doc: Document) -> Workflow:
    transitions = []
    for item in doc.data["transitions"]:
        sources = item["from"] if isinstance(item["from"], list) else [item["from"]]
        transitions.append(Transition(item["id"], item["title"], tuple(sources), item["to"], item["by"],
                                      tuple(item.get("requires") or ())))
    return Workflow(doc.data["states"], transitions, doc.path)


def rules_in_force(base: Library, head: Library) -> tuple[Workflow | None, list[Problem]]:
    """The base's workflow.yaml, or the head's when the base has none yet."""
    for library in (base, head):
        found = library.of_kind("workflow")
        if found:
            problems = check_document(found[0])
            if problems:
                return None, [replace(p, rule="workflow-file") for p in problems]
            return workflow_from(found[0]), []
    return None, [Problem("workflow.yaml", 1, 1, ERROR, "workflow-file", "没有找到 workflow.yaml，无法检查状态转换。",
                          "在仓库根目录放一份 workflow.yaml（参照 schemas/examples/workflow/valid/）。")]


def version_key(text) -> tuple[int, int] | None:
    match = _VERSION.match(text) if isinstance(text, str) else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def next_version(text: str) -> str:
    key = version_key(text)
    return f"{key[0]}.{key[1] + 1}" if key else "1.1"


def content_of(doc: Document) -> str:
    """What a reader sees: every field except workflow bookkeeping, and the body without trailing spaces."""
    data = {k: v for k, v in doc.data.items() if k not in CONTENT_EXEMPT}
    body = "\n".join(line.rstrip() for line in doc.body.strip().split("\n"))
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str) + "\n" + body


def changed_places(old: Document, new: Document) -> str:
    """A short Chinese list of what changed: field names and 正文."""
    keys = [field_labels(new.kind, (k,))[0] for k in sorted(set(old.data) | set(new.data))
            if k not in CONTENT_EXEMPT and old.data.get(k) != new.data.get(k)]
    if content_of(replace(old, data={}, positions={})) != content_of(replace(new, data={}, positions={})):
        keys.append("正文")
    return "、".join(keys) or "内容"


def _at(doc: Document, pointer: str, rule: str, message: str, hint: str = "") -> Problem:
    line, column = doc.position(pointer)
    return Problem(doc.path, line, column, ERROR, rule, message, hint)


def owners_at_base(base: Library, old: Document | None) -> tuple[dict[str, dict], str, str]:
    """(owners, where they are listed, whose) for a document: its school's at base, else the district's.

    The owning school is the one the document had at base; a document or school that is new
    in the change is the district's to approve.
    """
    owners = base.owners(old)
    scope = f"学校 {owners.source.id}" if owners.source is not None and owners.source.kind == "school" else "区局"
    where = f"合并基点上 {owners.source.path if owners.source else 'district.yaml'} 的 owners"
    return owners.people, where, scope


def check_pair(old: Document | None, new: Document | None, base: Library, head: Library, flow: Workflow,
               review: Review | None = None, renamed_schools: dict[str, str] | None = None) -> list[Problem]:
    """Every workflow rule for one document that differs between base and head."""
    review = review or Review.from_environment()
    source = old.data.get("status") if old else "new"
    target = new.data.get("status") if new else "deleted"
    if source not in flow.states and source != "new" or target not in flow.states and target != "deleted":
        return []  # an invalid status: the schema check of `safeplan validate` reports it
    doc = new or old
    name = f"{vocabulary().kind(doc.kind)}“{doc.title}”"
    problems: list[Problem] = []
    v0 = old.data.get("version") if old else None
    v1 = new.data.get("version") if new else None
    if new and version_key(v0) and version_key(v1) and version_key(v1) < version_key(v0):
        problems.append(_at(new, "/version", "version-backwards", f"版本号从 {v0} 倒退到了 {v1}。",
                            f"版本号只能升高：请改为高于 {v0} 的版本，例如 {next_version(v0)}。"))
    if old and new and source in ("approved", "retired"):
        problems += _revision_history(old, new)
    if old and new:
        problems += _school_change(old, new, name, renamed_schools or {})
    changed = old is None or new is None or content_of(old) != content_of(new)
    if old and new and is_review_only(old, new):  # reviewed unchanged: a later next_review, approved like amend
        return problems + _revision_record(new, v1, REVIEW_STEP) + approver_problems(
            old, new, *owners_at_base(base, old), REVIEW_STEP, review)
    if source == target and (not changed or flow.editable(source)):
        return problems
    if source == "retired" and target != "deleted":
        if target != "retired":
            problems.append(_at(new, "/status", "retired-revived",
                                f"{name}已经废止，不能恢复为{flow.label(target)}。",
                                "废止是最终状态。需要时请以新的编号（新文件名和 id）重新编制，从草稿开始走审核流程。"))
        else:
            problems.append(_at(new, "/status", "workflow-transition", f"{name}已经废止，内容不能再修改（改动：{changed_places(old, new)}）。",
                                "如需恢复这些内容，请以新的编号重新编制。"))
        return problems
    transition = flow.find(source, target)
    if transition is None:
        if new is None:
            problems.append(Problem(old.path, 1, 1, ERROR, "workflow-transition",
                                    f"{name}处于{flow.label(source)}状态，不能直接删除。",
                                    f"{flow.path} 中从{flow.label(source)}允许的转换：{flow.allowed_from(source)}。"
                                    "不再使用的现行文档请改为 retired（废止）并保留文件。"))
        elif source == target:
            problems.append(_at(new, "/status", "workflow-transition",
                                f"{name}处于{flow.label(source)}状态，内容不能直接修改（改动：{changed_places(old, new)}）。",
                                f"{flow.path} 中从{flow.label(source)}允许的转换：{flow.allowed_from(source)}。"))
        else:
            problems.append(_at(new, "/status", "workflow-transition",
                                f"不允许的状态转换：{flow.label(source)} → {flow.label(target)}。",
                                f"{flow.path} 中从{flow.label(source)}允许的转换：{flow.allowed_from(source)}。"))
        return problems
    step = f"{transition.title}（{transition.id}）"
    if "new_version" in transition.requires and old and new:
        if not (version_key(v0) and version_key(v1) and version_key(v1) > version_key(v0)):
            what = f"内容有修改（改动：{changed_places(old, new)}）" if changed else "状态改变"
            problems.append(_at(new, "/version", "version-bump",
                                f"{name}是现行文档，{what}，但版本号没有升高（原 {v0}，现 {v1}）。",
                                f"“{step}”要求升版：把 version 改为 \"{next_version(v0)}\"，并在 revisions 末尾加一条修订记录"
                                "（version、date、reason、summary）。"))
    if "revision_record" in transition.requires and new:
        problems += _revision_record(new, v1, step)
    if "approver" in transition.requires and new:
        problems += approver_problems(old, new, *owners_at_base(base, old), step, review)
    return problems


def _school_change(old: Document, new: Document, name: str, renamed_schools: dict[str, str]) -> list[Problem]:
    """The owning school decides who approves and which schools receive a document: it cannot move."""
    before, after = old.data.get("school"), new.data.get("school")
    if before == after or (before in renamed_schools and renamed_schools[before] == after):
        return []
    label = {None: "区级（全区通用）"}
    return [_at(new, "/school", "school-changed",
                f"{name}的所属学校（school）不能在合并请求中改变：原为“{label.get(before, before)}”，现为“{label.get(after, after)}”。",
                "所属学校决定由谁审批、哪些学校收到这份文档。请恢复原值；确需改为另一所学校（或区级）使用时，"
                "请以新的编号新建文档，从草稿开始走审核流程，并把原文档废止。")]


def _revision_history(old: Document, new: Document) -> list[Problem]:
    before, after = old.data.get("revisions") or [], new.data.get("revisions") or []
    for index, record in enumerate(before):
        if index >= len(after) or (after[index] != record and not _corrects_a_future_date(record, after[index])):
            pointer = f"/revisions/{index}" if index < len(after) else "/revisions"
            return [_at(new, pointer, "revision-history",
                        f"第 {index + 1} 条修订记录（{record.get('version') if isinstance(record, dict) else record} 版）被删除或改写了。",
                        "修订记录是历史，只能在末尾追加；请恢复原有记录，把新的内容写成新的一条。")]
    return []


def _corrects_a_future_date(record, corrected) -> bool:
    """A record dated after today is no history yet: its date alone may be corrected to a day that has come."""
    if not (isinstance(record, dict) and isinstance(corrected, dict)) \
            or {k: v for k, v in record.items() if k != "date"} != {k: v for k, v in corrected.items() if k != "date"}:
        return False
    was, now = (_day(r.get("date")) if isinstance(r.get("date"), str) else None for r in (record, corrected))
    return bool(was and now and was > today() >= now)


def _revision_record(new: Document, version, step: str) -> list[Problem]:
    records = new.data.get("revisions") or []
    last = records[-1] if records and isinstance(records[-1], dict) else None
    example = f"{{version: \"{version}\", date: \"YYYY-MM-DD\", reason: risk_change, summary: 修订了什么}}"
    if not last or last.get("version") != version:
        where = f"/revisions/{len(records) - 1}" if records else "/version"
        return [_at(new, where, "version-bump", f"缺少 {version} 版的修订记录：revisions 的最后一条应当对应当前版本 {version}。",
                    f"“{step}”要求修订记录，请在 revisions 末尾加一条：{example}")]
    pointer = f"/revisions/{len(records) - 1}"
    reasons = vocabulary().revision_reasons
    missing = [key for key in ("date", "reason", "summary") if not last.get(key)]
    if missing:
        return [_at(new, pointer, "version-bump", f"{version} 版的修订记录缺少 {'、'.join(missing)}。",
                    f"修订记录要写明日期、版本、原因和摘要，例如：{example}")]
    if last["reason"] not in reasons:
        return [_at(new, pointer + "/reason", "version-bump", f"修订原因“{last['reason']}”不在修订原因清单中。",
                    "可选：" + "、".join(f"{code}（{label}）" for code, label in reasons.items())
                    + "（见 notes/revision-triggers.md）。")]
    previous = [r.get("date") for r in records[:-1] if isinstance(r, dict) and isinstance(r.get("date"), str)]
    if previous and isinstance(last["date"], str) and _day(last["date"]) and _day(max(previous)) \
            and _day(last["date"]) < _day(max(previous)):
        return [_at(new, pointer + "/date", "version-bump", f"{version} 版修订记录的日期 {last['date']} 早于之前的记录（{max(previous)}）。",
                    "新的修订记录日期应不早于上一条。")]
    return []


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def dangling(base: Library, head: Library, pairs: list[Pair]) -> list[Problem]:
    """References, at head, to documents and schools that this change deleted or renamed."""
    problems = []
    for old, new in pairs:
        if old is None or not old.id or head.get(old.kind, old.id) is not None:
            continue
        how = "删除" if new is None else f"改名为“{new.id}”"
        for doc in head.documents:
            for kind, target, pointer in doc.references():
                if kind == old.kind and target == old.id:
                    problems.append(_at(doc, pointer, "dangling-after-delete",
                                        f"引用的{vocabulary().kind(kind)}“{target}”在本次修改中被{how}了。",
                                        "请同时更新这条引用（改为新的编号或删掉），或保留原文档并把它改为废止（retired）。"))
            if old.kind == "school" and doc.data.get("school") == old.id and doc.kind in WORKFLOW_KINDS:
                problems.append(_at(doc, "/school", "dangling-after-delete",
                                    f"所属学校“{old.id}”在本次修改中被{how}了。", "请同时修改或删除本校专用的文档。"))
    return problems


def check(base: Library, head: Library, pairs: list[Pair], review: Review | None = None,
          protected_files: list[str] = ()) -> list[Problem]:
    """Every workflow problem of a change, with the base's severities, sorted by place.

    `protected_files`: the gate's own files the change touches, as paths to report.
    """
    review = review or Review.from_environment()
    flow, problems = rules_in_force(base, head)
    renamed_schools = {old.id: new.id for old, new in pairs
                       if old and new and old.kind == "school" and old.id != new.id}
    if flow is not None:
        for old, new in pairs:
            if (new or old).kind in WORKFLOW_KINDS:
                problems += check_pair(old, new, base, head, flow, review, renamed_schools)
    problems += dangling(base, head, pairs)
    problems += record_problems(pairs)
    problems += retired_in_use(base, head, pairs)
    problems += codeowners.stale(head)
    problems += protected_file_problems(list(protected_files), base.owners().people, review)
    for config in head.of_kind("config"):  # unknown rule ids and forbidden severities, at their key
        problems += check_document(config)
    severities = rules.severities(base.config.get("rules"))
    problems = [replace(p, severity=WARNING if p.severity == UNVERIFIED and not review.ci
                        else severities.get(p.rule, ERROR)) for p in problems]
    return sorted(set(p for p in problems if p.severity != OFF))


def gate_files(root: Path, base_sha: str) -> list[str]:
    """The gate's own files (codeowners.PROTECTED_PATHS) changed since base_sha, as paths from the content root.

    Protected paths are relative to the repository top; a content root in a folder also holds
    its own safeplan.yaml and workflow.yaml, protected the same way.
    """
    prefix = history.content_prefix(root)
    found = set()
    for change in history.changes(root, base_sha, None, repository=True):
        for path in filter(None, (change.path, change.old_path)):
            inside = path.startswith(prefix)
            if codeowners.is_protected(path) or inside and codeowners.is_protected(path[len(prefix):]):
                found.add(path[len(prefix):] if inside else "../" * prefix.count("/") + path)
    return sorted(found)


def check_against(root: Path, base_ref: str, review: Review | None = None) -> tuple[list[Problem], int]:
    """The working tree against the merge base with base_ref: (problems, number of changed documents)."""
    comparison = compare(root, base_ref)
    unreadable = [p for p in comparison.problems if p.rule == "load"]
    found = check(comparison.base, comparison.head, comparison.pairs, review, gate_files(root, comparison.base_sha))
    return sorted(set(unreadable + found)), len(comparison.pairs)


REVIEW_STEP = "复审（reviewed）"
REVIEW_FIELDS = ("next_review", "approved_by")  # what a review may change besides appending its record


def is_review_only(old: Document, new: Document) -> bool:
    """An approved document reviewed unchanged: a later next_review, one appended `reviewed` record of its version,
    and perhaps a new approved_by (the owner who reviewed it); nothing else differs."""
    if not (old.data.get("status") == new.data.get("status") == "approved"):
        return False
    version = new.data.get("version")
    before, after = old.data.get("revisions") or [], new.data.get("revisions") or []
    if version != old.data.get("version") or len(after) != len(before) + 1 or after[:-1] != before:
        return False
    record = after[-1]
    if not isinstance(record, dict) or record.get("reason") != REVIEWED or record.get("version") != version:
        return False
    was, now = _day(str(old.data.get("next_review") or "")), _day(str(new.data.get("next_review") or ""))
    if not (was and now and now > was):
        return False
    # the reviewing owner may differ from the last approver; approved_by names who approved this review
    unreviewed = lambda doc: content_of(replace(doc, data={k: v for k, v in doc.data.items() if k not in REVIEW_FIELDS}))
    return unreviewed(old) == unreviewed(new)


def _names(items: list[str], limit: int = 20) -> str:
    shown = "、".join(items[:limit])
    return shown + (f" 等 {len(items)} 个" if len(items) > limit else "")


def retired_in_use(base: Library, head: Library, pairs: list[Pair]) -> list[Problem]:
    """Warnings for approved documents retired while approved documents cite them or schools receive them."""
    problems = []
    for old, new in pairs:
        if not (old and new and old.data.get("status") == "approved" and new.data.get("status") == "retired"):
            continue
        citing = [f"{doc.path}（{doc.title}）" for doc in head.documents
                  if doc.kind in WORKFLOW_KINDS and doc.data.get("status") == "approved"
                  and any(kind == new.kind and target == new.id for kind, target, _ in doc.references())]
        schools = [f"{s.title}（{s.id}）" for s in base.schools
                   if new.kind != "note" and applies_to_school(old, s)[0]]
        if not citing and not schools:
            continue
        uses = ([f"{len(citing)} 份现行文档引用它：{_names(citing)}"] if citing else []) + \
               ([f"{len(schools)} 所学校的汇编包含它：{_names(schools)}"] if schools else [])
        line, column = new.position("/status")
        problems.append(Problem(new.path, line, column, WARNING, "retire-in-use",
                                f"{vocabulary().kind(new.kind)}“{new.title}”被废止，但{'；'.join(uses)}。",
                                "废止后这些学校的汇编不再包含本文档：请确认已有替代文档；引用它的现行文档请一并修订"
                                "（删掉或改为替代文档的编号，升版并加修订记录）。"))
    return problems
