"""Git repository → file histories, content at a ref, changed paths: the only module that talks to git."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import git


class HistoryError(Exception):
    """Git history is missing or unusable; the message says what to run (Chinese)."""


@dataclass(frozen=True)
class Commit:
    sha: str
    date: str  # ISO date of the author date, UTC
    author: str
    message: str  # first line
    path: str  # the file's path in that commit (differs across renames)


def open_repo(root: Path) -> git.Repo | None:
    """The repository that holds root, or None when root is not in git (history is then empty)."""
    try:
        return git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def is_shallow(repo: git.Repo) -> bool:
    return (Path(repo.git_dir) / "shallow").exists()


def _relative(repo: git.Repo, root: Path, path: str) -> str:
    """A content path (relative to root) as a path relative to the repository top."""
    top = Path(repo.working_tree_dir).resolve()
    return (Path(root).resolve() / path).relative_to(top).as_posix()


def file_log(root: Path, path: str, repo: git.Repo | None = None) -> list[Commit]:
    """Commits that touched a content file, newest first, following renames."""
    repo = repo or open_repo(root)
    if repo is None or not repo.head.is_valid():
        return []
    rel = _relative(repo, root, path)
    try:
        out = repo.git.log("--follow", "--format=%x1e%H%x1f%aI%x1f%an%x1f%s", "--name-only", "--", rel)
    except git.GitCommandError:
        return []
    commits = []
    for record in out.split("\x1e"):
        if not record.strip():
            continue
        header, _, names = record.partition("\n")
        sha, when, author, subject = header.split("\x1f")
        name = next((n for n in names.strip().splitlines() if n), rel)
        day = datetime.fromisoformat(when).astimezone(timezone.utc).date().isoformat()
        commits.append(Commit(sha, day, author, subject, name))
    return commits


def recent_changes(root: Path, limit: int = 20, repo: git.Repo | None = None) -> list[tuple[Commit, list[str]]]:
    """The latest commits with the content paths (relative to root) each one changed."""
    repo = repo or open_repo(root)
    if repo is None or not repo.head.is_valid():
        return []
    top = Path(repo.working_tree_dir).resolve()
    prefix = Path(root).resolve().relative_to(top).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    found = []
    for commit in repo.iter_commits(max_count=limit * 3):
        paths = sorted(p[len(prefix):] for p in commit.stats.files if p.startswith(prefix))
        if not paths:
            continue
        day = commit.authored_datetime.astimezone(timezone.utc).date().isoformat()
        found.append((Commit(commit.hexsha, day, commit.author.name, commit.summary, paths[0]), paths))
        if len(found) >= limit:
            break
    return found


def head_commit(root: Path) -> str:
    """The short sha of HEAD, or '' outside git; marks bundles with their source."""
    repo = open_repo(root)
    if repo is None or not repo.head.is_valid():
        return ""
    return repo.head.commit.hexsha[:10]


def head_epoch(root: Path) -> int | None:
    """HEAD's commit time, the default build date when SOURCE_DATE_EPOCH is unset."""
    repo = open_repo(root)
    if repo is None or not repo.head.is_valid():
        return None
    return repo.head.commit.committed_date
