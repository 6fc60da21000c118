"""The hosts a district runs: CODEOWNERS per host, the CI files of GitHub, Gitea and GitLab, the gate script."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, edit, run_cli
from safeplan.review import codeowners
from safeplan.review.hosts import HOSTS
from safeplan.content.loader import load_library
from test_workflow import FIRE, VILLAGE, bump, commit, git, note, quiet_git, repo  # noqa: F401  (fixtures)

DISTRICT = "@wj-safety-deputy @wj-safety-head"


def set_host(root: Path, host: str) -> None:
    with open(root / "safeplan.yaml", "a", encoding="utf-8") as handle:
        handle.write(f"host: {host}\n")


# ---- CODEOWNERS on every host -------------------------------------------------------------------

def test_hosts_are_one_list_in_code_and_schema():
    schema = json.loads((REPO / "schemas/config.schema.json").read_text(encoding="utf-8"))
    assert tuple(schema["properties"]["host"]["enum"]) == HOSTS == tuple(codeowners.LOCATIONS)


@pytest.mark.parametrize("host", HOSTS)
def test_configured_host_decides_where_codeowners_goes_and_what_check_reads(repo, host):
    set_host(repo, host)
    result = run_cli("codeowners", cwd=repo)
    assert (result.returncode, result.stdout) == (0, f"已生成 {codeowners.LOCATIONS[host]}\n")
    assert run_cli("codeowners", "--check", cwd=repo).returncode == 0
    (repo / codeowners.LOCATIONS[host]).write_text("* @someone-else\n", encoding="utf-8")
    result = run_cli("codeowners", "--check", cwd=repo)
    assert result.returncode == 1 and f"{codeowners.LOCATIONS[host]}:1:1: error[codeowners-stale]" in result.stdout
    assert f"把 {codeowners.LOCATIONS[host]} 一起提交" in result.stdout


def test_host_flag_overrides_the_configuration(repo):
    result = run_cli("codeowners", "--host", "gitlab", cwd=repo)
    assert (result.returncode, result.stdout) == (0, "已生成 .gitlab/CODEOWNERS\n")
    assert run_cli("codeowners", "--check", "--host", "gitlab", cwd=repo).returncode == 0


def test_unknown_host_in_config_is_a_located_schema_error(repo):
    set_host(repo, "bitbucket")
    result = run_cli("validate", cwd=repo)
    assert result.returncode == 1 and re.search(r"safeplan\.yaml:\d+:\d+: error\[schema\].*bitbucket", result.stdout), result.stdout


@pytest.mark.parametrize("host", ("github", "gitlab"))
def test_gate_files_come_last_so_no_school_line_overrides_them(repo, host):
    note(repo, "village-note", "draft", extra="school: small-village-primary\n")
    lines = codeowners.render(load_library(repo)[0], host=host).splitlines()
    school = max(i for i, line in enumerate(lines) if "@village-principal" in line)
    gate = [i for i, line in enumerate(lines) if line.endswith(DISTRICT) and not line.startswith("* ")]
    assert [lines[i].split()[0] for i in gate] == [f"/{p}" for p in codeowners.PROTECTED_PATHS]
    assert min(gate) > school
    assert ("[审核规则与发布流程]" in lines) == (host == "gitlab")


def gitea_rules(text: str) -> list[tuple[bool, re.Pattern, list[str]]]:
    """Gitea's reading of its CODEOWNERS: unescape `\\x` like its tokenizer, anchor, `!` negates."""
    rules = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        tokens = re.findall(r"(?:\\.|[^\s\\])+", line)
        pattern = re.sub(r"\\(.)", r"\1", tokens[0])
        negative = pattern.startswith("!")
        rules.append((negative, re.compile(f"^{pattern.removeprefix('!')}$"), tokens[1:]))
    return rules


def gitea_owners(rules, path: str) -> set[str]:
    """Every matching rule's owners: Gitea asks them all."""
    return {o for negative, rule, owners in rules if bool(rule.match(path)) != negative for o in owners}


def test_gitea_regexps_give_each_file_the_same_owners_as_github(repo):
    note(repo, "village-note", "draft", extra="school: small-village-primary\n")
    text = codeowners.render(load_library(repo)[0], host="gitea")
    rules = gitea_rules(text)
    assert gitea_owners(rules, "schools/small-village-primary.yaml") == {"@village-principal"}
    assert gitea_owners(rules, "notes/village-note.md") == {"@village-principal"}
    assert gitea_owners(rules, "schools/smallXvillage-primary.yaml") == set(DISTRICT.split())  # "." is escaped
    for path in ("district.yaml", FIRE, "scripts/safeplan/review/workflow.py", ".gitea/workflows/publish.yml", "safeplan.yaml"):
        assert gitea_owners(rules, path) == set(DISTRICT.split()), path
    assert "schools/small-village-primary\\\\.yaml @village-principal" in text.splitlines()


# ---- the repository's own CI files --------------------------------------------------------------

GITHUB_FLOWS = sorted((REPO / ".github/workflows").glob("*.yml"))
GITEA_FLOWS = sorted((REPO / ".gitea/workflows").glob("*.yml"))
GATE = REPO / "scripts/ci/gate.sh"


def actionlint(*files: Path, cwd: Path = REPO) -> subprocess.CompletedProcess:
    exe = str(Path(sys.executable).with_name("actionlint"))
    return subprocess.run([exe, "-color=false", *map(str, files)], cwd=cwd, capture_output=True, text=True)


def check_gitlab(path: Path) -> subprocess.CompletedProcess:
    exe = str(Path(sys.executable).with_name("check-jsonschema"))
    return subprocess.run([exe, "--builtin-schema", "vendor.gitlab-ci", str(path)], capture_output=True, text=True, timeout=120)


def test_github_and_gitea_workflows_lint_clean():
    assert shutil.which("shellcheck"), "缺少 shellcheck：运行 scripts/ensure-system.sh test（make test 会自动运行）"
    assert len(GITHUB_FLOWS) == 2 and [p.name for p in GITEA_FLOWS] == ["publish.yml", "pull-request.yml"]
    result = actionlint(*GITHUB_FLOWS, *GITEA_FLOWS)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_actionlint_reads_the_gitea_folder_when_named(tmp_path):
    broken = tmp_path / ".gitea/workflows/publish.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text((REPO / ".gitea/workflows/publish.yml").read_text(encoding="utf-8").replace("needs: gate", "needs: gaet"),
                      encoding="utf-8")
    git(tmp_path, "init", "-q")
    result = actionlint(broken, cwd=tmp_path)
    assert result.returncode == 1 and '"gaet"' in result.stdout


def test_gitlab_ci_matches_gitlabs_schema(tmp_path):
    result = check_gitlab(REPO / ".gitlab-ci.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / ".gitlab-ci.yml"
    broken.write_text((REPO / ".gitlab-ci.yml").read_text(encoding="utf-8").replace("expire_in: 7 days", "expire_in: [7]", 1),
                      encoding="utf-8")
    assert check_gitlab(broken).returncode == 1


def needs(job: dict) -> set[str]:
    found = job.get("needs") or []
    return {found} if isinstance(found, str) else {n if isinstance(n, str) else n["job"] for n in found}


def ungated(jobs: dict, gate: str) -> list[str]:
    """The jobs of a flow that could run without the gate job having passed."""
    return sorted(name for name, job in jobs.items() if name != gate and gate not in needs(job))


def gitlab_jobs(flow: dict, source: str) -> dict:
    """The GitLab jobs that run on the default branch (source "push") or in a merge request."""
    marker = "$CI_DEFAULT_BRANCH" if source == "push" else '"merge_request_event"'
    return {name: job for name, job in flow.items()
            if isinstance(job, dict) and "script" in job and any(marker in rule.get("if", "") for rule in job.get("rules", []))}


def test_every_build_and_deploy_job_waits_for_the_gate_on_every_host():
    load = lambda path: yaml.safe_load(path.read_text(encoding="utf-8"))  # noqa: E731
    for folder in (".github", ".gitea"):
        publish = load(REPO / folder / "workflows/publish.yml")
        assert len(publish["jobs"]) >= 2 and ungated(publish["jobs"], "gate") == [], folder
        assert "scripts/ci/gate.sh publish" in json.dumps(publish["jobs"]["gate"], ensure_ascii=False)
        assert publish[True]["schedule"] == [{"cron": "5 16 * * *"}]  # YAML 1.1 reads the key `on` as True
        pull = load(REPO / folder / "workflows/pull-request.yml")
        assert ungated(pull["jobs"], "check") == [] and "pull_request_review" in pull[True], folder
        assert "scripts/ci/gate.sh pull-request" in json.dumps(pull["jobs"]["check"], ensure_ascii=False)
    gitlab = load(REPO / ".gitlab-ci.yml")
    assert set(gitlab_jobs(gitlab, "push")) == {"publish-check", "pages"}
    assert ungated(gitlab_jobs(gitlab, "push"), "publish-check") == []
    assert ungated(gitlab_jobs(gitlab, "merge_request_event"), "check") == []
    assert gitlab["check"]["artifacts"]["reports"]["codequality"] == gitlab["check"]["variables"]["SAFEPLAN_REPORT"]
    # control: the same scan finds a job that skips the gate
    assert ungated({"gate": {}, "build": {"needs": "gate"}, "deploy": {"needs": ["build"]}}, "gate") == ["deploy"]


def test_pull_request_builds_are_the_internal_edition_kept_seven_days():
    for folder in (".github", ".gitea"):
        steps = yaml.safe_load((REPO / folder / "workflows/pull-request.yml").read_text(encoding="utf-8"))["jobs"]["build"]["steps"]
        uploads = [s["with"] for s in steps if "upload-artifact" in s.get("uses", "")]
        assert {u["name"] for u in uploads} == {"internal-site", "internal-bundles"}, folder
        assert {u["retention-days"] for u in uploads} == {7}, folder


# ---- the gate script, run as the publish job runs it, on a real repository ----------------------

def gate(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """scripts/ci/gate.sh as a local run (no host: approvals are not fetched), CI unset."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(root.parent),
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", **env}
    return subprocess.run(["bash", str(GATE), *args], cwd=root, env=env, capture_output=True, text=True, timeout=300)


def push_to_main(root: Path, change) -> str:
    """Commit a change straight onto main, as a push would; returns the commit before the push."""
    git(root, "checkout", "-q", "main")
    before = git(root, "rev-parse", "HEAD")
    change()
    commit(root, "直接推送到 main")
    return before


def test_publish_gate_stops_an_unbumped_edit_of_an_approved_plan(repo):
    before = push_to_main(repo, lambda: edit(repo / FIRE, "先报 119，再报学校领导", "先报 119，立即再报学校领导"))
    dates = repo.parent / "github-output"
    result = gate(repo, "publish", before, "push", SAFEPLAN_DATE_OUTPUT=str(dates))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{FIRE}:" in result.stdout and "error[version-bump]" in result.stdout
    assert not dates.exists()  # a push keeps the commit's own date
    # a new branch or a manual run has no "before": the last commit is checked, and still refused
    result = gate(repo, "publish", "0" * 40, "workflow_dispatch")
    assert result.returncode == 1 and "error[version-bump]" in result.stdout
    assert "检查最近一次合入（HEAD^ 到 HEAD）" in result.stdout
    # the daily rebuild brings no commits: it validates and skips the check
    result = gate(repo, "publish", "", "schedule", SAFEPLAN_DATE_OUTPUT=str(dates))
    today = (datetime.now(timezone.utc) + timedelta(hours=8)).date()  # Asia/Shanghai
    assert result.returncode == 0 and f"定时构建（{today.isoformat()}）：没有新的提交" in result.stdout
    # pinned to today there: the date the builds print (the epoch's UTC date) is Shanghai's today
    (line,) = dates.read_text().splitlines()
    epoch = int(line.removeprefix("SOURCE_DATE_EPOCH="))
    assert datetime.fromtimestamp(epoch, timezone.utc).date() == today


def test_publish_gate_passes_a_bumped_and_recorded_edit(repo):
    def amend():
        edit(repo / FIRE, "先报 119，再报学校领导", "先报 119，立即再报学校领导")
        bump(repo / FIRE)
    before = push_to_main(repo, amend)
    result = gate(repo, "publish", before, "push")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error[" not in result.stdout and "检查了 1 个文件" in result.stdout


def test_gate_script_refuses_a_missing_base(repo):
    result = gate(repo, "pull-request")
    assert result.returncode == 2 and "用法：scripts/ci/gate.sh" in result.stderr


def test_publish_gate_audits_what_an_earlier_push_left_unapproved(repo):
    push_to_main(repo, lambda: edit(repo / FIRE, "先报 119，再报学校领导", "先报 119，立即再报学校领导"))
    before = push_to_main(repo, lambda: (repo / "README.md").write_text("说明\n", encoding="utf-8"))
    result = gate(repo, "publish", before, "push")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "error[version-bump]" not in result.stdout  # this push itself is clean ...
    assert f"{FIRE}:" in result.stdout and "error[audit-silent-edit]" in result.stdout  # ... the audit is not
