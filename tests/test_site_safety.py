"""The site is built from data and reviewed code only: mkdocs.yml runs nothing, assets/ holds images,
nothing is copied through a link, and every page's Content-Security-Policy stops an inline script.
Real CLI runs, real MkDocs builds, headless Chromium."""

from __future__ import annotations

import functools
import http.server
import io
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import REPO, edit
from conftest_site import build_site, built_tree  # noqa: F401
from test_bad_inputs import check, lay, validate

PLAN = Path("plans/school/special/fire.md")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00"
       b"\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")
CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)"')
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")


def config_with(tmp_path: Path, extra: str) -> tuple[Path, int]:
    """The minimal library with the repository's mkdocs.yml plus `extra`; (tree, line where extra starts)."""
    tree = lay(None, tmp_path)
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8").rstrip("\n") + "\n"
    (tree / "mkdocs.yml").write_text(text + extra, encoding="utf-8")
    return tree, text.count("\n") + 1


# ---------------------------------------------------------------- mkdocs.yml runs nothing

def test_python_payload_in_mkdocs_yml_does_not_run(tmp_path):
    from mkdocs.utils.yaml import yaml_load

    marker = tmp_path / "pwned"
    payload = f'extra_marker: !!python/object/apply:os.system ["touch {marker}"]\n'
    tree, line = config_with(tmp_path, payload)
    text = (tree / "mkdocs.yml").read_text(encoding="utf-8")
    # control: MkDocs' own loader (what the build used before) runs the payload
    yaml_load(io.StringIO(text))
    assert marker.exists()
    marker.unlink()

    result, _ = validate(tree)
    check(result, {"exit": 1, "rule": "site-config", "path": "mkdocs.yml", "message": "os.system", "line": line})
    built = build_site(tree)
    assert built.returncode == 1 and f"mkdocs.yml:{line}:" in built.stderr, built.stderr
    assert not marker.exists() and not (tree / "build" / "site").exists()


def test_hooks_do_not_run_on_build_or_serve(tmp_path):
    from safeplan.preview import rebuild

    marker = tmp_path / "hooked"
    tree, line = config_with(tmp_path, "hooks:\n  - hook.py\n")
    (tree / "hook.py").write_text(f"open({str(marker)!r}, 'w').close()\n", encoding="utf-8")
    shutil.copytree(REPO / "site-assets", tree / "site-assets")
    # control: a plain `mkdocs build` of the same configuration imports the hook
    (tree / "build" / "docs").mkdir(parents=True)
    (tree / "build" / "docs" / "index.md").write_text("# 首页\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(tree / "mkdocs.yml")],
                   capture_output=True, timeout=300, cwd=tree)
    assert marker.exists()
    marker.unlink()
    shutil.rmtree(tree / "build")

    built = build_site(tree)
    assert built.returncode == 1 and f"mkdocs.yml:{line}:1" in built.stderr and "hooks" in built.stderr
    said: list[str] = []
    assert rebuild(tree, "internal", said.append) is False  # what `safeplan serve` runs on every change
    assert any(f"mkdocs.yml:{line}:1" in message for message in said), said
    assert not marker.exists() and not (tree / "build" / "site").exists()


def test_slug_anchors_are_the_ones_mkdocs_own_loading_gives():
    from mkdocs.utils.yaml import yaml_load

    from safeplan.content.site_inputs import load_site_config

    ours, problems = load_site_config(REPO)
    assert problems == []
    with open(REPO / "mkdocs.yml", "rb") as handle:
        theirs = yaml_load(handle)
    slug_ours = ours.data["markdown_extensions"][0]["toc"]["slugify"]
    slug_theirs = theirs["markdown_extensions"][0]["toc"]["slugify"]
    for heading in ("应急处置", "Fire Safety 预案", "1.2 组织机构及职责", "先期处置（10 分钟内）"):
        assert slug_ours(heading, "-") == slug_theirs(heading, "-")
    assert slug_ours("Fire Safety", "-") == "fire-safety"  # case: lower took effect


def test_a_theme_without_the_page_policy_is_refused(tmp_path):
    tree = lay(None, tmp_path)
    shutil.copytree(REPO / "site-assets", tree / "site-assets")
    (tree / "site-assets" / "bare").mkdir()  # where validate accepts overrides; this folder lacks our templates
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    (tree / "mkdocs.yml").write_text(text.replace("custom_dir: site-assets/theme", "custom_dir: site-assets/bare"),
                                     encoding="utf-8")
    result, _ = validate(tree)
    check(result, {"exit": 0})
    built = build_site(tree)
    assert built.returncode == 1 and "Content-Security-Policy" in built.stderr, built.stderr
    assert not (tree / "build" / "site").exists()


# ---------------------------------------------------------------- assets are data

def test_images_are_copied_after_mkdocs_and_a_script_is_refused(tmp_path):
    tree = lay(None, tmp_path)
    (tree / "assets" / "maps").mkdir(parents=True)
    (tree / "assets" / "maps" / "evacuation.png").write_bytes(PNG)
    edit(tree / PLAN, "## ", "![疏散图](assets/maps/evacuation.png)\n\n## ")
    built = build_site(tree)
    assert built.returncode == 0, built.stderr
    site = tree / "build" / "site"
    assert (site / "assets" / "maps" / "evacuation.png").read_bytes() == PNG
    assert not (tree / "build" / "docs" / "assets").exists()  # MkDocs never saw the image
    assert 'src="../../assets/maps/evacuation.png"' in (site / "plans" / "fire" / "index.html").read_text(encoding="utf-8")
    before = sorted(p.relative_to(site).as_posix() for p in site.rglob("*"))

    (tree / "assets" / "notice.md").write_text("<script>alert(1)</script>\n", encoding="utf-8")
    built = build_site(tree)
    assert built.returncode == 1 and "assets/notice.md:1:1" in built.stderr
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("*")) == before


def test_oversize_image_is_refused(tmp_path):
    tree = lay(None, tmp_path)
    (tree / "assets").mkdir()
    (tree / "assets" / "scan.png").write_bytes(PNG + b"\0" * (5 * 1024 * 1024))
    (tree / "assets" / "fits.png").write_bytes(PNG + b"\0" * (4 * 1024 * 1024))
    result, _ = validate(tree)
    payload = check(result, {"exit": 1, "rule": "asset-type", "path": "assets/scan.png", "message": "超过上限"})
    assert not [p for p in payload["problems"] if p["path"] == "assets/fits.png"]


def _outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "secret.png").write_bytes(PNG)
    return secret


def test_symlinked_assets_folder_is_reported(tmp_path):
    tree = lay(None, tmp_path)
    (tree / "assets").symlink_to(_outside(tmp_path), target_is_directory=True)
    result, _ = validate(tree)
    check(result, {"exit": 1, "rule": "asset-type", "path": "assets", "message": "符号链接", "line": 1})


def test_symlinked_folder_inside_assets_is_reported(tmp_path):
    tree = lay(None, tmp_path)
    (tree / "assets").mkdir()
    (tree / "assets" / "photos").symlink_to(_outside(tmp_path), target_is_directory=True)
    result, _ = validate(tree)
    check(result, {"exit": 1, "rule": "asset-type", "path": "assets/photos", "message": "文件夹的符号链接"})


def test_symlink_to_a_file_outside_is_reported_and_never_copied(tmp_path):
    tree = lay(None, tmp_path)
    (tree / "assets").mkdir()
    (tree / "assets" / "map.png").symlink_to(_outside(tmp_path) / "secret.png")
    result, _ = validate(tree)
    check(result, {"exit": 1, "rule": "asset-type", "path": "assets/map.png", "message": "仓库之外"})
    built = build_site(tree)
    assert built.returncode == 1 and not (tree / "build" / "site").exists()


def test_fifo_in_assets_is_reported_without_hanging(tmp_path):
    tree = lay(None, tmp_path)
    (tree / "assets").mkdir()
    os.mkfifo(tree / "assets" / "pipe.png")
    result, _ = validate(tree)  # run_forked fails the test if the child outlives its alarm
    check(result, {"exit": 1, "rule": "asset-type", "path": "assets/pipe.png", "message": "不是普通文件"})


def test_symlinked_stylesheet_in_site_assets_is_reported(tmp_path):
    tree = lay(None, tmp_path)
    shutil.copytree(REPO / "site-assets", tree / "site-assets")
    stylesheet = tree / "site-assets" / "stylesheets" / "safeplan.css"
    stylesheet.unlink()
    stylesheet.symlink_to(_outside(tmp_path) / "secret.png")
    result, _ = validate(tree)
    check(result, {"exit": 1, "rule": "site-config", "path": "site-assets/stylesheets/safeplan.css", "message": "符号链接"})
    built = build_site(tree)
    assert built.returncode == 1 and not (tree / "build" / "site").exists()


def test_symlinked_content_folder_is_reported_not_skipped_silently(tmp_path):
    tree = lay(None, tmp_path)
    (tree / "notes" / "linked").symlink_to(_outside(tmp_path), target_is_directory=True)
    result, _ = validate(tree)
    payload = check(result, {"exit": 0})
    assert [p for p in payload["problems"] if p["path"] == "notes/linked" and "符号链接" in p["message"]]


# ---------------------------------------------------------------- the page policy, in Chromium

def policy_problems(html: str) -> list[str]:
    """What is wrong with one page's script policy: no CSP tag, a weak CSP, or an inline script."""
    found = CSP.search(html)
    if not found:
        return ["no Content-Security-Policy"]
    policy = {d.split()[0]: d.split()[1:] for d in found.group(1).split(";") if d.strip()}
    # 'wasm-unsafe-eval': the search's WebAssembly, from this site; it allows no eval of script text
    problems = [] if policy.get("script-src") == ["'self'", "'wasm-unsafe-eval'"] else [f"script-src {policy.get('script-src')}"]
    problems += [f"{directive} allows inline" for directive, values in policy.items() if "'unsafe-inline'" in values]
    return problems + [f"inline {tag}" for tag in INLINE_SCRIPT.findall(html)]


def test_every_page_has_the_policy_and_no_inline_script(built_tree):
    site = built_tree / "build" / "site"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        html = page.read_text(encoding="utf-8")
        if page.relative_to(site).parts[0] == "admin":  # the web editor: Decap needs eval and inline styles, no inline script
            html = html.replace("script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline';",
                                "script-src 'self' 'wasm-unsafe-eval'; style-src 'self';", 1)
        assert policy_problems(html) == [], page
    # control: the scan sees an inline script and a missing policy
    html = (site / "index.html").read_text(encoding="utf-8")
    assert policy_problems(html.replace("<body", "<script>x=1</script><body", 1)) == ["inline <script>"]
    assert policy_problems(CSP.sub("", html)) == ["no Content-Security-Policy"]


@pytest.fixture(scope="module")
def served_site(built_tree):
    """The built site over HTTP, plus two control pages served from memory (the built tree is shared read-only across workers)."""
    site = built_tree / "build" / "site"
    html = (site / "index.html").read_text(encoding="utf-8")
    injected = html.replace("<body", "<script>window.__injected = 1</script><body", 1)
    controls = {"/control-with-policy.html": injected, "/control-without-policy.html": CSP.sub("", injected)}

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path not in controls:
                return super().do_GET()
            body = controls[self.path].encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        tab = browser.new_page()
        tab.errors = []
        tab.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: tab.errors.append(str(e)))
        tab.add_init_script("window.__violations = []; document.addEventListener('securitypolicyviolation',"
                            " e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));")
        yield tab
        browser.close()


def test_site_works_under_the_policy_in_chromium(page, served_site):
    for url in ("/", "/plans/fire/", "/notes/hostile/", "/tags/", "/schools/", "/404.html"):
        page.goto(served_site + url)
        page.wait_for_load_state("load")
        assert page.evaluate("typeof __md_get") == "function", url  # Material's scope script ran, from its file
        assert page.evaluate("window.__violations") == [], url
    # palette: the configured primary colour reaches the header
    assert page.evaluate("document.body.dataset.mdColorPrimary") == "red"
    assert page.evaluate("getComputedStyle(document.querySelector('.md-header')).backgroundColor") != "rgba(0, 0, 0, 0)"
    # navigation
    page.goto(served_site + "/")
    page.locator(".md-nav a", has_text="应急预案").first.click()
    page.wait_for_url(served_site + "/plans/")
    assert "应急预案" in page.locator("h1").first.inner_text()
    # search: the worker loads from the site and finds the fire plan
    box = page.locator("input.md-search__input")
    box.click()
    box.fill("火灾")
    box.press("End")
    page.wait_for_function("() => (document.querySelector('.md-search-result__meta')?.textContent || '').includes('结果')",
                           timeout=20000)
    links = page.eval_on_selector_all("a.md-search-result__link", "links => links.map(a => a.href)")
    assert any("/plans/fire/" in link for link in links), links
    assert page.evaluate("window.__violations") == [] and page.errors == []


def test_an_injected_inline_script_is_blocked(page, served_site):
    page.goto(served_site + "/control-with-policy.html")
    assert page.evaluate("typeof window.__injected") == "undefined"
    assert any(v.startswith("script-src") for v in page.evaluate("window.__violations"))
    assert any("Content Security Policy" in error for error in page.errors), page.errors
    # control: the same page without the policy runs the script, so the check above can fail
    page.goto(served_site + "/control-without-policy.html")
    assert page.evaluate("window.__injected") == 1


def test_theme_scripts_are_materials_inline_snippets_word_for_word():
    """site-assets/theme loads Material's inline snippets from files; a Material upgrade that changes one shows here."""
    import material

    partials = Path(material.__file__).parent / "templates" / "partials" / "javascripts"
    ours = REPO / "site-assets" / "theme" / "assets" / "javascripts"
    for name in ("base", "content", "palette"):
        snippet = re.findall(r"<script>(.*?)</script>", (partials / f"{name}.html").read_text(encoding="utf-8"))[-1]
        snippet = snippet.replace('"{{ config.extra.scope | d(base_url) }}"', "document.currentScript.dataset.scope")
        assert (ours / f"safeplan-{name}.js").read_text(encoding="utf-8").split("\n", 1)[1].strip() == snippet, name


def test_a_theme_feature_that_needs_an_inline_script_is_refused(tmp_path):
    tree = lay(None, tmp_path)
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    (tree / "mkdocs.yml").write_text(text.replace("extra:\n", "extra:\n  consent:\n    title: Cookie\n"), encoding="utf-8")
    built = build_site(tree)
    assert built.returncode == 1 and "内联脚本" in built.stderr, built.stderr
    assert not (tree / "build" / "site").exists()


def test_custom_dir_outside_site_assets_is_refused(tmp_path):
    tree = lay(None, tmp_path)
    (tree / "notes" / "theme").mkdir()  # inside the repository, but content, not the gate's own folder
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8").replace("custom_dir: site-assets/theme", "custom_dir: notes/theme")
    (tree / "mkdocs.yml").write_text(text, encoding="utf-8")
    line = text.split("custom_dir:")[0].count("\n") + 1
    result, _ = validate(tree)
    check(result, {"exit": 1, "rule": "site-config", "path": "mkdocs.yml", "message": "site-assets/ 之内", "line": line})


PALETTE_TOGGLE = """  palette:
    - scheme: default
      primary: red
      toggle: {icon: material/brightness-7, name: 切换到深色}
    - scheme: slate
      primary: red
      toggle: {icon: material/brightness-4, name: 切换到浅色}
"""


def test_palette_toggle_works_under_the_policy(page, tmp_path):
    tree = lay(None, tmp_path)
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    old = "  palette:\n    primary: red\n    accent: indigo\n"
    assert old in text
    (tree / "mkdocs.yml").write_text(text.replace(old, PALETTE_TOGGLE), encoding="utf-8")
    built = build_site(tree)
    assert built.returncode == 0, built.stderr

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    site = str(tree / "build" / "site")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/plans/fire/"
        page.goto(url)
        assert page.evaluate("document.body.dataset.mdColorScheme") == "default"
        page.locator("label[for='__palette_1']").first.click()
        assert page.evaluate("document.body.dataset.mdColorScheme") == "slate"
        page.goto(url)  # the saved choice is applied on load by safeplan-palette.js, Material's snippet as a file
        assert page.evaluate("document.body.dataset.mdColorScheme") == "slate"
        assert page.evaluate("window.__violations") == [] and page.errors == []
    finally:
        server.shutdown()
        server.server_close()


def test_symlinked_mkdocs_yml_is_refused(tmp_path):
    tree = lay(None, tmp_path)
    outside = tmp_path / "elsewhere.yml"
    outside.write_text((REPO / "mkdocs.yml").read_text(encoding="utf-8"), encoding="utf-8")
    (tree / "mkdocs.yml").symlink_to(outside)
    result, _ = validate(tree)
    check(result, {"exit": 1, "rule": "site-config", "path": "mkdocs.yml", "message": "符号链接", "line": 1})


def test_mkdocs_yml_as_a_fifo_is_reported_without_hanging(tmp_path):
    tree = lay(None, tmp_path)
    os.mkfifo(tree / "mkdocs.yml")
    result, _ = validate(tree)  # run_forked fails the test if the child outlives its alarm
    check(result, {"exit": 1, "rule": "site-config", "path": "mkdocs.yml", "message": "不是普通文件"})


def test_an_image_never_replaces_a_file_of_the_theme(tmp_path):
    tree = lay(None, tmp_path)
    (tree / "assets" / "images").mkdir(parents=True)
    (tree / "assets" / "images" / "favicon.png").write_bytes(PNG)  # Material's own icon has this name
    result, _ = validate(tree)
    check(result, {"exit": 0})
    built = build_site(tree)
    assert built.returncode == 1 and "favicon.png" in built.stderr and "覆盖" in built.stderr, built.stderr
    assert not (tree / "build" / "site").exists()
