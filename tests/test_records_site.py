"""Records on the site: the internal edition shows the dashboard and each school's figures; the public edition shows
neither, and builds (its privacy scan passing) with the records present."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from safeplan.build import BuildOptions, build
from test_records import hazard

SCHOOL = "small-village-primary"  # second by id: the dashboard must put it first for its overdue hazard
PLACE = "北侧围墙缺口（记录样例）"  # only a record holds this text
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> dict[str, Path]:
    import shutil

    from conftest import MINI

    tree = tmp_path_factory.mktemp("records-site") / "library"
    shutil.copytree(MINI, tree)
    path = hazard(tree, school=SCHOOL, found="2026-11-10", deadline="2026-11-17", status="rectifying")
    path.write_text(path.read_text(encoding="utf-8").replace("place: 南校门", f"place: {PLACE}"), encoding="utf-8")
    (tree / ".gitignore").write_text("build/\n", encoding="utf-8")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["-c", "user.name=样例", "-c", "user.email=a@example.invalid",
                                                               "commit", "-q", "-m", "记录"]):
        subprocess.run(["git", *args], cwd=tree, check=True, capture_output=True)
    found = {}
    for audience in ("internal", "public"):
        result = build(BuildOptions(root=tree, only=("site",), audience=audience))
        assert [p for p in result.problems if p.severity == "error"] == [], result.problems
        copy = tree.parent / f"site-{audience}"
        shutil.copytree(tree / "build" / "site", copy)
        found[audience] = copy
    return found


def pages_holding(site: Path, needle: str) -> list[str]:
    """Every text file of the site (pages, search index, sitemap, calendars) that holds the text."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*")
                  if p.suffix in (".html", ".json", ".xml", ".js", ".ics", ".txt") and needle in p.read_text(encoding="utf-8"))


def test_internal_dashboard_and_school_page_show_the_record(sites):
    site = sites["internal"]
    dashboard = (site / "records" / "index.html").read_text(encoding="utf-8")
    assert "隐患与演练" in dashboard and "sp-overdue" in dashboard  # the overdue hazard is flagged
    assert f"schools/{SCHOOL}/index.html" in pages_holding(site, PLACE)


def test_public_edition_has_no_record_and_no_dashboard(sites):  # nor its search index
    site = sites["public"]
    assert not (site / "records").exists()
    assert pages_holding(site, PLACE) == []
    assert pages_holding(sites["internal"], PLACE)  # the control: the same search finds it where it is published


def test_each_school_page_offers_its_calendar(sites):
    for audience, site in sites.items():
        calendar = site / "downloads" / "calendar" / f"{SCHOOL}.ics"
        assert calendar.read_bytes().startswith(b"BEGIN:VCALENDAR"), audience
        assert "订阅本校演练与评审日历" in (site / "schools" / SCHOOL / "index.html").read_text(encoding="utf-8")


def test_dashboard_in_chromium_lists_the_overdue_school_first(sites):
    import functools
    import http.server
    import threading

    playwright_api = pytest.importorskip("playwright.sync_api")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(sites["internal"]))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with playwright_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/records/")
            rows = page.locator("article table tbody tr")
            first = [rows.nth(0).locator("td").nth(i).inner_text() for i in (0, 2)]
            second = rows.nth(1).locator("td").nth(0).inner_text()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    assert first == ["武进区样例村小", "1"] and second == "武进区湖塘样例实验小学"
