"""The hosts a district runs: CODEOWNERS per host, the CI files of GitHub, Gitea and GitLab, the gate script."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, edit, run_cli
from safeplan import codeowners
from safeplan.hosts import HOSTS
from safeplan.loader import load_library
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
    for path in ("district.yaml", FIRE, "scripts/safeplan/workflow.py", ".gitea/workflows/publish.yml", "safeplan.yaml"):
        assert gitea_owners(rules, path) == set(DISTRICT.split()), path
    assert "schools/small-village-primary\\\\.yaml @village-principal" in text.splitlines()


# ---- the repository's own CI files --------------------------------------------------------------
