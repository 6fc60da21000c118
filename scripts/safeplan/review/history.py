"""Git repository → file histories, content at a ref, changed paths: the only module that talks to git."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import git

from safeplan.dates import epoch_date, fixed_epoch
from safeplan.problems import EnvironmentProblem, UsageError, printable


class HistoryError(UsageError):
    """Git history is missing or unusable; the message says what to run (Chinese)."""


class GitRefused(EnvironmentProblem):
    """Git refuses to read this repository (e.g. "dubious ownership"); the message has the command that fixes it."""


@dataclass(frozen=True)
class Commit:
    sha: str
    date: str  # ISO date of the author date, UTC
    author: str
    message: str  # first line
    path: str  # the file's path in that commit (differs across renames)


def open_repo(root: Path) -> git.Repo | None:
    """The repository that holds root, or None when root is not in git (history is then empty).

    GitPython reads .git by itself, so a repository git refuses to serve would silently give an
    empty history; asking git once makes that refusal an environment problem with the fix.
    """
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    _check_git_accepts(str(repo.working_tree_dir or repo.git_dir))
    return repo


@lru_cache(maxsize=None)
def _check_git_accepts(top: str) -> None:
    try:
        git.Git(top).rev_parse("--git-dir")
    except git.GitCommandError as error:
        stderr = str(error.stderr or "")
        if "dubious ownership" not in stderr and "safe.directory" not in stderr:
            return
        command = re.search(r"git config --global --add safe\.directory [^\n']+", stderr)
        fix = command.group(0).strip() if command else f"git config --global --add safe.directory {top}"
        raise GitRefused(
            f"git 拒绝读取仓库 {top}：仓库目录的所有者不是当前用户（git 的 “dubious ownership” 安全检查），"
            "因此读不到修订历史。\n"
            f"  提示：确认这个仓库可信后运行：{fix}\n"
            "  （或用仓库所有者的账户运行 safeplan；在容器和 CI 中常见于挂载进来的目录。）") from None


# Each commit is a NUL-led record of fixed lines; a subject or author name may hold any other
# character (\x1e, \x1f, escape codes), so no field is split on a character content can contain.
_LOG_FORMAT = "--format=%x00%H%n%aI%n%an%n%s"
def _records(out: str):
    """git log output in _LOG_FORMAT → (sha, day, author, subject, lines after the header)."""
    for record in out.split("\x00"):
        lines = record.split("\n")
        if len(lines) < 4 or not re.fullmatch(r"[0-9a-f]{40,64}", lines[0]):
            continue
        sha, when, author, subject = lines[:4]
        try:
            day = datetime.fromisoformat(when).astimezone(timezone.utc).date().isoformat()
        except (ValueError, OverflowError):
            day = when[:10]
        yield sha, day, printable(author), printable(subject), lines[4:]


def is_shallow(repo: git.Repo) -> bool:
    # Asking git also covers linked worktrees, whose `shallow` file lives in the common git dir.
    return repo.git.rev_parse("--is-shallow-repository") == "true"


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
        out = repo.git(c="core.quotepath=false").log("--follow", _LOG_FORMAT, "--name-only", "--", rel)
    except git.GitCommandError:
        return []
    commits = []
    for sha, day, author, subject, names in _records(out):
        name = next((n for n in names if n), rel)
        commits.append(Commit(sha, day, author, subject, name))
    return commits


def _log_with_changes(repo: git.Repo, *args: str):
    """(sha, day, author, subject, [(status, old path, new path)]) per commit, newest first, in one git call."""
    out = repo.git(c="core.quotepath=false").log(_LOG_FORMAT, "--name-status", "-M", *args)
    for sha, day, author, subject, body in _records(out):
        changes = []
        for line in body:
            parts = line.split("\t")
            if len(parts) >= 2:
                changes.append((parts[0][:1], parts[1], parts[-1]))
        yield sha, day, author, subject, changes


def file_logs(root: Path, paths: list[str], repo: git.Repo | None = None) -> dict[str, list[Commit]]:
    """file_log for many files in one pass over the history: follows renames the way --follow does."""
    repo = repo or open_repo(root)
    logs: dict[str, list[Commit]] = {path: [] for path in paths}
    if repo is None or not repo.head.is_valid():
        return logs
    tracked = {_relative(repo, root, path): path for path in paths}  # name at this point in history → content path
    for sha, day, author, subject, changes in _log_with_changes(repo):
        for status, old, new in changes:
            path = tracked.get(new)
            if path is None:
                continue
            logs[path].append(Commit(sha, day, author, subject, new))
            if status == "R":
                tracked[old] = tracked.pop(new)
            elif status == "A":
                tracked.pop(new)
    return logs


def recent_changes(root: Path, limit: int = 20, repo: git.Repo | None = None) -> list[tuple[Commit, list[str]]]:
    """The latest commits with the content paths (relative to root) each one changed."""
    repo = repo or open_repo(root)
    if repo is None or not repo.head.is_valid():
        return []
    top = Path(repo.working_tree_dir).resolve()
    prefix = Path(root).resolve().relative_to(top).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    found = []
    for sha, day, author, subject, changes in _log_with_changes(repo, f"--max-count={limit * 3}"):
        paths = sorted({new[len(prefix):] for _, _, new in changes if new.startswith(prefix)})
        if paths:
            found.append((Commit(sha, day, author, subject, paths[0]), paths))
        if len(found) >= limit:
            break
    return found


def content_changes(root: Path, pathspecs: list[str], limit: int = 20,
                    repo: git.Repo | None = None) -> list[tuple[Commit, list[str]]]:
    """The newest `limit` commits that touched these content paths (git's pathspec, so older content commits
    behind many tooling commits are still found), each with the content paths it changed."""
    repo = repo or open_repo(root)
    if repo is None or not repo.head.is_valid():
        return []
    top = Path(repo.working_tree_dir).resolve()
    prefix = Path(root).resolve().relative_to(top).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    found = []
    for sha, day, author, subject, changes in _log_with_changes(repo, f"--max-count={limit}", "--",
                                                                 *(prefix + spec for spec in pathspecs)):
        paths = sorted({new[len(prefix):] for _, _, new in changes if new.startswith(prefix)})
        if paths:
            found.append((Commit(sha, day, author, subject, paths[0]), paths))
    return found


def head_commit(root: Path) -> str:
    """The short sha of HEAD, or '' outside git; marks bundles with their source."""
    repo = open_repo(root)
    if repo is None or not repo.head.is_valid():
        return ""
    return repo.head.commit.hexsha[:10]


def last_commit(root: Path, paths: list[str], repo: git.Repo | None = None) -> tuple[str, int] | None:
    """(short sha, commit time) of the newest commit that touched any of these content paths."""
    repo = repo or open_repo(root)
    if repo is None or not repo.head.is_valid():
        return None
    rels = [_relative(repo, root, path) for path in paths]
    try:
        out = repo.git.log("-1", "--format=%H %ct", "--", *rels).strip()
    except git.GitCommandError:
        return None
    if not out:
        return None
    sha, when = out.split()
    return sha[:10], int(when)


def head_epoch(root: Path) -> int | None:
    """HEAD's commit time, the default build date when SOURCE_DATE_EPOCH is unset."""
    repo = open_repo(root)
    if repo is None or not repo.head.is_valid():
        return None
    return repo.head.commit.committed_date


# Comparisons between two versions (for `safeplan check` and `safeplan diff`). Unlike the
# functions above, which serve the site and degrade to "no history", these refuse to answer
# when history is missing: a wrong answer about what changed is worse than none.

@dataclass(frozen=True)
class Change:
    status: str  # "added", "modified", "deleted" or "renamed"
    path: str  # relative to the content root: the path at head (the old path when deleted)
    old_path: str = ""  # the path at base, for renamed, modified and deleted files


_STATUS = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "added", "T": "modified"}


def _repo_for_comparison(root: Path) -> git.Repo:
    repo = open_repo(root)
    if repo is None:
        raise HistoryError("内容目录不在 git 仓库中，无法与其他版本比较。\n"
                           "  提示：请在仓库的克隆中运行（git clone 之后 cd 进入仓库目录）。")
    if is_shallow(repo):
        raise HistoryError(
            "这是一个浅克隆（shallow clone），缺少比较所需的 git 历史；在这种情况下算出的改动可能是错的，所以没有继续。\n"
            "  提示：请先运行：git fetch --unshallow origin\n"
            "  在 GitHub Actions 中，请给 actions/checkout 加上 fetch-depth: 0。")
    return repo


def _prefix(repo: git.Repo, root: Path) -> str:
    """The content root as a path prefix inside the repository: '' or 'sub/dir/'."""
    rel = Path(root).resolve().relative_to(Path(repo.working_tree_dir).resolve()).as_posix()
    return "" if rel == "." else rel + "/"


def _fetch_command(repo: git.Repo, ref: str) -> str:
    remotes = [remote.name for remote in repo.remotes]
    head, _, rest = ref.partition("/")
    if rest and (head in remotes or head == "origin" and not remotes):
        return f"git fetch {head} {rest}"
    return f"git fetch {'origin' if 'origin' in remotes or not remotes else remotes[0]} {ref}"


def resolve_commit(root: Path, ref: str) -> str:
    """The full sha of a branch, tag or commit, or a HistoryError naming the fetch command."""
    repo = _repo_for_comparison(root)
    return _commit(repo, ref)


def _commit(repo: git.Repo, ref: str) -> str:
    try:
        return repo.git.rev_parse("--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except git.GitCommandError:
        pass
    hint = f"请先运行：{_fetch_command(repo, ref)}"
    if "/" not in ref and _exists(repo, f"refs/remotes/origin/{ref}"):
        hint = f"本地没有分支 {ref}，但有远程分支：请改用 origin/{ref}。"
    raise HistoryError(f"找不到 git 版本“{ref}”：本地没有这个分支、标签或提交。\n  提示：{hint}")


def _exists(repo: git.Repo, ref: str) -> bool:
    try:
        repo.git.rev_parse("--verify", "--quiet", ref)
        return True
    except git.GitCommandError:
        return False


def merge_base(root: Path, base: str, head: str = "HEAD") -> str:
    """The commit where head branched off base: what a pull request is compared with."""
    repo = _repo_for_comparison(root)
    base_sha, head_sha = _commit(repo, base), _commit(repo, head)
    try:
        return repo.git.merge_base(base_sha, head_sha).split()[0]
    except (git.GitCommandError, IndexError):
        raise HistoryError(f"“{base}”与“{head}”没有共同的 git 历史，无法比较。\n"
                           f"  提示：请确认分支名正确，并运行：{_fetch_command(repo, base)}") from None


def read_at(root: Path, ref: str, path: str) -> bytes | None:
    """The bytes of a content path at a ref, or None when the path does not exist there."""
    repo = _repo_for_comparison(root)
    tree = repo.commit(_commit(repo, ref)).tree
    try:
        item = tree / (_prefix(repo, root) + path)
    except KeyError:
        return None
    return item.data_stream.read() if item.type == "blob" else None


def files_at(root: Path, ref: str, locations: tuple[str, ...]) -> dict[str, bytes]:
    """Content path → bytes for every file at ref under the given files or folders."""
    repo = _repo_for_comparison(root)
    tree = repo.commit(_commit(repo, ref)).tree
    prefix = _prefix(repo, root)
    found: dict[str, bytes] = {}
    for location in locations:
        try:
            item = tree / (prefix + location)
        except KeyError:
            continue
        blobs = [item] if item.type == "blob" else [i for i in item.traverse() if i.type == "blob"]
        for blob in blobs:
            if blob.mode == 0o120000:  # a symlink: its blob is the link target, not content
                continue
            found[blob.path[len(prefix):]] = blob.data_stream.read()
    return dict(sorted(found.items()))


def changes(root: Path, base: str, head: str | None = None, repository: bool = False) -> list[Change]:
    """Files changed from base to head (None: the working tree, untracked files included), renames detected.

    Paths are relative to the content root, or with `repository` to the repository top, which
    then covers files outside the content root too (the gate's own files live there).
    """
    repo = _repo_for_comparison(root)
    prefix = "" if repository else _prefix(repo, root)
    revisions = [_commit(repo, base)] + ([_commit(repo, head)] if head else [])
    out = repo.git.diff("--name-status", "-z", "-M", "--no-ext-diff", "--no-color", *revisions, "--", prefix or ".")
    fields = out.split("\0")
    found: list[Change] = []
    index = 0
    while index < len(fields) and fields[index]:
        code = fields[index][0]
        if code in "RC":
            old, new = fields[index + 1], fields[index + 2]
            index += 3
        else:
            old = new = fields[index + 1]
            index += 2
        status = _STATUS.get(code, "modified")
        found.append(Change(status, new[len(prefix):], "" if status == "added" else old[len(prefix):]))
    if head is None:
        untracked = repo.git.ls_files("--others", "--exclude-standard", "-z", "--", prefix or ".")
        found += [Change("added", p[len(prefix):]) for p in untracked.split("\0") if p]
    return sorted(found, key=lambda c: (c.path, c.status))


def document_log(root: Path, path: str) -> list[Commit]:
    """Like file_log, but refuses a shallow clone, whose log would silently stop early."""
    return file_log(root, path, _repo_for_comparison(root))


def content_prefix(root: Path) -> str:
    """The content root's folder inside its repository: '' at the top (or outside git), else 'sub/'."""
    repo = open_repo(root)
    return _prefix(repo, root) if repo is not None else ""


# The main line, for `safeplan audit` and version look-ups: what landed on the branch, step by step.

@dataclass(frozen=True)
class FileVersion:
    commit: Commit
    blob: str  # the file's blob sha after this commit


def main_line_versions(root: Path, paths: list[str]) -> dict[str, list[FileVersion]]:
    """For each content path at HEAD: the commits on HEAD's first-parent line that changed it, newest first.

    One git call for all paths; a merge counts as one step (its change against the first
    parent), and renames are followed the way --follow does. Refuses a shallow clone.
    """
    repo = _repo_for_comparison(root)
    found: dict[str, list[FileVersion]] = {path: [] for path in paths}
    if not repo.head.is_valid():
        return found
    tracked = {_relative(repo, root, path): path for path in paths}  # name at this point in history → content path
    out = repo.git(c="core.quotepath=false").log(_LOG_FORMAT, "--first-parent", "--diff-merges=first-parent",
                                                 "--raw", "--no-abbrev", "-M")
    for sha, day, author, subject, body in _records(out):
        if not tracked:
            break
        for line in body:
            meta, _, names = line.partition("\t")
            fields, names = meta.split(), names.split("\t")
            if len(fields) < 5 or not fields[0].startswith(":"):
                continue
            status, old, new = fields[4][:1], names[0], names[-1]
            path = tracked.get(new)
            if path is None or status == "D":
                continue
            found[path].append(FileVersion(Commit(sha, day, author, subject, new), fields[3]))
            if status == "R":
                tracked[old] = tracked.pop(new)
            elif status == "A":
                tracked.pop(new)
    return found


def blob_reader(root: Path):
    """blob sha → bytes, through one repository's persistent object reader (no process per file)."""
    odb = _repo_for_comparison(root).odb
    return lambda blob: odb.stream(bytes.fromhex(blob)).read()


def dirty(root: Path, path: str) -> bool:
    """Whether a content file differs from HEAD in the working tree or the index, or is untracked."""
    repo = _repo_for_comparison(root)
    rel = _prefix(repo, root) + path
    return bool(repo.git.status("--porcelain", "--", rel).strip())


def build_epoch(root: Path) -> int:
    """Dates printed in outputs: SOURCE_DATE_EPOCH, else HEAD's commit time, never the clock."""
    epoch = fixed_epoch()
    return epoch if epoch is not None else head_epoch(root) or 0


def build_date(root: Path) -> str:
    return epoch_date(build_epoch(root))
