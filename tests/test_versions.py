"""Versions as Plone users expect them, on real git repositories: history --since, revert, reviewed, retire, overdue."""

from __future__ import annotations

import json

from conftest import edit, run_cli
from test_workflow import FIRE, bump, commit, git, line_of, problems, quiet_git, repo, set_status  # noqa: F401
from safeplan.content.loader import load_library

ORDER, CHANGED = "先报 119，再报学校领导", "先报 119，立即再报学校领导"
REVIEWED = '  - {version: "1.0", date: "2026-12-01", reason: reviewed, summary: 按期复审，内容未变。}'


def approved_check(root, base: str):
    """`safeplan check` as CI runs it: the district safety head approved on the host, someone else wrote it."""
    approvals = root.parent / "approvals.json"
    approvals.write_text('["@wj-safety-head"]', encoding="utf-8")
    return run_cli("check", "--base", base, "--approvals", str(approvals), "--author", "@zhou-editor", cwd=root)


def fire(root):
    library, _ = load_library(root)
    return library.get("plan", "fire")


def version_1_1(root) -> None:
    edit(root / FIRE, ORDER, CHANGED)
    bump(root / FIRE)
    commit(root, "火灾预案升为 1.1 版")


# ---- safeplan history ID --since VERSION ---------------------------------------------------------

def test_history_since_shows_the_reviewers_diff_of_that_document(repo):
    version_1_1(repo)
    edit(repo / FIRE, "立即再报", "马上再报")  # the working tree counts too
    result = run_cli("history", "fire", "--since", "1.0", cwd=repo)
    assert (result.returncode, result.stderr) == (0, "")
    assert "与 1.0 版（2026-09-01）" in result.stdout
    assert "修改应急预案“火灾事故专项应急预案”（plans/school/special/fire.md）" in result.stdout
    assert "版本号: 1.0 → 1.1" in result.stdout and "修改章节" in result.stdout
    data = json.loads(run_cli("history", "fire", "--since", "1.1", "--format", "json", cwd=repo).stdout)
    assert [d["id"] for d in data["documents"]] == ["fire"]
    assert not [f for f in data["documents"][0]["fields"] if f["pointer"] == "/version"]  # 1.1 → 1.1


def test_history_since_an_unknown_version_lists_the_versions(repo):
    version_1_1(repo)
    result = run_cli("history", "fire", "--since", "0.9", cwd=repo)
    assert result.returncode == 2 and result.stdout == ""
    assert "没有 0.9 版" in result.stderr and "1.0（" in result.stderr and "1.1（" in result.stderr


# ---- safeplan revert ID VERSION ---------------------------------------------------------------

def test_revert_writes_the_old_content_as_a_new_version_and_check_accepts_it(repo):
    original = fire(repo)
    version_1_1(repo)
    result = run_cli("revert", "fire", "1.0", "--reason", "演练表明原来的报告顺序更合适。", cwd=repo)
    assert (result.returncode, result.stderr) == (0, ""), result.stdout
    reverted = fire(repo)
    bookkeeping = ("version", "revisions", "status")
    assert {k: v for k, v in reverted.data.items() if k not in bookkeeping} == \
        {k: v for k, v in original.data.items() if k not in bookkeeping}
    assert reverted.body == original.body and ORDER in reverted.body
    assert reverted.data["version"] == "1.2" and reverted.data["status"] == "approved"
    records = reverted.data["revisions"]
    assert [r["version"] for r in records] == ["1.0", "1.1", "1.2"]  # history is kept, not rewritten
    assert records[-1] == {"version": "1.2", "date": "2026-12-01", "reason": "other",
                           "summary": "恢复为 1.0 版内容：演练表明原来的报告顺序更合适。"}
    assert not list((repo / FIRE).parent.glob(".*tmp*"))
    check = approved_check(repo, "HEAD")
    assert (check.returncode, check.stdout) == (0, "检查了 1 个文件，没有发现问题。\n")
    commit(repo, "恢复 1.0 版")
    assert approved_check(repo, "main").returncode == 0
    assert run_cli("audit", cwd=repo).returncode == 0


def test_revert_of_a_yaml_checklist(repo):
    path = repo / "checklists/fire-safety.yaml"
    edit(path, "frequency: weekly", "frequency: daily")
    bump(path, "1.0", "2.0")
    commit(repo, "清单 2.0 版：改为每日排查")
    result = run_cli("revert", "fire-safety", "1.0", cwd=repo)
    assert result.returncode == 0, result.stderr
    library, _ = load_library(repo)
    reverted = library.get("checklist", "fire-safety")
    assert reverted.data["frequency"] == "weekly" and reverted.data["version"] == "2.1"
    assert reverted.data["revisions"][-1]["summary"] == "恢复为 1.0 版内容。"
    assert [r["version"] for r in reverted.data["revisions"]] == ["1.0", "2.0", "2.1"]
    assert approved_check(repo, "HEAD").returncode == 0


def test_revert_across_a_rename_keeps_the_current_id_and_path(repo):
    version_1_1(repo)
    moved = "plans/school/special/fire-safety-plan.md"
    git(repo, "mv", FIRE, moved)
    edit(repo / moved, "id: fire\n", "id: fire-safety-plan\n")
    commit(repo, "改名")
    result = run_cli("revert", "fire-safety-plan", "1.0", cwd=repo)
    assert result.returncode == 0, result.stderr
    library, _ = load_library(repo)
    reverted = library.get("plan", "fire-safety-plan")
    assert reverted.path == moved and ORDER in reverted.body and reverted.data["version"] == "1.2"
    assert not (repo / FIRE).exists()
    assert moved not in run_cli("validate", cwd=repo).stdout  # id and file name still agree (others cite the old id)


def test_revert_refuses_uncommitted_changes_unknown_ids_and_versions(repo):
    version_1_1(repo)
    edit(repo / FIRE, "立即再报", "马上再报")
    dirty = (repo / FIRE).read_text(encoding="utf-8")
    result = run_cli("revert", "fire", "1.0", cwd=repo)
    assert result.returncode == 2 and "尚未提交的修改" in result.stderr and FIRE in result.stderr
    assert (repo / FIRE).read_text(encoding="utf-8") == dirty
    git(repo, "checkout", "--", FIRE)
    result = run_cli("revert", "fire", "0.7", cwd=repo)
    assert result.returncode == 2 and "没有 0.7 版" in result.stderr and "1.0（" in result.stderr
    assert run_cli("revert", "no-such-plan", "1.0", cwd=repo).returncode == 2
    assert run_cli("revert", "fire", "1.1", cwd=repo).returncode == 2  # already that version
    assert git(repo, "status", "--porcelain") == ""


# ---- a revision record of reason `reviewed` ----------------------------------------------------

def review(root, until: str = "2029-11-30", approver: str = "wj-safety-head") -> None:
    path = root / FIRE
    edit(path, 'next_review: "2029-08-31"', f'next_review: "{until}"')
    edit(path, "首次编制。}\n", "首次编制。}\n" + REVIEWED + "\n")
    edit(path, "approved_by: wj-safety-head", f"approved_by: {approver}")


def test_reviewed_unchanged_extends_next_review_without_a_new_version(repo):
    review(repo)
    commit(repo, "复审")
    assert problems(repo) == []
    result = run_cli("validate", cwd=repo)  # the review on 2026-12-01 restarts the 3-year period
    assert result.returncode == 0, result.stdout
    edit(repo / FIRE, 'next_review: "2029-11-30"', 'next_review: "2029-12-02"')
    result = run_cli("validate", cwd=repo)  # control: beyond 3 years of that review
    assert "error[review-interval]" in result.stdout and "最近一次复审（2026-12-01）后 3 年（2029-12-01）" in result.stdout


def test_reviewed_still_needs_an_owner(repo):
    review(repo, approver="someone-else")
    commit(repo, "复审")
    assert [rule for _, rule in problems(repo)] == ["approver"]


def test_reviewed_with_a_content_change_is_a_version_bump_error(repo):
    review(repo)
    edit(repo / FIRE, ORDER, CHANGED)
    commit(repo, "复审时顺便修改")
    assert "version-bump" in [rule for _, rule in problems(repo)]


def test_reviewed_cannot_move_next_review_earlier(repo):
    review(repo, until="2029-06-30")
    commit(repo, "复审")
    assert "version-bump" in [rule for _, rule in problems(repo)]


# ---- retiring a document in use ----------------------------------------------------------------

def test_retiring_a_document_in_use_warns_and_lists_its_users(repo):
    set_status(repo / FIRE, "approved", "retired")
    commit(repo, "废止火灾预案")
    result = run_cli("check", "--base", "main", "--format", "json", cwd=repo)
    found = [p for p in json.loads(result.stdout)["problems"] if p["rule"] == "retire-in-use"]
    assert result.returncode == 0 and len(found) == 1
    assert (found[0]["path"], found[0]["line"], found[0]["severity"]) == (FIRE, line_of(repo / FIRE, "status: retired"), "warning")
    message = found[0]["message"]
    assert "2 份现行文档引用它" in message and "checklists/fire-safety.yaml" in message and "drills/fire-drill.md" in message
    assert "2 所学校的汇编包含它" in message and "small-village-primary" in message


def test_retiring_a_document_nobody_uses_is_quiet(repo):
    path = repo / "notes/revision-triggers.md"
    set_status(path, "approved", "retired")
    commit(repo, "废止说明")
    assert "retire-in-use" not in [rule for _, rule in problems(repo)]
    set_status(repo / FIRE, "approved", "retired")  # control: the rule does fire in this repository
    commit(repo, "废止火灾预案")
    assert "retire-in-use" in [rule for _, rule in problems(repo)]


# ---- next_review in the past ----------------------------------------------------------------------

def test_a_past_next_review_is_a_located_warning(tree, monkeypatch):
    monkeypatch.setenv("SAFEPLAN_TODAY", "2029-08-31")  # the day itself is not overdue
    assert "review-overdue" not in run_cli("--root", str(tree), "validate").stdout
    monkeypatch.setenv("SAFEPLAN_TODAY", "2029-09-02")
    result = run_cli("--root", str(tree), "validate", "--format", "json")
    found = [p for p in json.loads(result.stdout)["problems"] if p["rule"] == "review-overdue"]
    assert result.returncode == 0
    assert sorted(p["path"] for p in found) == ["checklists/fire-safety.yaml", "drills/fire-drill.md",
                                                "notes/revision-triggers.md", FIRE]
    plan = next(p for p in found if p["path"] == FIRE)
    assert (plan["line"], plan["severity"]) == (line_of(tree / FIRE, 'next_review: "2029-08-31"'), "warning")
    assert "已过" in plan["message"] and "超期 2 天" in plan["message"] and "reviewed" in plan["hint"]
    assert run_cli("--root", str(tree), "validate", "--strict").returncode == 1


def test_a_malformed_today_is_a_usage_error(tree, monkeypatch):
    monkeypatch.setenv("SAFEPLAN_TODAY", "2029-13-01")
    result = run_cli("--root", str(tree), "validate")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "safeplan: 环境变量 SAFEPLAN_TODAY 应写成 YYYY-MM-DD，现在是“2029-13-01”。\n"
