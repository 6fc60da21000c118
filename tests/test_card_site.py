"""Emergency cards on a school's site page (render/site/school_cards.py): internal edition only, readable on a
390 px phone and on a 1366 px desktop in headless Debian Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_cards import CARD, _with_card

SCHOOL = "hutang-experimental-primary"
APPROVED = CARD.replace("status: review", 'status: approved\napproved_by: wj-safety-head\n'
                        'issued_on: "2026-12-01"\nnext_review: "2029-11-30"')
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _build(tree: Path, audience: str) -> Path:
    env = {**os.environ, "SAFEPLAN_TODAY": "2026-12-01", "SOURCE_DATE_EPOCH": "1798761600", "CI": "true"}
    result = subprocess.run([str(Path(sys.executable).with_name("safeplan")), "--root", str(tree), "build", "--only",
                             "site", "--audience", audience], capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return tree / "build" / "site" / "schools" / SCHOOL / "index.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    import shutil

    from conftest import MINI

    tree = tmp_path_factory.mktemp("card-site") / "library"
    shutil.copytree(MINI, tree)
    _with_card(tree, APPROVED)
    for command in (["init", "-q", "-b", "main"], ["add", "-A"],
                    ["-c", "user.name=测试", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "库"]):
        subprocess.run(["git", *command], cwd=tree, check=True)
    return tree


def test_the_internal_school_page_shows_its_cards_and_the_public_one_does_not(site):
    public = _build(site, "public").read_text(encoding="utf-8")
    internal = _build(site, "internal").read_text(encoding="utf-8")
    assert internal.count('class="sp-card"') == 2  # guard and class teacher of the fire plan
    for expected in ("保安/门卫", "班主任", "1分钟内", "确认火情后拨打 119", "武进区湖塘样例实验小学", 'href="tel:119"',
                     "不用水扑救带电设备"):
        assert expected in internal, expected
    assert "{{" not in internal and 'class="sp-card"' not in public
    assert "班主任/带班教师" not in internal  # a primary school's own word only (the library's plan pages name both)
    assert '<a href="#cards-fire">班主任、保安/门卫</a>' in internal  # its plan leads to its cards
    assert 'href="#cards-' not in public


def test_cards_are_readable_on_a_phone_and_a_desktop(site, tmp_path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    page_file = _build(site, "internal")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            boxes = {}
            for width in (390, 1366):
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                page.goto(page_file.as_uri())
                cards = page.locator(".sp-card")
                assert cards.count() == 2
                cards.first.scroll_into_view_if_needed()
                page.screenshot(path=str(tmp_path / f"cards-{width}.png"))
                boxes[width] = [cards.nth(i).bounding_box() for i in range(2)]
                assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing scrolls sideways
                size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.sp-card li')).fontSize)")
                assert size >= 12, size
                context.close()
        finally:
            browser.close()
    phone, desktop = boxes[390], boxes[1366]
    assert all(box["x"] >= 0 and box["x"] + box["width"] <= 390 for box in phone)
    assert phone[1]["y"] >= phone[0]["y"] + phone[0]["height"]  # one column on a phone
    assert desktop[1]["y"] == desktop[0]["y"] and desktop[1]["x"] > desktop[0]["x"]  # side by side on a desktop
    print(f"screenshots: {tmp_path}")
