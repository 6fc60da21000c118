"""SchoolView + edition → .docx bytes: cover, 颁布令, a contents field, then the bundle's parts as Word headings.

The Word file is made from the PDF bundle's own HTML (render/pdf/bundle_html), so both show the
same documents in the same order with the same headings; an edition (resolve/editions) picks the
documents and articles, the parts are then numbered anew.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from safeplan.content.vocabulary import Vocabulary, vocabulary
from safeplan.render.docx.html_blocks import Node, Writer, clean_text, heading_level, parse
from safeplan.render.docx.styles import (FRONT_HEADING, Fonts, begin_field, end_field, set_font, set_up, start_numbered_section,
                                        turn_page)
from safeplan.render.pdf.bundle_html import NUMERALS, BundleMeta, bundle_html, bundle_title
from safeplan.resolve.editions import EDITIONS, Edition, edition_view
from safeplan.resolve.views import SchoolView

_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_PART_NUMBER = re.compile(r"^第[零一二三四五六七八九十]+部分")
CONTENTS_FIELD = 'TOC \\o "1-2" \\h \\z \\u'  # the bundle's contents: parts and documents
COVER_SIZES = {"school": Pt(26), "title": Pt(30), "subtitle": Pt(16), "issuer": Pt(16)}


def chinese_date(iso: str) -> str:
    """2026-12-01 → 2026年12月1日, as dates are written on an official document."""
    return _ISO_DATE.sub(lambda m: f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日", iso)


def docx_bundle(view: SchoolView, meta: BundleMeta, edition: Edition = EDITIONS["full"], fonts: Fonts | None = None,
                words: Vocabulary | None = None) -> bytes:
    """The school's bundle in this edition as a Word document (bytes of a .docx file); its faces are the
    first of each stack in `meta.fonts` (safeplan.yaml `fonts`, as the PDF) unless `fonts` names others."""
    fonts = fonts or Fonts.from_stacks(meta.fonts)
    words = words or vocabulary()
    shown = edition_view(view, edition, words)
    body = next(n for n in parse(bundle_html(shown, meta, words)).find_all("body"))
    document = docx.Document()
    set_up(document, fonts)
    _properties(document, shown, meta, edition)
    writer = Writer(document)
    parts = _parts(body.find_all("main")[0], edition)
    contents = []
    for title, articles in parts:
        contents += [(1, title)] + [(2, _title(a)) for a in articles]
    for node in (n for n in body.children if isinstance(n, Node) and "front" in n.classes):
        _dates_in_chinese(node)
        if "cover" in node.classes:
            _cover(writer, node, fonts)
        elif node.tag == "nav":
            _contents(writer, node, contents)
        else:  # 颁布令
            _front_section(writer, node)
    start_numbered_section(document)
    landscape = False  # forms to file (article.form) are landscape sheets, as in the PDF
    for title, articles in parts:
        turned = landscape
        if landscape:
            turn_page(document, landscape := False)
        heading = document.add_heading(title, level=1)
        heading.paragraph_format.page_break_before = bool(writer.headings) and not turned
        writer.headings.append((1, heading))
        for index, article in enumerate(articles):
            turned = ("form" in article.classes) != landscape
            if turned:
                turn_page(document, landscape := not landscape)
            before = len(writer.headings)
            writer.blocks(document, article.children)
            if index and len(writer.headings) > before and not turned:
                writer.headings[before][1].paragraph_format.page_break_before = True
    return _reproducible(document, meta.date)


def _reproducible(document, day: str) -> bytes:
    """The saved package again with every member dated `day`: identical inputs give identical bytes, as the PDF does."""
    saved = io.BytesIO()
    document.save(saved)
    output = io.BytesIO()
    stamp = tuple(int(part) for part in day.split("-")) + (0, 0, 0)
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(zipfile.ZipInfo(member.filename, date_time=stamp), source.read(member.filename),
                            compress_type=zipfile.ZIP_DEFLATED)
    return output.getvalue()


def _parts(main: Node, edition: Edition) -> list[tuple[str, list[Node]]]:
    """(part title, its articles) the edition shows, parts without any left out and the rest numbered anew."""
    found, number = [], 0
    for part in (p for p in main.children if isinstance(p, Node) and p.tag == "section"):
        articles = [a for a in part.children if isinstance(a, Node) and a.tag == "article" and edition.shows(_anchor(a))]
        if not articles:
            continue
        title = clean_text(next(n for n in part.children if heading_level(n) == 1).text()).strip()
        if _PART_NUMBER.match(title):
            number += 1
            title = _PART_NUMBER.sub(f"第{NUMERALS[number]}部分", title)
        found.append((title, articles))
    return found


def _article_heading(article: Node) -> Node | None:
    """The article's title: its first h2 (a form's sits in its first sheet)."""
    return next(iter(article.find_all("h2")), None)


def _anchor(article: Node) -> str:
    heading = _article_heading(article)
    return heading.attrs.get("id", "") if heading is not None else ""


def _title(article: Node) -> str:
    heading = _article_heading(article)
    return clean_text(heading.text()).strip() if heading is not None else ""


def _dates_in_chinese(node: Node) -> None:
    node.children = [chinese_date(c) if isinstance(c, str) else c for c in node.children]
    for child in node.children:
        if isinstance(child, Node):
            _dates_in_chinese(child)


def _cover(writer: Writer, cover: Node, fonts: Fonts) -> None:
    document = writer.document
    for _ in range(3):
        document.add_paragraph()
    for node in (n for n in cover.children if isinstance(n, Node)):
        if node.tag == "table":
            document.add_paragraph()
            writer.table(document, node)
            continue
        paragraph = writer.paragraph(document, node.children, node.classes)
        if paragraph is None:
            continue
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.first_line_indent = Pt(0)
        paragraph.paragraph_format.space_after = Pt(18)
        kind = next(iter(node.classes & COVER_SIZES.keys()), "")
        for run in paragraph.runs:
            run.font.size = COVER_SIZES.get(kind, run.font.size)
            set_font(run._r, fonts.heading2 if kind == "subtitle" else fonts.title if kind else fonts.body)


def _front_heading(writer: Writer, node: Node):
    paragraph = writer.document.add_paragraph(style=FRONT_HEADING)
    writer.inline(paragraph, node.children)
    paragraph.paragraph_format.page_break_before = True
    return paragraph


def _front_section(writer: Writer, section: Node) -> None:
    for node in section.children:
        if heading_level(node) == 1:
            _front_heading(writer, node)
        elif isinstance(node, Node) or node.strip():
            writer.blocks(writer.document, [node])


def _contents(writer: Writer, nav: Node, entries: list[tuple[int, str]]) -> None:
    """目录 as a TOC field; until Word updates it (it asks on opening), it lists the entries without page numbers."""
    _front_heading(writer, next(n for n in nav.children if heading_level(n) == 1))
    paragraphs = []
    for level, text in entries or [(1, "（在 Word 中右击此处，选择“更新域”生成目录）")]:
        paragraphs.append(writer.document.add_paragraph(style=f"toc {level}"))
        if len(paragraphs) == 1:
            begin_field(paragraphs[0], CONTENTS_FIELD)
        paragraphs[-1].add_run(text)
    end_field(paragraphs[-1])


def _properties(document, view: SchoolView, meta: BundleMeta, edition: Edition) -> None:
    properties = document.core_properties
    properties.title = f"{bundle_title(view)}（{edition.label}）"
    properties.author = view.data["name"]
    properties.subject = "安全应急预案汇编（备案）"
    properties.language = "zh-CN"
    properties.comments = f"safeplan {meta.tool_version}；来源提交 {meta.commit or '无'}"
    moment = datetime.fromisoformat(meta.date).replace(tzinfo=timezone.utc)
    properties.created = properties.modified = moment
    properties.last_modified_by = "safeplan"
    properties.revision = 1
