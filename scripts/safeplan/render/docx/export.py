"""Bundle HTML (from the same SchoolView as the PDF) → an editable Word document for 备案: real headings, tables, page numbers."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from safeplan.content.vocabulary import Vocabulary
from safeplan.render.pdf.bundle_html import BundleMeta, bundle_title
from safeplan.render.pdf.editions import BY_NAME, edition_html
from safeplan.resolve.views import SchoolView

# GB/T 9704: body 仿宋 三号; 一、 黑体, （一） 楷体, 1. 仿宋; titles 小标宋 (宋体 where absent). The names
# Word resolves on a Chinese system; a district with 仿宋_GB2312 etc. changes them in the template it keeps.
BODY_FONT, HEI, KAI, SONG = "仿宋", "黑体", "楷体", "宋体"
HEADING_STYLES = {  # bundle heading level → (Word style, east-Asian font, size in pt, bold, centred)
    1: ("Heading 1", HEI, 22, False, True), 2: ("Heading 2", SONG, 22, True, True), 3: ("Heading 3", HEI, 16, False, False),
    4: ("Heading 4", KAI, 16, False, False), 5: ("Heading 5", BODY_FONT, 16, True, False),
}
_SKIP = {"style", "title", "head", "nav", "script"}
LINE_BREAK = "\u2028"  # a <br>, kept through whitespace collapsing


@dataclass
class Node:
    tag: str
    attrs: dict
    children: list = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else (LINE_BREAK if c.tag == "br" else c.text()) for c in self.children)

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())


class _Tree(HTMLParser):
    VOID = {"br", "meta", "img", "hr", "link", "input", "col"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    tree = _Tree()
    tree.feed(html)
    tree.close()
    return tree.root


DOCX_EDITIONS = ("action", "full")


def school_docx(view: SchoolView, meta: BundleMeta, words: Vocabulary, edition: str) -> bytes:
    """One school's action or full edition as .docx, from the HTML its PDF is made of."""
    title = bundle_title(view, "" if edition == "full" else BY_NAME[edition].label)
    return docx_bytes(edition_html(BY_NAME[edition], view, meta, words), title, view.data["name"])


def docx_bytes(html: str, title: str, author: str) -> bytes:
    """The bundle's HTML as a .docx: headings h1–h5 as Word headings, tables as tables, lists as list paragraphs."""
    document = Document()
    _styles(document)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    _page_number_footer(section)
    document.core_properties.title, document.core_properties.author = title, author
    document.core_properties.language = "zh-CN"
    body = next((n for n in _walk(parse(html)) if isinstance(n, Node) and n.tag == "body"), parse(html))
    _blocks(document, body)
    data = io.BytesIO()
    document.save(data)
    return data.getvalue()


def _walk(node: Node):
    for child in node.children:
        yield child
        if isinstance(child, Node):
            yield from _walk(child)


def _styles(document) -> None:
    normal = document.styles["Normal"]
    _font(normal, BODY_FONT, 16)
    normal.paragraph_format.line_spacing = Pt(28.95)
    for style_name, font, size, bold, _ in HEADING_STYLES.values():
        style = document.styles[style_name]
        _font(style, font, size, bold)
        style.font.color.rgb = None
        style.paragraph_format.keep_with_next = True
    _font(document.styles["Table Grid"], BODY_FONT, 12)


def _font(style, east_asian: str, size: float, bold: bool = False) -> None:
    style.font.size, style.font.bold = Pt(size), bold
    style.font.name = "Times New Roman"
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)


def _page_number_footer(section) -> None:
    """"— N —" centred below the text, with Word's PAGE field so numbers follow edits."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("— ")
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText" if text == "PAGE" else "w:t")
            element.text = text
        run._r.append(element)
    paragraph.add_run(" —")


def _blocks(document, node: Node) -> None:
    for child in node.children:
        if isinstance(child, str):
            if child.strip():
                document.add_paragraph(child.strip())
            continue
        tag, classes = child.tag, child.classes()
        if tag in _SKIP and not (tag == "nav" and "toc" in classes):
            continue
        if tag == "nav":  # the contents: Word builds its own from the headings
            _toc(document)
        elif tag in ("article", "section", "main", "div") or (tag == "section" and "part" in classes):
            if tag == "article" or "front" in classes or "record-sheet" in classes:
                _page_break(document)
            _blocks(document, child)
        elif re.fullmatch(r"h[1-6]", tag):
            level = min(int(tag[1]), 5)
            style_name, *_, centred = HEADING_STYLES[level]
            if "front" in node.classes() and level == 1:
                style_name = "Title"
            paragraph = document.add_paragraph(_clean(child.text()), style=style_name)
            if centred:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif tag == "p":
            paragraph = document.add_paragraph(_clean(child.text()))
            if classes & {"signature"}:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            elif classes & {"school", "title", "subtitle", "edition", "issuer", "doc-meta"}:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            else:
                paragraph.paragraph_format.first_line_indent = Pt(32)
        elif tag in ("ol", "ul"):
            _list(document, child, tag, 0)
        elif tag == "table":
            _table(document, child)
        elif tag == "pre":
            document.add_paragraph(child.text())
        else:
            _blocks(document, child)


def _list(document, node: Node, tag: str, depth: int) -> None:
    number = int(node.attrs.get("start") or 1)
    for item in (c for c in node.children if isinstance(c, Node) and c.tag == "li"):
        own = Node("li", {}, [c for c in item.children if not (isinstance(c, Node) and c.tag in ("ol", "ul"))])
        marker = f"{number}. " if tag == "ol" else "· "
        paragraph = document.add_paragraph(marker + _clean(own.text()))
        paragraph.paragraph_format.left_indent = Pt(32 * (depth + 1))
        number += 1
        for sub in (c for c in item.children if isinstance(c, Node) and c.tag in ("ol", "ul")):
            _list(document, sub, sub.tag, depth + 1)


def _rows(node: Node) -> list[list[Node]]:
    rows = [n for n in _walk(node) if isinstance(n, Node) and n.tag == "tr"]
    return [[c for c in row.children if isinstance(c, Node) and c.tag in ("th", "td")] for row in rows]


def _table(document, node: Node) -> None:
    rows = _rows(node)
    columns = max((sum(int(c.attrs.get("colspan") or 1) for c in row) for row in rows), default=0)
    if not rows or not columns:
        return
    table = document.add_table(rows=len(rows), cols=columns)
    table.style = document.styles["Table Grid"]
    for r, row in enumerate(rows):
        column = 0
        for cell in row:
            span = int(cell.attrs.get("colspan") or 1)
            target = table.cell(r, column)
            if span > 1:
                target = target.merge(table.cell(r, min(column + span, columns) - 1))
            target.text = _clean(cell.text())
            if cell.tag == "th":
                for run in target.paragraphs[0].runs:
                    run.bold = True
            column += span
    if any(c.tag == "th" for c in rows[0]):  # the header row repeats on every page, as in the PDF
        header = table.rows[0]._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        header.append(repeat)


def _toc(document) -> None:
    document.add_paragraph("目　录", style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = document.add_paragraph().add_run()
    for kind, text in (("begin", None), (None, 'TOC \\o "1-2" \\h \\z \\u'), ("separate", None),
                       (None, "（在 Word 中右键“更新域”生成目录）"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText" if text.startswith("TOC") else "w:t")
            element.text = text
        run._r.append(element)


def _page_break(document) -> None:
    if document.paragraphs and document.paragraphs[-1].text:
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _clean(text: str) -> str:
    """HTML text as Word shows it: source line breaks and indentation collapse, <br> stays a line break."""
    return re.sub(r"[ \t\r\n]+", " ", text).replace(f" {LINE_BREAK}", LINE_BREAK).replace(LINE_BREAK, "\n").strip()

