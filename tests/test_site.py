"""The website, end to end: real git, real `mkdocs build --strict`, real headless Chromium."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, edit, run_cli
from conftest_site import (BUS_SCHOOL, SMALL_SCHOOL, add_bundle, build_site, built_tree,  # noqa: F401
                           bundle_entry, check_links, make_site_tree, site_files, unguarded_safeplan)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def page(tree: Path, url: str) -> str:
    path = tree / "build" / "site" / url
    return (path / "index.html" if path.is_dir() else path).read_text(encoding="utf-8")


def visible(html: str) -> str:
    """The article's text, without tags (navigation and table of contents left out)."""
    found = re.search(r"<article[^>]*>(.*)</article>", html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1) if found else html))


def section(text: str, heading: str) -> str:
    """The visible text under a heading (headings end with their permalink sign), up to the next one."""
    return text.split(f"{heading} &para;", 1)[1].split("&para;", 1)[0]


# ---------------------------------------------------------------- search segmentation

def test_chinese_is_indexed_as_character_pairs():
    from safeplan.render.site.search_index import pairs

    assert pairs("防溺水专项").split() == ["防溺", "溺水", "水专", "专项"]
    assert pairs("火").split() == ["火"]
    assert pairs("WJJY-QD-13 微型消防站").split() == ["WJJY-QD-13", "微型", "型消", "消防", "防站"]


def search_fragments(tree: Path) -> dict[str, dict]:
    """Pagefind's stored pages: URL → {content, meta}."""
    import gzip

    found = {}
    for path in (tree / "build" / "site" / "pagefind" / "fragment").glob("*.pf_fragment"):
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
        fragment = json.loads(text[text.index("{"):])
        found[fragment["url"]] = fragment
    return found


def test_search_index_holds_the_article_not_the_box(built_tree):
    fragments = search_fragments(built_tree)
    assert "/index/" not in fragments and "/checklists/" not in fragments  # lists are not results
    kit = fragments["/checklists/micro-fire-kit/"]
    assert kit["meta"]["title"] == "微型消防站器材与值守月检表" and kit["meta"]["status"] == "现行"
    assert kit["meta"]["summary"].startswith("建有微型消防站的学校")
    assert "消防" in kit["content"].split() and "TEST QD 90" in kit["content"]  # the number, written as typed
    assert "审批人" not in kit["content"] and "颁布日期" not in kit["content"]  # the information box is not indexed
    assert "审批人" in page(built_tree, "checklists/micro-fire-kit/")  # …though the page has it (the control)


def test_no_source_maps_or_unused_search_files_are_shipped(built_tree):
    site = built_tree / "build" / "site"
    shipped = [p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()]
    assert any(name.startswith("assets/javascripts/bundle.") for name in shipped)  # the control: the theme's script is there
    assert not [name for name in shipped if name.endswith(".map") or "/lunr/" in name or "/workers/" in name]
    bundle = next(site.glob("assets/javascripts/bundle.*.min.js")).read_text(encoding="utf-8")
    assert "search_index.json" in bundle  # Material's search code is in the bundle, but never runs: no search plugin
    assert "search_index.json" not in page(built_tree, "index.html") and not (site / "search").exists()


def test_missing_pagefind_fails_the_build_and_names_the_fix(tmp_path):
    tree = make_site_tree(tmp_path)
    blocker = tmp_path / "nopagefind"
    blocker.mkdir()
    (blocker / "pagefind_bin_extended.py").write_text("raise ImportError('pagefind is not installed')\n", encoding="utf-8")
    result = build_site(tree, env={"PYTHONPATH": str(blocker)})
    assert result.returncode == 4, result.stderr  # the environment (report.EXIT_ENVIRONMENT)
    assert "Pagefind" in result.stderr and "pip install" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tree / "build" / "site").exists()


# ---------------------------------------------------------------- build, links, closed network

def test_every_page_is_generated_and_the_build_is_strict(built_tree):
    site = built_tree / "build" / "site"
    for url in ("index.html", "plans/index.html", "plans/fire/index.html", "plans/onsite-gate/index.html",
                "checklists/index.html", "checklists/fire-safety/index.html", "checklists/micro-fire-kit/index.html",
                "drills/index.html", "drills/fire-drill/index.html", "notes/index.html", "notes/revision-triggers/index.html",
                f"schools/{BUS_SCHOOL}/index.html", f"schools/{SMALL_SCHOOL}/index.html", "schools/index.html",
                "downloads/index.html", "tags/index.html", "pagefind/pagefind.js", "sitemap.xml.gz"):
        assert (site / url).is_file(), url
    # generated pages live in a git-ignored folder; the tree has no mkdocs.yml, so the repository's settings apply
    assert (built_tree / "build" / "docs" / "plans" / "fire.md").is_file()
    assert not (built_tree / "build" / "mkdocs.yml").exists()
    assert '<html lang="zh"' in page(built_tree, "index.html")


def test_every_internal_link_and_anchor_resolves(built_tree):
    broken, external = check_links(built_tree / "build" / "site")
    assert broken == []
    assert external == []


def test_link_checker_finds_a_broken_link_and_anchor(built_tree, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(built_tree / "build" / "site", site)
    index = site / "index.html"
    index.write_text(index.read_text(encoding="utf-8").replace(
        "</article>", '<a href="plans/missing/">x</a><a href="plans/fire/#no-such-anchor">y</a></article>'), encoding="utf-8")
    broken, _ = check_links(site)
    assert any("plans/missing/" in b for b in broken) and any("no-such-anchor" in b for b in broken)


def test_closed_network_no_fonts_or_outside_resources(built_tree):
    for html_file in (built_tree / "build" / "site").rglob("*.html"):
        html = html_file.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html, html_file
        assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//', html), html_file


# ---------------------------------------------------------------- pages

def test_dashboard_counts_reviews_and_recent_changes(built_tree):
    text = visible(page(built_tree, "index.html"))
    assert "数据截至 2029年7月15日" in text  # SOURCE_DATE_EPOCH, not the clock
    assert re.search(r"应急预案 (\S+ ){4}2", text)  # fire + onsite-gate, both 现行
    overdue = section(text, "已超期")
    assert "校门口暴力闯入现场处置方案" in overdue and "15 天" in overdue
    due = section(text, "90 天内到期")
    assert "火灾事故专项应急预案" in due and "47 天" in due
    assert "校门口暴力闯入现场处置方案" not in due
    recent = section(text, "最近修改")  # the newest content commit, told by the revision record, not the commit
    assert "2026年9月2日 火灾事故专项应急预案 1.0 依据 GB/T 29639-2020" in recent
    assert "把火灾预案移到专项预案目录" not in recent and "冯样例" not in recent


def test_overdue_reviews_head_the_dashboard_and_fall_due_without_a_commit(built_tree, tmp_path):
    top = visible(page(built_tree, "index.html")).split("文档状态", 1)[0]
    assert "1 份文档超期未评审（截至 2029年7月15日）" in top
    assert "校门口暴力闯入现场处置方案 （2029年6月30日）" in top and "火灾事故专项应急预案" not in top
    tree = make_site_tree(tmp_path)  # the same commit, built on a later day
    result = build_site(tree, env={"SAFEPLAN_TODAY": "2029-09-05"})
    assert result.returncode == 0, result.stderr
    top = visible(page(tree, "index.html")).split("文档状态", 1)[0]
    assert "份文档超期未评审（截至 2029年9月5日）" in top
    assert top.index("（2029年6月30日）") < top.index("火灾事故专项应急预案 （2029年8月31日）")
    assert "数据截至 2029年7月15日" in top  # the build date still comes from SOURCE_DATE_EPOCH


def test_plan_page_box_tables_revisions_history_and_backlinks(built_tree):
    html = page(built_tree, "plans/fire")
    text = visible(html)
    box = text.split("项目 内容")[1].split("先期处置 &para;")[0]
    for expected in ("状态 现行", "版本 1.0", "预案编号 WJJY-XX-ZX-01", "颁布日期 2026年9月1日", "最近修改 2026年9月2日", "下次评审 2029年8月31日",
                     "适用范围 全部学校（2 所学校）"):
        assert expected in box, expected
    assert "先期处置" in text and "立即 第一发现人" in text
    assert re.search(r"修订记录 .*1\.0 2026年9月1日 法规标准或上级预案变化", text)
    history = section(text, "变更历史")
    assert "2026年9月2日 冯样例 依据 GB/T 29639-2020 和区 2020 年安全工作要点首次编制。" in history
    assert "2026年9月1日 冯样例 依据 GB/T 29639-2020 和区 2020 年安全工作要点首次编制。 原 plans/school/fire.md" in history
    assert "把火灾预案移到专项预案目录" not in history and "首次导入预案库" not in history  # never the commit subject
    assert re.search(r'引用本文档的：\*?\*?.*href="\.\./\.\./checklists/micro-fire-kit/"', html.replace("\n", " "))


def test_school_level_plans_show_as_readable_templates(built_tree):
    text = visible(page(built_tree, "plans/fire"))
    assert "〔学校名称〕" in text and "〔校长姓名〕" in text
    assert "{{" not in text and "school." not in text
    assert "周样例" not in text  # no school's data on a district template


def site_form_strays(html: str, frequency: str) -> list[str]:
    """What a checklist page's printable sheet prints that the sheet's shared definitions (content/form_sheets.py)
    do not: a column head or row label outside column_names, or a mark outside the legend's."""
    from safeplan.content.form_sheets import DATE_HEAD, MARKS, column_names

    form = html.split('class="sp-form sp-form--checklist')[1].split("</div>")[0]
    labels = re.findall(r"<th>(.*?)</th>", form) + re.findall(r'<tr class="sp-sign"><td></td><td>(.*?)</td>', form)
    marks = set(re.findall(r"[☐☑√✔×✗○●√／]", form)) - {mark for mark, _ in MARKS}
    names = column_names(frequency) | {DATE_HEAD}
    return [label for label in labels if label.split("（")[0] not in names and label not in names] + sorted(marks)


def test_checklist_prints_as_the_forms_pack_sheet(built_tree):
    from safeplan.content.form_sheets import LEGEND, SIGN_ROWS
    from safeplan.content.loader import load_library

    library, _ = load_library(built_tree)
    for doc in library.of_kind("checklist"):
        html = page(built_tree, f"checklists/{doc.id}")
        assert site_form_strays(html, doc.data["frequency"]) == [], doc.id
        form = html.split('class="sp-form sp-form--checklist')[1].split("</div>")[0]
        assert form.count("<tr><td>") == len(doc.data["items"]) and all(row in form for row in SIGN_ROWS), doc.id
        assert html.count(LEGEND) == 2  # on screen beside the button, and on the sheet
    html = page(built_tree, "checklists/micro-fire-kit")  # monthly: a column per school month
    heads = re.findall(r"<th>(.*?)</th>", html.split('class="sp-form sp-form--checklist')[1].split("</table>")[0])
    assert heads == ["序号", "排查项目（标准与依据见说明页）", "9月", "10月", "11月", "12月", "1月", "2月", "3月", "4月",
                     "5月", "6月", "7月", "8月"]
    assert 'data-sp-print="checklist"' in html and "打印排查表" in html and 'href="../../downloads/"' in html
    # the control: the old form's columns and boxes are caught
    old = html.replace("<th>9月</th>", "<th>检查结果</th>").replace("<td></td></tr>", "<td>☐合格</td></tr>", 1)
    assert site_form_strays(old, "monthly") == ["检查结果", "☐"]


def test_school_page_lists_what_applies_why_calendar_and_bundle(built_tree):
    bus = visible(page(built_tree, f"schools/{BUS_SCHOOL}"))
    assert "微型消防站器材与值守月检表 建有微型消防站" in bus  # the rule that matched
    small = visible(page(built_tree, f"schools/{SMALL_SCHOOL}"))
    assert "微型消防站器材与值守月检表 建有微型消防站：否" in section(small, "不适用的文档")
    assert "2026 年 9 月" in section(bus, "演练安排") and "火灾逃生与灭火演练指南" in section(bus, "演练安排")
    html = page(built_tree, f"schools/{BUS_SCHOOL}")
    assert f'href="../../downloads/{BUS_SCHOOL}.pdf"' in html
    assert "本校预案汇编尚未生成" in small


def test_downloads_page_lists_bundles_and_copies_the_pdfs(built_tree):
    """The manifest and the PDF the renderer wrote for the bus school (the only one it was asked for)."""
    text = visible(page(built_tree, "downloads"))
    bundle = (built_tree / "build" / "pdf" / f"{BUS_SCHOOL}.pdf").read_bytes()
    entry = bundle_entry(built_tree)
    assert (entry["sha256"], entry["bytes"]) == (hashlib.sha256(bundle).hexdigest(), len(bundle))
    assert 1024 < len(bundle) < 1024 * 1024, len(bundle)  # shown in KB
    assert f"{BUS_SCHOOL}.pdf {round(len(bundle) / 1024)} KB {entry['pages']} 2029年7月15日 {entry['sha256']}" in text, text
    assert SMALL_SCHOOL not in text
    assert (built_tree / "build" / "site" / "downloads" / f"{BUS_SCHOOL}.pdf").read_bytes() == bundle


def test_downloads_page_has_an_empty_state(tmp_path):
    tree = make_site_tree(tmp_path)
    result = build_site(tree)
    assert result.returncode == 0, result.stderr
    assert "尚未生成任何学校的 PDF 汇编" in visible(page(tree, "downloads"))
    assert "0 份汇编可下载" in result.stdout


def test_the_hostile_note_is_refused_by_the_real_command(tmp_path):
    """Control for the renderer tests below: the validator's safety rules catch the hostile note."""
    tree = make_site_tree(tmp_path)
    result = run_cli("--root", str(tree), "validate")
    assert result.returncode == 1
    assert "notes/hostile.md" in result.stdout and "error[unsafe-html]" in result.stdout and "error[unsafe-link]" in result.stdout


def test_content_html_is_cleaned(built_tree):
    html = page(built_tree, "notes/hostile")
    tags = re.findall(r"<[a-zA-Z][^>]*>", html)  # real tags only: escaped text shows as &lt;…
    assert not [t for t in tags if re.search(r"\son[a-z]+\s*=", t, re.I)]
    assert not [t for t in tags if re.match(r"<(iframe|style|object|embed)", t)]
    assert not [t for t in tags if "javascript:" in t or "passwd" in t or "example.com" in t]
    assert "window.__pwned = 1" not in html  # script content is dropped, not shown
    assert "&lt;img src=x" in html  # the title is shown as text, in the heading and in <title>
    assert "<img src=x" not in html
    assert "加粗" in html and "脚本测试段落" in html


# ---------------------------------------------------------------- audience, reproducibility, failure

CONTACTS_NOTE = """\
---
id: bureau-contacts
title: 区教育局联系方式
status: approved
version: "1.0"
approved_by: wj-safety-head
issued_on: "2026-09-01"
next_review: "2029-08-31"
revisions:
  - {version: "1.0", date: "2026-09-01", reason: other, summary: 测试用通讯录首次发布。}
---

## 联系方式

- 值班电话：{{ district.office.phone }}
- 安全科科长 {{ district.organisation.safety_head.name }}：手机 {{ district.organisation.safety_head.mobile }}，办公电话 {{ district.organisation.safety_head.office_phone }}
"""
PERSONAL = ("13900000003", "0519-86000111")  # the safety head's mobile and office line in the mini district.yaml
COMMIT_AUTHOR = "冯样例"  # the author of the test commits (conftest_site.GIT_ENV); the site never shows commit subjects


def test_public_build_leaves_out_phones_commits_and_drafts(tmp_path):
    """The internal build shows the personal numbers and the commit authors, so their absence is real."""
    tree = make_site_tree(tmp_path)
    (tree / "notes" / "bureau-contacts.md").write_text(CONTACTS_NOTE, encoding="utf-8")
    edit(tree / "notes" / "revision-triggers.md", "status: approved", "status: draft")
    site = tree / "build" / "site"

    def published() -> str:
        return "".join(p.read_text(encoding="utf-8") for p in sorted(site.rglob("*")) if p.suffix in (".html", ".json", ".xml"))

    result = build_site(tree)
    assert result.returncode == 0, result.stderr
    internal = published()
    assert all(number in internal for number in PERSONAL) and COMMIT_AUTHOR in internal

    result = build_site(tree, "--audience", "public")
    assert result.returncode == 0, result.stderr
    public = published()
    assert not [number for number in PERSONAL if number in public]
    assert not re.search(r"1[3-9]\d{9}", public) and COMMIT_AUTHOR not in public
    contacts = visible(page(tree, "notes/bureau-contacts"))
    assert "手机 （内部版可见），办公电话 （内部版可见）" in contacts and "0519-86000110" in contacts
    dashboard = visible(page(tree, "index.html"))
    assert "公开版" in dashboard and "最近修订" in dashboard and "测试用通讯录首次发布" in dashboard
    assert "变更历史" not in visible(page(tree, "plans/fire"))
    assert not (site / "notes" / "revision-triggers").exists()
    # the security posture is internal: neither the facts table nor which documents apply tell it
    for school in (BUS_SCHOOL, SMALL_SCHOOL):
        text = visible(page(tree, f"schools/{school}"))
        for label in ("专职保安员人数", "校门口装有硬质防冲撞设施", "一键式紧急报警与公安联网"):
            assert f"{label} （内部版可见）" in text, (school, label)
        assert "微型消防站器材与值守月检表 建有微型消防站：（内部版可见）" in text  # not applied, for every school
    # the emergency block is there on the public edition too, with the unit numbers and without personal mobiles
    school = page(tree, f"schools/{BUS_SCHOOL}")
    block = school.split('class="sp-emergency"', 1)[1].split("</div>", 1)[0]
    assert 'href="tel:110"' in block and 'href="tel:051986200110"' in block and "sp-assembly" in block
    assert not re.search(r"tel:1[3-9]\d{9}", block)


def test_public_site_never_offers_an_internal_bundle(built_tree, tmp_path):
    tree = make_site_tree(tmp_path)
    assert add_bundle(tree, built_tree)["audience"] == "internal"
    result = build_site(tree, "--audience", "public")
    assert result.returncode == 0, result.stderr
    assert "尚未生成任何学校的 PDF 汇编" in visible(page(tree, "downloads"))
    assert not (tree / "build" / "site" / "downloads" / f"{BUS_SCHOOL}.pdf").exists()


ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def test_site_pages_show_dates_the_official_way(built_tree):
    """Issue, review, revision, change and bundle dates read 2026年9月1日 (dates.chinese_date), as on the bundles."""
    pages = {url: visible(page(built_tree, url)) for url in (
        "index.html", "reviews/", "status/approved/", "downloads/", "plans/fire", f"schools/{BUS_SCHOOL}/")}
    assert {url: ISO_DATE.findall(text) for url, text in pages.items()} == dict.fromkeys(pages, [])
    assert "颁布日期 2026年9月1日" in pages["plans/fire"] and "2029年8月31日" in pages["reviews/"]
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", pages["downloads/"] + pages[f"schools/{BUS_SCHOOL}/"])
    source = (built_tree / "plans" / "school" / "special" / "fire.md").read_text(encoding="utf-8")
    assert "2026-09-01" in ISO_DATE.findall(source)  # control: the scan finds the dates the pages show, as written


def test_outside_git_the_date_comes_from_content_not_the_clock(tmp_path):
    tree = tmp_path / "library"
    shutil.copytree(make_site_tree(tmp_path / "git"), tree, ignore=shutil.ignore_patterns(".git"))
    result = build_site(tree, env={"SOURCE_DATE_EPOCH": ""})
    assert result.returncode == 0, result.stderr
    text = visible(page(tree, "index.html"))
    assert "数据截至 2026年9月1日（内容目录不在 git 中" in text
    assert "没有内容修改的 git 历史" in text


def test_two_builds_of_the_same_commit_are_identical(built_tree, tmp_path):
    first = site_files(built_tree / "build" / "site")
    copy = tmp_path / "elsewhere"
    shutil.copytree(built_tree, copy, ignore=shutil.ignore_patterns("build"), symlinks=True)
    add_bundle(copy, built_tree)
    result = build_site(copy)
    assert result.returncode == 0, result.stderr
    assert site_files(copy / "build" / "site") == first


def test_a_failing_build_keeps_the_last_good_site(built_tree, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(built_tree, tree, symlinks=True)
    before = site_files(tree / "build" / "site")
    template = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    (tree / "mkdocs.yml").write_text(template.replace("  - 标签: tags.md", "  - 标签: tags.md\n  - 不存在: missing.md"),
                                     encoding="utf-8")
    result = build_site(tree)
    assert result.returncode == 1
    assert "MkDocs" in result.stderr and "missing.md" in result.stderr and "Traceback" not in result.stderr
    assert site_files(tree / "build" / "site") == before


def test_repository_site_builds_strictly_with_working_links(tmp_path):
    clone = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, capture_output=True)
    result = run_cli("--root", str(clone), "build", "--only", "site")
    assert result.returncode == 0, result.stderr
    broken, external = check_links(clone / "build" / "site")
    assert broken == [] and external == []


# ---------------------------------------------------------------- serve

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def wait_for(predicate, timeout: float, message: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(message)


def test_serve_previews_and_rebuilds_on_change(tmp_path):
    tree = make_site_tree(tmp_path)
    port = free_port()
    process = subprocess.Popen([str(unguarded_safeplan()), "--root", str(tree), "serve", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "CI": "1"})
    try:
        url = f"http://127.0.0.1:{port}/plans/fire/"
        wait_for(lambda: "火灾事故专项应急预案" in fetch(url), 180, "serve did not start")
        edit(tree / "plans" / "school" / "special" / "fire.md", "summary: 校园内", "summary: 预览改动测试。校园内")
        wait_for(lambda: "预览改动测试" in fetch(url), 180, "serve did not rebuild after a change")
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "检测到内容修改" in output and "已停止预览" in output


# ---------------------------------------------------------------- browser

@pytest.fixture(scope="module")
def served(built_tree):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built_tree / "build" / "site"))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page that records console errors and every request, and blocks any request off 127.0.0.1."""

    def __init__(self, browser, width: int = 1280):
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        self.requests.append(url)
        if url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            route.abort()

    def search(self, query: str) -> list[str]:
        """Type a query into the search box; the result links, best first."""
        box = self.page.locator("input.md-search__input")
        if not box.is_visible():  # phones: the magnifier opens the dialog
            self.page.locator("label.md-header__button[for=__search]").click()
        box.click()
        meta = "document.querySelector('.md-search-result__meta')?.textContent || ''"
        box.fill("")
        box.press("End")  # Material searches on key events; filling alone types no key
        self.page.wait_for_function(f"() => !({meta}).includes('结果')", timeout=20000)  # a function: the page policy forbids eval
        box.fill(query)
        box.press("End")
        self.page.wait_for_function(f"() => ({meta}).includes('结果')", timeout=20000)
        return [re.sub(r"\?h=[^#]*", "", link) for link in
                self.page.eval_on_selector_all("a.md-search-result__link", "links => links.map(a => a.href)")]

    def close(self):
        self.context.close()


def test_chinese_search_finds_terms_whole_and_by_parts(browser, served):
    watched = Watched(browser)
    try:
        watched.page.goto(served + "/")
        first = {"微型消防站": "/checklists/micro-fire-kit/", "现场处置方案": "/plans/onsite-gate/",
                 "TEST-QD-90": "/checklists/micro-fire-kit/", "校门口": "/plans/onsite-gate/"}
        for query, expected in first.items():  # a whole term, or a number as typed: its page comes first
            links = watched.search(query)
            assert links and links[0] == served + expected, (query, links[:3])
        found = {"消防站": "/checklists/micro-fire-kit/", "微型": "/checklists/micro-fire-kit/",
                 "一键式紧急报警": "/plans/onsite-gate/", "紧急报警": "/plans/onsite-gate/",
                 "处置方案": "/plans/onsite-gate/"}
        for query, expected in found.items():  # parts of a term still find it
            links = watched.search(query)
            assert served + expected in links, (query, links[:5])
        assert watched.page.locator("a.md-search-result__link").first.is_visible()  # the dialog opened on a wide screen
        assert watched.search("踩踏") == [], "a word no page contains finds nothing"
        assert watched.errors == []
        assert all(url.startswith(served) for url in watched.requests), watched.requests
    finally:
        watched.close()


def test_search_index_is_fetched_only_when_search_opens_and_results_show_status(browser, served):
    watched = Watched(browser, width=390)
    try:
        watched.page.goto(f"{served}/plans/fire/")
        watched.page.wait_for_load_state("networkidle")
        assert any("/assets/javascripts/safeplan-search.js" in url for url in watched.requests)  # the control: it is logged
        assert not [url for url in watched.requests if "/pagefind/" in url], watched.requests
        watched.page.locator("label.md-header__button[for=__search]").click()
        watched.page.wait_for_load_state("networkidle")
        assert [url for url in watched.requests if url.endswith("/pagefind/pagefind.js")]
        links = watched.search("校门口")
        assert links[0] == served + "/plans/onsite-gate/"
        badge = watched.page.locator(".md-search-result__item").first.locator(".sp-status")
        assert badge.text_content() == "现行"
        assert watched.errors == []
    finally:
        watched.close()


def test_school_page_links_its_bundle_and_reads_on_a_phone(browser, served, built_tree):
    watched = Watched(browser, width=375)
    try:
        watched.page.goto(f"{served}/schools/{BUS_SCHOOL}/")
        link = watched.page.locator(f'a[href$="downloads/{BUS_SCHOOL}.pdf"]').first
        assert link.is_visible()
        response = watched.context.request.get(link.evaluate("a => a.href"))
        assert response.status == 200 and response.body() == (built_tree / "build" / "pdf" / f"{BUS_SCHOOL}.pdf").read_bytes()
        for url in (f"/schools/{BUS_SCHOOL}/", "/plans/fire/", "/checklists/micro-fire-kit/", "/"):
            watched.page.goto(served + url)
            width = watched.page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, (url, width)  # wide tables scroll inside themselves, the page does not
        assert watched.errors == []
        assert all(url.startswith(served) for url in watched.requests), watched.requests
    finally:
        watched.close()


def test_script_in_content_does_not_run(browser, served):
    watched = Watched(browser)
    try:
        watched.page.goto(served + "/notes/hostile/")
        watched.page.wait_for_timeout(500)
        watched.page.hover("text=加粗")
        assert watched.page.evaluate("typeof window.__pwned") == "undefined"
        assert watched.page.locator("h1").first.inner_text().startswith("含恶意代码的说明<img")
        assert not any("example.com" in url for url in watched.requests)
        assert all(url.startswith(served) for url in watched.requests), watched.requests
    finally:
        watched.close()


def test_checklist_print_shows_only_the_form(browser, served):
    watched = Watched(browser)
    try:
        watched.page.goto(served + "/checklists/micro-fire-kit/")
        form = watched.page.locator(".sp-form--checklist")
        items = watched.page.locator("#items")
        assert not form.is_visible() and items.is_visible()
        watched.page.emulate_media(media="print")
        assert form.is_visible() and not items.is_visible()
        assert watched.page.locator("table.sp-grid").is_visible()
        assert watched.errors == []
    finally:
        watched.close()


def test_school_page_first_phone_screen_holds_assembly_points_and_numbers(browser, served):
    watched = Watched(browser, width=390)
    try:
        watched.page.set_viewport_size({"width": 390, "height": 844})
        watched.page.goto(f"{served}/schools/{BUS_SCHOOL}/")
        first_screen = "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= 844 && r.width > 0; }"
        points = watched.page.locator(".sp-assembly li")
        assert points.count() >= 2
        assert all(points.nth(i).evaluate(first_screen) for i in range(points.count()))
        for number in ("110", "119", "120", "0519-86200110", "0519-86200120", "0519-86000110"):  # police, hospital, bureau duty
            call = watched.page.locator(f'a.sp-call[href="tel:{number.replace("-", "")}"]')
            assert call.count() == 1 and call.evaluate(first_screen), number
        leader = watched.page.locator("a.sp-call", has_text="校长").first
        assert leader.evaluate(first_screen)
        below = watched.page.locator("#applies")  # the control: the check can say no
        assert not below.evaluate(first_screen)
        width = watched.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width  # nothing needs zooming or sideways scrolling
        assert watched.errors == []
    finally:
        watched.close()


def test_alarm_signals_and_short_names_come_from_the_library():
    from safeplan.content.loader import load_library
    from safeplan.render.site.school_emergency import alarm_signals, short_names

    library, _ = load_library(REPO)
    assert [what for what, _ in alarm_signals(library)] == ["疏散", "就地避险", "封控"]
    assert short_names({"name": "武进区礼嘉样例高级中学", "short_name": "礼嘉样例高中", "town": "礼嘉镇", "kind": "高中"}) == \
        ["礼嘉样例高中", "礼嘉高中"]
    assert short_names({"name": "武进区嘉泽样例职业技术学校", "town": "嘉泽镇", "kind": "职业学校"}) == ["嘉泽职校"]


def pdf_pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def pdf_sheet(pdf: bytes) -> tuple[int, str]:
    import io

    from pypdf import PdfReader

    pages = PdfReader(io.BytesIO(pdf)).pages
    box = pages[0].mediabox
    return len(pages), "landscape" if box.width > box.height else "portrait"


def test_forms_print_on_one_a4_page_with_the_school_filled_in(browser, served):
    watched = Watched(browser)
    try:
        watched.page.goto(f"{served}/schools/{BUS_SCHOOL}/")
        link = watched.page.locator('article a[href*="checklists/micro-fire-kit/"]').first
        link.click()  # from the school's page, the form opens with the school's name in it
        watched.page.wait_for_load_state("networkidle")
        assert watched.page.locator("[data-sp-school]").first.text_content() == "武进区湖塘样例实验小学"
        assert pdf_pages(watched.page.pdf(format="A4")) == 1
        for name in ("fire-safety", "micro-fire-kit"):
            watched.page.goto(f"{served}/checklists/{name}/")
            assert watched.page.locator("[data-sp-school]").first.text_content() == ""  # a template: left blank
            assert watched.page.locator("button[data-sp-print]").is_visible()
            assert pdf_pages(watched.page.pdf(format="A4")) == 1, name
            assert pdf_sheet(watched.page.pdf(prefer_css_page_size=True)) == (1, "landscape"), name  # as the forms pack
        watched.page.goto(f"{served}/drills/fire-drill/")
        assert pdf_pages(watched.page.pdf(format="A4")) > 1  # the control: the whole guide is longer than a page
        assert pdf_sheet(watched.page.pdf(prefer_css_page_size=True))[1] == "portrait"  # and the guide stays portrait
        watched.page.emulate_media(media="print")
        assert not watched.page.locator("h2#links").is_visible()  # the guide prints without its links
        watched.page.evaluate("document.body.dataset.spPrint = 'drill'")  # what the 打印演练记录表 button sets
        assert pdf_pages(watched.page.pdf(format="A4")) == 1
        assert watched.errors == []
    finally:
        watched.close()


def test_status_lists_and_review_schedule_match_the_library(built_tree):
    from safeplan.content.loader import load_library

    library, _ = load_library(built_tree)
    docs = built_tree / "build" / "docs"
    home = (docs / "index.md").read_text(encoding="utf-8")
    for status in ("draft", "review", "approved", "retired"):
        listed = (docs / "status" / f"{status}.md").read_text(encoding="utf-8")
        linked = set(re.findall(r"\]\(\.\./((?:plans|checklists|drills|notes)/[^)#]+)\.md\)", listed))
        expected = {f"{d.path.split('/')[0]}/{d.id}" for d in library.documents
                    if d.kind in ("plan", "checklist", "drill", "note") and d.data.get("status") == status}
        assert linked == expected, status
        assert f"(status/{status}.md" in home  # the home page's counts link to the lists
    approved = (docs / "status" / "approved.md").read_text(encoding="utf-8")
    assert "plans/fire.md" in approved and "火灾事故专项应急预案" in approved  # the control: a list that has entries
    schedule = (docs / "reviews.md").read_text(encoding="utf-8")
    rows = [line for line in schedule.splitlines() if line.startswith("| [")]
    dates = [tuple(map(int, re.findall(r"\| (\d{4})年(\d{1,2})月(\d{1,2})日 \|", row)[0])) for row in rows]
    assert dates == sorted(dates) and len(rows) >= 3
    assert "已超期 15 天" in rows[0] and "校门口暴力闯入现场处置方案" in rows[0]
    assert any("即将到期（47 天）" in row and "火灾事故专项应急预案" in row for row in rows)


def test_recent_changes_find_content_commits_behind_many_other_commits(tmp_path):
    tree = make_site_tree(tmp_path)
    from conftest_site import git

    for number in range(70):  # more tooling commits than the 20 newest (or 60) a "newest, then filtered" log reads
        (tree / "tooling.txt").write_text(f"{number}\n", encoding="utf-8")
        git(tree, "add", "tooling.txt")
        git(tree, "commit", "-q", "-m", f"tooling {number}", date="2026-09-03T09:00:00+08:00")
    result = build_site(tree)
    assert result.returncode == 0, result.stderr
    recent = section(visible(page(tree, "index.html")), "最近修改")
    assert "2026年9月2日 火灾事故专项应急预案" in recent and "tooling" not in recent


def test_404_is_chinese_with_links_and_the_sitemap_has_addresses(built_tree):
    html = page(built_tree, "404.html")
    assert "页面不存在" in html and "Not found" not in html
    assert re.findall(r'<a href="(/[a-z]+/)">', html) == ["/plans/", "/checklists/", "/drills/", "/schools/", "/downloads/"]
    sitemap = (built_tree / "build" / "site" / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>http://127.0.0.1:8000/plans/fire/</loc>" in sitemap


# ---------------------------------------------------------------- accessibility (axe-core from npm, package-lock.json)

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = "async () => (await axe.run(document, {resultTypes: ['violations']})).violations" \
          ".filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3))"


SETTLED = "() => document.getAnimations().every(a => a.playState !== 'running' || a.effect.getTiming().iterations === Infinity)"


def axe_violations(page) -> list[str]:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: `make test` installs it (npm ci, from package-lock.json)")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))  # the context bypasses the page policy for this tool only
    return page.evaluate(SERIOUS)


@pytest.mark.parametrize("width", [390, 1366])
def test_axe_finds_no_serious_violation_on_the_five_page_types(browser, served, width):
    context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": 844})
    page_ = context.new_page()
    try:
        for url in ("/", "/plans/fire/", "/checklists/fire-safety/", f"/schools/{BUS_SCHOOL}/"):
            page_.goto(served + url)
            page_.wait_for_load_state("networkidle")
            assert axe_violations(page_) == [], url
        button = page_.locator("label.md-header__button[for=__search]")  # the open search, with results
        (button if button.is_visible() else page_.locator("input.md-search__input")).click()
        page_.locator("input.md-search__input").fill("火灾")
        page_.locator("input.md-search__input").press("End")
        page_.wait_for_function("() => document.querySelector('.md-search-result__meta').textContent.includes('结果')")
        assert page_.locator("a.md-search-result__link").count() > 0
        page_.locator("a.md-search-result__link").first.hover()  # a pointed-at result is tinted: its summary must still read
        page_.wait_for_function(SETTLED)  # axe reads colours mid-fade as they are drawn: let the fade and the tint finish
        assert axe_violations(page_) == [], "open search"
        page_.evaluate("document.querySelector('article').append(Object.assign(document.createElement('img'), {src: 'x.png'}))")
        assert any(v.startswith("image-alt") for v in page_.evaluate(SERIOUS))  # the control: axe does report
    finally:
        context.close()


def test_on_a_phone_the_title_is_the_largest_heading_and_labels_do_not_break(browser, served):
    watched = Watched(browser, width=390)
    try:
        watched.page.goto(served + "/checklists/micro-fire-kit/")
        size = "sel => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize)"
        assert watched.page.evaluate(size, ".md-typeset h1") > watched.page.evaluate(size, ".md-typeset h2")
        lines = """() => [...document.querySelectorAll('.sp-meta td:first-child, .md-typeset table th')].filter(c => c.offsetParent)
            .map(cell => { const r = document.createRange(); r.selectNodeContents(cell);
                           return [cell.textContent.trim(), new Set([...r.getClientRects()].map(x => Math.round(x.top))).size]; })"""
        cells = watched.page.evaluate(lines)
        assert any(label == "排查频次" for label, _ in cells)  # the label the issue saw broken
        assert [label for label, count in cells if count > 1] == []
        watched.page.evaluate("""() => document.querySelectorAll('.sp-meta td:first-child').forEach(cell => {
            cell.style.setProperty('white-space', 'normal', 'important'); cell.style.display = 'block'; cell.style.width = '1.5em'; })""")
        assert [label for label, count in watched.page.evaluate(lines) if count > 1]  # the control: a broken label is seen
        assert watched.errors == []
    finally:
        watched.close()
