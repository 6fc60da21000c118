"""Only render/output writes under the content root, and only content/loader reads the content files.

Checked at run time, not by reading the code: an audit hook sees every file the process opens
(and every hard link it makes) during a real in-process build of the fixture library, and names
the safeplan module nearest to each call on the stack. MkDocs writes the site into the staging
folder render/output gave it, so a write from third-party code that render_site.run_mkdocs
called is render/output's too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from safeplan.build import BuildOptions, build

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
WRITER = "safeplan.render.output"
READER = "safeplan.content.loader"
GIT_ENV = {"GIT_AUTHOR_NAME": "测试", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "测试",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


class Watch:
    """What was opened under a root, and which safeplan code opened it."""

    def __init__(self, root: Path):
        self.root = str(root.resolve()) + os.sep
        # the library as written: every file under the root but the outputs and git's own
        self.content = {str(p.resolve()) for p in root.rglob("*")
                        if p.is_file() and not p.relative_to(root).parts[0] in ("build", ".git")}
        self.writes: list[tuple[str, str]] = []  # (path, owner)
        self.reads: list[tuple[str, str]] = []

    def seen(self, event: str, args: tuple) -> None:
        if event == "open":
            path, _, flags = args
            writing = bool((flags or 0) & WRITE_FLAGS)
        else:  # os.link(source, target, …): a new file at target
            path, writing = args[1], True
        if isinstance(path, int):
            return
        path = os.path.abspath(os.fsdecode(path))
        if not path.startswith(self.root):
            return  # jieba's dictionary cache, bytecode, fonts: not the library's or its build's
        owner = _owner(sys._getframe(2))
        if writing:
            self.writes.append((path, owner))
        elif path in self.content:
            self.reads.append((path, owner))

    def stray_writes(self) -> list[tuple[str, str]]:
        return [(path, owner) for path, owner in self.writes if owner not in (WRITER, "mkdocs via run_mkdocs")]

    def stray_reads(self) -> list[tuple[str, str]]:
        return [(path, owner) for path, owner in self.reads if owner != READER]


def _owner(frame) -> str:
    """The safeplan module nearest the call; MkDocs' own writes count as run_mkdocs'."""
    third_party = False
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("safeplan"):
            if third_party and module == "safeplan.render.site.render_site" and frame.f_code.co_name == "run_mkdocs":
                return "mkdocs via run_mkdocs"
            return module
        third_party = third_party or not module.startswith(("pathlib", "shutil", "os", "io", "test_"))
        frame = frame.f_back
    return "(no safeplan code)"


_WATCHES: list[Watch] = []  # audit hooks stay for the life of the process: one hook serves every watch


def _hook(event: str, args: tuple) -> None:
    if _WATCHES and event in ("open", "os.link"):
        _WATCHES[-1].seen(event, args)


sys.addaudithook(_hook)


@pytest.fixture
def watched(tree, monkeypatch):
    """The fixture library in git, and a Watch over it while the test runs."""
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "首次导入"]):
        subprocess.run(["git", *args], cwd=tree, env={**os.environ, **GIT_ENV}, check=True, capture_output=True)
    watch = Watch(tree)
    _WATCHES.append(watch)
    yield tree, watch
    _WATCHES.remove(watch)


def test_a_build_writes_only_through_output_and_reads_content_only_in_the_loader(watched):
    tree, watch = watched
    result = build(BuildOptions(root=tree, jobs=1))
    assert not [p for p in result.problems if p.severity == "error"], result.problems
    assert (tree / "build" / "site" / "index.html").is_file() and list((tree / "build" / "pdf").glob("*.pdf"))
    assert watch.stray_writes() == []
    assert watch.stray_reads() == []
    # the hook saw the build: pages, bundles and the site went through output; the loader read every document
    owners = {owner for _, owner in watch.writes}
    assert {WRITER, "mkdocs via run_mkdocs"} <= owners
    assert {str((tree / "district.yaml").resolve()), str((tree / "safeplan.yaml").resolve())} <= {p for p, _ in watch.reads}


def test_the_guard_catches_a_renderer_writing_pages_itself(watched, monkeypatch):
    """Control: render_site writing its pages with Path.write_text instead of output's is caught."""
    from safeplan.render.site import render_site

    tree, watch = watched
    monkeypatch.setattr(render_site, "write_staged", lambda path, text: (
        path.parent.mkdir(parents=True, exist_ok=True), path.write_text(text, encoding="utf-8")))
    build(BuildOptions(root=tree, only=("site",), jobs=1))
    stray = watch.stray_writes()
    assert stray and {owner for _, owner in stray} == {"safeplan.render.site.render_site"}
    assert any(path.endswith(f"{os.sep}index.md") for path, _ in stray)


def test_the_guard_catches_a_content_read_outside_the_loader(watched):
    """Control: a renderer module opening a content file itself is caught; the loader doing so is not."""
    tree, watch = watched
    plan = str(next((tree / "plans").rglob("*.md")))
    for module in ("safeplan.render.pdf.bundle_html", READER):
        exec(compile("open(plan, encoding='utf-8').read()", module, "exec"), {"__name__": module, "plan": plan})
    assert watch.stray_reads() == [(str(Path(plan).resolve()), "safeplan.render.pdf.bundle_html")]
    assert len(watch.reads) == 2
