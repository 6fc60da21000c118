"""Library → Problems about markup the renderers would remove: unsafe HTML, outside or dangerous links, file includes."""

from __future__ import annotations

import re
from dataclasses import replace

from safeplan.checks.validate import rule
from safeplan.content.model import Document, Library, iter_strings
from safeplan.content.sanitize import TAGS, removals
from safeplan.problems import ERROR, Problem


def _sources(doc: Document):
    """(line, column, text, is_body) of every whole text a document shows: data values and the body."""
    for pointer, value in iter_strings(doc.data):
        line, column = doc.position(pointer)
        yield line, column, value, False
    if doc.body:
        yield doc.body_line, 1, doc.body, True


def _removal_problems(library: Library, kinds: tuple[str, ...]):
    """One problem per thing the renderers' sanitizer would remove, at its place in the source."""
    for doc in library.documents:
        for line, column, text, is_body in _sources(doc):
            searched_from: dict[str, int] = {}
            for removal in removals(text):
                if removal.kind not in kinds:
                    continue
                at = (line, column)  # a YAML value: its field (escapes make offsets in the value meaningless)
                if is_body:
                    at = _line_column(text, _locate(text, removal.needles, searched_from), line)
                yield removal, Problem(doc.path, *at, ERROR, "", "", "")


def _line_column(text: str, offset: int, first_line: int) -> tuple[int, int]:
    before = text[:offset]
    return first_line + before.count("\n"), offset - (before.rfind("\n") + 1) + 1


def _locate(text: str, needles: tuple[str, ...], searched_from: dict[str, int]) -> int:
    """Where the next occurrence of the first needle found is (case-insensitive), else 0."""
    lowered = text.lower()
    for needle in needles:
        if not needle:
            continue
        index = lowered.find(needle.lower(), searched_from.get(needle, 0))
        if index >= 0:
            searched_from[needle] = index + 1
            return index
    return 0


_HTML_HINT = ("正文请用 Markdown 书写（表格、列表、加粗）；网站和 PDF 只保留安全的 HTML，脚本、事件处理器、iframe、"
              "样式、注释等会被删除。允许的标签：" + "、".join(sorted(TAGS)) + "。")


# Safety rules: error only. A warning does not stop the build, so the content would be published.
@rule("unsafe-html", ERROR, "内容中没有会被网站和 PDF 删除的 HTML（脚本、事件处理器、iframe 等）", allowed=(ERROR,))
def check_html(library: Library):
    for removal, at in _removal_problems(library, ("tag", "attribute", "comment", "text")):
        message = {
            "tag": f"不允许的 HTML：<{removal.tag}> 标签会在网站和 PDF 中被删除。",
            "attribute": f"不允许的 HTML：<{removal.tag}> 的 {removal.attribute} 属性会被删除。",
            "comment": "不允许的 HTML：注释 <!-- … --> 或 <!…>、<?…?> 声明会在网站和 PDF 中被删除。",
            "text": f"不允许的 HTML：这段内容会在网站和 PDF 中被删除：{removal.value}",
        }[removal.kind]
        yield replace(at, message=message, hint=_HTML_HINT)


_SNIPPET = re.compile(r"^\s*(--8<--|;--8<--)|\{!\s*[^}]+!\}", re.M)


@rule("unsafe-link", ERROR, "链接和图片不指向仓库之外、不用危险协议，正文不使用文件包含", allowed=(ERROR,))
def check_links(library: Library):
    for doc in library.documents:
        for line, column, text, is_body in _sources(doc):
            for match in _SNIPPET.finditer(text):
                yield Problem(doc.path, *(_line_column(text, match.start(), line) if is_body else (line, column)), ERROR, "",
                              "正文不能包含其他文件（--8<-- 或 {! !}）。",
                              "请把需要的内容直接写进本文档，或用 references 关联其他文档。")
    for removal, at in _removal_problems(library, ("url",)):
        yield replace(at, message=removal.reason, hint=f"链接目标：{removal.value[:80]}（网站和 PDF 会删除这个地址）")
