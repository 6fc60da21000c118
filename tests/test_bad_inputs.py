"""The corpus of hostile and broken inputs (tests/bad-inputs/): each gets a located Chinese
error or a safe literal rendering, the documented exit code, no traceback, and bounded time
and memory. Each case folder holds `tree/` (files laid over the minimal library) and
`expect.yaml` (exit code, rule, message fragment, line)."""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import MINI, REPO

CORPUS = REPO / "tests" / "bad-inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expect.yaml").is_file())
SECONDS = 30
MEMORY = 1536 * 2**20


def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def validate(tree: Path) -> tuple[subprocess.CompletedProcess, float]:
    exe = Path(sys.executable).with_name("safeplan")
    started = time.monotonic()
    result = subprocess.run([str(exe), "--root", str(tree), "validate", "--format", "json"],
                            capture_output=True, text=True, timeout=SECONDS, preexec_fn=_limit)
    return result, time.monotonic() - started


def lay(case_dir: Path | None, tmp_path: Path) -> Path:
    tree = tmp_path / "library"
    shutil.copytree(MINI, tree)
    if case_dir is not None:
        shutil.copytree(case_dir / "tree", tree, dirs_exist_ok=True)
    return tree


def check(result: subprocess.CompletedProcess, expect: dict) -> dict:
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == expect["exit"], result.stdout[-2000:] + result.stderr
    payload = json.loads(result.stdout)
    if expect["exit"] == 0:
        assert payload["errors"] == 0
        return payload
    found = [p for p in payload["problems"] if p["rule"] == expect["rule"] and p["path"] == expect["path"]]
    assert found, f"no {expect['rule']} problem at {expect['path']}: {payload['problems']}"
    assert any(expect["message"] in p["message"] for p in found), found
    for problem in found:
        assert problem["line"] >= 1 and problem["column"] >= 1
        assert problem["hint"], "every error says how to fix it"
    if "line" in expect:
        assert expect["line"] in [p["line"] for p in found], found
    return payload


def test_corpus_has_at_least_40_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", CASES)
def test_bad_input(name, tmp_path):
    expect = yaml.safe_load((CORPUS / name / "expect.yaml").read_text(encoding="utf-8"))
    tree = lay(CORPUS / name, tmp_path)
    result, _ = validate(tree)
    check(result, expect)
    if "literal" in expect:
        from safeplan.loader import load_library
        from safeplan.resolve import resolve_all

        library, _ = load_library(tree)
        bodies = [a.body for view in resolve_all(library) for a in view.documents]
        assert any(expect["literal"] in body for body in bodies)


def test_fifty_megabyte_file_is_refused_quickly(tmp_path):
    tree = lay(None, tmp_path)
    with open(tree / "schools" / "huge.yaml", "wb") as handle:
        handle.write(b"id: huge\nnotes: |\n")
        line = b"  " + "很长的内容".encode() * 100 + b"\n"
        for _ in range(50 * 2**20 // len(line)):
            handle.write(line)
    result, seconds = validate(tree)
    check(result, {"exit": 1, "rule": "load", "path": "schools/huge.yaml", "message": "超过上限"})
    assert seconds < SECONDS


def test_symlink_out_of_the_repository_is_refused(tmp_path):
    tree = lay(None, tmp_path)
    secret = tmp_path / "secret.yaml"
    secret.write_text("id: secret\n", encoding="utf-8")
    (tree / "schools" / "secret.yaml").symlink_to(secret)
    result, _ = validate(tree)
    check(result, {"exit": 1, "rule": "load", "path": "schools/secret.yaml", "message": "仓库之外"})


def test_symlink_inside_the_repository_is_followed(tmp_path):
    tree = lay(None, tmp_path)
    (tree / "shared").mkdir()
    (tree / "checklists" / "fire-safety.yaml").rename(tree / "shared" / "fire-safety.yaml")
    (tree / "checklists" / "fire-safety.yaml").symlink_to(tree / "shared" / "fire-safety.yaml")
    result, _ = validate(tree)
    check(result, {"exit": 0})


def test_directory_loop_does_not_hang(tmp_path):
    tree = lay(None, tmp_path)
    (tree / "plans" / "loop").symlink_to(tree / "plans", target_is_directory=True)
    result, seconds = validate(tree)
    check(result, {"exit": 0})
    assert seconds < SECONDS
