"""The review gate holds against its own pull request, on real git repositories.

Each test is a bypass a reviewer could try: loosening safeplan.yaml in the pull request,
moving a document to another school, naming an approver who did not approve on the host,
approving one's own change, keeping a stale approver, changing the checker itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO, edit, run_cli
from safeplan.review import codeowners
from safeplan.checks import rules as registry
from safeplan.checks import validate
from safeplan.review import workflow
from safeplan.review.approvals import Review
from safeplan.content.loader import load_library
from safeplan.review.workflow import check_against
from test_workflow import (FIRE, VILLAGE, bump, commit, git, host, line_of, note, on_main, problems,  # noqa: F401
                           quiet_git, repo, rules, school_note, set_status)

CONFIG = "safeplan.yaml"


def approvals_file(tmp_path: Path, *handles: str) -> str:
    path = tmp_path / "approvals.json"
    path.write_text(json.dumps(list(handles)), encoding="utf-8")
    return str(path)


def amend_fire(repo: Path, approver: str = "wj-safety-head") -> Path:
    """A proper new version of the district's approved fire plan, approved by `approver`."""
    fire = repo / FIRE
    edit(fire, "先报 119", "先报 110 和 119")
    if approver != "wj-safety-head":
        edit(fire, "approved_by: wj-safety-head", f"approved_by: {approver}")
    bump(fire)
    return fire


# ---- 1. the gate comes from the merge base -------------------------------------------------------

def test_relaxed_config_in_the_pull_request_has_no_effect_and_is_a_located_error(repo):
    edit(repo / CONFIG, "rules:\n", "rules:\n  version-bump: off\n  workflow-transition: off\n  approver: off\n  versionbump: off\n")
    edit(repo / FIRE, "先报 119", "先报 110 和 119")  # no new version
    edit(repo / FIRE, "approved_by: wj-safety-head", "approved_by: nobody")
    config, version = repo / CONFIG, line_of(repo / FIRE, 'version: "1.0"')
    found, _ = check_against(repo, "main", host("wj-safety-head"))
    assert [(f"{p.path}:{p.line}:{p.column}", p.severity, p.rule) for p in found] == [
        (f"{FIRE}:{version}:1", "error", "version-bump"),
        (f"{FIRE}:{line_of(repo / FIRE, 'approved_by: nobody')}:1", "error", "approver"),
        (f"{CONFIG}:{line_of(config, '  version-bump: off')}:3", "error", "schema"),
        (f"{CONFIG}:{line_of(config, '  workflow-transition: off')}:3", "error", "schema"),
        (f"{CONFIG}:{line_of(config, '  approver: off')}:3", "error", "schema"),
        (f"{CONFIG}:{line_of(config, '  versionbump: off')}:3", "error", "schema"),  # unknown id
    ]  # safeplan.yaml is a protected file too: the district head approved this one
    messages = {p.message for p in found if p.rule == "schema"}
    assert "rules.version-bump 应当是“error”，现在是“off”。" in messages
    assert "不能关闭" in next(p.hint for p in found if p.rule == "schema")


def test_relaxed_config_is_refused_in_validate_and_does_not_switch_a_safety_rule_off(repo):
    edit(repo / CONFIG, "rules:\n", "rules:\n  id-card-number: off\n  no-such-rule: warning\n")
    edit(repo / VILLAGE, "name: 甲样例, title: 校长", "name: 甲样例 11010519491231002X, title: 校长")
    result = run_cli("validate", cwd=repo)
    config = repo / CONFIG
    lines = [line for line in result.stdout.splitlines() if not line.startswith("  ")]
    village = (repo / VILLAGE).read_text(encoding="utf-8").split("\n")
    id_line = next(i for i, line in enumerate(village) if "11010519491231002X" in line) + 1
    assert result.returncode == 1
    assert lines[:2] == [
        f"{CONFIG}:{line_of(config, '  id-card-number: off')}:3: error[schema]: rules.id-card-number 应当是“error”，现在是“off”。",
        f"{CONFIG}:{line_of(config, '  no-such-rule: warning')}:3: error[schema]: 不认识的字段“no-such-rule”。",
    ]
    assert lines[2].startswith(f"{VILLAGE}:{id_line}:")  # still reported: `off` had no effect
    assert lines[2].endswith("error[id-card-number]: 这里像是一个居民身份证号码（110***********002X）；预案库不得保存身份证号。")
    assert lines[3:] == ["检查了 9 个文件：3 个错误，0 个警告。"]
    edit(config, "  id-card-number: off\n", "  three-100: off\n")  # a rule that may be switched off: no schema error
    edit(config, "  no-such-rule: warning\n", "")
    assert "error[schema]" not in run_cli("validate", cwd=repo).stdout


def test_base_severities_decide_not_the_pull_requests(repo, monkeypatch):
    # A rule that allows warning (none of the shipped workflow rules does): the base's choice applies.
    monkeypatch.setitem(workflow.RULES, "codeowners-stale", (workflow.ERROR, "测试", (workflow.ERROR, workflow.WARNING)))
    (repo / ".github/CODEOWNERS").unlink()
    stale = lambda: [p.severity for p in check_against(repo, "main", host("wj-safety-head"))[0]  # noqa: E731
                     if p.rule == "codeowners-stale"]
    edit(repo / CONFIG, "rules:\n", "rules:\n  codeowners-stale: warning\n")  # set by the pull request: ignored
    assert stale() == ["error"]
    git(repo, "stash", "-q")
    on_main(repo, "放宽 CODEOWNERS 检查", lambda: edit(repo / CONFIG, "rules:\n", "rules:\n  codeowners-stale: warning\n"))
    git(repo, "stash", "pop", "-q")  # the working tree keeps the deletion
    (repo / ".github/CODEOWNERS").unlink(missing_ok=True)
    assert stale() == ["warning"]


def test_school_takeover_of_a_district_plan_is_refused(repo):
    fire = repo / FIRE
    edit(fire, "level: school\n", "level: school\nschool: small-village-primary\n")
    amend_fire(repo, "village-principal")
    codeowners.write(load_library(repo)[0])  # which hands the plan to the school's owners
    found, _ = check_against(repo, "main", host("village-principal"))
    assert [(f"{p.path}:{p.line}:{p.column}", p.rule, p.message) for p in found] == [
        (".github/CODEOWNERS:1:1", "protected-file",
         "本合并请求修改了审核关卡自身的文件 .github/CODEOWNERS，但没有区局负责人（作者本人除外）在代码托管平台上批准。"),
        (f"{FIRE}:{line_of(fire, 'school: small-village-primary')}:1", "school-changed",
         "应急预案“火灾事故专项应急预案”的所属学校（school）不能在合并请求中改变：原为“区级（全区通用）”，现为“small-village-primary”。"),
        (f"{FIRE}:{line_of(fire, 'approved_by: village-principal')}:1", "approver",
         "审批人“village-principal”不是区局的负责人，无权修订发布。"),
    ]
    assert found[1].hint.startswith("所属学校决定由谁审批、哪些学校收到这份文档。")


@pytest.mark.parametrize("school", ["hutang-experimental-primary", None])
def test_a_schools_draft_cannot_move_either(repo, school):
    on_main(repo, "村小专用说明", lambda: school_note(repo, "draft"))
    path = repo / "notes/village-note.md"
    edit(path, "school: small-village-primary\n", f"school: {school}\n" if school else "")
    codeowners.write(load_library(repo)[0])
    assert rules(repo) == ["school-changed"]


def test_a_renamed_school_takes_its_documents_along(repo):
    on_main(repo, "村小专用说明", lambda: school_note(repo, "draft"))
    git(repo, "mv", VILLAGE, "schools/village-primary.yaml")
    edit(repo / "schools/village-primary.yaml", "id: small-village-primary\n", "id: village-primary\n")
    edit(repo / "notes/village-note.md", "school: small-village-primary\n", "school: village-primary\n")
    codeowners.write(load_library(repo)[0])
    assert rules(repo) == []
    edit(repo / "notes/village-note.md", "school: village-primary\n", "school: hutang-experimental-primary\n")
    codeowners.write(load_library(repo)[0])
    assert rules(repo) == ["school-changed"]  # control: a move to another school is still refused


def test_owners_come_from_the_documents_school_at_base(repo):
    # The school's owner approves the school's own document, even if head lists other owners for it.
    on_main(repo, "村小专用说明（待审）", lambda: school_note(repo, "review"))
    path = repo / "notes/village-note.md"
    set_status(path, "review", "approved")
    edit(path, "school: small-village-primary\n", "school: small-village-primary\napproved_by: village-principal\n"
         'revisions:\n  - {version: "1.0", date: "2026-09-01", reason: other, summary: 首次发布。}\n')
    edit(repo / VILLAGE, 'handle: "@village-principal"', 'handle: "@someone-else"')
    assert rules(repo, host("village-principal")) == ["codeowners-stale"]  # the base's handle counts


# ---- 3. approvals proven by the host -------------------------------------------------------------

def test_approver_not_in_the_hosts_approvals(repo):
    fire = amend_fire(repo, "wj-safety-deputy")
    found, _ = check_against(repo, "main", host("wj-safety-head"))
    assert [(f"{p.path}:{p.line}:{p.column}", p.rule, p.message, p.hint) for p in found] == [(
        f"{FIRE}:{line_of(fire, 'approved_by: wj-safety-deputy')}:1", "host-approval",
        "审批人“wj-safety-deputy”（@wj-safety-deputy）没有在代码托管平台上批准本合并请求。",
        "请 @wj-safety-deputy 在平台上审核批准本合并请求，或把 approved_by 改为已在平台上批准的负责人："
        "wj-safety-head（@wj-safety-head）。")]
    assert rules(repo, host("wj-safety-deputy")) == []


def test_self_approval_is_refused(repo):
    fire = amend_fire(repo)
    found, _ = check_against(repo, "main", host("wj-safety-head", author="wj-safety-head"))
    assert [(f"{p.path}:{p.line}:{p.column}", p.rule, p.message) for p in found] == [(
        f"{FIRE}:{line_of(fire, 'approved_by: wj-safety-head')}:1", "self-approval",
        "审批人“wj-safety-head”（@wj-safety-head）就是本合并请求的作者，作者不能批准自己的改动。")]
    assert "wj-safety-deputy（@wj-safety-deputy）" in found[0].hint


def test_stale_approver_fails_unless_that_owner_approved_this_pull_request(repo):
    fire = amend_fire(repo)  # approved_by is still 1.0's approver
    found, _ = check_against(repo, "main", host("wj-safety-deputy"))
    assert [(f"{p.path}:{p.line}:{p.column}", p.rule, p.message) for p in found] == [(
        f"{FIRE}:{line_of(fire, 'approved_by: wj-safety-head')}:1", "host-approval",
        "approved_by 仍是 1.0 版的审批人“wj-safety-head”，但 @wj-safety-head 没有在代码托管平台上批准本合并请求；"
        "沿用的审批人不算批准，新版本要重新批准。")]
    assert found[0].hint.endswith("wj-safety-deputy（@wj-safety-deputy）。")
    assert rules(repo, host("wj-safety-head")) == []


def test_approval_is_unverified_without_approvals_warning_locally_error_in_ci(repo, monkeypatch):
    fire = amend_fire(repo)
    commit(repo, "火灾预案 1.1")
    where = f"{FIRE}:{line_of(fire, 'approved_by: wj-safety-head')}:1"
    message = ("无法核实审批人“wj-safety-head”（@wj-safety-head）是否在代码托管平台上批准了本合并请求："
               "没有提供批准名单（--approvals）。")
    local = run_cli("check", "--base", "main", cwd=repo)
    assert (local.returncode, local.stderr) == (0, "")
    assert local.stdout.splitlines()[0] == f"{where}: warning[approval-unverified]: {message}"
    assert local.stdout.endswith("检查了 1 个文件：0 个错误，1 个警告。\n")
    for value, code, severity in (("true", 1, "error"), ("1", 1, "error"), ("false", 0, "warning"), ("0", 0, "warning")):
        monkeypatch.setenv("CI", value)
        result = run_cli("check", "--base", "main", cwd=repo)
        assert (result.returncode, result.stdout.splitlines()[0]) == (code, f"{where}: {severity}[approval-unverified]: {message}"), value
    # approvals given but no author: the approver cannot be shown not to be the author
    assert rules(repo, Review(frozenset({"wj-safety-head"}), "", ci=True)) == ["approval-unverified"]
    assert [p.severity for p in check_against(repo, "main", Review(frozenset({"wj-safety-head"}), "", ci=True))[0]] == ["error"]


def test_approvals_on_the_command_line(repo, tmp_path):
    amend_fire(repo)
    args = ("check", "--base", "main", "--author", "zhou-editor", "--approvals")
    passed = run_cli(*args, approvals_file(tmp_path, "@WJ-Safety-Head"), cwd=repo)  # "@" optional, any case
    assert (passed.returncode, passed.stdout, passed.stderr) == (0, "检查了 1 个文件，没有发现问题。\n", "")
    refused = run_cli(*args, approvals_file(tmp_path, "wj-safety-deputy"), cwd=repo)
    assert refused.returncode == 1 and "error[host-approval]" in refused.stdout
    mine = run_cli("check", "--base", "main", "--author", "@WJ-SAFETY-HEAD", "--approvals",
                   approvals_file(tmp_path, "wj-safety-head"), cwd=repo)
    assert mine.returncode == 1 and "error[self-approval]" in mine.stdout


@pytest.mark.parametrize("content,complaint", [
    (None, "找不到批准名单文件 {path}。"),
    ("[\"@wj-safety-head\"", "批准名单文件 {path} 不是合法的 JSON（第 1 行第 19 列）。"),
    ('{"approved": ["@wj-safety-head"]}', "批准名单文件 {path} 应当是账号的 JSON 列表，例如 [\"@wj-safety-head\"]。"),
    ('["@wj-safety-head", 7]', "批准名单文件 {path} 中有不是账号的项目：7。每一项都应当是账号文字，例如 \"@wj-safety-head\"。"),
    ('["@"]', "批准名单文件 {path} 中有不是账号的项目：\"@\"。每一项都应当是账号文字，例如 \"@wj-safety-head\"。"),
])
def test_missing_or_malformed_approvals_file_is_a_usage_error(repo, tmp_path, content, complaint):
    path = tmp_path / "approvals.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run_cli("check", "--base", "main", "--approvals", str(path), "--author", "x", cwd=repo)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines()[0] == "safeplan: " + complaint.format(path=path)
    assert result.stderr.splitlines()[1].startswith("  提示：--approvals 要求一个 JSON 文件")


# ---- protected files -----------------------------------------------------------------------------

def change_gate_files(repo: Path) -> list[str]:
    (repo / "scripts").mkdir()
    (repo / "scripts/check.sh").write_text("exit 0\n", encoding="utf-8")  # untracked counts
    (repo / ".github/workflows").mkdir(parents=True)
    (repo / ".github/workflows/publish.yml").write_text("on: push\n", encoding="utf-8")
    commit(repo, "改检查脚本和发布流程")
    (repo / "schemas").mkdir()
    (repo / "schemas/plan.schema.json").write_text("{}\n", encoding="utf-8")
    return [".github/workflows/publish.yml", "schemas/plan.schema.json", "scripts/check.sh"]


def test_protected_files_need_a_district_owners_approval_on_the_host(repo):
    paths = change_gate_files(repo)
    found, _ = check_against(repo, "main", host("village-principal"))  # a school owner is not enough
    assert [(p.path, p.line, p.column, p.severity, p.rule) for p in found] == [
        (path, 1, 1, "error", "protected-file") for path in paths]
    assert found[0].message == ("本合并请求修改了审核关卡自身的文件 .github/workflows/publish.yml，"
                                "但没有区局负责人（作者本人除外）在代码托管平台上批准。")
    assert found[0].hint.startswith("请 @wj-safety-deputy、@wj-safety-head 中的一位在平台上审核批准本合并请求。")
    assert problems(repo, host("wj-safety-deputy")) == []
    # the author's own approval does not count
    assert rules(repo, host("wj-safety-head", author="@wj-safety-head")) == ["protected-file"] * 3
    assert rules(repo, host("wj-safety-head", "wj-safety-deputy", author="wj-safety-head")) == []


def test_protected_files_unverified_warning_locally_error_in_ci(repo):
    paths = change_gate_files(repo)
    for ci, severity in ((False, "warning"), (True, "error")):
        found, _ = check_against(repo, "main", Review(None, "zhou-editor", ci))
        assert [(p.path, p.severity, p.rule) for p in found] == [(path, severity, "protected-file") for path in paths]
    assert "没有提供批准名单（--approvals），无法核实" in found[0].message


@pytest.mark.parametrize("change", ["edit", "delete", "rename-out"])
def test_every_kind_of_change_to_a_gate_file_counts(repo, change):
    if change == "edit":
        edit(repo / "workflow.yaml", "title: 预案审核流程", "title: 预案审核流程（新）")
    elif change == "delete":
        (repo / CONFIG).unlink()
    else:
        (repo / "archive").mkdir()
        git(repo, "mv", ".github/CODEOWNERS", "archive/CODEOWNERS")
    found, _ = check_against(repo, "main", host("village-principal"))
    expected = {"edit": "workflow.yaml", "delete": CONFIG, "rename-out": ".github/CODEOWNERS"}[change]
    assert (expected, "protected-file") in {(p.path, p.rule) for p in found}


def test_content_changes_touch_no_gate_file(repo):
    amend_fire(repo)
    note(repo, "workflow-note", "draft")
    assert rules(repo, host("wj-safety-head")) == []  # control for the tests above: content alone is not protected


# ---- 2. one registry, and the schema generated from it -------------------------------------------

def test_config_schema_rule_ids_come_from_the_registry():
    path = REPO / "schemas" / registry.CONFIG_SCHEMA
    shipped = path.read_text(encoding="utf-8")
    assert shipped == registry.with_generated_rules(shipped), (
        f"schemas/{registry.CONFIG_SCHEMA} 的 properties.rules 与规则注册表不一致；"
        f"请运行 .venv/bin/{registry.REGENERATE} 重新生成并提交。")
    ids = json.loads(shipped)["properties"]["rules"]["properties"]
    assert list(ids) == sorted([*validate.RULES, *workflow.RULES])


def test_generator_rewrites_only_the_rules_property():
    schema = {"type": "object", "properties": {
        "host": {"enum": ["github", "gitlab"], "description": "另一个助手加的属性"},
        "rules": {"type": "object", "additionalProperties": {"enum": ["error"]}},
        "review_due_days": {"type": "integer"}}}
    text = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
    new = registry.with_generated_rules(text)
    assert new.startswith(text[:text.index('"rules"')]) and new.endswith(text[text.index('"review_due_days"') - 6:])
    assert json.loads(new) == {**schema, "properties": {**schema["properties"], "rules": registry.rules_schema()}}
    assert registry.with_generated_rules(new) == new


def test_registry_allowed_severities():
    table = registry.registry()
    strict = [r for r in workflow.RULES if workflow.RULES[r][0] == "error"]
    for rule_id in ("id-card-number", "unsafe-html", "unsafe-link", "schema", *strict):
        assert table[rule_id].allowed == ("error",), rule_id
    assert table["retire-in-use"].allowed == ("error", "warning")  # a workflow warning can be raised, never silenced
    assert table["three-100"].allowed == ("error", "warning", "off")
    assert {info.stage for info in table.values()} == {"validate", "check"}
    chosen = registry.severities({"version-bump": "off", "three-100": "off", "onsite-drill": "loud"})
    assert (chosen["version-bump"], chosen["three-100"], chosen["onsite-drill"]) == ("error", "off", "warning")


def test_gate_files_of_a_content_root_in_a_folder(tmp_path):
    import shutil

    from conftest import MINI

    top = tmp_path / "repo"
    content = top / "content"
    shutil.copytree(MINI, content)
    shutil.copy(REPO / "workflow.yaml", content / "workflow.yaml")
    git(top, "init", "-q", "-b", "main")
    codeowners.write(load_library(content)[0])
    commit(top, "初始内容")
    git(top, "checkout", "-q", "-b", "change")
    edit(content / CONFIG, "three-100: warning", "three-100: error")
    (top / ".gitlab-ci.yml").write_text("stages: [check]\n", encoding="utf-8")
    (top / "NOTICE.txt").write_text("不是审核关卡的文件\n", encoding="utf-8")  # control: not protected
    found, _ = check_against(content, "main", host("village-principal"))
    assert [(p.path, p.rule) for p in found] == [("../.gitlab-ci.yml", "protected-file"), (CONFIG, "protected-file")]
    assert rules(content, host("wj-safety-head")) == []
