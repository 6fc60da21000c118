"""Two git versions → base and head Libraries, their documents paired across renames.

`safeplan check` and `safeplan diff` both compare a pull request with the commit it
branched from (the merge base of the base ref and HEAD), as a code host shows it:
changes that landed on the base branch meanwhile are not the pull request's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from safeplan.review import history
from safeplan.content.loader import load_files, load_library
from safeplan.content.model import KINDS, Document, Library
from safeplan.problems import Problem

LOCATIONS = tuple(location for location, _ in KINDS.values())

Pair = tuple[Document | None, Document | None]  # (at base, at head); None: added or deleted


@dataclass
class Comparison:
    base_ref: str
    base_sha: str  # the merge base of base_ref and the head
    head_ref: str  # "" for the working tree
    base: Library
    head: Library
    pairs: list[Pair]  # the documents that differ, sorted by path
    problems: list[Problem] = field(default_factory=list)  # files at head that could not be read

    @property
    def head_label(self) -> str:
        return self.head_ref or "工作区"


def compare(root: Path, base_ref: str, head_ref: str = "") -> Comparison:
    """Load both versions; raises history.HistoryError when the history needed is missing."""
    root = Path(root)
    base_sha = history.merge_base(root, base_ref, head_ref or "HEAD")
    if head_ref:
        head, problems = load_files(root, history.files_at(root, head_ref, LOCATIONS))
    else:
        head, problems = load_library(root)
    base = _load_reusing(root, history.files_at(root, base_sha, LOCATIONS), head)
    renamed = {c.path: c.old_path for c in history.changes(root, base_sha, head_ref or None) if c.status == "renamed"}
    unreadable = {renamed.get(p.path, p.path) for p in problems}
    # A file that exists but cannot be read at head is broken, not deleted: its problem says so.
    pairs = [(old, new) for old, new in pair_documents(base, head, renamed)
             if not (new is None and old.path in unreadable)]
    return Comparison(base_ref, base_sha, head_ref, base, head, pairs, problems)


def _load_reusing(root: Path, files: dict[str, bytes], known: Library) -> Library:
    """Load the base version, reusing head's parsed documents for files whose bytes did not change."""
    same = {(doc.path, doc.source_sha): doc for doc in known.documents}
    reused, parse = [], {}
    for path, raw in files.items():
        doc = same.get((path, hashlib.sha256(raw).hexdigest()))
        if doc is not None:
            reused.append(doc)
        else:
            parse[path] = raw
    parsed, _ = load_files(root, parse)
    return Library(root=Path(root), documents=sorted(reused + parsed.documents, key=lambda d: d.path))


def pair_documents(base: Library, head: Library, renamed: dict[str, str] | None = None) -> list[Pair]:
    """Documents that differ between two libraries, matched by path, git's renames, then kind and id."""
    renamed = renamed or {}
    base_by_path = {doc.path: doc for doc in base.documents}
    pairs: list[list] = []
    matched: set[str] = set()
    for doc in head.documents:
        old = base_by_path.get(renamed.get(doc.path, doc.path))
        if old is not None and old.kind == doc.kind and old.path not in matched:
            matched.add(old.path)
            pairs.append([old, doc])
        else:
            pairs.append([None, doc])
    # A file moved without git seeing a rename (e.g. a plain `mv`, untracked): same kind and id.
    unmatched = {(doc.kind, doc.id): doc for doc in base.documents if doc.path not in matched}
    for pair in pairs:
        if pair[0] is None and (pair[1].kind, pair[1].id) in unmatched:
            pair[0] = unmatched.pop((pair[1].kind, pair[1].id))
    pairs += [[doc, None] for doc in unmatched.values()]
    differ = [(old, new) for old, new in pairs
              if old is None or new is None or old.source_sha != new.source_sha or old.path != new.path]
    return sorted(differ, key=lambda pair: (pair[1] or pair[0]).path)
