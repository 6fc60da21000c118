"""A document + its git history → its versions (the commit and content of each), and a revert as new file text.

A version's content is what was approved under that number: the first commit on the
main line where the document is approved at that version, or, for a version that was
never approved, the last commit that carried it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from safeplan.review import history
from safeplan.content.loader import kind_of, parse_document
from safeplan.content.model import Document
from safeplan.problems import ContentError
from safeplan.review.workflow import CONTENT_EXEMPT, next_version, version_key


@dataclass(frozen=True)
class Version:
    number: str
    commit: history.Commit
    doc: Document
    raw: bytes


def versions(root: Path, doc: Document) -> dict[str, Version]:
    """Version number → that version, oldest first, from the main line's history of the document's file."""
    read = history.blob_reader(root)
    found: dict[str, Version] = {}
    approved: set[str] = set()
    for entry in reversed(history.main_line_versions(root, [doc.path])[doc.path]):
        raw = read(entry.blob)
        try:
            older = parse_document(entry.commit.path, kind_of(entry.commit.path) or doc.kind, raw)
        except ContentError:
            continue
        number = older.data.get("version")
        if not isinstance(number, str) or number in approved:
            continue
        found[number] = Version(number, entry.commit, older, raw)
        if older.data.get("status") == "approved":
            approved.add(number)
    return dict(sorted(found.items(), key=lambda item: version_key(item[0]) or (0, 0)))


def listed(found: dict[str, Version]) -> str:
    return "、".join(f"{v.number}（{v.commit.sha[:10]}，{v.commit.date}）" for v in found.values()) or "（没有已提交的版本）"


class RevertError(Exception):
    """A revert that cannot be written safely; the message says why (Chinese)."""


def revert_text(current: Document, current_raw: str, old: Version, day: str, why: str = "") -> str:
    """The old version's file with the current id, status and revisions, a new version, and one record of the revert."""
    number = next_version(current.data.get("version"))
    summary = f"恢复为 {old.number} 版内容" + (f"：{why}" if why else "。")
    record = {"version": number, "date": day, "reason": "other", "summary": summary}
    records = list(current.data.get("revisions") or []) + [record]
    old_text = old.raw.decode("utf-8").replace("\r\n", "\n")
    head, front, tail = _front(old_text, current.path)
    front = _set_line(front, "version", json.dumps(number))
    for key in ("id", "status"):  # identity and state stay as they are now (the file may have been renamed since)
        front = _set_line(front, key, str(current.data.get(key)))
    block = _block(current_raw, current.path, "revisions") or "revisions:\n"
    indent = re.findall(r"^( *)- ", block, re.M)
    line = (indent[-1] if indent else "  ") + "- {" + ", ".join(
        f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in record.items()) + "}\n"
    old_block = _block(old_text, current.path, "revisions")
    front = front.replace(old_block, block + line, 1) if old_block else front.rstrip("\n") + "\n" + block + line
    text = head + front + tail
    written = parse_document(current.path, current.kind, text.encode("utf-8"))
    kept = {k: v for k, v in old.doc.data.items() if k not in CONTENT_EXEMPT}
    if {k: v for k, v in written.data.items() if k not in CONTENT_EXEMPT} != kept or written.body != old.doc.body \
            or written.data.get("revisions") != records or written.data.get("version") != number \
            or any(written.data.get(key) != current.data.get(key) for key in ("id", "status")):
        raise RevertError(f"无法在保留原有格式的前提下写回 {old.number} 版内容（文件的 version、status 或 revisions 写法不常见）。")
    return text


def _front(text: str, path: str) -> tuple[str, str, str]:
    """(before, front matter or the whole YAML file, after): the part where the fields are."""
    if not path.endswith(".md"):
        return "", text, ""
    match = re.match(r"(---\n)(.*?\n)(---\n.*)\Z", text, re.S)
    if not match:
        raise RevertError("旧版本的文件没有 YAML 头部（--- 之间的字段）。")
    return match.group(1), match.group(2), match.group(3)


def _set_line(front: str, key: str, value: str) -> str:
    changed, count = re.subn(rf"^{key}:[^\n]*$", f"{key}: {value}", front, count=1, flags=re.M)
    if not count:
        raise RevertError(f"旧版本的文件里没有顶层字段 {key}。")
    return changed


def _block(text: str, path: str, key: str) -> str:
    """A top-level key with everything indented (or listed) under it, as written."""
    front = _front(text, path)[1]
    match = re.search(rf"^{key}:[^\n]*\n(?:(?:[ \t-][^\n]*|)\n)*", front, re.M)
    if not match:
        return ""
    block = match.group(0)
    while block.endswith("\n\n"):
        block = block[:-1]
    return block
