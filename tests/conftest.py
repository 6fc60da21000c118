"""Shared fixtures: small real content trees in temp dirs, and runners for the real CLI (in-process and as a script)."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MINI = REPO / "tests" / "fixtures" / "mini"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """Reviews fall due against the real clock; tests pin the day so that none starts failing when it passes."""
    monkeypatch.setenv("SAFEPLAN_TODAY", "2026-12-01")


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory) -> Path:
    """A folder of this test run that every xdist worker sees (each worker's own base folder is below it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(run_dir: Path, name: str, make) -> Path:
    """run_dir/name, made by make(folder) once per test run: the first worker to ask makes it under a lock,
    the others wait and then read it. Tests must not change it (copy it first)."""
    target = run_dir / name
    with open(run_dir / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (run_dir / f"{name}.done").exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            make(target)
            (run_dir / f"{name}.done").touch()
    return target


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the minimal valid library: district, two schools, one plan, checklist, drill, note."""
    target = tmp_path / "library"
    shutil.copytree(MINI, target)
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace text in a fixture file; fail loudly if the text is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`cli.main(args)` in this process, from cwd, with its own stdout and stderr: what the console script
    runs, without a 0.3–0.5 s interpreter start. run_script is the console script itself."""
    from safeplan import cli

    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(list(args))
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(["safeplan", *args], code, out.getvalue(), err.getvalue())


def run_script(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """The installed console script, as a user runs it (entry point, exit status, nothing but stderr on failure)."""
    exe = Path(sys.executable).with_name("safeplan")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=None if env is None else {**os.environ, **env})


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/golden/ from what the code generates now (test_site_golden.py)")
