"""Atomic output, tested deterministically: a failure or a kill at the k-th rename or write inside
output.py (through its `_step` seam), for every k, leaves the old or the new output complete, and
the next build succeeds and leaves nothing behind."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import pytest

from conftest import edit
from safeplan import cli
from safeplan.render import output
from safeplan.render.pdf import render_pdf

OLD = {f"page-{n}.html": f"old {n}" for n in range(5)}
NEW = {f"page-{n}.html": f"new {n}" for n in range(6)}


def contents(folder: Path) -> dict[str, str] | None:
    if not folder.is_dir():
        return None
    return {p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.is_file()}


def publish(final: Path, pages: dict[str, str]) -> None:
    """A renderer in miniature: stage every page through write_text, then swap the folder in."""
    with output.staged_directory(final) as staging:
        for name, text in pages.items():
            output.write_text(staging / name, text)


def steps_of(action, monkeypatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(output, "_step", lambda name, path: seen.append(name))
    action()
    monkeypatch.setattr(output, "_step", lambda name, path: None)
    return seen


def killed_at(k: int, action) -> None:
    """Run action in a child process that dies (no cleanup, like SIGKILL) at its k-th step."""
    pid = os.fork()
    if pid == 0:  # child
        count = [0]

        def step(name, path):
            count[0] += 1
            if count[0] == k:
                os._exit(9)
        output._step = step
        try:
            action()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status)


@pytest.mark.parametrize("mode", ["exchange", "two-renames"])
def test_a_kill_at_every_step_leaves_old_or_new(mode, tmp_path, monkeypatch):
    if mode == "two-renames":
        monkeypatch.setattr(output, "_renameat2", None)
    else:
        assert output._renameat2 is not None, "renameat2 is there on Linux with glibc ≥ 2.28"
    final = tmp_path / "build" / "site"
    publish(final, OLD)
    steps = steps_of(lambda: publish(final, NEW), monkeypatch)
    assert ("exchange" if mode == "exchange" else "rename") in steps
    missing_before_recovery = 0
    for k in range(1, len(steps) + 1):
        publish(final, OLD)
        killed_at(k, lambda: publish(final, NEW))
        seen = contents(final)
        if mode == "exchange":
            assert seen in (OLD, NEW), f"step {k} ({steps[k - 1]}): {seen}"  # at every instant, no recovery needed
        missing_before_recovery += seen is None
        output.recover_all(final.parent)
        assert contents(final) in (OLD, NEW), f"step {k} ({steps[k - 1]}) after recovery"
        publish(final, NEW)
        assert contents(final) == NEW
        assert [p.name for p in final.parent.iterdir()] == ["site"], f"step {k}: leftovers"
    # the two-rename fallback has an instant without build/site, which is why every start recovers
    assert missing_before_recovery == (0 if mode == "exchange" else 1)


def digest(folder: Path) -> str | None:
    if not any((folder / name).is_file() for name in ("index.html", "manifest.json")):
        return None
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():  # the search index too: in-process rebuilds segment it the same way
            h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("target", ["site", "pdf"])
def test_disk_full_at_every_step_of_a_real_build(target, tree, monkeypatch, capsys):
    """Real `build --only TARGET` runs in-process, switching between two versions of one school; in the
    k-th build the k-th write or rename fails as a full disk would. Each build runs every step of the
    measured one: the changed school's bundle is taken out of the PDF cache first, so it is cached again."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1788220800")
    monkeypatch.setenv("CI", "1")
    rendered: dict[tuple[str, str, bool], tuple[bytes, int]] = {}
    weasyprint_render = render_pdf.render_pdf

    def render_once(html: str, key: str, restart: bool = True, share: bool = False) -> tuple[bytes, int]:  # once per input
        if (html, key, restart) not in rendered:
            rendered[html, key, restart] = weasyprint_render(html, key, restart, share)
        return rendered[html, key, restart]
    monkeypatch.setattr(render_pdf, "render_pdf", render_once)

    argv = ["--root", str(tree), "build", "--only", target, "--jobs", "1"]
    out, cache = tree / "build" / target, tree / "build" / "cache" / "pdf"
    school = tree / "schools/small-village-primary.yaml"
    versions = {"old": school.read_text(encoding="utf-8")}
    versions["new"] = versions["old"].replace("name: 武进区样例村小", "name: 武进区样例村小（新）")
    assert versions["new"] != versions["old"]

    def build_version(name: str) -> int:
        school.write_text(versions[name], encoding="utf-8")
        return cli.main(argv)

    digests, changed = {}, {}
    for name in ("old", "new"):
        assert build_version(name) == 0
        digests[name] = digest(out)
        if target == "pdf":
            manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
            changed[name] = next(b["sha256"] for b in manifest["bundles"] if b["school"] == "small-village-primary")
    assert digests["old"] and digests["new"] and digests["old"] != digests["new"]

    def uncache(name: str) -> None:
        """The changed school's bundle of this version leaves the cache, its editions' PDFs too: the next build
        renders and caches them."""
        for entry in cache.glob("*.json") if name in changed else ():
            bundle = json.loads(entry.read_text(encoding="utf-8"))
            if bundle["sha256"] == changed[name]:
                entry.unlink()
                for edition in bundle["editions"]:
                    for suffix in (".pdf", ".json"):
                        (cache / "pages" / f"{edition['html']}{suffix}").unlink()

    uncache("old")
    steps = steps_of(lambda: build_version("old"), monkeypatch)
    assert digest(out) == digests["old"]
    if target == "site":  # each page into the staged build/docs, then build/docs and build/site swapped in
        assert len(steps) > 10 and set(steps[:-2]) == {"write"} and steps[-2:] == ["exchange", "exchange"], steps
    else:  # the changed school's 3 editions (PDF and its entry each) and its bundle entry into the cache; both
        # schools' editions linked into the staged build/pdf (no cards in the mini library), the manifest written,
        # then build/pdf swapped in
        assert steps == ["write", "replace"] * 7 + ["write"] * 6 + ["write", "replace", "exchange"], steps
    current = "old"
    for k in range(1, len(steps) + 1):
        goal = "new" if current == "old" else "old"
        uncache(goal)
        count = [0]

        def step(name, path):
            count[0] += 1
            if count[0] == k:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        capsys.readouterr()
        monkeypatch.setattr(output, "_step", step)
        code = build_version(goal)
        monkeypatch.setattr(output, "_step", lambda name, path: None)
        err = capsys.readouterr().err
        assert count[0] >= k, f"step {k} ({steps[k - 1]}) never came: the build ran {count[0]} steps"
        assert code == 4 and "磁盘空间已满" in err and "Traceback" not in err, (k, steps[k - 1], err)
        assert digest(out) in (digests[current], digests[goal]), f"step {k} ({steps[k - 1]})"
        assert build_version(goal) == 0 and digest(out) == digests[goal], f"the build after step {k}"
        leftovers = [p.name for p in (tree / "build").iterdir() if ".staging-" in p.name or p.name.endswith(".previous")]
        assert leftovers == [], (k, leftovers)
        assert not [p.name for p in cache.glob(".*")], (k, "a temporary file left in the cache")
        current = goal


def test_serve_recovers_a_swap_a_kill_interrupted(tree):
    """A kill between the two renames of the fallback leaves only .site.previous; `serve` puts it back
    and serves it even though the content now has an error and no new site can be built."""
    import signal
    import subprocess
    import sys

    from test_site import fetch, free_port, wait_for

    assert cli.main(["--root", str(tree), "build", "--only", "site"]) == 0
    site = tree / "build" / "site"
    site.rename(tree / "build" / ".site.previous")  # the instant between the two renames
    edit(tree / "schools/small-village-primary.yaml", "students: 60", "students: 60.5")  # now refused
    port = free_port()
    process = subprocess.Popen([str(Path(sys.executable).with_name("safeplan")), "--root", str(tree), "serve",
                                "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "CI": "1"})
    try:
        wait_for(lambda: "武进区样例村小" in fetch(f"http://127.0.0.1:{port}/schools/"), 120, "serve did not serve the last good site")
    finally:
        process.send_signal(signal.SIGINT)
        output_text, _ = process.communicate(timeout=30)
    assert "内容有错误，网站没有更新" in output_text, output_text
    assert (site / "index.html").is_file() and not (tree / "build" / ".site.previous").exists()
