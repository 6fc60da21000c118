"""The web editor: /admin/ only in the internal site, `safeplan edit` end to end in headless Chromium."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import MINI, REPO, run_cli
from safeplan.content.loader import load_library

DIST = REPO / "node_modules" / "decap-cms" / "dist"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCHOOL = "hutang-experimental-primary"
NEW_MOBILE = "13900001099"

needs_decap = pytest.mark.skipif(not (DIST / "decap-cms.js").is_file() or not shutil.which("node"),
                                 reason="node_modules not installed: run make build (npm ci)")


def config_of(site: Path) -> dict:
    text = (site / "admin" / "config.yml").read_text(encoding="utf-8")
    return json.loads(text.split("\n", 1)[1])  # after the generated-file comment


@needs_decap
def test_the_internal_site_carries_the_editor_and_the_public_one_does_not(tree):
    result = run_cli("--root", str(tree), "build", "--only", "site")
    assert result.returncode == 0, result.stderr
    admin = tree / "build" / "site" / "admin"
    shipped = {p.name for p in admin.iterdir()}
    chunks = {p.name for p in DIST.glob("*.decap-cms.js")}
    assert {"index.html", "config.yml", "safeplan-editor.js", "decap-cms.js"} <= shipped and chunks <= shipped
    assert {p.name for p in DIST.glob("*.wasm")} <= shipped and any(n.endswith(".wasm") for n in shipped)
    assert not [n for n in shipped if n.endswith(".map")] and "cms.js" not in shipped  # no maps, no second build
    assert [p for p in DIST.iterdir() if p.name.endswith(".map")]  # control: the install has maps to leave out
    html = (admin / "index.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "http" not in html.split("<body>")[1]  # no CDN
    assert "script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline';" in html and "<script>" not in html
    names = {c["name"] for c in config_of(tree / "build" / "site")["collections"]}
    assert {"schools", "plans", "checklists", "drills", "notes"} <= names

    public = run_cli("--root", str(tree), "build", "--only", "site", "--audience", "public")
    assert public.returncode == 0, public.stderr
    assert not (tree / "build" / "site" / "admin").exists()


@needs_decap
def test_no_editor_builds_the_rest_and_says_so(tree):
    result = run_cli("--root", str(tree), "build", "--only", "site", "--no-editor")
    assert result.returncode == 0, result.stderr
    assert "未生成网页编辑器 /admin/（--no-editor）" in result.stdout + result.stderr
    assert (tree / "build" / "site" / "index.html").is_file() and not (tree / "build" / "site" / "admin").exists()


def test_without_node_modules_the_site_is_built_and_one_line_says_why(tree, monkeypatch, tmp_path):
    from safeplan.build import BuildOptions, build
    from safeplan.render.site import admin_pages

    monkeypatch.setattr(admin_pages, "REPOSITORY", tmp_path / "no-install")
    result = build(BuildOptions(root=tree, only=("site",)))
    assert not result.problems
    missing = [n for n in result.notes if "node_modules/decap-cms" in n]
    assert len(missing) == 1 and "其余照常生成" in missing[0]
    assert (tree / "build" / "site" / "index.html").is_file() and not (tree / "build" / "site" / "admin").exists()


def test_edit_without_node_says_what_to_install(tree, monkeypatch):
    from safeplan import cli_editor

    monkeypatch.setattr(cli_editor.shutil, "which", lambda name: None)
    with pytest.raises(cli_editor.EditorMissing, match="找不到 Node.js"):
        cli_editor.server_command(tree)


def test_edit_without_node_modules_says_what_to_run(tree, monkeypatch, tmp_path):
    from safeplan import cli_editor
    from safeplan.render.site import admin_pages

    monkeypatch.setattr(admin_pages, "REPOSITORY", tmp_path / "no-install")
    with pytest.raises(cli_editor.EditorMissing, match="(?s)找不到 node_modules/decap-server.*npm ci"):
        cli_editor.server_command(tree)
    monkeypatch.setattr(admin_pages, "REPOSITORY", REPO)  # the control: with the install it finds the server
    assert cli_editor.server_command(tree)[1].endswith("decap-server/dist/index.js")


# ---------------------------------------------------------------- end to end

def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}).stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def library_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "library"
    shutil.copytree(MINI, repo)
    shutil.copy(REPO / "workflow.yaml", repo / "workflow.yaml")
    (repo / ".gitignore").write_text("build/\n", encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    assert run_cli("--root", str(repo), "codeowners").returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "library")
    return repo


class Lines:
    """A process's output, line by line, readable with a timeout."""

    def __init__(self, stream):
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=lambda: [self.lines.put(line) for line in stream], daemon=True).start()

    def wait_for(self, text: str, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} in {self.seen}")


def branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--format=%(refname:short)").split()


@contextlib.contextmanager
def running_editor(repo: Path):
    """`safeplan edit` on repo, as a user starts it; stopped (SIGTERM, like Ctrl+C) on leaving, proxy included."""
    port, proxy = free_port(), free_port()
    process = subprocess.Popen([str(Path(sys.executable).with_name("safeplan")), "--root", str(repo), "edit",
                                "--port", str(port), "--proxy-port", str(proxy)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = Lines(process.stdout)
    try:
        assert f"http://127.0.0.1:{proxy}/api/v1" in output.wait_for("decap-server", 60)
        assert f"http://127.0.0.1:{port}/admin/" in output.wait_for("网页编辑器：", 10)
        output.wait_for("预览：", 120)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=90)  # a rebuild in progress under a loaded CI machine finishes its step first
    with pytest.raises(OSError):  # the proxy stopped with the editor
        socket.create_connection(("127.0.0.1", proxy), timeout=1).close()


@contextlib.contextmanager
def browser_page(outside: list[str]):
    """Headless Debian Chromium; every request that leaves 127.0.0.1 is recorded in `outside` and refused."""
    from playwright.sync_api import sync_playwright

    def record(route):
        if not route.request.url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            outside.append(route.request.url)
            return route.abort()
        return route.continue_()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.route("**/*", record)
        yield page
        control = browser.new_page()  # the recorder sees a request that leaves 127.0.0.1
        control.route("**/*", record)
        with pytest.raises(Exception):  # aborted by the recorder
            control.goto("https://example.org/x")
        browser.close()


def open_entry(page, port: int, collection: str, slug: str) -> None:
    page.goto(f"http://127.0.0.1:{port}/admin/")
    page.get_by_role("button", name="登录").click()
    page.goto(f"http://127.0.0.1:{port}/admin/#/collections/{collection}/entries/{slug}")


def wait_for_branch(page, repo: Path, seconds: float = 60) -> list[str]:
    """Waits in the page, never in time.sleep: playwright's sync API serves the page's route handler (the
    recorder) only while a playwright call runs, so a request sent after the click (a new entry's save asks
    twice before persistEntry) would wait unanswered in the recorder until Decap's 60 s timeout."""
    deadline = time.monotonic() + seconds
    while len(branches(repo)) == 1 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    return [b for b in branches(repo) if b != "main"]


def gate_accepts(repo: Path, branch: str) -> None:
    assert git(repo, "status", "--porcelain") == ""  # main's working tree untouched
    git(repo, "checkout", "-q", branch)
    approvals = repo.parent / "approvals.json"  # what the code host reports: the district's safety head approved
    approvals.write_text('["@wj-safety-head"]', encoding="utf-8")
    check = run_cli("--root", str(repo), "check", "--base", "main", "--approvals", str(approvals), "--author", "@editor")
    assert check.returncode == 0, check.stdout + check.stderr


@needs_decap
def test_edit_a_phone_in_the_browser_and_the_gate_accepts_the_branch(tmp_path):
    repo = library_repo(tmp_path)
    before, _ = load_library(repo)
    outside: list[str] = []
    with running_editor(repo) as port, browser_page(outside) as page:
        open_entry(page, port, "schools", SCHOOL)
        mobile = page.locator("[id^=principal-field-]").locator("input[id^=mobile-field-]")
        mobile.wait_for(timeout=60000)
        assert mobile.input_value() == before.get("school", SCHOOL).data["organisation"]["principal"]["mobile"]
        # styled: the page policy lets Decap's CSS-in-JS set the page's background (unstyled it stays transparent)
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)"

        mobile.fill("1390000１099")  # a full-width digit: refused by the form with the schema's words
        page.get_by_role("button", name="保存").first.click()
        page.get_by_text("不满足模式电话号码").first.wait_for(timeout=10000)
        page.wait_for_timeout(2000)
        assert branches(repo) == ["main"]

        mobile.fill("")
        mobile.fill(NEW_MOBILE)
        page.get_by_role("button", name="保存").first.click()
        new = wait_for_branch(page, repo)
    assert outside == ["https://example.org/x"]

    assert new == [f"cms/schools/{SCHOOL}"], branches(repo)
    gate_accepts(repo, new[0])
    assert git(repo, "diff", "--name-only", "main").split() == [f"schools/{SCHOOL}.yaml"]
    after, _ = load_library(repo)
    expected = json.loads(json.dumps(before.get("school", SCHOOL).data))
    expected["organisation"]["principal"]["mobile"] = NEW_MOBILE
    assert after.get("school", SCHOOL).data == expected  # nothing else changed
    saved = (repo / "schools" / f"{SCHOOL}.yaml").read_text(encoding="utf-8")
    assert saved.index("boarding:") < saved.index("nap_room:") < saved.index("hazmat_store:")  # nested key order kept


NOTE = "revision-triggers"


@needs_decap
def test_editing_an_approved_document_bumps_its_version_with_a_revision_record(tmp_path):
    """The preSave handler: no reason and summary, no save; with them, version 1.0 → 1.1 and a revision record."""
    repo = library_repo(tmp_path)
    before, _ = load_library(repo)
    outside: list[str] = []
    with running_editor(repo) as port, browser_page(outside) as page:
        open_entry(page, port, "notes", NOTE)
        summary = page.locator("[id^=summary-field-]").first
        summary.wait_for(timeout=60000)
        summary.fill("")
        summary.fill("修订记录中的“修订原因”只能从本清单中选择；复审不改内容时选“复审，内容未变”。")
        page.get_by_role("button", name="保存").first.click()
        page.get_by_text("请在表单末尾选择“本次修改的原因”").first.wait_for(timeout=10000)
        assert branches(repo) == ["main"]

        page.locator("[id^=edit_reason-field-]").first.click()
        page.get_by_text("面临的风险重大变化", exact=True).first.click()
        page.locator("[id^=edit_summary-field-]").first.fill("补充复审时如何选择修订原因。")
        page.get_by_role("button", name="保存").first.click()
        new = wait_for_branch(page, repo)
        today = page.evaluate("() => { const d = new Date(); return d.getFullYear() + '-' + "
                              "String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0'); }")
    assert outside == ["https://example.org/x"]
    assert new == [f"cms/notes/{NOTE}"], branches(repo)
    gate_accepts(repo, new[0])
    after, _ = load_library(repo)
    old, doc = before.get("note", NOTE), after.get("note", NOTE)
    assert doc.data["version"] == "1.1" and doc.data["revisions"][:-1] == old.data["revisions"]
    assert doc.data["revisions"][-1] == {"version": "1.1", "date": today, "reason": "risk_change",
                                         "summary": "补充复审时如何选择修订原因。"}
    assert "edit_reason" not in doc.data and "edit_summary" not in doc.data
    assert doc.body.strip() == old.body.strip()  # the Markdown body came through the editor as it was


DIRECTOR_MOBILE = "13900000099"


@needs_decap
def test_district_yaml_is_edited_in_its_own_form_and_a_plan_folder_presets_its_tier(tmp_path):
    """district.yaml opens as a file collection's form (Decap loads it only when no `extension` is set on the
    collection) and its save passes the gate; a plan folder's new-entry form has the folder's tier preset."""
    repo = library_repo(tmp_path)
    before, _ = load_library(repo)
    outside: list[str] = []
    with running_editor(repo) as port, browser_page(outside) as page:
        open_entry(page, port, "district", "district")
        mobile = page.locator("[id^=director-field-]").locator("input[id^=mobile-field-]")
        mobile.wait_for(timeout=60000)
        deadline = time.monotonic() + 30  # the form is drawn before the entry's values arrive
        while not mobile.input_value() and time.monotonic() < deadline:
            page.wait_for_timeout(300)
        assert mobile.input_value() == before.get("district", "wj-edu-bureau").data["organisation"]["director"]["mobile"]
        mobile.fill("")
        mobile.fill(DIRECTOR_MOBILE)
        page.get_by_role("button", name="保存").first.click()
        new = wait_for_branch(page, repo)
        page.goto(f"http://127.0.0.1:{port}/admin/#/collections/plans-school-special/new")
        page.reload()  # a hash change alone leaves the saved entry's editor on screen
        page.get_by_text("专项应急预案", exact=True).first.wait_for(timeout=60000)  # the tier select, preset
        assert page.locator("[id^=procedure-field-]").count() and page.get_by_text("专项应急预案", exact=True).count() == 1
        assert page.get_by_text("现场处置方案", exact=True).count() == 0  # a closed select shows its value alone
    assert outside == ["https://example.org/x"]
    assert new == ["cms/district/district"], branches(repo)
    gate_accepts(repo, new[0])
    assert git(repo, "diff", "--name-only", "main").split() == ["district.yaml"]
    after, _ = load_library(repo)
    expected = json.loads(json.dumps(before.get("district", "wj-edu-bureau").data))
    expected["organisation"]["director"]["mobile"] = DIRECTOR_MOBILE
    assert after.get("district", "wj-edu-bureau").data == expected  # nothing else changed


# ---------------------------------------------------------------- the round trip

@needs_decap
def test_every_sample_document_survives_decap_s_own_serialisation():
    """Each document as the editor writes it (Decap's formatters from node_modules, run in Node, top-level keys
    in the form's order) loads to the same data; Markdown keeps its front matter and body."""
    from safeplan.content.loader import parse_document
    from safeplan.content.vocabulary import vocabulary
    from safeplan.render.site.admin_config import EDITED_KINDS, editor_config

    library, _ = load_library(REPO)
    config = editor_config(library, vocabulary())
    order = {}
    for collection in config["collections"]:  # folder collections, and the files of file collections (district.yaml)
        for place in collection.get("files", [collection]):  # a file's extension is its name's (Decap hangs on one set)
            extension = collection.get("extension") or place["file"].rsplit(".", 1)[1]
            order.setdefault(collection["format"] + extension, {})[place.get("folder") or place["file"]] = \
                [f["name"] for f in place["fields"]]
    docs = [d for d in library.documents if d.kind in EDITED_KINDS + ("district",)]
    assert len(docs) > 300 and {d.kind for d in docs} == set(EDITED_KINDS) | {"district"}
    entries = []
    for doc in docs:
        markdown = doc.path.endswith(".md")
        folder = next(f for f in order["frontmatter" + "md" if markdown else "yaml" + "yaml"]
                      if doc.path == f or doc.path.startswith(f + "/"))
        entries.append({"format": "frontmatter" if markdown else "yaml", "extension": "md" if markdown else "yaml",
                        "data": {**doc.data, "body": doc.body} if markdown else doc.data,
                        "sortedKeys": order["frontmatter" + "md" if markdown else "yaml" + "yaml"][folder]})
    node = subprocess.run(["node", str(REPO / "tests" / "decap_format.mjs"), str(REPO / "node_modules")],
                          input=json.dumps(entries, ensure_ascii=False), capture_output=True, text=True, timeout=300)
    assert node.returncode == 0, node.stderr
    texts = json.loads(node.stdout)
    changed = []
    for doc, text in zip(docs, texts):
        again = parse_document(doc.path, doc.kind, text.encode("utf-8"))
        if again.data != doc.data or again.body.strip("\n") != doc.body.strip("\n"):
            changed.append(doc.path)
    assert not changed, changed[:10]
    # the control: the comparison sees a value that changes type (a phone or version written without its quotes)
    doc, text = next((d, t) for d, t in zip(docs, texts) if re.search(r': "[0-9.]+"\n', t))
    unquoted = re.sub(r': "([0-9.]+)"\n', r": \1\n", text, count=1)
    assert parse_document(doc.path, doc.kind, unquoted.encode("utf-8")).data != doc.data
