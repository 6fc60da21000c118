"""Values and filled bodies → the Markdown (and a little HTML) the site's pages are made of.

Nothing from content is trusted as markup: YAML values go through `text()` (escaped for Markdown
and HTML), bodies through sanitize.markdown_to_safe_html, whose HTML is split at its headings so
the headings stay Markdown (table of contents, anchors, search sections) and the rest is inserted
as raw HTML.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from datetime import date
from functools import lru_cache

from safeplan.content.sanitize import markdown_to_safe_html

_MD_ESCAPE = re.compile(r"([\\`*_{}\[\]()#|!])")


def text(value) -> str:
    """A plain value → inline Markdown that shows exactly that text and nothing else."""
    if value is None:
        return ""
    escaped = html.escape(str(value), quote=False)
    escaped = _MD_ESCAPE.sub(r"\\\1", escaped)
    return re.sub(r"\s*\n\s*", "<br>", escaped.strip())


def titled(title: str, tags: list[str] = ()) -> list[str]:
    """Front matter and h1 for a page whose title comes from content.

    The theme prints page titles into <title> and the header without escaping them (and its
    striptags filter unescapes the h1 text), so the front matter carries the title already
    HTML-escaped; the h1 is escaped Markdown.
    """
    lines = ["---", f"title: {_yaml_string(html.escape(title))}"]
    if tags:
        lines += ["tags:", *(f"  - {_yaml_string(html.escape(tag))}" for tag in tags)]
    return lines + ["---", "", f"# {text(title)}", ""]


def _yaml_string(value: str) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def unsearched(title: str, anchor: str) -> str:
    """An h2 whose section stays out of the search index (lists of links, tables of dates)."""
    return f"## {title} {{ #{anchor} data-search-exclude }}"


def table(headers: list[str], rows: list[list[str]], css: str = "") -> str:
    """A Markdown table; cells are Markdown already (use text() for values)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell if cell.strip() else " " for cell in row) + " |" for row in rows]
    body = "\n".join(lines)
    return f'<div class="{css}" markdown="1" data-search-exclude>\n\n{body}\n\n</div>' if css else body


def page_name(identifier: str) -> str:
    """A page's file name; `index` is the section's own page, and ids never start with '_'."""
    return "_index" if identifier == "index" else identifier


def relative(source: str, target: str) -> str:
    """The link from one page to another (paths relative to the docs folder, anchors kept)."""
    path, _, anchor = target.partition("#")
    link = _relpath(path, posixpath.dirname(source)) if path else ""
    return link + (f"#{anchor}" if anchor else "")


@lru_cache(maxsize=65536)
def _relpath(path: str, folder: str) -> str:  # cached: relpath asks the OS for the working directory each time
    return posixpath.relpath(path, folder or ".")


def days_between(first: str, second: str) -> int:
    return (date.fromisoformat(second) - date.fromisoformat(first)).days


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{year} 年 {int(number)} 月"


def size_label(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, round(size / 1024))} KB"


_HEADING = re.compile(r"<h([1-6])[^>]*>(.*?)</h\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_CONTENT_IMAGE = re.compile(r'(<img [^>]*src=")(assets/[^"]+)"')


def body_markdown(body: str, page: str) -> str:
    """A filled body → Markdown headings with sanitised HTML between them."""
    if not body.strip():
        return ""
    safe = markdown_to_safe_html(body)
    # content images live in the repository's assets/ (copied to the site's assets/). MkDocs rewrites no link in
    # raw HTML, so point at them from where the page is served (use_directory_urls: plans/fire.md → plans/fire/)
    stem = page.removesuffix(".md")
    served = posixpath.dirname(stem) if posixpath.basename(stem) == "index" else stem
    safe = _CONTENT_IMAGE.sub(lambda m: f'{m.group(1)}{_relpath(m.group(2), served)}"', safe)
    parts, position = [], 0
    for match in _HEADING.finditer(safe):
        parts.append(_raw(safe[position:match.start()]))
        title = html.unescape(_TAG.sub("", match.group(2))).strip()
        parts.append(f"{'#' * max(2, int(match.group(1)))} {text(title)}")
        position = match.end()
    parts.append(_raw(safe[position:]))
    return "\n\n".join(part for part in parts if part)


def _raw(fragment: str) -> str:
    fragment = fragment.strip()
    return f'<div class="sp-text">\n{fragment}\n</div>' if fragment else ""
