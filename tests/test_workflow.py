"""The review workflow on real git repositories: check, diff, history, codeowners, CI files.

Every test builds a repository in a temp dir from the minimal library (tests/fixtures/mini)
plus the repository's own workflow.yaml, commits it on `main`, and works on a branch.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import MINI, REPO, edit, run_cli
from safeplan.review import codeowners
from safeplan.review.approvals import Review, normalize
from safeplan.content.loader import kind_of, load_library
from safeplan.content.model import KINDS, RECORD_FOLDERS
from safeplan.content.schemas import SCHEMA_FILES, check_document
from safeplan.review.workflow import check_against

FIRE = "plans/school/special/fire.md"
VILLAGE = "schools/small-village-primary.yaml"


@pytest.fixture(autouse=True)
def quiet_git(monkeypatch):
    """Fixed identities and dates, and no user or system git configuration."""
    for key, value in {
        "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "周样例", "GIT_AUTHOR_EMAIL": "zhou@example.invalid",
        "GIT_COMMITTER_NAME": "周样例", "GIT_COMMITTER_EMAIL": "zhou@example.invalid",
        "GIT_AUTHOR_DATE": "2026-09-01T08:00:00+08:00", "GIT_COMMITTER_DATE": "2026-09-01T08:00:00+08:00",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CI", raising=False)


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: the minimal library, workflow.yaml and a fresh CODEOWNERS; checked out: branch `change`."""
    root = tmp_path / "repo"
    shutil.copytree(MINI, root)
    shutil.copy(REPO / "workflow.yaml", root / "workflow.yaml")
    git(root, "init", "-q", "-b", "main")
    codeowners.write(load_library(root)[0])
    commit(root, "初始内容")
    git(root, "checkout", "-q", "-b", "change")
    return root


def on_main(root: Path, message: str, change) -> None:
    """Commit a change on main and bring the branch up to it, as if it had always been there."""
    git(root, "checkout", "-q", "main")
    change()
    commit(root, message)
    git(root, "checkout", "-q", "change")
    git(root, "merge", "-q", "--ff-only", "main")


def host(*handles: str, author: str = "zhou-editor", ci: bool = False) -> Review:
    """What the code host reports: who approved the pull request on it, and who wrote it."""
    return Review(frozenset(normalize(h) for h in handles), normalize(author), ci)


# Tests of other rules run as CI does, with the district's safety head approving on the host;
# tests/test_gate.py covers the approvals themselves.
HEAD_APPROVED = host("wj-safety-head")


def problems(root: Path, review: Review = HEAD_APPROVED) -> list[tuple[str, str]]:
    found, _ = check_against(root, "main", review)
    return [(f"{p.path}:{p.line}:{p.column}", p.rule) for p in found]


def rules(root: Path, review: Review = HEAD_APPROVED) -> list[str]:
    return [rule for _, rule in problems(root, review)]


def line_of(path: Path, text: str) -> int:
    return path.read_text(encoding="utf-8").split("\n").index(text) + 1


def bump(path: Path, old: str = "1.0", new: str = "1.1", reason: str = "risk_change",
         day: str = "2026-10-08", summary: str = "根据演练发现的问题调整报告顺序。") -> None:
    """Raise the version and append the matching revision record."""
    edit(path, f'\nversion: "{old}"\n', f'\nversion: "{new}"\n')
    lines = path.read_text(encoding="utf-8").split("\n")
    last = max(i for i, line in enumerate(lines) if line.lstrip().startswith("- {version:"))
    lines.insert(last + 1, f'  - {{version: "{new}", date: "{day}", reason: {reason}, summary: {summary}}}')
    path.write_text("\n".join(lines), encoding="utf-8")


def note(root: Path, doc_id: str, status: str, version: str = "1.0", extra: str = "", body: str = "本说明用于测试审核流程。") -> Path:
    approved = ('approved_by: wj-safety-head\nissued_on: "2026-09-01"\nnext_review: "2029-08-31"\n'
                f'revisions:\n  - {{version: "{version}", date: "2026-09-01", reason: other, summary: 首次发布。}}\n'
                if status in ("approved", "retired") else "")
    path = root / "notes" / f"{doc_id}.md"
    path.write_text(f"---\nid: {doc_id}\ntitle: 测试说明文档\nstatus: {status}\nversion: \"{version}\"\n{approved}{extra}---\n\n"
                    f"## 说明\n\n{body}\n", encoding="utf-8")
    return path


def school_note(root: Path, status: str) -> None:
    """A document of the village school's own, with CODEOWNERS regenerated to name its owners."""
    note(root, "village-note", status, extra="school: small-village-primary\n")
    codeowners.write(load_library(root)[0])


def set_status(path: Path, old: str, new: str) -> None:
    edit(path, f"\nstatus: {old}\n", f"\nstatus: {new}\n")


# ---- acceptance: an approved plan changes only through a new version --------------------------

def test_body_edit_of_approved_plan_fails_naming_the_file_then_bump_and_record_pass(repo, tmp_path):
    fire = repo / FIRE
    edit(fire, "先报 119，再报学校领导", "先报 119，立即再报学校领导")
    commit(repo, "火灾预案：调整报告顺序")
    approvals = tmp_path / "approvals.json"
    approvals.write_text('["@wj-safety-head"]', encoding="utf-8")
    host_says = ("--approvals", str(approvals), "--author", "@zhou-editor")
    result = run_cli("check", "--base", "main", *host_says, cwd=repo)
    line = line_of(fire, 'version: "1.0"')
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout == (
        f"{FIRE}:{line}:1: error[version-bump]: 应急预案“火灾事故专项应急预案”是现行文档，内容有修改（改动：正文），"
        "但版本号没有升高（原 1.0，现 1.0）。\n"
        "  提示：“修订发布（amend）”要求升版：把 version 改为 \"1.1\"，并在 revisions 末尾加一条修订记录"
        "（version、date、reason、summary）。\n"
        "检查了 1 个文件：1 个错误，0 个警告。\n"
    )
    bump(fire)
    commit(repo, "火灾预案升为 1.1 版")
    result = run_cli("check", "--base", "main", *host_says, cwd=repo)
    assert (result.returncode, result.stdout, result.stderr) == (0, "检查了 1 个文件，没有发现问题。\n", "")


def test_check_json_format(repo):
    edit(repo / FIRE, "先报 119", "先报 110 和 119")
    result = run_cli("check", "--base", "main", "--format", "json", cwd=repo)
    payload = json.loads(result.stdout)
    assert result.returncode == 1
    assert (payload["files"], payload["errors"]) == (1, 1)
    assert payload["problems"][0]["rule"] == "version-bump" and payload["problems"][0]["path"] == FIRE


def test_field_edit_counts_as_content(repo):
    edit(repo / FIRE, "next_review: \"2029-08-31\"", "next_review: \"2029-06-30\"")
    assert rules(repo) == ["version-bump"]


def test_moving_an_approved_file_without_changes_is_not_an_edit(repo):
    git(repo, "mv", FIRE, "plans/school/fire.md")
    commit(repo, "移动文件")
    assert problems(repo) == []


@pytest.mark.parametrize("record,expected", [
    (None, ["version-bump"]),  # bumped, but no record for 1.1
    ({"reason": "whim"}, ["version-bump"]),  # a reason not on the revision-trigger list
    ({"day": "2026-08-01"}, ["version-bump"]),  # dated before the previous record
    ({}, []),
])
def test_new_version_needs_a_complete_revision_record(repo, record, expected):
    fire = repo / FIRE
    edit(fire, "先报 119", "先报 110 和 119")
    if record is None:
        edit(fire, '\nversion: "1.0"\n', '\nversion: "1.1"\n')
    else:
        bump(fire, **record)
    assert rules(repo) == expected


def test_rewriting_an_old_revision_record_fails(repo):
    fire = repo / FIRE
    edit(fire, "首次编制。}", "首次编制（已改写）。}")
    edit(fire, "先报 119", "先报 110 和 119")
    bump(fire)
    assert rules(repo) == ["revision-history"]


@pytest.mark.parametrize("today, corrected, summary, expected", [
    ("2026-12-02", "2026-11-29", "首次编制。", []),  # a day to come, corrected to the day it really was
    ("2026-12-02", "2026-11-29", "首次编制（已改写）。", ["revision-history"]),  # the date only, nothing else
    ("2026-12-02", "2026-12-10", "首次编制。", ["revision-history", "version-bump"]),  # still to come, after 1.1
    ("2026-12-20", "2026-11-29", "首次编制。", ["revision-history"]),  # control: once the day has come it is history
])
def test_only_a_revision_record_dated_in_the_future_may_have_its_date_corrected(repo, monkeypatch, today, corrected,
                                                                              summary, expected):
    fire = repo / FIRE
    git(repo, "checkout", "-q", "main")
    edit(fire, 'date: "2026-09-01"', 'date: "2026-12-15"')
    edit(fire, 'issued_on: "2026-09-01"', 'issued_on: "2026-12-15"')
    commit(repo, "火灾预案的记录写了将来的日期")
    git(repo, "checkout", "-q", "change")
    git(repo, "merge", "-q", "--ff-only", "main")
    monkeypatch.setenv("SAFEPLAN_TODAY", today)
    edit(fire, 'date: "2026-12-15"', f'date: "{corrected}"')
    edit(fire, "首次编制。}", summary + "}")
    edit(fire, 'issued_on: "2026-12-15"', 'issued_on: "2026-12-02"')
    bump(fire, day="2026-12-02", reason="other", summary="更正日期。")
    assert rules(repo) == expected


# ---- transitions -------------------------------------------------------------------------------

@pytest.mark.parametrize("base,head,edits,expected", [
    ("draft", "review", {}, []),
    ("draft", "approved", {}, ["workflow-transition"]),
    ("draft", "draft", {"body": True}, []),
    ("review", "draft", {}, []),
    ("review", "approved", {"record": True}, []),
    ("review", "approved", {}, ["approver", "version-bump"]),  # approving needs an approver and a record
    ("approved", "retired", {}, []),
    ("approved", "draft", {}, ["workflow-transition"]),
    ("approved", "review", {}, ["version-bump"]),  # revising starts a new version
    ("approved", "review", {"bump": True}, []),
    ("approved", "approved", {"body": True}, ["version-bump"]),
    ("retired", "approved", {}, ["retired-revived"]),
    ("retired", "draft", {}, ["retired-revived"]),
    ("retired", "retired", {"body": True}, ["workflow-transition"]),
    ("retired", "retired", {}, []),
])
def test_status_changes(repo, base, head, edits, expected):
    on_main(repo, "新增说明文档", lambda: note(repo, "workflow-note", base))
    path = repo / "notes/workflow-note.md"
    if base != head:
        set_status(path, base, head)
    if edits.get("body"):
        edit(path, "本说明用于测试审核流程。", "本说明用于测试审核流程，已补充。")
    if edits.get("record"):
        edit(path, 'version: "1.0"\n', 'version: "1.0"\napproved_by: wj-safety-head\nissued_on: "2026-09-01"\n'
             'next_review: "2029-08-31"\nrevisions:\n  - {version: "1.0", date: "2026-09-01", reason: other, summary: 首次发布。}\n')
    if edits.get("bump"):
        bump(path)
    assert rules(repo) == expected


def test_transition_message_lists_what_is_allowed(repo):
    on_main(repo, "新增草稿", lambda: note(repo, "workflow-note", "draft"))
    set_status(repo / "notes/workflow-note.md", "draft", "approved")
    found, _ = check_against(repo, "main", HEAD_APPROVED)
    assert [(p.message, p.hint) for p in found] == [(
        "不允许的状态转换：草稿（draft） → 现行（approved）。",
        "workflow.yaml 中从草稿（draft）允许的转换：提交审核（submit）→ 待审（review）；删除未发布的文档（discard）→ 删除（deleted）。",
    )]


@pytest.mark.parametrize("status,expected", [
    ("draft", []), ("review", []), ("approved", ["workflow-transition"]), ("retired", ["workflow-transition"])])
def test_new_documents_start_as_draft_or_review(repo, status, expected):
    note(repo, "workflow-note", status)
    assert rules(repo) == expected  # untracked files in the working tree count


@pytest.mark.parametrize("status,expected", [
    ("draft", []), ("review", []), ("approved", ["workflow-transition"]), ("retired", ["workflow-transition"])])
def test_deleting_documents(repo, status, expected):
    on_main(repo, "新增说明文档", lambda: note(repo, "workflow-note", status))
    (repo / "notes/workflow-note.md").unlink()
    assert problems(repo) == [("notes/workflow-note.md:1:1", rule) for rule in expected]


def test_rules_in_force_are_the_bases(repo):
    # A pull request cannot loosen the workflow for itself: the base's workflow.yaml applies.
    on_main(repo, "新增草稿", lambda: note(repo, "workflow-note", "draft"))
    edit(repo / "workflow.yaml", "  - id: submit\n", "  - id: shortcut\n    title: 直接发布\n    from: draft\n"
         "    to: approved\n    by: anyone\n  - id: submit\n")
    set_status(repo / "notes/workflow-note.md", "draft", "approved")
    assert rules(repo) == ["workflow-transition"]


def test_broken_workflow_file_is_reported(repo):
    on_main(repo, "流程文件写错", lambda: edit(repo / "workflow.yaml", "    by: owners\n", "    by: principal\n"))
    edit(repo / FIRE, "先报 119", "先报 110 和 119")
    assert rules(repo) == ["workflow-file"]


# ---- versions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("head,expected", [("1.0", ["version-backwards"]), ("1.2", [])])
def test_version_never_goes_backwards(repo, head, expected):
    fire = repo / FIRE
    on_main(repo, "1.1 版", lambda: bump(fire))
    if head == "1.0":
        edit(fire, '\nversion: "1.1"\n', '\nversion: "1.0"\n')
    else:
        bump(fire, "1.1", "1.2", day="2026-11-02")
    found = problems(repo)
    assert [rule for _, rule in found] == expected
    if expected:
        line = line_of(fire, 'version: "1.0"')
        assert found[0][0] == f"{FIRE}:{line}:1"


# ---- approvers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("approver,expected", [
    ("wj-safety-deputy", []),  # a district owner approves a district-wide plan
    ("village-principal", ["approver"]),  # a school owner cannot
    ("nobody", ["approver"]),
])
def test_approver_of_a_district_document(repo, approver, expected):
    fire = repo / FIRE
    edit(fire, "先报 119", "先报 110 和 119")
    edit(fire, "approved_by: wj-safety-head", f"approved_by: {approver}")
    bump(fire)
    found = problems(repo, host(approver))
    assert [rule for _, rule in found] == expected
    if expected:
        assert found[0][0] == f"{FIRE}:{line_of(fire, f'approved_by: {approver}')}:1"


@pytest.mark.parametrize("approver,expected", [("village-principal", []), ("wj-safety-head", ["approver"])])
def test_approver_of_a_school_document(repo, approver, expected):
    on_main(repo, "村小专用说明（待审）", lambda: school_note(repo, "review"))
    path = repo / "notes/village-note.md"
    set_status(path, "review", "approved")
    edit(path, "school: small-village-primary\n", f"school: small-village-primary\napproved_by: {approver}\n"
         'revisions:\n  - {version: "1.0", date: "2026-09-01", reason: other, summary: 首次发布。}\n')
    assert rules(repo, host(approver)) == expected


def test_owner_added_in_the_same_change_cannot_approve(repo):
    edit(repo / "district.yaml", "school_year_start:", '  - {id: wj-new-head, name: 钱样例, role: 安全科科长, handle: "@wj-new-head"}\n'
         "school_year_start:")
    codeowners.write(load_library(repo)[0])
    fire = repo / FIRE
    edit(fire, "先报 119", "先报 110 和 119")
    edit(fire, "approved_by: wj-safety-head", "approved_by: wj-new-head")
    bump(fire)
    assert problems(repo, host("wj-new-head")) == [  # CODEOWNERS changed too, and no district owner approved
        (".github/CODEOWNERS:1:1", "protected-file"), (f"{FIRE}:{line_of(fire, 'approved_by: wj-new-head')}:1", "approver")]


# ---- deleted and renamed documents -------------------------------------------------------------

def test_renamed_document_still_referenced(repo):
    git(repo, "mv", "checklists/fire-safety.yaml", "checklists/fire-safety-weekly.yaml")
    edit(repo / "checklists/fire-safety-weekly.yaml", "id: fire-safety\n", "id: fire-safety-weekly\n")
    commit(repo, "清单改名")
    fire = repo / FIRE
    found, _ = check_against(repo, "main", HEAD_APPROVED)
    line = line_of(fire, "  checklists: [fire-safety]")
    assert [(p.path, p.line, p.column, p.rule, p.message) for p in found] == [
        (FIRE, line, 16, "dangling-after-delete", "引用的排查清单“fire-safety”在本次修改中被改名为“fire-safety-weekly”了。")]
    edit(fire, "  checklists: [fire-safety]", "  checklists: [fire-safety-weekly]")
    bump(fire, summary="关联清单改名。")
    assert problems(repo) == []


def test_deleted_document_still_referenced(repo):
    on_main(repo, "新增草稿", lambda: note(repo, "workflow-note", "draft"))
    on_main(repo, "引用草稿", lambda: note(repo, "other-note", "draft", extra="references: {notes: [workflow-note]}\n"))
    (repo / "notes/workflow-note.md").unlink()
    assert problems(repo) == [("notes/other-note.md:6:22", "dangling-after-delete")]
    note(repo, "other-note", "draft")
    assert problems(repo) == []


def test_deleted_school_with_its_own_documents(repo):
    on_main(repo, "村小专用说明", lambda: school_note(repo, "draft"))
    (repo / VILLAGE).unlink()
    codeowners.write(load_library(repo)[0])
    assert problems(repo) == [("notes/village-note.md:6:1", "dangling-after-delete")]


def test_unreadable_file_is_reported_not_treated_as_deleted(repo):
    (repo / "checklists/fire-safety.yaml").write_text("id: fire-safety\ntitle: [未闭合\n", encoding="utf-8")
    assert rules(repo) == ["load"]


# ---- CODEOWNERS --------------------------------------------------------------------------------

def test_codeowners_content(repo):
    assert (repo / ".github/CODEOWNERS").read_text(encoding="utf-8").splitlines()[3:] == [
        "",
        "# 区局负责人：district.yaml、workflow.yaml、区级与全区通用文档以及下面未列出的一切",
        "* @wj-safety-deputy @wj-safety-head",
        "",
        "# 武进区湖塘样例实验小学",
        "/schools/hutang-experimental-primary.yaml @hutang-primary-principal @hutang-primary-safety",
        "",
        "# 武进区样例村小",
        "/schools/small-village-primary.yaml @village-principal",
        "",
        codeowners.GATE_NOTE,
    ] + [f"/{path} @wj-safety-deputy @wj-safety-head" for path in codeowners.PROTECTED_PATHS]


def test_codeowners_lists_a_schools_own_documents(repo):
    note(repo, "village-note", "draft", extra="school: small-village-primary\n")
    text = codeowners.render(load_library(repo)[0])
    assert ("/schools/small-village-primary.yaml @village-principal\n"
            "/notes/village-note.md @village-principal\n\n" + codeowners.GATE_NOTE) in text


def test_stale_codeowners_fails_check_until_regenerated(repo):
    edit(repo / VILLAGE, '  - {id: village-principal, name: 甲样例, role: 校长, handle: "@village-principal"}',
         '  - {id: village-principal, name: 甲样例, role: 校长, handle: "@village-principal"}\n'
         '  - {id: village-safety, name: 丙样例, role: 安全管理员, handle: "@village-safety"}')
    result = run_cli("codeowners", "--check", cwd=repo)
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout == (
        ".github/CODEOWNERS:12:1: error[codeowners-stale]: CODEOWNERS 已过期：第 12 行应为"
        "“/schools/small-village-primary.yaml @village-principal @village-safety”。\n"
        "  提示：运行 safeplan codeowners 重新生成，并把 .github/CODEOWNERS 一起提交。\n"
        "检查了 1 个文件：1 个错误，0 个警告。\n"
    )
    assert problems(repo) == [(".github/CODEOWNERS:12:1", "codeowners-stale")]
    result = run_cli("codeowners", cwd=repo)
    assert (result.returncode, result.stdout) == (0, "已生成 .github/CODEOWNERS\n")
    assert run_cli("codeowners", "--check", cwd=repo).returncode == 0
    assert problems(repo) == []


def test_missing_codeowners(repo):
    (repo / ".github/CODEOWNERS").unlink()
    assert problems(repo) == [(".github/CODEOWNERS:1:1", "codeowners-stale")]


def test_codeowners_refuses_an_unreadable_library(repo):
    (repo / VILLAGE).write_text("id: [\n", encoding="utf-8")
    before = (repo / ".github/CODEOWNERS").read_text(encoding="utf-8")
    result = run_cli("codeowners", cwd=repo)
    assert result.returncode == 1 and "未生成 CODEOWNERS" in result.stderr
    assert (repo / ".github/CODEOWNERS").read_text(encoding="utf-8") == before


# ---- missing history ---------------------------------------------------------------------------

SHALLOW = ("safeplan: 这是一个浅克隆（shallow clone），缺少比较所需的 git 历史；在这种情况下算出的改动可能是错的，所以没有继续。\n"
           "  提示：请先运行：git fetch --unshallow origin\n"
           "  在 GitHub Actions 中，请给 actions/checkout 加上 fetch-depth: 0。\n")


def test_shallow_clone_says_so_and_shows_the_fetch_command(repo, tmp_path):
    edit(repo / FIRE, "先报 119", "先报 110 和 119")
    commit(repo, "改了正文")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{repo}", str(clone))
    for args in (("check", "--base", "origin/main"), ("diff", "origin/main"), ("history", "fire")):
        result = run_cli(*args, cwd=clone)
        assert (result.returncode, result.stdout, result.stderr) == (2, "", SHALLOW), args
    git(clone, "fetch", "-q", "--unshallow", "origin")
    result = run_cli("check", "--base", "origin/main", cwd=clone)
    assert result.returncode == 1 and "error[version-bump]" in result.stdout


def test_missing_ref_shows_the_fetch_command(repo):
    result = run_cli("check", "--base", "origin/main", cwd=repo)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == ("safeplan: 找不到 git 版本“origin/main”：本地没有这个分支、标签或提交。\n"
                             "  提示：请先运行：git fetch origin main\n")


def test_local_branch_missing_but_remote_branch_present(repo, tmp_path):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", f"file://{repo}", str(clone))
    git(clone, "checkout", "-q", "-b", "work")
    git(clone, "branch", "-q", "-D", "change")
    git(clone, "branch", "-q", "-D", "main") if "main" in git(clone, "branch") else None
    result = run_cli("check", "--base", "main", cwd=clone)
    assert result.returncode == 2
    assert "本地没有分支 main，但有远程分支：请改用 origin/main。" in result.stderr


def test_not_a_git_repository(tmp_path):
    shutil.copytree(MINI, tmp_path / "plain")
    result = run_cli("--root", str(tmp_path / "plain"), "check", "--base", "main")
    assert result.returncode == 2 and "不在 git 仓库中" in result.stderr


def test_changes_on_main_since_branching_are_not_the_branchs(repo):
    edit(repo / FIRE, "先报 119", "先报 110 和 119")
    bump(repo / FIRE)
    commit(repo, "火灾预案 1.1")
    git(repo, "checkout", "-q", "main")
    edit(repo / "checklists/fire-safety.yaml", "每处配置不少于 2 具", "每处配置不少于 3 具")  # unversioned on main
    commit(repo, "main 上的改动")
    git(repo, "checkout", "-q", "change")
    assert problems(repo) == []


# ---- semantic diff -----------------------------------------------------------------------------

def test_diff_names_the_assembly_point_and_only_that_school(repo):
    edit(repo / VILLAGE, "name: 操场中央", "name: 操场西侧")
    base = git(repo, "rev-parse", "main")[:10]
    result = run_cli("diff", "main", cwd=repo)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        f"与 main（合并基点 {base}）比较，工作区：1 个文件有改动，1 所学校的汇编会变化。\n"
        "\n"
        "修改学校“武进区样例村小”（schools/small-village-primary.yaml）\n"
        "  应急集合点「yard」 · 集合点名称与位置: 操场中央 → 操场西侧\n"
        "\n"
        "受影响的学校（1 所）：\n"
        "  small-village-primary 武进区样例村小：学校信息修改：应急集合点\n"
    )
    data = json.loads(run_cli("diff", "main", "--format", "json", cwd=repo).stdout)
    assert [s["id"] for s in data["schools"]] == ["small-village-primary"]
    assert data["documents"][0]["fields"] == [{"place": [{"label": "应急集合点", "item": "yard", "number": 0},
                                                         {"label": "集合点名称与位置", "item": "", "number": 0}],
                                               "field": "应急集合点",
                                               "pointer": "/assembly_points/0/name", "change": "changed",
                                               "old": "操场中央", "new": "操场西侧"}]
    markdown = run_cli("diff", "main", "--format", "md", cwd=repo).stdout
    assert markdown.startswith("<!-- safeplan-diff -->\n## 预案库改动说明\n")
    assert "| 应急集合点「yard」 · 集合点名称与位置 | 操场中央 | 操场西侧 |" in markdown
    assert "武进区样例村小（small-village-primary）" in markdown and "湖塘" not in markdown


def test_diff_between_two_commits_ignores_the_working_tree(repo):
    edit(repo / VILLAGE, "name: 操场中央", "name: 操场西侧")
    commit(repo, "改集合点")
    edit(repo / VILLAGE, "name: 操场西侧", "name: 操场北侧")  # not committed
    data = json.loads(run_cli("diff", "main", "change", "--format", "json", cwd=repo).stdout)
    assert data["head_label"] == "change"
    assert data["documents"][0]["fields"][0]["new"] == "操场西侧"


def test_template_plan_edit_affects_every_school_it_applies_to(repo):
    edit(repo / FIRE, "先报 119，再报学校领导", "先报 119，立即再报学校领导")
    data = json.loads(run_cli("diff", "main", "--format", "json", cwd=repo).stdout)
    reason = [{"change": "document-changed", "kind": "plan", "title": "火灾事故专项应急预案", "why": "适用于全部学校",
               "fields": []}]
    assert [(s["id"], s["reasons"]) for s in data["schools"]] == [
        ("hutang-experimental-primary", reason), ("small-village-primary", reason)]
    sentence = "1. **报警**：先报 119，{}再报学校领导和区教育局安全科（{{{{ school.contacts.bureau.phone }}}}）。"
    assert data["documents"][0]["sections"] == [
        {"title": "处置措施", "change": "changed", "lines": 5, "added": 1, "removed": 1,
         "prose": [{"removed": [sentence.format("")], "added": [sentence.format("立即")]}]}]


def test_document_for_some_schools_lists_only_those_and_why(repo):
    text = (repo / "checklists/fire-safety.yaml").read_text(encoding="utf-8")
    text = text.replace("id: fire-safety\n", "id: bus-fire-safety\n").replace("applies_to: {}", "applies_to: {all_of: [facilities.school_bus]}")
    (repo / "checklists/bus-fire-safety.yaml").write_text(text, encoding="utf-8")
    data = json.loads(run_cli("diff", "main", "--format", "json", cwd=repo).stdout)
    assert [(d["change"], d["path"]) for d in data["documents"]] == [("added", "checklists/bus-fire-safety.yaml")]
    assert [s["id"] for s in data["schools"]] == ["hutang-experimental-primary"]
    (reason,) = data["schools"][0]["reasons"]
    assert (reason["change"], reason["kind"]) == ("document-added", "checklist") and "使用校车" in reason["why"]


def test_sections_added_removed_and_changed_with_line_counts(repo):
    fire = repo / FIRE
    text = fire.read_text(encoding="utf-8")
    start = text.index("## 应急保障")
    fire.write_text(text[:start] + "## 夜间值守\n\n第一行。\n第二行。\n", encoding="utf-8")
    data = json.loads(run_cli("diff", "main", "--format", "json", cwd=repo).stdout)
    sections = {s["title"]: s for s in data["documents"][0]["sections"]}
    assert sections["夜间值守"] == {"title": "夜间值守", "change": "added", "lines": 2, "added": 2, "removed": 0, "prose": []}
    assert sections["应急保障"]["change"] == "removed" and sections["应急保障"]["removed"] >= 3
    result = run_cli("diff", "main", cwd=repo)
    assert "  新增章节“夜间值守”（2 行）\n" in result.stdout
    assert f"  删除章节“应急保障”（{sections['应急保障']['lines']} 行）\n" in result.stdout


def test_draft_edit_changes_no_bundle(repo):
    on_main(repo, "新增草稿", lambda: note(repo, "workflow-note", "draft"))
    edit(repo / "notes/workflow-note.md", "本说明用于测试审核流程。", "本说明用于测试审核流程，已补充。")
    result = run_cli("diff", "main", cwd=repo)
    assert result.stdout.splitlines()[0].endswith("1 个文件有改动，没有学校的汇编变化。")
    assert "修改章节“说明”：+1 −1 行" in result.stdout


def test_status_field_shows_chinese_labels(repo):
    on_main(repo, "新增草稿", lambda: note(repo, "workflow-note", "draft"))
    set_status(repo / "notes/workflow-note.md", "draft", "review")
    assert "工作流状态: 草稿（draft） → 待审（review）" in run_cli("diff", "main", cwd=repo).stdout


# ---- history across renames --------------------------------------------------------------------

def test_history_follows_renames(repo, monkeypatch):
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2026-10-08T09:00:00+08:00")
    git(repo, "mv", FIRE, "plans/school/fire.md")
    commit(repo, "火灾预案移到 plans/school/")
    result = run_cli("history", "fire", cwd=repo)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "火灾事故专项应急预案（plans/school/fire.md）",
        "修订记录：",
        "  1.0  2026-09-01  法规标准或上级预案变化（law_change）  依据 GB/T 29639-2020 和区 2020 年安全工作要点首次编制。",
        "git 历史（2 次提交，含改名前的路径）：",
    ]
    assert re.fullmatch(r"  2026-10-08  [0-9a-f]{10}  周样例  火灾预案移到 plans/school/", lines[4])
    assert re.fullmatch(r"  2026-09-01  [0-9a-f]{10}  周样例  初始内容  \[plans/school/special/fire.md\]", lines[5])
    data = json.loads(run_cli("history", "fire", "--format", "json", cwd=repo).stdout)
    assert [c["path"] for c in data["commits"]] == ["plans/school/fire.md", FIRE]


def test_history_of_unknown_id(repo):
    result = run_cli("history", "no-such-plan", cwd=repo)
    assert (result.returncode, result.stderr) == (2, "safeplan: 找不到编号为“no-such-plan”的文档。请检查编号（即文件名去掉 .md/.yaml）。\n")


# ---- the repository's own workflow, CI and editor files ----------------------------------------

def test_repository_workflow_is_valid_and_plone_like():
    library, _ = load_library(REPO)
    (flow_doc,) = library.of_kind("workflow")
    assert check_document(flow_doc) == []
    steps = {(source, t["to"]) for t in flow_doc.data["transitions"]
             for source in (t["from"] if isinstance(t["from"], list) else [t["from"]])}
    assert {("draft", "review"), ("review", "approved"), ("approved", "retired"), ("review", "draft"),
            ("approved", "approved"), ("approved", "review")} <= steps
    assert not any(source in ("new", "draft") and target == "approved" for source, target in steps)
    assert not any(source == "retired" and target != "deleted" for source, target in steps)


def actionlint() -> str:
    return str(Path(sys.executable).with_name("actionlint"))


def test_actionlint_is_clean():
    assert shutil.which("shellcheck"), "缺少 shellcheck：运行 scripts/ensure-system.sh test（make test 会自动运行）"
    workflows = sorted((REPO / ".github/workflows").glob("*.yml"))
    assert len(workflows) >= 2
    result = subprocess.run([actionlint(), "-color=false"], cwd=REPO, capture_output=True, text=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_actionlint_catches_a_broken_workflow(tmp_path):
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / ".github/workflows/bad.yml").write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n", encoding="utf-8")
    git(tmp_path, "init", "-q")
    result = subprocess.run([actionlint(), "-color=false"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1 and "potentially untrusted" in result.stdout


def test_ci_checks_against_the_base_with_full_history_and_shards_bundles():
    pull = yaml.safe_load((REPO / ".github/workflows/pull-request.yml").read_text(encoding="utf-8"))
    steps = pull["jobs"]["check"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    runs = "\n".join(step.get("run", "") for step in steps)
    assert 'scripts/ci/gate.sh pull-request "$BASE_REF"' in runs and "--format md" in runs
    publish = yaml.safe_load((REPO / ".github/workflows/publish.yml").read_text(encoding="utf-8"))
    bundles = publish["jobs"]["bundles"]
    assert len(bundles["strategy"]["matrix"]["shard"]) == int(publish["env"]["SHARDS"])
    assert any(step.get("with", {}).get("path") == "build/cache" for step in bundles["steps"])
    assert "--audience public" in json.dumps(publish)


def test_pre_commit_files_are_valid_and_cover_every_content_location():
    pre_commit = str(Path(sys.executable).with_name("pre-commit"))
    for command, name in (("validate-config", ".pre-commit-config.yaml"), ("validate-manifest", ".pre-commit-hooks.yaml")):
        result = subprocess.run([pre_commit, command, name], cwd=REPO, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    local = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][0]["hooks"]
    for hook in (hooks[0], local[0]):
        for location, _ in KINDS.values():
            assert re.search(hook["files"], location + ("/x" if "." not in location else "")), (hook["id"], location)


def test_editor_maps_every_yaml_schema():
    settings = json.loads((REPO / ".vscode/settings.json").read_text(encoding="utf-8"))["yaml.schemas"]
    globs = {kind: location if location.endswith(".yaml") else f"{location}/*.yaml"
             for kind, (location, suffixes) in KINDS.items() if ".yaml" in suffixes and kind != "record"}
    # records/<school>/<folder>/<year>/<id>.yaml: the kind comes from the folder
    globs.update({kind: f"{KINDS['record'][0]}/*/{folder}/*/*.yaml" for folder, kind in RECORD_FOLDERS.items()})
    for kind, glob in globs.items():  # Markdown front matter is not covered by the YAML extension (see README)
        schema = f"./schemas/{SCHEMA_FILES[kind]}"
        assert schema in settings and (REPO / schema).is_file(), kind
        assert glob in settings[schema], kind
    for schema, globs in settings.items():  # and no pattern hands a file to another kind's schema
        for path in (path for glob in globs for path in REPO.glob(glob)):
            kind = kind_of(path.relative_to(REPO).as_posix())
            assert kind and f"./schemas/{SCHEMA_FILES[kind]}" == schema, (path, schema)


@pytest.mark.parametrize("change", ["body", "applies_to", "drill_count", "retire", "district", "school",
                                    "school_comment", "rename", "year_start"])
def test_affected_schools_match_full_resolution(repo, change):
    """Only the changed documents are filled, and only when nothing else tells; the answer must not differ."""
    from safeplan.review.compare import compare
    from safeplan.resolve.views import resolve_school
    from safeplan.review.semdiff import semantic_diff

    if change == "body":
        edit(repo / FIRE, "先报 119", "先报 110 和 119")
    elif change == "applies_to":
        edit(repo / FIRE, "applies_to: {}", "applies_to: {all_of: [facilities.school_bus]}")
    elif change == "drill_count":
        edit(repo / "drills/fire-drill.md", "小学: 10", "小学: 12")
    elif change == "retire":
        set_status(repo / "checklists/fire-safety.yaml", "approved", "retired")
    elif change == "district":
        edit(repo / "district.yaml", 'phone: "0519-86000110"', 'phone: "0519-86000999"')
    elif change == "school":
        edit(repo / VILLAGE, "name: 操场中央", "name: 操场西侧")
    elif change == "school_comment":  # the file changes, the data does not: no bundle changes
        (repo / VILLAGE).write_text((repo / VILLAGE).read_text(encoding="utf-8") + "# 注释\n", encoding="utf-8")
    elif change == "rename":  # the bundle shows the same documents in the same order
        git(repo, "mv", FIRE, "plans/school/a-fire.md")
    else:
        edit(repo / "district.yaml", 'school_year_start: "2026-09-01"', 'school_year_start: "2027-09-01"')
    found = compare(repo, "main")
    fast = [s.id for s in semantic_diff(found.base, found.head, found.pairs).schools]
    full = [s.id for s in sorted(found.head.schools, key=lambda s: s.id)
            if resolve_school(found.base, found.base.get("school", s.id)).fingerprint()
            != resolve_school(found.head, s).fingerprint()]
    assert fast == full
    assert bool(fast) == (change not in ("school_comment", "rename"))


def test_long_text_changes_show_the_part_that_differs():
    from safeplan.diff_report import focus

    old = "第一步：" + "甲" * 80 + "报告教导主任。" + "乙" * 80
    new = "第一步：" + "甲" * 80 + "报告分管副校长。" + "乙" * 80
    # 12 characters of context on each side of the difference (which starts after the shared "报告")
    assert focus(old, new) == ("…" + "甲" * 10 + "报告教导主任。" + "乙" * 11 + "…",
                               "…" + "甲" * 10 + "报告分管副校长。" + "乙" * 11 + "…")
    assert focus("操场东侧", "操场西侧") == ("操场东侧", "操场西侧")


def test_history_module_reads_refs_and_detects_renames(repo):
    from safeplan.review import history

    git(repo, "mv", "checklists/fire-safety.yaml", "checklists/fire-safety-weekly.yaml")
    edit(repo / FIRE, "先报 119", "先报 110 和 119")
    (repo / "notes/new-note.md").write_text("---\nid: new-note\n---\n", encoding="utf-8")
    (repo / "drills/fire-drill.md").unlink()
    assert history.changes(repo, "main") == [
        history.Change("renamed", "checklists/fire-safety-weekly.yaml", "checklists/fire-safety.yaml"),
        history.Change("deleted", "drills/fire-drill.md", "drills/fire-drill.md"),
        history.Change("added", "notes/new-note.md"),
        history.Change("modified", FIRE, FIRE),
    ]
    assert history.read_at(repo, "main", FIRE).startswith(b"---\nid: fire\n")
    assert history.read_at(repo, "main", "notes/new-note.md") is None
    commit(repo, "改动")
    assert [c.status for c in history.changes(repo, "main", "change")] == ["renamed", "deleted", "added", "modified"]
    assert history.merge_base(repo, "main", "change") == git(repo, "rev-parse", "main")


def test_config_changes_are_shown_to_the_reviewer(repo):
    edit(repo / "safeplan.yaml", "rules:\n", "rules:\n  approval: warning\n")
    result = run_cli("diff", "main", cwd=repo)
    assert "修改校验配置（safeplan.yaml）\n  规则编号 → 严重程度 · approval: 新增 warning\n" in result.stdout


def test_shallow_clone_is_recognised_from_a_linked_worktree(repo, tmp_path):
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{repo}", str(clone))
    git(clone, "worktree", "add", "-q", str(tmp_path / "tree"), "origin/main")
    result = run_cli("check", "--base", "origin/main", cwd=tmp_path / "tree")
    assert (result.returncode, result.stderr) == (2, SHALLOW)


def test_file_logs_in_one_pass_match_file_log_with_renames(tmp_path):
    """history.file_logs (one git call) gives what file_log (git log --follow per file) gives."""
    import git as gitpython

    from safeplan.review import history

    repo = gitpython.Repo.init(tmp_path)
    with repo.config_writer() as config:
        config.set_value("user", "name", "测试").set_value("user", "email", "t@example.com")
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "a.md").write_text("---\nid: a\n---\n甲\n" * 5, encoding="utf-8")
    (tmp_path / "plans" / "b.md").write_text("乙\n" * 20, encoding="utf-8")
    repo.git.add("plans")
    repo.git.commit("-m", "add a and b")
    repo.git.mv("plans/a.md", "plans/c.md")
    repo.git.commit("-m", "rename a to c")
    (tmp_path / "plans" / "c.md").write_text("---\nid: a\n---\n甲\n" * 5 + "丙\n", encoding="utf-8")
    (tmp_path / "plans" / "b.md").write_text("乙\n" * 21, encoding="utf-8")
    repo.git.add("plans")
    repo.git.commit("-m", "edit both")
    paths = ["plans/b.md", "plans/c.md"]
    logs = history.file_logs(tmp_path, paths)
    assert logs == {path: history.file_log(tmp_path, path) for path in paths}
    assert [(c.message, c.path) for c in logs["plans/c.md"]] == [
        ("edit both", "plans/c.md"), ("rename a to c", "plans/c.md"), ("add a and b", "plans/a.md")]


def test_check_in_host_formats(repo, tmp_path):
    fire = repo / FIRE
    edit(fire, "先报 119，再报学校领导", "先报 119，立即再报学校领导")
    line = line_of(fire, 'version: "1.0"')
    approvals = tmp_path / "approvals.json"
    approvals.write_text('["@wj-safety-head"]', encoding="utf-8")
    host_says = ("--approvals", str(approvals), "--author", "@zhou-editor")
    github = run_cli("check", "--base", "main", *host_says, "--format", "github", cwd=repo)
    assert github.returncode == 1
    assert github.stdout.startswith(f"::error file={FIRE},line={line},col=1,title=version-bump::应急预案“火灾事故专项应急预案”是现行文档")
    assert "%0A提示：“修订发布（amend）”要求升版" in github.stdout
    assert github.stdout.endswith("\n检查了 1 个文件：1 个错误，0 个警告。\n")
    gitlab = json.loads(run_cli("check", "--base", "main", *host_says, "--format", "gitlab", cwd=repo).stdout)
    assert [(i["check_name"], i["severity"], i["location"]) for i in gitlab] == [
        ("version-bump", "critical", {"path": FIRE, "lines": {"begin": line}})]
