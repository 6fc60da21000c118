"""`safeplan audit` on real git repositories: approved content at HEAD is the content that was approved."""

from __future__ import annotations

import json
import time

import pytest

from conftest import REPO, edit, run_cli
from test_workflow import FIRE, bump, commit, git, line_of, quiet_git, repo  # noqa: F401  (fixtures)

SILENT = "先报 119，再报学校领导"


def audit(root):
    result = run_cli("audit", "--format", "json", cwd=root)
    assert result.stderr == ""
    return result.returncode, json.loads(result.stdout)["problems"]


def sha(root, ref="HEAD") -> str:
    return git(root, "rev-parse", ref)[:10]


def test_clean_history_passes(repo):
    result = run_cli("audit", cwd=repo)
    assert (result.returncode, result.stdout) == (0, "检查了 4 个文件，没有发现问题。\n")


def test_silent_edit_fails_naming_the_document_and_commits_then_bump_passes(repo):
    approved_at = sha(repo)
    edit(repo / FIRE, SILENT, "先报 119，立即再报学校领导")
    commit(repo, "火灾预案：悄悄改了报告顺序")
    first = sha(repo)
    (repo / "README.txt").write_text("与预案无关的提交\n", encoding="utf-8")
    commit(repo, "无关的提交")
    edit(repo / FIRE, "立即再报", "马上再报")
    commit(repo, "火灾预案：又改了一次")
    second = sha(repo)

    code, found = audit(repo)
    assert code == 1
    assert [(p["path"], p["line"], p["rule"]) for p in found] == [
        (FIRE, line_of(repo / FIRE, 'version: "1.0"'), "audit-silent-edit")]
    message = found[0]["message"]
    assert f"1.0 版由提交 {approved_at}" in message and "改动：正文" in message
    assert f"{first}（" in message and f"{second}（" in message and message.index(first) < message.index(second)
    assert "无关的提交" not in message
    assert "升版" in found[0]["hint"] and "修订记录" in found[0]["hint"]

    bump(repo / FIRE)
    commit(repo, "火灾预案升为 1.1 版")
    assert audit(repo) == (0, [])


def test_edit_undone_before_anyone_noticed_passes(repo):
    edit(repo / FIRE, SILENT, "先报 119，立即再报学校领导")
    commit(repo, "改")
    edit(repo / FIRE, "先报 119，立即再报学校领导", SILENT)
    commit(repo, "改回")
    assert audit(repo) == (0, [])


def test_rename_is_followed(repo):
    approved_at = sha(repo)
    git(repo, "mv", FIRE, "plans/school/special/fire-safety.md")
    edit(repo / "plans/school/special/fire-safety.md", "id: fire\n", "id: fire-safety\n")
    commit(repo, "火灾预案改名")
    moved = repo / "plans/school/special/fire-safety.md"
    edit(moved, SILENT, "先报 119，立即再报学校领导")
    commit(repo, "改名后悄悄修改")
    code, found = audit(repo)
    assert code == 1 and [p["path"] for p in found] == ["plans/school/special/fire-safety.md"]
    assert f"由提交 {approved_at}" in found[0]["message"] and sha(repo) in found[0]["message"]


def test_a_silent_edit_merged_from_a_branch_names_the_merge(repo):
    git(repo, "checkout", "-q", "main")
    git(repo, "checkout", "-q", "-b", "side")
    edit(repo / FIRE, SILENT, "先报 119，立即再报学校领导")
    commit(repo, "分支上的修改")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "合并 side", "side")
    code, found = audit(repo)
    assert code == 1 and f"{sha(repo)}（2026-09-01，合并 side）" in found[0]["message"]


def test_reviewed_unchanged_passes_but_not_with_a_content_change(repo):
    fire = repo / FIRE
    reviewed = '  - {version: "1.0", date: "2026-12-01", reason: reviewed, summary: 复审，内容未变。}'
    edit(fire, 'next_review: "2029-08-31"', 'next_review: "2029-11-30"')
    edit(fire, "首次编制。}\n", "首次编制。}\n" + reviewed + "\n")
    commit(repo, "复审")
    assert audit(repo) == (0, [])
    edit(fire, SILENT, "先报 119，立即再报学校领导")
    commit(repo, "复审之后悄悄修改")
    assert audit(repo)[0] == 1


def test_a_silent_edit_is_not_laundered_by_a_later_review_record(repo):
    fire = repo / FIRE
    edit(fire, SILENT, "先报 119，立即再报学校领导")
    commit(repo, "悄悄修改")
    edit(fire, 'next_review: "2029-08-31"', 'next_review: "2029-11-30"')
    edit(fire, "首次编制。}\n", "首次编制。}\n"
         '  - {version: "1.0", date: "2026-12-01", reason: reviewed, summary: 复审，内容未变。}\n')
    commit(repo, "复审")
    code, found = audit(repo)
    assert code == 1 and "悄悄修改" in found[0]["message"]


def test_audit_of_many_commits_is_fast(repo):
    for index in range(60):
        (repo / "README.txt").write_text(f"第 {index} 次\n", encoding="utf-8")
        commit(repo, f"无关的提交 {index}")
        if index % 10 == 0:
            edit(repo / FIRE, "## ", f"<!-- {index} -->\n\n## ")
            commit(repo, f"悄悄修改 {index}")
    started = time.perf_counter()
    code, found = audit(repo)
    assert code == 1 and found[0]["message"].count("悄悄修改") == 6
    assert time.perf_counter() - started < 10


def test_the_repositorys_own_main_line_passes_the_audit():
    if git(REPO, "rev-parse", "--is-shallow-repository") == "true":
        pytest.skip("a shallow clone has no history to audit (CI checks out with fetch-depth: 0)")
    result = run_cli("audit", cwd=REPO)
    assert (result.returncode, result.stderr) == (0, ""), result.stdout
