"""Fonts and page → a python-docx Document set up as GB/T 9704 asks: A4, 仿宋 body, 黑体/楷体 headings, "— N —" footers."""

from __future__ import annotations

from dataclasses import dataclass

from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

PAGE = (Mm(210), Mm(297))
MARGINS = {"top": Mm(37), "right": Mm(26), "bottom": Mm(35), "left": Mm(28)}  # type area 156 × 225 mm
TYPE_WIDTH = PAGE[0] - MARGINS["left"] - MARGINS["right"]
SHEET_MARGINS = {"top": Mm(20), "right": Mm(20), "bottom": Mm(22), "left": Mm(28)}  # a form's landscape sheet, as in the PDF
BODY_SIZE = Pt(16)  # 三号
LINE = Pt(28.9)  # 22 lines in the 225 mm type area
TABLE_STYLE = "Table Grid"
TABLE_TEXT = "Table Text"
FRONT_HEADING = "Front Heading"  # 颁布令, 目录: centred titles that stay out of the contents
# Word refuses a file whose elements are out of the schema's order (ECMA-376 CT_Settings, CT_SectPr): what follows.
_AFTER_UPDATE_FIELDS = ("w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat", "w:docVars", "w:rsids", "m:mathPr",
                        "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping", "w:doNotIncludeSubdocsInStats",
                        "w:doNotAutoCompressPictures", "w:forceUpgrade", "w:captions", "w:readModeInkLockDown",
                        "w:smartTagType", "sl:schemaLibrary", "w:shapeDefaults", "w:doNotEmbedSmartTags",
                        "w:decimalSymbol", "w:listSeparator")
_AFTER_PAGE_NUMBERING = ("w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi",
                         "w:rtlGutter", "w:docGrid", "w:printerSettings", "w:sectPrChange")
LIST_STYLES = {("ul", 1): "List Bullet", ("ul", 2): "List Bullet 2", ("ul", 3): "List Bullet 3",
               ("ol", 1): "List Number", ("ol", 2): "List Number 2", ("ol", 3): "List Number 3"}


@dataclass(frozen=True)
class Fonts:
    """The Word file's faces: each role's first family in safeplan.yaml `fonts`, the stacks the PDF uses
    (render/pdf/fonts.font_stacks); a district names there the faces its Word has (e.g. 仿宋_GB2312)."""

    body: str
    heading1: str  # 一级标题 (hei, 黑体)
    heading2: str  # 二级标题 (kai, 楷体)
    title: str  # cover and front-matter titles

    @classmethod
    def from_stacks(cls, stacks, body: str | None = None) -> "Fonts":
        first = {role: families[0] for role, families in stacks}
        return cls(body or first["body"], first["hei"], first["kai"], first["title"])


def set_font(target, name: str) -> None:
    """Name one face for Latin and CJK text alike (w:eastAsia is what Word uses for Chinese), and drop theme fonts."""
    fonts = target.get_or_add_rPr().get_or_add_rFonts()  # in the schema's place among the run properties
    for attribute in list(fonts.attrib):
        if attribute.lower().endswith("theme"):
            del fonts.attrib[attribute]
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), name)


def _paragraph_style(document, name: str, base: str = "Normal"):
    styles = document.styles
    if name in [s.name for s in styles]:
        return styles[name]
    style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles[base]
    return style


def set_up(document, fonts: Fonts) -> None:
    """Page, styles and the settings Word reads when it opens the file."""
    section = document.sections[0]
    section.page_width, section.page_height = PAGE
    for side, value in MARGINS.items():
        setattr(section, f"{side}_margin", value)
    section.header_distance, section.footer_distance = Mm(15), Mm(20)

    normal = document.styles["Normal"]
    set_font(normal.element, fonts.body)
    normal.font.size = BODY_SIZE
    layout = normal.paragraph_format
    layout.line_spacing_rule, layout.line_spacing = WD_LINE_SPACING.EXACTLY, LINE
    layout.space_before = layout.space_after = Pt(0)
    layout.first_line_indent = BODY_SIZE * 2
    layout.widow_control = True

    faces = {1: fonts.heading1, 2: fonts.heading2}
    for level in range(1, 7):
        style = document.styles[f"Heading {level}"]
        set_font(style.element, faces.get(level, fonts.body))
        style.font.size = BODY_SIZE if level > 1 else Pt(18)
        style.font.bold = level == 3  # 黑体 and 楷体 carry their own weight; 三级标题 is 仿宋 bold
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        color = style.element.rPr.find(qn("w:color"))
        for attribute in ("w:themeColor", "w:themeShade"):
            color.attrib.pop(qn(attribute), None)
        heading = style.paragraph_format
        heading.first_line_indent = BODY_SIZE * 2 if level > 2 else Pt(0)
        heading.space_before, heading.space_after = (Pt(12), Pt(6)) if level <= 2 else (Pt(0), Pt(0))
        heading.keep_with_next = True
        if level == 1:
            heading.alignment = WD_ALIGN_PARAGRAPH.CENTER

    front = _paragraph_style(document, FRONT_HEADING)
    set_font(front.element, fonts.title)
    front.font.size = Pt(22)
    front.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    front.paragraph_format.first_line_indent = Pt(0)
    front.paragraph_format.space_after = Pt(12)

    cell = _paragraph_style(document, TABLE_TEXT)
    cell.font.size = Pt(12)
    cell.paragraph_format.first_line_indent = Pt(0)
    cell.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    for level in (1, 2):
        toc = _paragraph_style(document, f"toc {level}")
        toc.paragraph_format.first_line_indent = Pt(0)
        toc.paragraph_format.left_indent = BODY_SIZE * 2 * (level - 1)
    for style in LIST_STYLES.values():
        document.styles[style].paragraph_format.first_line_indent = None

    document.settings.odd_and_even_pages_header_footer = True  # "— N —" outside: right on odd, left on even pages
    update = OxmlElement("w:updateFields")  # Word fills the contents and page numbers when it opens the file
    update.set(qn("w:val"), "true")
    document.settings.element.insert_element_before(update, *_AFTER_UPDATE_FIELDS)


def field(paragraph, instruction: str, shown: str = "") -> None:
    """A complex field (PAGE, TOC …) in one paragraph, with `shown` as its text until Word updates it."""
    begin_field(paragraph, instruction)
    if shown:
        paragraph.add_run(shown)
    end_field(paragraph)


def begin_field(paragraph, instruction: str) -> None:
    for kind, text in (("begin", None), (None, instruction), ("separate", None)):
        run = paragraph.add_run()
        if kind:
            mark = OxmlElement("w:fldChar")
            mark.set(qn("w:fldCharType"), kind)
            run._r.append(mark)
        else:
            code = OxmlElement("w:instrText")
            code.set(qn("xml:space"), "preserve")
            code.text = text
            run._r.append(code)


def end_field(paragraph) -> None:
    mark = OxmlElement("w:fldChar")
    mark.set(qn("w:fldCharType"), "end")
    paragraph.add_run()._r.append(mark)


def start_numbered_section(document):
    """A new section on a new page whose pages are numbered from 1 in the footer; the front matter has none."""
    section = document.add_section(WD_SECTION.NEW_PAGE)
    numbering = OxmlElement("w:pgNumType")
    numbering.set(qn("w:start"), "1")
    section._sectPr.insert_element_before(numbering, *_AFTER_PAGE_NUMBERING)
    for footer, alignment in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.alignment = alignment
        layout = paragraph.paragraph_format
        layout.first_line_indent = Pt(0)
        layout.left_indent = layout.right_indent = Pt(14)  # 空一字
        paragraph.add_run("— ")
        field(paragraph, "PAGE", "1")
        paragraph.add_run(" —")
        for run in paragraph.runs:
            run.font.size = Pt(14)  # 4号
    return section


def turn_page(document, landscape: bool):
    """A new section on a new page: landscape for a form's sheets, portrait again after them; pages numbered on."""
    section = document.add_section(WD_SECTION.NEW_PAGE)
    numbering = section._sectPr.find(qn("w:pgNumType"))  # copied from the section before: it would restart at 1
    if numbering is not None:
        section._sectPr.remove(numbering)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (PAGE[1], PAGE[0]) if landscape else PAGE
    for side, value in (SHEET_MARGINS if landscape else MARGINS).items():
        setattr(section, f"{side}_margin", value)
    return section


def type_width(section):
    return section.page_width - section.left_margin - section.right_margin


def restart_numbering(document, style_id: str, start: int) -> str:
    """A fresh w:num for an ordered list, so every <ol> counts from its own start, not on from the last one."""
    numbering = document.part.numbering_part.element
    style = document.styles.element.get_by_id(style_id)
    num_id = style.xpath(".//w:numId/@w:val")[0]
    abstract = numbering.xpath(f'./w:num[@w:numId="{num_id}"]/w:abstractNumId/@w:val')[0]
    new_id = str(max(int(n) for n in numbering.xpath("./w:num/@w:numId")) + 1)
    num = OxmlElement("w:num")
    num.set(qn("w:numId"), new_id)
    reference = OxmlElement("w:abstractNumId")
    reference.set(qn("w:val"), abstract)
    num.append(reference)
    override = OxmlElement("w:lvlOverride")
    override.set(qn("w:ilvl"), "0")
    first = OxmlElement("w:startOverride")
    first.set(qn("w:val"), str(start))
    override.append(first)
    num.append(override)
    numbering.append(num)
    return new_id


def number_paragraph(paragraph, num_id: str) -> None:
    numbering = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    numbering.get_or_add_ilvl().val = 0
    numbering.get_or_add_numId().val = int(num_id)

