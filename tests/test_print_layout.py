"""The bundle as a print product: every glyph inside the type area, lists as lists, no stranded rows or footers.

Rendered from the real sample library (the largest sample school), read back with poppler.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import weasyprint
from pypdf import PdfReader

from conftest import MINI, REPO, run_cli
from print_scan import COLLAPSED_LIST, check_page_labels, outside_type_area, plain_text, printed_numbers, sparse_pages, words
from safeplan.content.loader import load_library
from safeplan.content.sanitize import markdown_to_safe_html
from safeplan.render.pdf.bundle_html import BundleMeta, bundle_html
from safeplan.render.pdf.render_pdf import render_pdf
from safeplan.resolve.views import resolve_school

LARGEST_SCHOOL = "jiaze-vocational-school"  # most documents of the sample schools
META = BundleMeta("2026-09-01", "0123456789", "test")
FEWEST_LINES = 3  # a page with content holds at least this many lines
FOOTER_ONLY = ("复查人", "复查日期", "记录人", "签名", "（盖章）", "发现重大隐患立即报告", "改后复查销号")


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> dict[str, Path]:
    library, _ = load_library(REPO)
    view = resolve_school(library, library.get("school", LARGEST_SCHOOL))
    out = tmp_path_factory.mktemp("print")
    data, _ = render_pdf(bundle_html(view, META), "0" * 32)
    (out / "full.pdf").write_bytes(data)
    return {"full": out / "full.pdf"}


def test_no_glyph_crosses_the_type_area(sample):
    for name, pdf in sample.items():
        crossing = outside_type_area(pdf)
        assert not crossing, (name, crossing[:5])


def test_the_type_area_scan_sees_a_table_that_crosses(tmp_path):
    """Control: percentage widths plus padding outside them (content-box) push the last column out."""
    cells = "".join(f'<td style="width: {w}%">签名签名签名签名签名签名</td>' for w in (7, 45, 11, 16, 12, 9))
    html = ('<html lang="zh-CN"><style>@page { size: A4; margin: 37mm 26mm 35mm 28mm } '
            'html { font-family: "Noto Serif CJK SC" } table { width: 100%; table-layout: fixed; border-collapse: collapse } '
            f'td {{ box-sizing: content-box; padding: 1.5mm 2mm; border: 0.5pt solid }}</style><table><tr>{cells}</tr></table>')
    pdf = tmp_path / "control.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    assert [w for w in outside_type_area(pdf) if w.right > 186]


def test_the_type_area_scan_reads_each_page_box(tmp_path):
    """Control: an A6 card page is checked against its own 5 mm margins, not skipped and not measured as A4:
    a line inside the card's margins passes, one pushed past its right margin is found, both behind an A4 page."""
    card = '<div class="sp-card" style="margin-left: {}mm">应急处置卡 先做什么</div>'
    html = ('<html lang="zh-CN"><style>@page { size: A4; margin: 37mm 26mm 35mm 28mm } '
            '@page sp-card { size: A6; margin: 5mm } .sp-card { page: sp-card; break-before: page; white-space: nowrap; '
            f'font: 12pt "Noto Serif CJK SC" }}</style><p>正文</p>{card.format(0)}{card.format(70)}')
    pdf = tmp_path / "control.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    crossing = outside_type_area(pdf)
    assert {w.page for w in crossing} == {3} and all(w.area == (5.0, 100.0) for w in crossing)
    assert any(w.left < 28 for w in words(pdf) if w.page == 2)  # inside the card, where an A4 type area would flag it


def test_nested_lists_print_as_lists(sample):
    for name, pdf in sample.items():
        text = plain_text(pdf)
        assert "警铃连续长鸣" in text  # the comprehensive plan's three alarm signals are in the bundle
        collapsed = [marker for marker in COLLAPSED_LIST if marker in text]
        assert not collapsed, (name, collapsed)


def test_three_space_sublists_become_lists_and_the_marker_scan_sees_collapse():
    nested = markdown_to_safe_html("3. **信号**：\n   - 疏散：长鸣；\n   - 封控：广播。\n4. 记录。\n")
    assert nested.count("<li>") == 4 and "<ul>" in nested
    four = markdown_to_safe_html("1. 信号：\n    - 疏散；\n    - 封控。\n")
    assert "<ul>" in four
    # Control: text that ran a sublist into its parent paragraph is what the PDF scan looks for.
    assert any(marker in "信号：- 疏散：长鸣；- 封控" for marker in COLLAPSED_LIST)


def test_no_page_holds_only_a_footer_or_a_line_or_two(sample):
    for name, pdf in sample.items():
        sparse = sparse_pages(pdf, FEWEST_LINES)
        assert not sparse, (name, sparse[:5])
        footers = [(n, lines) for n, lines in sparse_pages(pdf, 12)
                   if all(any(mark in line for mark in FOOTER_ONLY) for line in lines)]
        assert not footers, (name, footers)


def test_the_sparse_page_scan_sees_a_stranded_footer(tmp_path):
    """Control: a form whose closing note is pushed alone onto a page."""
    html = ('<html lang="zh-CN"><style>@page { size: A4; margin: 37mm 26mm 35mm 28mm } html { font: 16pt/28.95pt "Noto Serif CJK SC" }'
            ' p { margin: 0 }</style>' + "<p>排查内容</p>" * 21 + '<p>复查人：　　复查日期：</p>')
    pdf = tmp_path / "control.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    assert sparse_pages(pdf, FEWEST_LINES) == [(2, ["复查人：复查日期："])]


def test_viewers_show_the_printed_page_numbers(sample):
    for name, pdf in sample.items():
        labels, printed = PdfReader(pdf).page_labels, printed_numbers(pdf)
        first = printed.index("1")
        assert first > 3 and labels[first] == "1" and labels[:first] == ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii"][:first]
        assert not check_page_labels(pdf), name


def test_the_page_label_check_sees_labels_that_do_not_match(tmp_path):
    """Control: WeasyPrint alone writes no /PageLabels, so viewers count from the cover."""
    html = ('<html lang="zh-CN"><style>@page { size: A4; @bottom-right { content: "— " counter(page) " —" } } '
            '@page front { @bottom-right { content: none } } .front { page: front; break-after: page } '
            'main { page: body } @page body:nth(1 of body) { counter-reset: page 1 }</style>'
            '<section class="front">封面</section><main><p>正文</p></main>')
    pdf = tmp_path / "control.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    assert printed_numbers(pdf) == [None, "1"] and check_page_labels(pdf) == [(1, "2", "1")]


def test_the_outline_opens_with_the_front_matter(sample):
    for name, pdf in sample.items():
        reader = PdfReader(pdf)
        top = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline if not isinstance(item, list)]
        assert [title for title, _ in top[:2]] == ["颁布令", "目录"], name
        assert top[0][1] < top[1][1] < top[2][1]
        assert reader.trailer["/Root"]["/Lang"] == "zh-CN"


def _embedded(pdf: Path) -> set[str]:
    rows = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    return {row.split()[0].split("+", 1)[-1] for row in rows if row.split()[-5:-2] == ["yes", "yes", "yes"]}


def test_gbt_9704_faces_are_embedded(sample):
    """仿宋 body, 黑体 and 楷体 headings (the Fandol fonts), subset and embedded."""
    for name, pdf in sample.items():
        assert {"FandolFang", "FandolHei", "FandolKai"} <= _embedded(pdf), name


def test_the_font_stack_comes_from_safeplan_yaml(tmp_path):
    """A district sets its own faces in safeplan.yaml; the control is the default stack above."""
    root = tmp_path / "library"
    shutil.copytree(MINI, root)
    with (root / "safeplan.yaml").open("a", encoding="utf-8") as config:
        config.write('fonts:\n  body: ["Noto Serif CJK SC"]\n  kai: ["AR PL UKai CN", "Noto Serif CJK SC"]\n')
    result = run_cli("--root", str(root), "build", "--only", "pdf", "--school", "small-village-primary", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    embedded = _embedded(root / "build" / "pdf" / "small-village-primary.pdf")
    assert "FandolFang" not in embedded and "safeplan-Noto-Serif-CJK-SC" in embedded and any("UKai" in f for f in embedded)
