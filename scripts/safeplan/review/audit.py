"""Main line's git history → audit Problems: approved documents whose content changed after their version was approved."""

from __future__ import annotations

from pathlib import Path

from safeplan.review import history
from safeplan.review.compare import LOCATIONS
from safeplan.content.loader import kind_of, load_files, parse_document
from safeplan.content.model import WORKFLOW_KINDS, Document
from safeplan.problems import ContentError, ERROR, Problem
from safeplan.content.vocabulary import vocabulary
from safeplan.review.workflow import changed_places, content_of, is_review_only, next_version

RULE = "audit-silent-edit"


def audit(root: Path) -> tuple[list[Problem], int]:
    """(problems, number of approved documents audited) for HEAD of the repository holding root."""
    root = Path(root)
    head, _ = load_files(root, history.files_at(root, "HEAD", LOCATIONS))  # unreadable files: validate's job
    approved = [d for d in head.documents if d.kind in WORKFLOW_KINDS and d.data.get("status") == "approved"]
    logs = history.main_line_versions(root, [d.path for d in approved])
    read = history.blob_reader(root)
    parsed: dict[str, Document | None] = {}

    def at(version: history.FileVersion) -> Document | None:
        if version.blob not in parsed:
            kind = kind_of(version.commit.path)
            try:
                parsed[version.blob] = parse_document(version.commit.path, kind, read(version.blob)) if kind else None
            except ContentError:
                parsed[version.blob] = None
        return parsed[version.blob]

    problems = []
    for doc in approved:
        run = _current_version_run(doc, [(v, at(v)) for v in logs[doc.path]])
        problem = _silent_edits(doc, run)
        if problem:
            problems.append(problem)
    return sorted(problems), len(approved)


def _current_version_run(doc: Document, versions: list) -> list:
    """The newest commits (newest first) in which the document is approved at its current version with its record."""
    version = doc.data.get("version")
    run = []
    for entry in versions:
        found = entry[1]
        records = (found.data.get("revisions") or []) if found else []
        last = records[-1] if records and isinstance(records[-1], dict) else {}
        if not found or found.data.get("status") != "approved" or found.data.get("version") != version \
                or last.get("version") != version:
            break
        run.append(entry)
    return run


def _silent_edits(doc: Document, run: list) -> Problem | None:
    if len(run) < 2:
        return None
    introduced, approved = run[-1]
    expected, silent = approved, []
    oldest_first = run[::-1]
    for (_, older), (newer_version, newer) in zip(oldest_first, oldest_first[1:]):
        if content_of(older) == content_of(newer):
            continue
        if is_review_only(older, newer) and content_of(older) == content_of(expected):
            expected = newer  # reviewed unchanged: the new next_review is approved too
            continue
        silent.append(newer_version.commit)
    if not silent or content_of(expected) == content_of(doc):
        return None
    version = doc.data.get("version")
    commits = "、".join(f"{c.sha[:10]}（{c.date}，{c.message[:40]}）" for c in silent)
    line, column = doc.position("/version")
    return Problem(doc.path, line, column, ERROR, RULE,
                   f"{vocabulary().kind(doc.kind)}“{doc.title}”的 {version} 版由提交 {introduced.commit.sha[:10]}"
                   f"（{introduced.commit.date}）批准，之后没有升版就被修改了（改动：{changed_places(expected, doc)}）：{commits}。"
                   "现在发布的内容不是负责人批准的内容。",
                   f"请升版：把 version 改为 \"{next_version(version)}\"，并在 revisions 末尾加一条修订记录，"
                   "写明改了什么、为什么（version、date、reason、summary），再由负责人批准。")
