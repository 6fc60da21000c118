"""A built site → its Pagefind search index (build/site/pagefind/), fetched in pieces only when someone searches.

Chinese has no spaces, and no segmenter cuts queries the way another cuts pages (the browser's
Intl.Segmenter cuts 预案 into 预/案, jieba keeps 应急预案 whole), so neither side segments: Pagefind
indexes a copy of each page whose Chinese runs are written as overlapping character pairs
(防溺水 → 防溺 溺水), and site-assets/theme/assets/javascripts/safeplan-search.js writes each query
the same way. Pairs find a word wherever it stands, at the cost of the excerpt, so each page carries
its own title and opening sentence as the result's text. Only documents and schools are indexed, and
of them only the article: not the information box, lists of links or tables of dates.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from safeplan.problems import ContentRefused, EnvironmentProblem

INDEX_FOLDER = "pagefind"
INDEXED_PAGES = "{plans,checklists,drills,notes,schools}/*/index.html"  # documents and schools, not lists
# what is not worth finding: the information box (every page has one), permalinks, breadcrumbs, link lists
NOT_INDEXED = (".sp-meta", "[data-search-exclude]", ".headerlink", ".sp-crumbs")
ROOT = "article.md-content__inner"
INDEX_LANGUAGE = "en"  # a language Pagefind neither segments nor stems: the pairs are the words
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_ARTICLE = re.compile(r'(<article class="md-content__inner[^>]*>)(.*?)(</article>)', re.S)
_TEXT = re.compile(r">([^<]+)<")
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
_BOX = re.compile(r'<div class="sp-meta">.*?</table>\s*(?:<details.*?</details>\s*)?</div>', re.S)
_ADMONITION = re.compile(r'<div class="admonition[^"]*">.*?</div>', re.S)
_OPENING = re.compile(r"</h1>.*?<p>(.*?)</p>", re.S)
_NUMBER = re.compile(r"<td>(?:预案)?编号</td>\s*<td>([A-Za-z0-9-]+)</td>")
_TAG = re.compile(r"<[^>]+>")
SUMMARY_CHARS = 90


class SearchIndexMissing(EnvironmentProblem):
    """Pagefind is not installed where safeplan runs."""


class SearchIndexFailed(ContentRefused):
    """Pagefind ran and failed; the message (Chinese) has its output."""


def pairs(text: str) -> str:
    """防溺水专项 → 防溺 溺水 水专 专项; a single character stays itself; everything else is left as it is."""
    def paired(match: re.Match) -> str:
        run = match.group()
        return f" {run} " if len(run) == 1 else " " + " ".join(run[i:i + 2] for i in range(len(run) - 1)) + " "
    return CJK.sub(paired, text)


def pagefind_binary() -> Path:
    try:
        import pagefind_bin_extended
    except ImportError:
        raise SearchIndexMissing(
            "站内搜索组件 Pagefind 无法导入，因此没有生成网站。\n"
            "  提示：运行 make build（会自动安装依赖），或 .venv/bin/pip install 'pagefind-bin-extended>=1.5,<2'。") from None
    binary = Path(pagefind_bin_extended.__file__).with_name("pagefind_extended")
    if not binary.is_file():
        raise SearchIndexMissing(f"Pagefind 的程序文件 {binary} 不存在。\n"
                                 "  提示：重新安装：.venv/bin/pip install --force-reinstall pagefind-bin-extended。")
    return binary


def searchable(page: str) -> str:
    """A page → the copy Pagefind reads: its article's text in pairs, its own title and opening as result text."""
    found = _ARTICLE.search(page)
    if not found:
        return page
    article = found.group(2)
    title = _plain(_H1.search(article).group(1)) if _H1.search(article) else ""
    opening = _OPENING.search(_ADMONITION.sub("", _BOX.sub("", article)))  # not the box, not a 待审 warning
    summary = _plain(opening.group(1)) if opening else ""
    if len(summary) > SUMMARY_CHARS:
        summary = summary[:SUMMARY_CHARS] + "…"
    shown = (f'<div data-pagefind-ignore><span data-pagefind-meta="title">{html.escape(title)}</span>'
             f'<span data-pagefind-meta="summary">{html.escape(summary)}</span></div>')
    number = _NUMBER.search(article)
    if number:  # the box is not indexed, but its document number is how staff name a form: WJJY-QD-13 → WJJY QD 13
        shown += f'<p data-pagefind-weight="10">{html.escape(number.group(1).replace("-", " "))}</p>'
    body = _TEXT.sub(lambda m: ">" + pairs(m.group(1)) + "<", article).replace("<h1", '<h1 data-pagefind-weight="10"', 1)
    return page[:found.start()] + found.group(1) + shown + body + found.group(3) + page[found.end():]


def _plain(fragment: str) -> str:
    return html.unescape(_TAG.sub("", fragment)).replace("¶", "").strip()


def index_site(site_dir: Path) -> int:
    """Write site_dir/pagefind/; returns the bytes of the index (chunks, fragments, metadata), without the code."""
    with tempfile.TemporaryDirectory(prefix="safeplan-search-") as scratch:
        copy = Path(scratch) / "pages"
        for page in site_dir.glob("*/*/index.html"):
            target = copy / page.relative_to(site_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(searchable(page.read_text(encoding="utf-8")), encoding="utf-8")
        folder = site_dir / INDEX_FOLDER
        shutil.rmtree(folder, ignore_errors=True)
        command = [str(pagefind_binary()), "--site", str(copy), "--output-path", str(folder), "--glob", INDEXED_PAGES, "--root-selector", ROOT,
                   "--force-language", INDEX_LANGUAGE, "--quiet"]
        for selector in NOT_INDEXED:
            command += ["--exclude-selectors", selector]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise SearchIndexFailed(f"生成搜索索引时出错：{error}\n  提示：重新运行 safeplan build；仍然失败请报告区局安全科。") from None
    if result.returncode != 0:
        raise SearchIndexFailed(f"Pagefind 生成搜索索引失败：\n  {(result.stderr or result.stdout).strip()[-2000:]}\n"
                                "  提示：这是工具缺陷，请把以上信息报告区局安全科。")
    for ui in folder.glob("pagefind-*ui.*"):  # the UIs Pagefind ships: the site has its own (partials/search.html)
        ui.unlink()
    (folder / "pagefind-highlight.js").unlink(missing_ok=True)
    index = [p for p in folder.rglob("*") if p.is_file() and p.suffix in (".pf_meta", ".pf_index", ".pf_fragment")]
    if not any(p.suffix == ".pf_meta" for p in index):
        raise SearchIndexFailed("网站生成后没有搜索索引（pagefind/*.pf_meta）。\n  提示：这是工具缺陷，请报告区局安全科。")
    return sum(p.stat().st_size for p in index)


# Material's own search (lunr, its language files and worker) that the site no longer runs, and source maps
UNUSED_THEME_FILES = ("assets/javascripts/lunr", "assets/javascripts/workers")


def drop_unused_theme_files(site_dir: Path) -> int:
    """Remove what the site ships but never loads; returns the bytes removed."""
    removed = 0
    for relative in UNUSED_THEME_FILES:
        folder = site_dir / relative
        if folder.is_dir() and not folder.is_symlink():
            removed += sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
            shutil.rmtree(folder)
    for source_map in site_dir.rglob("*.map"):
        removed += source_map.stat().st_size
        source_map.unlink()
    return removed
