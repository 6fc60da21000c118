"""`safeplan export docx`: the bundle as an editable Word document, checked against the PDF's outline and tables."""

from __future__ import annotations

import re
import shutil

import docx
import pytest
from pypdf import PdfReader

from conftest import MINI, edit, run_cli
from safeplan.content.loader import load_library
from safeplan.content.vocabulary import vocabulary
from safeplan.render.docx.export import BODY_FONT, HEADING_STYLES
from safeplan.render.pdf.bundle_html import BundleMeta
from safeplan.render.pdf.editions import BY_NAME, edition_html
from safeplan.render.pdf.render_pdf import render_pdf
from safeplan.resolve.views import resolve_school

SCHOOL = "hutang-experimental-primary"


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("docx") / "library"
    shutil.copytree(MINI, root)
    found = {}
    for edition in ("full", "action"):
        result = run_cli("--root", str(root), "export", "docx", "--school", SCHOOL, "--edition", edition)
        assert result.returncode == 0, result.stderr
        path = root / "build" / "docx" / f"{SCHOOL}{BY_NAME[edition].suffix}.docx"
        assert str(path) in result.stdout
        library, _ = load_library(root)
        view = resolve_school(library, library.get("school", SCHOOL))
        html = edition_html(BY_NAME[edition], view, BundleMeta("2026-09-01", "", "test"), vocabulary())
        pdf = root / f"{edition}.pdf"
        pdf.write_bytes(render_pdf(html, "0" * 32)[0])
        found[edition] = {"docx": docx.Document(path), "pdf": pdf, "html": html}
    return found


def _bookmarks(pdf) -> list[tuple[int, str]]:
    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, level + 1)
            else:
                yield level, item.title

    return list(walk(PdfReader(pdf).outline, 1))


def _headings(document) -> list[tuple[int, str]]:
    levels = {style: level for level, (style, *_) in HEADING_STYLES.items()}
    return [(levels[p.style.name], p.text) for p in document.paragraphs if p.style.name in levels]


def test_the_word_headings_are_the_bundles_outline(exported):
    for edition, found in exported.items():
        outline = [(level, title) for level, title in _bookmarks(found["pdf"]) if title not in ("颁布令", "目录")]
        assert len(outline) > (5 if edition == "full" else 2)
        # h5 is a Word heading too but no bookmark (bookmark-level: none in bundle.css)
        assert [h for h in _headings(found["docx"]) if h[0] <= 4] == outline, edition


def test_the_word_tables_are_the_bundles_tables(exported):
    for edition, found in exported.items():
        tables = re.findall(r"<table\b.*?</table>", found["html"], re.S)
        assert len(found["docx"].tables) == len(tables) > 3, edition
        for table, html in zip(found["docx"].tables, tables):
            first_row = [re.sub(r"<[^>]+>|\s", "", cell) for cell in
                         re.findall(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", re.search(r"<tr>(.*?)</tr>", html, re.S).group(1), re.S)]
            cells = []
            for cell in table.rows[0].cells:  # a merged cell is listed once per column it spans
                if not cells or cell._tc is not cells[-1][0]:
                    cells.append((cell._tc, re.sub(r"\s", "", cell.text)))
            assert [text for _, text in cells] == first_row, (edition, first_row)


def test_the_word_document_has_chinese_styles_and_page_numbers(exported):
    document = exported["full"]["docx"]
    east_asian = document.styles["Normal"].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
    assert east_asian == BODY_FONT == "仿宋"
    heading = document.styles["Heading 3"].element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
    assert heading == "黑体"
    footer = document.sections[0].footer._element.xml
    assert "PAGE" in footer and 'w:fldCharType="begin"' in footer
    assert document.sections[0].page_width.mm == pytest.approx(210, abs=0.5)
    assert document.core_properties.language == "zh-CN"
    action = exported["action"]["docx"]
    assert len(action.paragraphs) < len(document.paragraphs)  # the action edition is the shorter one


def test_export_refuses_broken_content_and_unknown_schools(tmp_path):
    root = tmp_path / "library"
    shutil.copytree(MINI, root)
    unknown = run_cli("--root", str(root), "export", "docx", "--school", "no-such-school")
    assert unknown.returncode == 2 and "no-such-school" in unknown.stderr
    edit(next((root / "schools").glob("*.yaml")), "name:", "name: [", 1)
    broken = run_cli("--root", str(root), "export", "docx", "--school", SCHOOL)
    assert broken.returncode == 1 and "未导出" in broken.stderr
    assert not (root / "build" / "docx").exists()
