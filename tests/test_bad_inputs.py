"""The corpus of hostile and broken inputs (tests/bad-inputs/): each gets a located Chinese
error or a safe literal rendering, the documented exit code, no traceback, and bounded time
and memory. Each case folder holds `tree/` (files laid over the minimal library) and
`expect.yaml` (exit code, rule, message fragment, line). Cases that need special files
(FIFOs, sockets, symlinks, git history) are made by the functions in GENERATED below.

Each case runs the real CLI in a forked child of this process (the modules are already
imported, so a case costs milliseconds, not an interpreter start), with its address space
limited and a timer that kills it: a hang or a memory blow-up fails the case.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import MINI, REPO
from safeplan import cli
from safeplan.checks.library_check import check_library

check_library(MINI)  # import and compile everything validate needs once, before the children fork

CORPUS = REPO / "tests" / "bad-inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expect.yaml").is_file())
SECONDS = 30
MEMORY = 1536 * 2**20


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def run_forked(*argv: str) -> tuple[Run, float]:
    """`safeplan ARGV` in a forked child: bounded by SECONDS of wall time and MEMORY of address space."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:  # child: never returns into pytest
            code = 99
            try:
                resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
                signal.alarm(SECONDS)
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
                sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
                code = cli.main(list(argv))
            except BaseException:
                import traceback
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    assert not os.WIFSIGNALED(status), f"killed by signal {os.WTERMSIG(status)} after {seconds:.1f} s (limit {SECONDS} s)"
    return Run(os.WEXITSTATUS(status), stdout, stderr), seconds


def validate(tree: Path) -> tuple[Run, float]:
    return run_forked("--root", str(tree), "validate", "--format", "json")


def lay(case_dir: Path | None, tmp_path: Path) -> Path:
    tree = tmp_path / "library"
    shutil.copytree(MINI, tree)
    if case_dir is not None:
        shutil.copytree(case_dir / "tree", tree, dirs_exist_ok=True)
    return tree


def check(result: Run, expect: dict) -> dict:
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == expect["exit"], result.stdout[-2000:] + result.stderr
    payload = json.loads(result.stdout)
    if expect["exit"] == 0:
        assert payload["errors"] == 0, payload["problems"][:5]
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


# ---- cases made in the test: special files, symlinks, many files, git history ----------------------

GIT_ENV = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "测试", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "GIT_AUTHOR_DATE": "2026-09-01T08:00:00+08:00", "GIT_COMMITTER_DATE": "2026-09-01T08:00:00+08:00"}
HOSTILE_TEXT = "改\x1f预案\x1e \x1b[31m红字\x1b[0m \u202e反向 %x00%H%n 结束"


def _load_error(path: str, message: str) -> dict:
    return {"exit": 1, "rule": "load", "path": path, "message": message}


def _fifo(tree: Path, rel: str) -> None:
    (tree / rel).unlink(missing_ok=True)
    os.mkfifo(tree / rel)


def _socket(tree: Path, rel: str) -> None:
    cwd = os.getcwd()
    os.chdir((tree / rel).parent)  # bound by a relative name: socket paths are limited to 108 bytes
    try:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind((tree / rel).name)
        sock.close()  # the socket file stays
    finally:
        os.chdir(cwd)


def _link(tree: Path, rel: str, target: str) -> None:
    (tree / rel).symlink_to(target)


def _swap_folder(tree: Path, folder: str, target: Path) -> None:
    shutil.move(str(tree / folder), str(target))
    (tree / folder).symlink_to(target, target_is_directory=True)


def _commit(tree: Path, message: str, author: str = "冯样例") -> None:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_NAME": author}
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tree, env=env, check=True)
    subprocess.run(["git", "add", "-A"], cwd=tree, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "-F", "-"], input=message.encode(), cwd=tree, env=env, check=True)


def _many_broken_notes(tree: Path, count: int = 2000) -> None:
    for index in range(count):
        (tree / "notes" / f"n{index:04}.md").write_text(f"---\nid: n{index:04}\ntitle: [未闭合\n---\n正文\n", encoding="utf-8")


# name → (make the case in a copy of the minimal library, what to expect); the names count as corpus cases
GENERATED = {
    "crash-fifo-in-plans": (lambda t: _fifo(t, "plans/school/pipe.md"), _load_error("plans/school/pipe.md", "命名管道")),
    "crash-fifo-as-district": (lambda t: _fifo(t, "district.yaml"), _load_error("district.yaml", "命名管道")),
    "crash-fifo-without-suffix": (lambda t: _fifo(t, "notes/pipe"), _load_error("notes/pipe", "命名管道")),
    "crash-socket-in-notes": (lambda t: _socket(t, "notes/s.md"), _load_error("notes/s.md", "套接字")),
    "crash-symlink-to-dev-zero": (lambda t: _link(t, "notes/zero.md", "/dev/zero"), _load_error("notes/zero.md", "设备")),
    "crash-symlink-to-dev-urandom": (lambda t: _link(t, "checklists/r.yaml", "/dev/urandom"),
                                     _load_error("checklists/r.yaml", "设备")),
    "crash-self-loop-symlink": (lambda t: _link(t, "schools/self.yaml", "self.yaml"), _load_error("schools/self.yaml", "循环")),
    "crash-mutual-symlink-loop": (lambda t: (_link(t, "notes/a.md", "b.md"), _link(t, "notes/b.md", "a.md")),
                                  _load_error("notes/b.md", "循环")),
    "crash-dangling-symlink": (lambda t: _link(t, "drills/gone.md", "missing.md"), _load_error("drills/gone.md", "不存在")),
    "crash-symlink-file-to-folder-accepted": (lambda t: _link(t, "notes/folder.md", "../plans"),
                                              {"exit": 0, "rule": "load", "path": "notes/folder.md", "message": "没有读取"}),
    "crash-schools-symlink-inside": (lambda t: (os.mkdir(t / "shared"), _swap_folder(t, "schools", t / "shared" / "schools")),
                                     _load_error("schools", "符号链接")),
    "crash-schools-symlink-outside": (lambda t: _swap_folder(t, "schools", t.parent / "outside-schools"),
                                      _load_error("schools", "符号链接")),
    "crash-plans-symlink-to-file": (lambda t: (shutil.rmtree(t / "plans"), _link(t, "plans", "district.yaml")),
                                    _load_error("plans", "不是目录")),
    "crash-district-is-directory": (lambda t: ((t / "district.yaml").unlink(), (t / "district.yaml").mkdir()),
                                    _load_error("district.yaml", "目录")),
    "crash-symlinked-subfolder-accepted": (lambda t: _link(t, "plans/linked", "../notes"),
                                           {"exit": 0, "rule": "load", "path": "plans/linked", "message": "没有读取"}),
    # assets/ holds images only: a FIFO there is refused without being opened (opening one would block)
    "crash-fifo-in-assets": (lambda t: ((t / "assets").mkdir(), _fifo(t, "assets/map.png")),
                             {"exit": 1, "rule": "asset-type", "path": "assets/map.png", "message": "不是普通文件"}),
    "crash-two-thousand-broken-files": (_many_broken_notes, _load_error("notes/n1999.md", "YAML 格式错误")),
    # the site shows revision summaries, never commit subjects; the internal edition shows authors, escaped
    "crash-git-subject-control-chars-accepted": (lambda t: _commit(t, HOSTILE_TEXT, author="冯\x1b[31m样例\x1f"),
                                                 {"exit": 0, "git": True}),
    "crash-git-author-control-chars-accepted": (lambda t: _commit(t, "导入", author="冯\x1f样\x1b[2J例"), {"exit": 0, "git": True}),
}


def make_generated(name: str, tmp_path: Path) -> Path:
    tree = lay(None, tmp_path)
    GENERATED[name][0](tree)
    return tree


def test_corpus_size():
    # 65 before issue 11; it added crash-* and generated (63), cfg-/asset- (29), tpl-/safe- (36), leak- (19)
    assert len(CASES) + len(GENERATED) >= 212


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_case(name, tmp_path):
    tree = make_generated(name, tmp_path)
    expect = GENERATED[name][1]
    result, _ = validate(tree)  # run_forked fails the test if the child outlives SECONDS
    payload = check(result, expect)
    if expect.get("exit") == 0 and "rule" in expect:  # accepted, with a located warning
        assert any(p["rule"] == expect["rule"] and p["path"] == expect["path"] and expect["message"] in p["message"]
                   for p in payload["problems"]), payload["problems"]
    if expect.get("build"):
        built, _ = run_forked("--root", str(tree), "build", "--only", "site")
        assert built.returncode == 0 and "Traceback" not in built.stderr, built.stderr
        assert not (tree / "build" / "site" / "assets" / "map.png").exists()
    if expect.get("git"):  # history with hostile text: the site builds and shows it escaped
        built, _ = run_forked("--root", str(tree), "build", "--only", "site")
        assert built.returncode == 0, built.stderr
        pages = "".join(p.read_text(encoding="utf-8") for p in (tree / "build" / "site").rglob("*.html"))
        assert "\\x1f" in pages or "\\x1b" in pages, "the escaped author is shown"
        assert "红字" not in pages, "a commit subject is shown"
        for raw in ("\x1f", "\x1e", "\x1b", "\u202e"):
            assert raw not in pages, repr(raw)


@pytest.mark.parametrize("name", CASES)
def test_bad_input(name, tmp_path):
    expect = yaml.safe_load((CORPUS / name / "expect.yaml").read_text(encoding="utf-8"))
    tree = lay(CORPUS / name, tmp_path)
    result, _ = validate(tree)
    check(result, expect)
    if "literal" in expect:
        from safeplan.content.loader import load_library
        from safeplan.resolve.views import resolve_all

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
    size = (tree / "schools" / "huge.yaml").stat().st_size
    result, _ = validate(tree)  # run_forked fails the test if the child outlives SECONDS
    check(result, {"exit": 1, "rule": "load", "path": "schools/huge.yaml", "message": f"文件大小 {size // 1024} KB，超过上限"})


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
    result, _ = validate(tree)  # run_forked fails the test if the walk outlives SECONDS
    check(result, {"exit": 0})


def test_renderer_shares_the_loaders_depth_limit():
    """Text that reaches the renderer without the loader (e.g. filled in from elsewhere) is shown, not parsed."""
    from safeplan.content.loader import MAX_DEPTH, too_deep
    from safeplan.content.sanitize import markdown_to_safe_html

    deep = "- " * 600 + "<script>x</script>深"
    assert too_deep(deep) == 0 and too_deep("- " * MAX_DEPTH + "深") is None
    html = markdown_to_safe_html(deep)  # would raise RecursionError inside Markdown
    assert html.startswith("<pre>") and "<script>" not in html and "深" in html
    assert "<ul>" in markdown_to_safe_html("- " * MAX_DEPTH + "深")  # at the limit it is still a list
