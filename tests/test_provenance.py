"""build.gather_provenance: one history call gives HEAD, each file's log, the recent content commits and
each bundle's source commit, from a real git repository."""

from __future__ import annotations

import os
import subprocess

from safeplan.build import gather_provenance
from safeplan.content.loader import load_library
from safeplan.resolve.views import resolve_all

GIT_ENV = {"GIT_AUTHOR_NAME": "测试", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "测试",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(tree, *args: str, day: int = 1) -> str:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": f"2026-09-{day:02d}T08:00:00+08:00",
           "GIT_COMMITTER_DATE": f"2026-09-{day:02d}T08:00:00+08:00"}
    return subprocess.run(["git", *args], cwd=tree, env=env, check=True, capture_output=True, text=True).stdout.strip()


def test_recent_changes_are_the_commits_that_touch_content_however_many_others_follow(tree, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    git(tree, "init", "-q", "-b", "main")
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", "首次导入")
    school = sorted((tree / "schools").glob("*.yaml"))[0]
    school.write_text(school.read_text(encoding="utf-8") + "# 改动\n", encoding="utf-8")
    git(tree, "commit", "-q", "-am", "改一所学校", day=2)
    edited = git(tree, "rev-parse", "HEAD")
    for n in range(70):  # more than the old "60 newest commits of any file, then filtered" saw
        (tree / "NOTES.txt").write_text(f"{n}\n", encoding="utf-8")
        git(tree, "add", "NOTES.txt")
        git(tree, "commit", "-q", "-m", f"杂项 {n}", day=3)

    library, _ = load_library(tree)
    views = resolve_all(library)
    provenance = gather_provenance(library, views)

    assert provenance.head == git(tree, "rev-parse", "HEAD")[:10]
    assert provenance.date == "2026-09-03" and provenance.dated_by == ""
    assert [commit.message for commit, _ in provenance.recent] == ["改一所学校", "首次导入"]
    assert provenance.recent[0][1] == (school.relative_to(tree).as_posix(),)
    assert set(provenance.recent[1][1]) == {doc.path for doc in library.documents}
    assert [c.message for c in provenance.logs[school.relative_to(tree).as_posix()]] == ["改一所学校", "首次导入"]
    # a bundle's source is the newest commit among its own inputs, not HEAD
    edited_school = next(view.id for view in views if view.school.path == school.relative_to(tree).as_posix())
    first = git(tree, "rev-list", "--max-parents=0", "HEAD")[:10]
    assert {view.id: provenance.sources[view.id].commit for view in views} == {
        view.id: edited[:10] if view.id == edited_school else first for view in views}
    assert provenance.sources[edited_school].date == "2026-09-02"


def test_outside_git_the_dates_come_from_the_content(tree, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    library, _ = load_library(tree)
    views = resolve_all(library)
    provenance = gather_provenance(library, views)
    assert (provenance.head, provenance.recent, provenance.date) == ("", (), library.latest_date())
    assert provenance.dated_by and all(not commits for commits in provenance.logs.values())
    assert {source.date for source in provenance.sources.values()} == {library.latest_date()}
