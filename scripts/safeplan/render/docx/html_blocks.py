"""Sanitised bundle HTML → python-docx paragraphs, headings, Word lists and Word tables.

The HTML is the PDF bundle's own (its Markdown bodies come from content/sanitize), so the Word
file and the PDF show the same words; this module only decides what each element becomes in Word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Pt

from safeplan.render.docx.styles import (LIST_STYLES, TABLE_STYLE, TABLE_TEXT, number_paragraph, type_width,
                                         restart_numbering)

VOID = {"br", "img", "hr", "meta", "link", "input", "col"}
INLINE = {"a", "abbr", "b", "strong", "i", "em", "code", "kbd", "span", "small", "sub", "sup", "del", "s", "u",
          "mark", "br", "img"}
HEADINGS = {f"h{n}": n for n in range(1, 7)}
_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t]*\n[ \t]*(?=[{_CJK}])")  # a line break between Chinese characters is no space
_SPACE = re.compile(r"[ \t\n\r\f\v]+")  # ASCII only: 　 (U+3000) is written on purpose
_WIDTH = re.compile(r"width:\s*([\d.]+)%")
ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}
CLASS_ALIGN = {"caption": WD_ALIGN_PARAGRAPH.CENTER, "signature": WD_ALIGN_PARAGRAPH.RIGHT}
FILL = "　" * 8  # a blank to write on, underlined


@dataclass
class Node:
    tag: str
    attrs: dict = field(default_factory=dict)
    children: list = field(default_factory=list)  # Node or str

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def find_all(self, tag: str) -> list["Node"]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                found += [child] if child.tag == tag else []
                found += child.find_all(tag)
        return found

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):  # tolerate a missing end tag, as browsers do
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def clean_text(text: str) -> str:
    return _SPACE.sub(" ", _CJK_BREAK.sub("", text))


def heading_level(node) -> int | None:
    return HEADINGS.get(node.tag) if isinstance(node, Node) else None


class Writer:
    """Adds blocks to a python-docx Document (or a table cell) in document order."""

    def __init__(self, document):
        self.document = document
        self.headings: list = []  # (level, paragraph), in document order
        self._style_ids: dict[str, str] = {}

    def style_id(self, name: str) -> str:
        """python-docx looks a style name up in O(styles) every time; a bundle sets styles thousands of times."""
        if name not in self._style_ids:
            self._style_ids[name] = self.document.styles[name].style_id
        return self._style_ids[name]

    def add_paragraph(self, container, style: str | None = None):
        paragraph = container.add_paragraph()
        if style:
            paragraph._p.style = self.style_id(style)
        return paragraph

    # ---- blocks ------------------------------------------------------------------------------

    def blocks(self, container, children, list_depth: int = 0) -> None:
        run_of_inline: list = []
        for child in children + [None]:
            if child is not None and (isinstance(child, str) or child.tag in INLINE):
                run_of_inline.append(child)
                continue
            if run_of_inline:
                self.paragraph(container, run_of_inline)
                run_of_inline = []
            if child is not None:
                self.block(container, child, list_depth)

    def block(self, container, node: Node, list_depth: int = 0) -> None:
        level = heading_level(node)
        if level:
            self.heading(node, level)
        elif node.tag == "p":
            self.paragraph(container, node.children, node.classes)
        elif node.tag in ("ul", "ol"):
            self.listing(container, node, list_depth + 1)
        elif node.tag == "table":
            self.table(container, node)
        elif node.tag == "pre":
            for line in node.text().rstrip("\n").split("\n"):
                paragraph = self.add_paragraph(container, TABLE_TEXT)
                paragraph.add_run(line).font.name = "Courier New"
        elif node.tag == "blockquote":
            start = len(container.paragraphs)
            self.blocks(container, node.children, list_depth)
            for paragraph in container.paragraphs[start:]:
                paragraph.paragraph_format.left_indent = Pt(32)
        elif node.tag in ("hr", "style", "script", "head", "title"):
            return
        else:  # section, article, nav, main, div, dl …: their content, in order
            self.blocks(container, node.children, list_depth)

    def heading(self, node: Node, level: int):
        paragraph = self.add_paragraph(self.document, f"Heading {level}")
        self.inline(paragraph, node.children)
        self.headings.append((level, paragraph))
        return paragraph

    def paragraph(self, container, children, classes: set[str] = frozenset(), style: str | None = None):
        if not any(clean_text(c).strip() if isinstance(c, str) else True for c in children):
            return None
        paragraph = self.add_paragraph(container, style or (TABLE_TEXT if container is not self.document else None))
        self.inline(paragraph, children)
        if classes & CLASS_ALIGN.keys():
            paragraph.alignment = CLASS_ALIGN[next(iter(classes & CLASS_ALIGN.keys()))]
            paragraph.paragraph_format.first_line_indent = Pt(0)
        if classes & {"doc-meta", "note", "caption", "contacts-box", "signature"}:
            paragraph.paragraph_format.first_line_indent = Pt(0)
        return paragraph

    def listing(self, container, node: Node, depth: int) -> None:
        style = LIST_STYLES[(node.tag, min(depth, 3))]
        num_id = restart_numbering(self.document, self.style_id(style), int(node.attrs.get("start") or 1)) if node.tag == "ol" else None
        for item in (c for c in node.children if isinstance(c, Node) and c.tag == "li"):
            children = item.children  # the item's own text, then its nested lists and further blocks
            split = next((i for i, c in enumerate(children) if isinstance(c, Node) and c.tag not in INLINE), len(children))
            inline, rest = children[:split], children[split:]
            if not "".join(c if isinstance(c, str) else c.text() for c in inline).strip() and rest and rest[0].tag == "p":
                inline, rest = rest[0].children, rest[1:]  # a loose list: the item's first paragraph is its text
            paragraph = self.add_paragraph(container, style)
            if num_id:
                number_paragraph(paragraph, num_id)
            self.inline(paragraph, inline)
            self.blocks(container, rest, depth)

    def table(self, container, node: Node) -> None:
        rows = node.find_all("tr")
        if not rows:
            return
        header = {id(r) for section in node.find_all("thead") for r in section.find_all("tr")}
        grid = _grid(rows)
        columns = max(len(line) for line in grid)
        table = container.add_table(rows=len(rows), cols=columns)
        table._tbl.tblPr.style = self.style_id(TABLE_STYLE)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        widths = _widths(rows, columns, type_width(self.document.sections[-1]))  # a form's landscape sheet is wider
        for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths):  # LibreOffice reads the grid, Word the cells
            column.w = width
        cells = [row.cells for row in table.rows]  # once: table.cell(r, c) walks the whole table every time
        for line in cells:
            for c, cell in enumerate(line):
                cell.width = widths[c]
        for r, (row, line) in enumerate(zip(rows, grid)):
            if id(row) in header:
                _repeat_as_header(table.rows[r])
            for c, entry in enumerate(line):
                if entry is None or (r, c) != entry[1]:
                    continue
                source, (top, left), (bottom, right) = entry
                cell = cells[top][left]
                if (bottom, right) != (top, left):
                    cell = cell.merge(cells[bottom][right])
                self.cell(cell, source)
        if container is self.document:
            self.document.add_paragraph().paragraph_format.space_after = Pt(0)  # Word joins adjacent tables otherwise

    def cell(self, cell, node: Node) -> None:
        first = cell.paragraphs[0]
        before = len(cell.paragraphs)
        self.blocks(cell, node.children)
        added = cell.paragraphs[before:]
        if added:  # the cell's own first paragraph holds the first block; nothing is left empty above it
            first._p.getparent().remove(first._p)
        else:
            first._p.style = self.style_id(TABLE_TEXT)
        paragraphs = cell.paragraphs
        align = ALIGN.get(node.attrs.get("align", ""))
        for paragraph in paragraphs:
            if node.tag == "th":
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                for run in paragraph.runs:
                    run.bold = True
            elif align is not None:
                paragraph.alignment = align

    # ---- inline ------------------------------------------------------------------------------

    def inline(self, paragraph, children, style: frozenset = frozenset()) -> None:
        for child in children:
            if isinstance(child, str):
                text = clean_text(child)
                if not paragraph.runs or not paragraph.runs[-1].text:
                    text = text.lstrip()
                if text:
                    _run(paragraph, text, style)
            elif child.tag == "br":
                paragraph.add_run().add_break()
            elif child.tag == "img":
                continue
            elif child.tag == "span" and "fill" in child.classes:
                _run(paragraph, FILL, style | {"u"})
            else:
                self.inline(paragraph, child.children, style | {_STYLE_OF.get(child.tag, "")})
        if paragraph.runs and paragraph.runs[-1].text != paragraph.runs[-1].text.rstrip():
            paragraph.runs[-1].text = paragraph.runs[-1].text.rstrip()


_STYLE_OF = {"b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "del": "s", "s": "s", "sub": "sub", "sup": "sup",
             "code": "code", "kbd": "code"}


def _run(paragraph, text: str, style: frozenset):
    run = paragraph.add_run(text)
    run.bold = True if "b" in style else None
    run.italic = True if "i" in style else None
    run.underline = True if "u" in style else None
    if "s" in style:
        run.font.strike = True
    if "sub" in style:
        run.font.subscript = True
    if "sup" in style:
        run.font.superscript = True
    return run


def _span(node: Node, name: str) -> int:
    try:
        return max(1, int(node.attrs.get(name) or 1))
    except ValueError:
        return 1


def _grid(rows: list[Node]) -> list[list]:
    """Each grid position → (cell node, its top-left, its bottom-right), spans expanded; None where a row is short."""
    grid: list[list] = [[] for _ in rows]
    for r, row in enumerate(rows):
        c = 0
        for cell in (n for n in row.children if isinstance(n, Node) and n.tag in ("td", "th")):
            while c < len(grid[r]) and grid[r][c] is not None:
                c += 1
            down, across = min(_span(cell, "rowspan"), len(rows) - r), _span(cell, "colspan")
            entry = (cell, (r, c), (r + down - 1, c + across - 1))
            for rr in range(r, r + down):
                while len(grid[rr]) < c + across:
                    grid[rr].append(None)
                for cc in range(c, c + across):
                    grid[rr][cc] = entry
            c += across
    columns = max(len(line) for line in grid)
    return [line + [None] * (columns - len(line)) for line in grid]


def _widths(rows: list[Node], columns: int, width: int) -> list:
    """Column widths from the bundle's own `width: N%` (the PDF's proportions), else equal; always the type area."""
    shares = [None] * columns
    for row in rows:
        c = 0
        for cell in (n for n in row.children if isinstance(n, Node) and n.tag in ("td", "th")):
            found = _WIDTH.search(cell.attrs.get("style", ""))
            if found and _span(cell, "colspan") == 1 and c < columns and shares[c] is None:
                shares[c] = float(found.group(1))
            c += _span(cell, "colspan")
    known = sum(s for s in shares if s)
    missing = [i for i, s in enumerate(shares) if not s]
    rest = max(100.0 - known, 0.0) if known < 100 else 0.0
    for i in missing:
        shares[i] = rest / len(missing) if rest else 100.0 / columns
    total = sum(shares)
    return [Emu(int(width * s / total)) for s in shares]


def _repeat_as_header(row) -> None:
    """w:tblHeader: Word repeats the row at the top of every page the table runs onto."""
    properties = row._tr.get_or_add_trPr()
    mark = OxmlElement("w:tblHeader")
    mark.set(qn("w:val"), "true")
    properties.append(mark)
