"""Environment problems end with exit 4 and a Chinese message naming what is wrong and how to fix
it, never "工具的缺陷"; a real bug still ends with 3, an interrupt with 130 (report.EXIT_CODES)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli
from safeplan import cli
from safeplan.render.pdf import render_pdf
from safeplan.report import EXIT_ENVIRONMENT, EXIT_INTERNAL, EXIT_INTERRUPTED

BUG = "工具的缺陷"


def environment_failure(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == EXIT_ENVIRONMENT, result.stderr
    assert "Traceback" not in result.stderr and BUG not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_read_only_build_folder(tree):
    build = tree / "build"
    build.mkdir()
    # root ignores permission bits, so as root the folder is made immutable instead
    lock = ["chattr", "+i", str(build)] if os.geteuid() == 0 else ["chmod", "555", str(build)]
    unlock = ["chattr", "-i", str(build)] if os.geteuid() == 0 else ["chmod", "755", str(build)]
    subprocess.run(lock, check=True)
    try:
        result = run_cli("--root", str(tree), "build", "--only", "site")
    finally:
        subprocess.run(unlock, check=True)
    environment_failure(result, str(build), "提示：")
    assert not (build / "site").exists()
    assert run_cli("--root", str(tree), "build", "--only", "site").returncode == 0  # and once writable, it builds


def test_build_is_a_file(tree):
    (tree / "build").write_text("误建的文件", encoding="utf-8")
    environment_failure(run_cli("--root", str(tree), "build", "--only", "site"), "build", "删除或改名")


@pytest.mark.skipif(os.geteuid() != 0, reason="giving the repository to another owner needs root")
def test_git_dubious_ownership_names_the_safe_directory_command(tree):
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    git = ["git", "-c", "user.name=测试", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=tree, check=True, env=env)
    subprocess.run([*git, "add", "-A"], cwd=tree, check=True, env=env)
    subprocess.run([*git, "commit", "-qm", "导入"], cwd=tree, check=True, env=env)
    subprocess.run(["chown", "-R", "nobody", str(tree)], check=True)
    exe = Path(sys.executable).with_name("safeplan")
    for command in (["build", "--only", "site"], ["history", "fire"]):
        result = subprocess.run([str(exe), "--root", str(tree), *command], capture_output=True, text=True,
                                env={**env, "CI": "1"}, timeout=300)
        environment_failure(result, "dubious ownership", f"git config --global --add safe.directory {tree}")
    # control: with the exception git gives, the same build succeeds
    safe = tree.parent / "gitconfig"
    safe.write_text(f"[safe]\n\tdirectory = {tree}\n", encoding="utf-8")
    result = subprocess.run([str(exe), "--root", str(tree), "build", "--only", "site"], capture_output=True, text=True,
                            env={**env, "CI": "1", "GIT_CONFIG_GLOBAL": str(safe)}, timeout=300)
    assert result.returncode == 0, result.stderr


def test_missing_font(tree, monkeypatch, capsys):
    monkeypatch.setattr(render_pdf, "FACES", (("Safeplan Nonexistent Serif", "regular"),))
    monkeypatch.setenv("CI", "1")
    render_pdf.bundle_faces.cache_clear()  # an earlier build in this process may have found the real fonts
    try:
        code = cli.main(["--root", str(tree), "build", "--only", "pdf"])
    finally:
        render_pdf.bundle_faces.cache_clear()
    err = capsys.readouterr().err
    assert code == EXIT_ENVIRONMENT and BUG not in err
    assert "Safeplan Nonexistent Serif" in err and "apt-get install" in err and "fonts-noto-cjk" in err


def test_missing_pagefind(tree, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pagefind_bin_extended", None)  # import pagefind_bin_extended now raises ImportError
    code = cli.main(["--root", str(tree), "build", "--only", "site"])
    err = capsys.readouterr().err
    assert code == EXIT_ENVIRONMENT and "Pagefind" in err and "pip install" in err and BUG not in err


def test_a_real_bug_still_says_so(tree, monkeypatch, capsys):
    import safeplan.checks.library_check as library_check

    def broken(root):
        raise ZeroDivisionError("division by zero")
    monkeypatch.setattr(library_check, "check_library", broken)
    monkeypatch.delenv("SAFEPLAN_DEBUG", raising=False)
    assert cli.main(["--root", str(tree), "validate"]) == EXIT_INTERNAL
    assert BUG in capsys.readouterr().err


def test_interrupt(tree, monkeypatch, capsys):
    import safeplan.checks.library_check as library_check

    def interrupted(root):
        raise KeyboardInterrupt
    monkeypatch.setattr(library_check, "check_library", interrupted)
    assert cli.main(["--root", str(tree), "validate"]) == EXIT_INTERRUPTED
    assert "已中断" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["99999999999999999", "明天", "-1"])
def test_unusable_source_date_epoch(tree, value, monkeypatch):
    monkeypatch.setenv("CI", "1")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    environment_failure(run_cli("--root", str(tree), "build", "--only", "site"), "SOURCE_DATE_EPOCH", "提示：")


def test_port_out_of_range(tree):
    result = run_cli("--root", str(tree), "serve", "--port", "99999")
    assert result.returncode == 2 and "换一个端口" in result.stdout + result.stderr and BUG not in result.stdout + result.stderr
