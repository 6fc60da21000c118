"""Built public edition → leak Problems: the last look at the site and the PDFs before they are published.

Redaction (resolve.py) hides the fields the schemas mark `x-audience: internal`; this scan checks
that it worked on what readers will actually get: page text and every attribute value (href with
tel:, alt, title, data-*), the search index, the sitemap (and its gzip) and the text of each PDF.
It looks for mobiles, ID-card numbers and every value of an internal field (collected from the
library), read through privacy.normalise. A hit is located at the content file it comes from
(searched in the library the same way), else at the output file, and stops the build before the
staged output is swapped in.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import os
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from safeplan.content.model import Library, iter_strings
from safeplan.render.output import write_text
from safeplan.checks.privacy import (ID_CARD, LABELS, MOBILE, PHONE, VALUE, InternalValue, column_in, compact, digit_runs, find_numbers,
                      internal_values, mask, normalise, spans)
from safeplan.problems import ERROR, ContentError, Problem

RULE = "public-leak"
SCANNED_SUFFIXES = (".html", ".json", ".xml", ".gz", ".txt", ".pdf", ".pf_fragment")  # .pf_fragment: a page in the search index
THEME_FOLDERS = ("assets/javascripts", "assets/stylesheets")  # Material's own files, not content
PDF_TEXT_FORMAT = "2"  # bump when pdf_pages extracts more, so cached texts are read again


class LeaksFound(ContentError):
    """The public edition would publish personal numbers or internal values; one Problem per source."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0])
        self.problems = problems


def refuse_leaks(problems: list[Problem]) -> None:
    if problems:
        raise LeaksFound(problems)


@dataclass(frozen=True)
class Hit:
    kind: str  # privacy.MOBILE, ID_CARD, PHONE or VALUE
    needle: str  # digits, or compacted text
    start: int = 0  # in the normalised text, for numbers


# A checksum the pages print (the downloads' SHA-256, a commit id): hex digits, never a person's number, though
# one in four SHA-256 values holds an 11-digit run that reads as a mobile. Blanked, offsets kept.
_HASH = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{32,}(?![0-9A-Za-z])")


class Scanner:
    """What must not appear in the public edition, for one library."""

    def __init__(self, library: Library):
        self.values: dict[tuple[str, str], InternalValue] = {}
        self.phones: dict[str, str] = {}  # digits to look for → the field's full number, which hits report
        first: dict[tuple[str, str], str] = {}
        for value in internal_values(library):
            canonical = first.setdefault((value.doc.path, value.pointer), value.needle)
            self.values.setdefault((value.kind, canonical), value)
            if value.kind == PHONE:
                self.phones.setdefault(value.needle, canonical)
        texts = sorted((needle for kind, needle in self.values if kind == VALUE), key=len, reverse=True)
        self.texts = re.compile("|".join(map(re.escape, texts))) if texts else None

    def hits(self, text: str) -> list[Hit]:
        normalised = normalise(_HASH.sub(lambda m: " " * len(m.group(0)), text))
        found = [Hit(n.kind, n.digits, n.start) for n in find_numbers(normalised, normalised=True)]
        if self.phones:
            for _, _, groups in digit_runs(normalised):
                for digits, first, _ in spans(groups):
                    if digits in self.phones:
                        found.append(Hit(PHONE, self.phones[digits], groups[first][1]))
        if self.texts:
            found += [Hit(VALUE, m.group(0)) for m in self.texts.finditer(compact(normalised, normalised=True))]
        phones = {h.needle for h in found if h.kind == PHONE}  # a person's mobile: reported with its field
        return list(dict.fromkeys(h for h in found if not (h.kind == MOBILE and h.needle in phones)))


# ---- reading the output -----------------------------------------------------------------------

_BLOCKS = {"address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt", "figcaption",
           "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
           "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr",
           "ul", "script", "style", "loc", "lastmod", "url", "urlset", "option", "label", "button"}


class _Chunks(HTMLParser):
    """HTML or XML → (line, text) pieces: inline markup joins (so **139**0000 stays one number),
    blocks and table cells separate, and every attribute value is a piece of its own."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[tuple[int, str]] = []
        self._text: list[str] = []
        self._line = 1
        self._svg = 0  # depth inside <svg>

    def _flush(self):
        text = "".join(self._text).strip()
        if text:
            self.chunks.append((self._line, text))
        self._text = []

    def handle_starttag(self, tag, attrs):
        if tag == "svg":  # the theme's inline icons: path data is numbers (and content cannot hold SVG)
            self._svg += 1
        if self._svg:
            return
        if tag in _BLOCKS:
            self._flush()
        for _, value in attrs:
            if value:
                self.chunks.append((self.getpos()[0], value))

    def handle_startendtag(self, tag, attrs):
        if not self._svg:
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self._svg:
            self._svg -= tag == "svg"
            return
        if tag in _BLOCKS:
            self._flush()

    def handle_data(self, data):
        if self._svg:
            return
        if not self._text:
            self._line = self.getpos()[0]
        self._text.append(re.sub(r"\s+", " ", data))

    def close(self):
        super().close()
        self._flush()


def markup_chunks(text: str) -> list[tuple[int, str]]:
    parser = _Chunks()
    parser.feed(text)
    parser.close()
    return parser.chunks


def _search_index_chunks(text: str) -> list[tuple[int, str]]:
    try:
        docs = json.loads(text).get("docs") or []
    except (ValueError, AttributeError):
        return markup_chunks(text)
    # one parse for the whole index: entry N on line N, its fields apart
    lines = ("<hr>".join(str(doc.get(key) or "").replace("\n", " ") for key in ("location", "title", "text"))
             for doc in docs)
    return markup_chunks("\n".join(lines))


def pdf_pages(path: Path, cache: Path) -> list[str]:
    """The text of each page and the document information, cached by the file's hash."""
    data = path.read_bytes()
    cached = cache / "scan" / f"{hashlib.sha256(data).hexdigest()}.{PDF_TEXT_FORMAT}.json"
    try:
        pages = json.loads(cached.read_text(encoding="utf-8"))
        os.utime(cached)  # recently used: kept by _prune_texts
        return pages
    except (OSError, ValueError):
        pass
    from pypdf import PdfReader

    reader = PdfReader(path)
    pages = [" ".join(str(v) for v in (reader.metadata or {}).values())]  # page 0: title, author, keywords…
    pages += [(page.extract_text() or "") + "".join(f"\n{uri}" for uri in _link_targets(page)) for page in reader.pages]
    write_text(cached, json.dumps(pages, ensure_ascii=False))
    _prune_texts(cached.parent)
    return pages


def _prune_texts(folder: Path, keep: int = 500) -> None:
    """The texts of bundles not seen for the longest time go once there are more than `keep`."""
    texts = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in texts[keep:]:
        stale.unlink(missing_ok=True)


def _link_targets(page) -> list[str]:
    """The URIs of a page's link annotations (a tel: link's number is not in the page text)."""
    targets = []
    for annotation in page.get("/Annots") or []:
        action = annotation.get_object().get("/A") or {}
        if action.get("/URI"):
            targets.append(str(action["/URI"]))
    return targets


def output_chunks(path: Path, cache: Path) -> list[tuple[str, int, str]]:
    """(where, line, text) for one output file; where says in Chinese which part of the edition it is."""
    if path.suffix == ".pdf":
        # a number that wraps in a narrow table cell continues on the next line
        return [(f"PDF 第 {page} 页" if page else "PDF 文档信息", 1, line)
                for page, text in enumerate(pdf_pages(path, cache))
                for line in re.sub(r"(?<=\d)\n(?=\d)", " ", text).split("\n") if line.strip()]
    data = path.read_bytes()
    name = path.name
    if path.suffix in (".gz", ".pf_fragment"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return []
        name = path.stem
    text = data.decode("utf-8", "replace")
    if path.suffix == ".pf_fragment":  # Pagefind: gzip of a signature and one page's JSON (content, meta)
        try:
            page = json.loads(text[text.index("{"):])
        except ValueError:
            return [("搜索索引", line, chunk) for line, chunk in markup_chunks(text)]
        fields = [str(page.get("content") or "")] + [str(v) for v in (page.get("meta") or {}).values()]
        return [("搜索索引", 1, chunk) for _, chunk in markup_chunks(html.escape(" ".join(fields).replace("\n", " ")))]
    if name == "search_index.json":
        return [("搜索索引", number, chunk) for number, chunk in _search_index_chunks(text)]
    return [("", line, chunk) for line, chunk in markup_chunks(text)]


# ---- scanning and locating --------------------------------------------------------------------

@dataclass
class _Found:
    hit: Hit
    outputs: list[str]  # "notes/x/index.html:12", "搜索索引 search/search_index.json:3", …


def scan_files(library: Library, files: list[tuple[str, Path]], cache: Path) -> list[Problem]:
    """(published path relative to the root, file) of output files → one Problem per leaked value and the
    source it comes from."""
    scanner = Scanner(library)
    found: dict[tuple[str, str], _Found] = {}
    for shown, path in files:
        for where, line, text in output_chunks(path, cache):
            for hit in scanner.hits(text):
                place = f"{shown}（{where}{f'第 {line} 条' if where == '搜索索引' else ''}）" if where else f"{shown}:{line}"
                entry = found.setdefault((hit.kind, hit.needle), _Found(hit, []))
                if place not in entry.outputs:
                    entry.outputs.append(place)
    if not found:
        return []
    sources = _sources(library, scanner)
    problems = []
    for (kind, needle), entry in sorted(found.items()):
        value = scanner.values.get((kind, needle))
        places = sources.get((kind, needle)) or []
        copied = [p for p in places if not p[3]]  # a copy outside the internal field itself
        chosen = copied or places
        outputs = "、".join(entry.outputs[:3]) + (f" 等 {len(entry.outputs)} 处" if len(entry.outputs) > 3 else "")
        message = f"公开版（{outputs}）中出现了{_what(kind, needle, value)}。"
        hint = _hint(kind, value, bool(copied) or not value)
        if chosen:
            problems += [Problem(path, line, column, ERROR, RULE, message, hint) for path, line, column, _ in chosen]
        else:
            shown, line = _file_and_line(entry.outputs[0])
            problems.append(Problem(shown, line, 1, ERROR, RULE,
                                    message + "内容文件中找不到它的来源。",
                                    hint + "它可能来自 mkdocs.yml、site-assets/ 或 git 提交说明。"))
    return sorted(set(problems))


def _what(kind: str, needle: str, value: InternalValue | None) -> str:
    if kind == VALUE and value:
        return f"内部字段 {value.label} 的值（{value.doc.path}）"
    shown = mask(needle)
    if value:
        return f"{LABELS[kind]}“{shown}”（{value.doc.path} 的内部字段 {value.label}）"
    return f"{LABELS[kind]}“{shown}”"


def _hint(kind: str, value: InternalValue | None, copied: bool) -> str:
    stop = "构建已停止，公开版没有更新。"
    if kind == ID_CARD:
        return "请删除身份证号；预案库不得保存身份证号。" + stop
    if value and not copied:
        return "内部字段的值没有被隐去；请检查 schema 中该字段的 x-audience 标记和 resolve.redact。" + stop
    if value:
        field = f"{'district' if value.doc.kind == 'district' else 'school'}.{value.label}"
        return ("这里照抄了标为内部（x-audience: internal）的字段的值，公开版只能隐去字段本身；"
                f"请改用占位符 {{{{ {field} }}}}，或删除。" + stop)
    return ("个人手机只能写在人员的 mobile 字段（organisation.<岗位>.mobile），在正文中用占位符引用，"
            "例如 {{ school.organisation.principal.mobile }}，公开版会隐去；其他地方的号码请删除。" + stop)


def _sources(library: Library, scanner: Scanner) -> dict[tuple[str, str], list[tuple[str, int, int, bool]]]:
    """(kind, needle) → (path, line, column, is the internal field itself) of every place the library has it."""
    internal = {(v.doc.path, v.pointer) for v in scanner.values.values()}
    places: dict[tuple[str, str], list] = {}
    for doc in library.documents:
        for pointer, text in iter_strings(doc.data):
            for hit in scanner.hits(text):
                line, column = doc.position(pointer)
                places.setdefault((hit.kind, hit.needle), []).append((doc.path, line, column, (doc.path, pointer) in internal))
        for index, text in enumerate(doc.body.split("\n")):
            for hit in scanner.hits(text):
                column = column_in(text, hit.start) if hit.kind != VALUE else 1
                places.setdefault((hit.kind, hit.needle), []).append((doc.path, doc.body_line + index, column, False))
    return {key: list({(path, line): (path, line, column, own) for path, line, column, own in reversed(found)}.values())
            for key, found in places.items()}  # one place per line: the first column


def scan_site(library: Library, site: Path, cache: Path, published: str = "build/site") -> list[Problem]:
    """Every page, index, sitemap and offered PDF of a built (staged) public site."""
    files = []
    for path in sorted(site.rglob("*")):
        relative = path.relative_to(site).as_posix()
        if path.is_file() and path.suffix in SCANNED_SUFFIXES and not relative.startswith(THEME_FOLDERS):
            files.append((f"{published}/{relative}", path))
    return scan_files(library, files, cache)


def _file_and_line(place: str) -> tuple[str, int]:
    name = place.split("（", 1)[0]
    path, _, line = name.rpartition(":")
    return (path, int(line)) if path and line.isdigit() else (name, 1)
