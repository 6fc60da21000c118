"""Every corpus case whose input can be built is built (`build --only site`) and served on 127.0.0.1
to headless Chromium, which visits the pages of the case's documents: no dialog opens, no content
script logs, and no request leaves 127.0.0.1. Cases that validate refuses only for what content
*says* (unsafe HTML or links, placeholders) are built with those rules switched off, so the
renderer's own sanitising is tested on the hostile inputs; cases the loader or schema refuse
cannot be built at all. A control page without sanitising, in the same harness, must trip it.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
import time
from pathlib import Path

import pytest
import yaml

import test_bad_inputs as corpus
from safeplan import cli
from safeplan.checks import validate
from safeplan.content.loader import kind_of, load_library
from safeplan.render.site.index import SECTION_PAGES
from safeplan.render.site.markup import page_name

# one worker builds every corpus case once (built_cases) under pytest -n --dist loadgroup
pytestmark = pytest.mark.xdist_group("test_corpus_browser")

# Rules about what content says that the renderer enforces again by itself (sanitize.py); a case
# refused by any other rule cannot be built and is checked by test_bad_inputs alone.
RENDERER_ENFORCED = {"unsafe-html", "unsafe-link"}
UNGUARDED = "unguarded-rules.json"  # beside a case's tree: the validate rules its build runs without
PARALLEL = 2
CONTROL = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<p>未经清洗的对照页</p><script>console.log("SAFEPLAN-MARKER content script ran"); alert("pwned");</script>
<img src="http://example.com/tracker.png"></body></html>"""


def case_inputs(tmp_path: Path) -> list[tuple[str, Path, list[str]]]:
    """(case, tree ready to build, content paths the case changed or [] for all) for every buildable case."""
    ready = []
    for name in corpus.CASES + sorted(corpus.GENERATED):
        folder = tmp_path / name
        if name in corpus.GENERATED:
            if corpus.GENERATED[name][1]["exit"] != 0:
                continue
            tree, changed = corpus.make_generated(name, folder), []
        else:
            expect = yaml.safe_load((corpus.CORPUS / name / "expect.yaml").read_text(encoding="utf-8"))
            if expect["exit"] != 0 and expect["rule"] not in RENDERER_ENFORCED:
                continue
            tree = corpus.lay(corpus.CORPUS / name, folder)
            changed = sorted(p.relative_to(corpus.CORPUS / name / "tree").as_posix()
                             for p in (corpus.CORPUS / name / "tree").rglob("*") if p.is_file())
            if expect["exit"] != 0:
                result, _ = corpus.validate(tree)
                failing = {p["rule"] for p in json.loads(result.stdout)["problems"] if p["severity"] == "error"}
                if not failing <= RENDERER_ENFORCED:
                    continue
                # take out exactly the rules that refused it (they cannot be switched off in safeplan.yaml):
                # the renderer alone must keep it safe
                (tree.parent / UNGUARDED).write_text(json.dumps(sorted(failing)), encoding="utf-8")
        ready.append((name, tree, changed))
    return ready


def build_all(trees: list[Path]) -> list[corpus.Run]:
    """`build --only site` for each tree, PARALLEL forked children at a time (the parent is warmed up)."""
    results: dict[int, corpus.Run] = {}
    pending = list(enumerate(trees))
    running: dict[int, int] = {}
    while pending or running:
        while pending and len(running) < PARALLEL:
            index, tree = pending.pop(0)
            pid = os.fork()
            if pid == 0:
                unguarded = tree.parent / UNGUARDED
                for rule_id in json.loads(unguarded.read_text(encoding="utf-8")) if unguarded.is_file() else []:
                    del validate.RULES[rule_id]  # in this child only
                run, _ = corpus.run_forked("--root", str(tree), "build", "--only", "site")
                (tree / "build-result.json").write_text(json.dumps(vars(run)), encoding="utf-8")
                os._exit(0)
            running[pid] = index
        pid = next(iter(running))
        os.waitpid(pid, 0)
        index = running.pop(pid)
        saved = trees[index] / "build-result.json"
        results[index] = corpus.Run(**json.loads(saved.read_text(encoding="utf-8"))) if saved.is_file() else \
            corpus.Run(-1, "", "the build process died")
    return [results[index] for index in range(len(trees))]


def pages_of(tree: Path, changed: list[str]) -> list[str]:
    """Site paths of the documents a case changed (all documents when it names none), plus the home page."""
    library, _ = load_library(tree)
    urls = {"/"}
    for doc in library.documents:
        if changed and doc.path not in changed:
            continue
        if doc.kind in SECTION_PAGES:
            urls.add(f"/{SECTION_PAGES[doc.kind]}/{page_name(doc.id)}/")
        elif doc.kind == "school":
            urls.add(f"/schools/{page_name(doc.id)}/")
    if any(kind_of(path) in (None, "district", "config") for path in changed):
        urls.add("/schools/")
    return sorted(urls)


class Harness:
    """One Chromium; each visit records dialogs, console messages and requests, and blocks any off 127.0.0.1."""

    def __init__(self, browser, origin: str):
        self.browser, self.origin = browser, origin
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.outside: list[str] = []

    def visit(self, urls: list[str]) -> None:
        context = self.browser.new_context()
        page = context.new_page()
        page.on("dialog", lambda dialog: (self.dialogs.append(f"{page.url}: {dialog.message}"), dialog.dismiss()))
        page.on("console", lambda message: self.console.append(f"{page.url}: {message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.console.append(f"{page.url}: pageerror: {error}"))

        def route(request_route):
            url = request_route.request.url
            if url.startswith(self.origin):
                request_route.continue_()
            else:
                self.outside.append(url)
                request_route.abort()
        context.route("**/*", route)
        try:
            for url in urls:
                page.goto(self.origin + url, wait_until="load")
                page.mouse.move(200, 200)  # hover handlers get their chance
                page.evaluate("() => new Promise(done => setTimeout(done, 50))")
        finally:
            context.close()


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    from test_site import CHROMIUM_ARGS

    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):  # the browser moved on to the next page
            pass


def serve(folder: Path):
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def built_cases(tmp_path_factory):
    """Every buildable case built; (served folder, case → site paths to visit, seconds taken)."""
    saved = {key: os.environ.get(key) for key in ("SOURCE_DATE_EPOCH", "CI")}
    os.environ.update(SOURCE_DATE_EPOCH="1788220800", CI="1")
    tmp_path = tmp_path_factory.mktemp("corpus-sites")
    started = time.monotonic()
    try:
        cases = case_inputs(tmp_path / "cases")
        prepared = time.monotonic()
        warm = corpus.lay(None, tmp_path / "warm")  # import MkDocs and Material once, before forking
        assert cli.main(["--root", str(warm), "build", "--only", "site"]) == 0
        served = tmp_path / "served"
        served.mkdir()
        visits: dict[str, list[str]] = {}
        for (name, tree, changed), built in zip(cases, build_all([tree for _, tree, _ in cases])):
            assert built.returncode == 0 and "Traceback" not in built.stderr, (name, built.stderr[-1500:])
            (served / name).symlink_to(tree / "build" / "site", target_is_directory=True)
            visits[name] = [f"/{name}{url}" for url in pages_of(tree, changed)]
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    control = served / "control"
    control.mkdir()
    (control / "index.html").write_text(CONTROL, encoding="utf-8")
    return served, visits, {"prepare": prepared - started, "build": time.monotonic() - prepared}


def test_every_buildable_corpus_case_runs_no_content_script(built_cases, browser):
    served, visits, seconds = built_cases
    started = time.monotonic()
    server, origin = serve(served)
    try:
        harness = Harness(browser, origin)
        harness.visit(["/control/"])  # the control must trip every alarm, or the harness proves nothing
        assert harness.dialogs and any("SAFEPLAN-MARKER" in line for line in harness.console), harness.console
        assert any("example.com" in url for url in harness.outside), harness.outside
        harness = Harness(browser, origin)
        for name, urls in visits.items():
            harness.visit(urls)
    finally:
        server.shutdown()
        server.server_close()
    pages = sum(len(urls) for urls in visits.values())
    print(f"\n{len(visits)} cases: prepared in {seconds['prepare']:.0f} s, built in {seconds['build']:.0f} s, "
          f"{pages} pages visited in {time.monotonic() - started:.0f} s")
    assert len(visits) >= 25 and pages >= 60, (len(visits), pages)
    assert harness.dialogs == []
    assert harness.console == []
    assert harness.outside == []
