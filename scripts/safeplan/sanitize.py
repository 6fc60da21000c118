"""Markdown/HTML from content → safe HTML: one allow-list, shared by the site and the PDF bundles."""

from __future__ import annotations

import html as html_text

import markdown
import nh3

from .loader import too_deep

# No attr_list or md_in_html: attributes in the output come from Markdown itself, never from editors.
_EXTENSIONS = ["tables", "sane_lists", "fenced_code"]
_EXTENSION_CONFIGS = {"tables": {"use_align_attribute": True}}  # align="…", so style can stay off the list

_TAGS = {
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
_URL_SCHEMES = {"http", "https", "mailto", "tel"}


def _keep_url(tag: str, attribute: str, value: str) -> str | None:
    """The unsafe-link rule, enforced here too: nothing may point outside the repository.

    Images only from assets/ (no request leaves the site, and WeasyPrint reads no other local
    file); links absolute (scheme checked by nh3), in-page, or relative without / or .. .
    """
    if attribute not in ("href", "src"):
        return value
    url = value.strip()
    path = url.split("#", 1)[0].split("?", 1)[0]
    if tag == "img":
        return url if path.startswith("assets/") and ".." not in path.split("/") and ":" not in path else None
    if ":" in path.split("/", 1)[0] or url.startswith("#"):
        return url
    return url if not path.startswith(("/", "\\")) and ".." not in path.replace("\\", "/").split("/") else None


def markdown_to_safe_html(text: str) -> str:
    """Render Markdown, then keep only allow-listed tags, attributes and URL schemes.

    Scripts, styles, iframes, event handlers and javascript: links are removed
    (their text content too, for script and style), so content never runs.
    """
    if too_deep(text) is not None:  # the loader refuses such bodies; text from elsewhere is shown, not parsed
        return f"<pre>{html_text.escape(text)}</pre>"
    html = markdown.markdown(text, extensions=_EXTENSIONS, extension_configs=_EXTENSION_CONFIGS,
                             output_format="html")
    return nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes=_URL_SCHEMES, attribute_filter=_keep_url,
                     link_rel="noopener noreferrer", strip_comments=True)
