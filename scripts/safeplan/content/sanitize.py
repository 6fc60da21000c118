"""Markdown/HTML from content → safe HTML, and → what the sanitizer removes: one content-safety policy.

The site and the PDF bundles render bodies through markdown_to_safe_html; validation runs the
same function and reports every tag, attribute, link or piece of text it would remove
(`removals`), so validation and rendering can never disagree.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import unquote
import html as html_text

import markdown
import nh3

from safeplan.content.loader import too_deep

# No attr_list or md_in_html: attributes in the output come from Markdown itself, never from editors.
_EXTENSIONS = ["tables", "sane_lists", "fenced_code"]
_EXTENSION_CONFIGS = {"tables": {"use_align_attribute": True}}  # align="…", so style can stay off the list

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "kbd", "li", "mark", "ol", "p", "pre", "s", "small", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan"},
}
URL_SCHEMES = ("http", "https", "mailto", "tel")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# Without these, Markdown makes no link, image, raw HTML or entity: the sanitizer has nothing to remove.
_MARKUP = ("<", "&", "[")


def url_problem(tag: str, url: str) -> str:
    """Why the policy drops this href/src (Chinese, for editors), or '' when it is kept.

    Images only from assets/ (no request leaves the site, and WeasyPrint reads no other local
    file); links absolute with an allowed scheme, in-page, or relative without a leading / and
    without .. (also when percent-encoded, as browsers decode %2e%2e to ..).
    """
    compact = re.sub(r"[\x00-\x20]", "", url)  # browsers ignore tabs and newlines inside a scheme
    scheme = _SCHEME.match(compact)
    path = compact.split("#", 1)[0].split("?", 1)[0]
    decoded = [path]
    for _ in range(3):  # %252e%252e → %2e%2e → ..
        decoded.append(unquote(decoded[-1]))
    outside = any(p.replace("\\", "/").startswith("/") or ".." in p.replace("\\", "/").split("/") for p in decoded)
    if tag == "img":
        if scheme:
            return "图片不能引用外部地址：网站要在封闭网络中使用，请把图片放进仓库的 assets/ 目录。"
        if outside:
            return "链接或图片路径不能指向仓库之外（不能以 / 开头，也不能含 ..，包括写成 %2e%2e 的形式）。"
        return "" if path.startswith("assets/") and ":" not in decoded[-1] else "图片请放在仓库的 assets/ 目录，并写成 assets/文件名。"
    if scheme:
        name = scheme.group(1).lower()
        return "" if name in URL_SCHEMES else f"不允许的链接协议：{name}:"
    if compact.startswith("#"):
        return ""
    return "链接或图片路径不能指向仓库之外（不能以 / 开头，也不能含 ..，包括写成 %2e%2e 的形式）。" if outside else ""


def _keep_url(tag: str, attribute: str, value: str) -> str | None:
    if attribute not in ("href", "src"):
        return value
    return None if url_problem(tag, value) else value.strip()


# Nested lists are indented like the text of their parent item: three spaces under "1. " (as the
# library writes them) or four. Python-Markdown's default of four made three-space sublists run
# into their parent's paragraph ("：- 疏散…；- 就地避险…").
_TAB_LENGTH = 3


def _markdown(text: str) -> str:
    if too_deep(text) is not None:  # the loader refuses such bodies; text from elsewhere is shown, not parsed
        return f"<pre>{html_text.escape(text)}</pre>"
    return markdown.markdown(text, extensions=_EXTENSIONS, extension_configs=_EXTENSION_CONFIGS, output_format="html",
                             tab_length=_TAB_LENGTH)


def markdown_to_safe_html(text: str) -> str:
    """Render Markdown, then keep only allow-listed tags, attributes and URL schemes.

    Scripts, styles, iframes, event handlers and javascript: links are removed
    (their text content too, for script and style), so content never runs.
    """
    return _clean(_markdown(text))


def _clean(html: str) -> str:
    return nh3.clean(html, tags=TAGS, attributes=_ATTRIBUTES, url_schemes=set(URL_SCHEMES), attribute_filter=_keep_url,
                     link_rel="noopener noreferrer", strip_comments=True)


@dataclass(frozen=True)
class Removal:
    """Something the sanitizer removes: a tag, an attribute, a link target, a comment or text."""

    kind: str  # "tag", "attribute", "url", "comment", "text"
    tag: str
    attribute: str = ""
    value: str = ""
    reason: str = ""  # for urls: why, in Chinese

    @property
    def needles(self) -> tuple[str, ...]:
        """Strings to look for in the source, most precise first, to locate the removal."""
        if self.kind == "tag":
            return ("<" + self.tag,)
        if self.kind == "comment":
            return ("<!--", "<!", "<?")
        if self.kind == "text":
            return (self.value, self.value[:8])
        written = (f'{self.attribute}="{self.value}"', f"{self.attribute}='{self.value}'", f"{self.attribute}={self.value}",
                   f"]({self.value}", f"]( {self.value}", f"<{self.value}>") if self.value else ()
        return written + (self.value if len(self.value) > 5 else "", self.attribute + "=",
                          {"a": "](", "img": "!["}.get(self.tag, "<" + self.tag), "<" + self.tag)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.comments = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: (value or "").strip() for name, value in attrs if name != "rel"}))

    handle_startendtag = handle_starttag

    def handle_comment(self, data):  # and <!DOCTYPE …>, <![CDATA[…]]>, <?…?>: all dropped by the sanitizer
        self.comments += 1

    handle_decl = unknown_decl = handle_pi = handle_comment

    def handle_data(self, data):
        self.text.append(data)


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


def _signature(tag: str, attributes: dict) -> tuple:
    if tag == "code":  # Markdown's own class="language-…" on fenced code, which the sanitizer drops
        attributes = {k: v for k, v in attributes.items() if k != "class"}
    return tag, tuple(sorted(attributes.items()))


def _explain(tag: str, attributes: dict) -> list[Removal]:
    """Why the policy changes this tag: the tag itself, or which attributes and link targets."""
    if tag not in TAGS:
        return [Removal("tag", tag)]
    allowed, found = _ATTRIBUTES.get(tag, set()), []
    for name, value in attributes.items():
        if name not in allowed and not (tag == "code" and name == "class"):
            found.append(Removal("attribute", tag, name, value))
        elif name in ("href", "src") and url_problem(tag, value):
            found.append(Removal("url", tag, name, value, url_problem(tag, value)))
    return found


@lru_cache(maxsize=8192)
def removals(text: str) -> tuple[Removal, ...]:
    """Everything markdown_to_safe_html(text) drops from what Markdown made of text, in order."""
    if not any(marker in text for marker in _MARKUP):
        return ()
    raw_html = _markdown(text)
    raw, safe = _parse(raw_html), _parse(_clean(raw_html))
    # What differs is decided by comparing the sanitizer's output with its input; the policy only says why.
    kept = Counter(_signature(tag, attributes) for tag, attributes in safe.tags)
    found: list[Removal] = []
    for tag, attributes in raw.tags:
        signature = _signature(tag, attributes)
        if kept[signature]:
            kept[signature] -= 1
            continue
        explained = _explain(tag, attributes)
        found += explained or [Removal("tag", tag)]
    found += [Removal("comment", "")] * (raw.comments - safe.comments)
    if not found:  # the parsers disagree on what is markup: report the text the sanitizer drops
        before, after = "".join(raw.text), "".join(safe.text)
        squeeze = re.compile(r"\s+")
        if squeeze.sub("", before) != squeeze.sub("", after):
            for op, i1, i2, _, _ in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
                if op in ("delete", "replace") and before[i1:i2].strip():
                    found.append(Removal("text", "", value=before[i1:i2].strip()[:40]))
                    break
    return tuple(found)
