#!/usr/bin/env python3
"""Built site → how well its search finds what school staff ask for: rank-1, top-3, MRR, bytes, latency.

    .venv/bin/python bench/bench_search.py [--site build/site] [--schools 200 2000]

Types each query into the site's search dialog in headless Chromium (as a reader does) and reads the
result links in order. Works on any site whose dialog uses Material's markup (Material's own search and
safeplan's Pagefind search both do). With --schools N it also builds a synthetic district of N schools
(bench/make_district.py) and prints the index size, the bytes the first query transfers and its latency.
Targets: rank-1 ≥ 90 %, top-3 100 %; at 200 schools the first query transfers ≤ 300 KB.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PLAN = "plans/"
# query as school staff type it → the page that must come first (site-relative URL)
QUERIES = {
    # hazards, in the words people use
    "着火了": "plans/fire/",
    "火灾": "plans/fire/",
    "校车": "plans/school-bus-accident/",
    "溺水": "plans/drowning/",
    "防溺水": "plans/drowning/",
    "食物中毒": "plans/food-poisoning/",
    "地震": "plans/earthquake/",
    "踩踏": "plans/crowd-crush/",
    "学生欺凌": "plans/bullying/",
    "电梯困人": "plans/elevator-failure/",
    "有人持刀闯进学校": "plans/violent-intrusion/",
    "台风暴雨": "plans/severe-weather/",
    "重污染天气": "plans/district-heavy-air-pollution/",
    "冰雪低温": "plans/district-ice-snow/",
    "疫情": "plans/epidemic/",
    "危险化学品泄漏": "plans/laboratory-hazmat/",
    "网络安全": "plans/cyber-security/",
    "家长聚集闹事": "plans/mass-incidents/",
    "学生受伤": "plans/student-injury/",
    # plan and guide names
    "综合应急预案": "plans/comprehensive/",
    "食堂现场处置": "plans/onsite-canteen/",
    "宿舍夜间火灾": "plans/onsite-dorm-fire-night/",
    "校门口": "plans/onsite-school-gate/",
    "校车途中": "plans/onsite-school-bus-road/",
    "游泳池溺水": "plans/onsite-swimming-pool/",
    "消防演练": "drills/fire-drill/",
    "地震疏散演练": "drills/earthquake-drill/",
    "反恐防暴演练": "drills/anti-terror-drill/",
    "应急通讯录": "notes/contacts-template/",
    "修订原因": "notes/revision-triggers/",
    "预案体系": "notes/plan-system/",
    # roles and time limits
    "班主任每日排查": "checklists/daily-class-teacher/",
    "保安每日": "checklists/daily-guard/",
    "宿管员": "checklists/daily-dorm/",
    "任课教师": "checklists/daily-teacher/",
    "一小时 报告": "plans/comprehensive/",
    "微型消防站": "checklists/micro-fire-station/",
    # schools, by full name and by the short forms people say
    "武进区湖塘样例实验小学": "schools/hutang-experimental-primary/",
    "洛阳小学": "schools/luoyang-central-primary/",
    "礼嘉高中": "schools/lijia-senior-high/",
    "湖塘实小": "schools/hutang-experimental-primary/",
    "牛塘幼儿园": "schools/niutang-central-kindergarten/",
    "遥观初中": "schools/yaoguan-junior-middle/",
    "嘉泽职校": "schools/jiaze-vocational-school/",
    "南夏墅特校": "schools/nanxiashu-special-education/",
    # checklist and plan numbers
    "WJJY-QD-13": "checklists/micro-fire-station/",
    "QD-01": "checklists/fire-safety/",
    "WJJY-XX-ZX-06": "plans/school-bus-accident/",
    # checklists by occasion
    "三个100%": "checklists/three-100/",
    "寒暑假前": "checklists/season-pre-vacation/",
    "汛期": "checklists/season-flood/",
    "开学前": "checklists/season-term-start/",
}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class Served:
    """A folder served on 127.0.0.1 (what the tests and `safeplan serve` do)."""

    def __init__(self, folder: Path):
        handler = functools.partial(_Quiet, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class SearchPage:
    """One browser tab on the site, recording every response (URL, bytes)."""

    def __init__(self, browser, base: str, width: int = 1280):
        self.base = base
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.responses: list[tuple[str, int]] = []
        self.page.on("response", self._record)
        self.page.goto(base)
        self.page.wait_for_load_state("networkidle")

    def _record(self, response):
        try:
            size = len(response.body())
        except Exception:  # redirects and aborted requests have no body
            size = 0
        self.responses.append((response.url, size))

    def open(self):
        button = self.page.locator("label.md-header__button[for=__search]")  # phones: the magnifier opens the dialog
        (button if button.is_visible() else self.page.locator("input.md-search__input")).click()
        self.page.locator("input.md-search__input").wait_for(state="visible")

    def search(self, query: str) -> list[str]:
        """The result links for a query, best first, as site-relative URLs."""
        box = self.page.locator("input.md-search__input")
        meta = "document.querySelector('.md-search-result__meta')?.textContent || ''"
        box.fill("")
        box.press("End")  # Material searches on key events; filling alone types no key
        self.page.wait_for_function(f"() => !({meta}).includes('结果')", timeout=20000)
        box.fill(query)
        box.press("End")
        self.page.wait_for_function(f"() => ({meta}).includes('结果')", timeout=30000)
        links = self.page.eval_on_selector_all("a.md-search-result__link", "links => links.map(a => a.href)")
        return [re.sub(r"[?#].*$", "", link).removeprefix(self.base) for link in links]

    def close(self):
        self.context.close()


def score(page: SearchPage, queries: dict[str, str]) -> tuple[float, float, float, list[str]]:
    firsts = threes = 0
    reciprocal = 0.0
    misses = []
    for query, expected in queries.items():
        links = page.search(query)
        rank = links.index(expected) + 1 if expected in links else 0
        firsts += rank == 1
        threes += 1 <= rank <= 3
        reciprocal += 1 / rank if rank else 0
        if rank != 1:
            misses.append(f"  {query} → {expected}：第 {rank or '—'} 位；前三：{', '.join(links[:3]) or '无结果'}")
    n = len(queries)
    return firsts / n, threes / n, reciprocal / n, misses


def index_bytes(site: Path) -> int:
    folder = site / "pagefind" if (site / "pagefind").is_dir() else site / "search"
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def first_query(browser, site: Path, query: str = "溺水") -> tuple[int, int, float]:
    """(bytes of search files fetched before search opens, bytes the first query fetched, seconds to results)."""
    served = Served(site)
    try:
        page = SearchPage(browser, served.url)
        searchy = re.compile(r"/(pagefind|search)/")
        before = sum(size for url, size in page.responses if searchy.search(url))
        count = len(page.responses)
        started = time.perf_counter()
        page.open()
        page.search(query)
        elapsed = time.perf_counter() - started
        page.page.wait_for_load_state("networkidle")
        fetched = sum(size for url, size in page.responses[count:] if searchy.search(url))
        page.close()
        return before, fetched, elapsed
    finally:
        served.close()


def build_district(schools: int, folder: Path) -> Path:
    sys.path.insert(0, str(REPO / "bench"))
    from make_district import make_district

    root = make_district(schools, folder / f"district-{schools}")
    env = {**os.environ, "CI": "1"}
    result = subprocess.run([str(Path(sys.executable).with_name("safeplan")), "--root", str(root), "build", "--only", "site"],
                            capture_output=True, text=True, env=env)
    if result.returncode:
        raise SystemExit(f"{schools} 所学校的网站生成失败：\n{result.stderr[-2000:]}")
    return root / "build" / "site"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=REPO / "build" / "site", help="生成好的网站目录（默认 build/site）")
    parser.add_argument("--schools", type=int, nargs="*", default=[], help="另外生成这些规模的虚拟学区并测量首次搜索")
    parser.add_argument("--misses", action="store_true", help="列出没有排第一的查询")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        raise SystemExit(f"{args.site} 中没有网站：先运行 safeplan build --only site")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        served = Served(args.site)
        try:
            page = SearchPage(browser, served.url)
            page.open()
            first, three, mrr, misses = score(page, QUERIES)
            page.close()
        finally:
            served.close()
        print(f"{len(QUERIES)} 个查询：第一位 {first:.0%}，前三 {three:.0%}，MRR {mrr:.3f}")
        if args.misses and misses:
            print("\n".join(misses))
        rows = [("本库", args.site)]
        with tempfile.TemporaryDirectory(prefix="bench-search-") as scratch:
            rows += [(f"{n} 所学校", build_district(n, Path(scratch))) for n in args.schools]
            print("\n| 规模 | 索引 | 打开搜索前取得 | 首次查询取得 | 首次查询到出结果 |\n|---|---|---|---|---|")
            for name, site in rows:
                before, fetched, elapsed = first_query(browser, site)
                print(f"| {name} | {index_bytes(site) / 1024:.0f} KB | {before / 1024:.0f} KB | {fetched / 1024:.0f} KB | {elapsed * 1000:.0f} ms |")
        browser.close()
    return 0 if first >= 0.9 and three == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
