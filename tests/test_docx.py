"""`safeplan export docx`: the Word file opened with python-docx and held against the PDF bundle's own HTML.

The expected headings and tables are read from bundle_html's output with regular expressions here,
independently of the exporter's HTML walker, for the fixture library and for a repository sample school.
"""

from __future__ import annotations

import html
import io
import zipfile
from pathlib import Path
import re

import docx
import pytest
from docx.oxml.ns import qn

from conftest import REPO, run_cli
from safeplan.content.loader import load_library
from safeplan.render.docx.writer import docx_bundle
from safeplan.render.pdf.bundle_html import BundleMeta, bundle_html
from safeplan.render.pdf.fonts import DEFAULT_STACKS
from safeplan.resolve.editions import EDITIONS
from safeplan.resolve.views import resolve_school

META = BundleMeta(date="2026-12-01", commit="0123456789abcdef", tool_version="test")
SAMPLE = "lijia-senior-high"
MINI_SCHOOL = "hutang-experimental-primary"
HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1>", re.S)
ARTICLE = re.compile(r"<article\b[^>]*>\s*<h2 id=\"([^\"]+)\">.*?</article>", re.S)
PART = re.compile(r"<section class=\"part\">(.*?)</section>", re.S)


def _text(fragment: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", "", fragment))).strip()


def _squeezed(fragment: str) -> str:
    """A cell's words without any white space: a <br> in HTML is a line break in Word."""
    return re.sub(r"\s+", "", _text(fragment))


def _main(bundle: str) -> str:
    start = bundle.index("<main")
    return bundle[bundle.index(">", start) + 1:bundle.index("</main>")]


def html_outline(fragment: str) -> list[tuple[int, str]]:
    return [(int(level), _text(inner)) for level, inner in HEADING.findall(fragment)]


def html_tables(fragment: str) -> list[tuple[int, int, list[str]]]:
    """(rows, columns, header cells with colspans spread) of every table, in order."""
    found = []
    for table in re.findall(r"<table\b.*?</table>", fragment, re.S):
        rows = re.findall(r"<tr\b.*?</tr>", table, re.S)
        widths, header = [], []
        for index, row in enumerate(rows):
            cells = re.findall(r"<t([hd])\b([^>]*)>(.*?)</t\1>", row, re.S)
            spans = [int(m.group(1)) if (m := re.search(r'colspan="(\d+)"', attrs)) else 1 for _, attrs, _ in cells]
            widths.append(sum(spans))
            if index == 0 and "<thead" in table:
                header = [_squeezed(inner) for (_, _, inner), n in zip(cells, spans) for _ in range(n)]
        found.append((len(rows), max(widths), header))
    return found


def docx_outline(document) -> list[tuple[int, str]]:
    return [(int(p.style.name.split()[-1]), p.text) for p in document.paragraphs if p.style.name.startswith("Heading ")]


def docx_tables(document) -> list[tuple[int, int, list[str]]]:
    found = []
    for table in document.tables:
        first = table.rows[0]
        header = first._tr.trPr is not None and first._tr.trPr.find(qn("w:tblHeader")) is not None
        found.append((len(table.rows), len(table.columns),
                      [_squeezed(c.text) for c in first.cells] if header else []))
    return found


def outline_differences(document, bundle: str) -> list[str]:
    """What the Word file's headings miss or add against the bundle's main matter, as readable lines."""
    want, have = html_outline(_main(bundle)), docx_outline(document)
    if want == have:
        return []
    missing = [h for h in want if h not in have]
    extra = [h for h in have if h not in want]
    return [f"missing {h}" for h in missing] + [f"extra {h}" for h in extra] + (["order differs"] if not (missing or extra) else [])


def _open(data: bytes):
    return docx.Document(io.BytesIO(data))


@pytest.fixture(scope="module")
def sample():
    library, _ = load_library(REPO)
    view = resolve_school(library, library.get("school", SAMPLE))
    return view, bundle_html(view, META), _open(docx_bundle(view, META))


@pytest.fixture
def mini(tree):
    library, _ = load_library(tree)
    view = resolve_school(library, library.get("school", MINI_SCHOOL))
    return view, bundle_html(view, META), _open(docx_bundle(view, META))


@pytest.mark.parametrize("which", ["mini", "sample"])
def test_headings_follow_the_bundle_outline(which, request):
    view, bundle, document = request.getfixturevalue(which)
    assert outline_differences(document, bundle) == []
    outline = docx_outline(document)
    assert len(outline) >= 10
    assert {level for level, _ in outline} >= {1, 2, 3}
    titles = [text for level, text in outline if level == 2]
    assert [d.title for d in view.of_kind("plan")] == [t for t in titles if t in {d.title for d in view.of_kind("plan")}]
    assert any(text.startswith("第一部分　") for level, text in outline if level == 1)  # numbering kept as written
    assert any(re.match(r"^[一二三四五六七八九十]+、", text) for level, text in outline if level == 3)


@pytest.mark.parametrize("which", ["mini", "sample"])
def test_tables_are_word_tables_with_repeated_headers(which, request):
    _, bundle, document = request.getfixturevalue(which)
    cover = bundle[bundle.index('<section class="front cover">'):bundle.index("</section>")]
    want = html_tables(cover) + html_tables(_main(bundle))
    assert len(want) >= 10
    assert docx_tables(document) == want
    assert sum(1 for _, _, header in want if header) >= 5
    grids = 0
    for table in document.tables:  # within the type area (156 mm; a form's landscape sheet 249 mm), in the PDF's proportions
        widths = [column.w.mm for column in table._tbl.tblGrid.gridCol_lst]
        if _squeezed(table.rows[0].cells[1].text) == "排查项目（标准与依据见说明页）":
            grids += 1
            assert 248 < sum(widths) <= 249.5 and widths[1] > 2 * widths[2], widths  # the items wide, the checks narrow (twips round up)
        else:
            assert 155 < sum(widths) <= 156.1 or 248 < sum(widths) <= 249.1, widths
    assert grids == len(re.findall(r'<table class="grid">', bundle)) > 0
    steps = next(t for t in document.tables if [c.text for c in t.rows[0].cells] in (["时限", "执行人", "动作"], ["时间", "执行人", "动作"]))
    assert [round(c.w.mm / 1.56) for c in steps._tbl.tblGrid.gridCol_lst] == [16, 22, 62]  # bundle.html.j2's widths


def test_the_same_inputs_give_the_same_bytes(mini):
    view, _, _ = mini
    first = docx_bundle(view, META)
    assert docx_bundle(view, META) == first
    assert docx_bundle(view, BundleMeta("2026-12-02", META.commit, META.tool_version)) != first  # the date is in it


def test_dropping_a_heading_or_a_row_is_caught(sample):
    """Control: the comparisons above find a heading or a table row that the Word file lost."""
    _, bundle, document = sample
    damaged = _open(_saved(document))
    heading = next(p for p in damaged.paragraphs if p.style.name == "Heading 3")
    heading._p.getparent().remove(heading._p)
    assert outline_differences(damaged, bundle) == [f"missing (3, '{heading.text}')"]
    table = damaged.tables[3]
    table._tbl.remove(table.rows[-1]._tr)
    main = _main(bundle)
    cover = bundle[bundle.index('<section class="front cover">'):bundle.index("</section>")]
    assert docx_tables(damaged) != html_tables(cover) + html_tables(main)


def _saved(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_lists_are_word_lists_each_counting_from_its_start(sample):
    _, bundle, document = sample
    items = len(re.findall(r"<li\b", _main(bundle)))
    listed = [p for p in document.paragraphs if p.style.name.startswith("List ")]
    assert items > 20 and len(listed) == items
    numbered = [p for p in listed if p.style.name.startswith("List Number")]
    ids = {p._p.pPr.numPr.numId.val for p in numbered}
    assert len(ids) == len(re.findall(r"<ol\b", _main(bundle)))  # a fresh count per <ol>, not one running count


def test_page_setup_fonts_and_footer(sample):
    _, bundle, document = sample
    sheets = [(round(section.page_width.mm), round(section.page_height.mm)) for section in document.sections]
    assert sheets[:2] == [(210, 297)] * 2 and (297, 210) in sheets  # the forms to file are landscape sheets
    for section, sheet in zip(document.sections, sheets):
        margins = (section.top_margin, section.right_margin, section.bottom_margin, section.left_margin)
        assert [round(m.mm) for m in margins] == ([37, 26, 35, 28] if sheet == (210, 297) else [20, 20, 22, 28])
    for section in document.sections[2:]:  # numbered on from the body's first page, with its footers
        assert section._sectPr.find(qn("w:pgNumType")) is None and section.footer.is_linked_to_previous
    assert all(a != b for a, b in zip(sheets[1:], sheets[2:]))  # no empty section between two forms
    front, body = document.sections[:2]
    assert not "".join(p.text for p in front.footer.paragraphs)  # the front matter carries no page number
    assert document.settings.odd_and_even_pages_header_footer
    for footer in (body.footer, body.even_page_footer):
        xml = footer._element.xml
        assert [i.text.strip() for i in footer._element.iter(qn("w:instrText"))] == ["PAGE"]
        assert re.sub(r"\s+", "", "".join(t.text for t in footer._element.iter(qn("w:t")))) == "—1—"
        assert 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
    assert body._sectPr.find(qn("w:pgNumType")).get(qn("w:start")) == "1"
    styles = document.styles
    east_asia = {name: styles[name].element.rPr.rFonts.get(qn("w:eastAsia")) for name in ("Normal", "Heading 1", "Heading 2")}
    first = {role: families[0] for role, families in DEFAULT_STACKS}  # no `fonts` in the repository's safeplan.yaml
    assert east_asia == {"Normal": first["body"], "Heading 1": first["hei"], "Heading 2": first["kai"]}
    assert styles["Normal"].font.size.pt == 16
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        fonts = styles[name].element.rPr.rFonts
        assert not [a for a in fonts.attrib if "heme" in a]  # a theme font would win over the named face
    contents = document.element.body.xml
    assert 'TOC \\o "1-2"' in contents
    texts = [p.text for p in document.paragraphs]
    assert "颁　布　令" in texts and "目　录" in texts
    cells = [cell.text for table in document.tables[:1] for row in table.rows for cell in row.cells]
    assert "2026年12月1日" in cells  # the cover's date, as written on an official document
    assert "2026-12-01" not in "".join(texts[:texts.index("目　录")])


def test_action_edition_holds_the_comprehensive_and_onsite_plans_and_the_contacts():
    library, _ = load_library(REPO)
    view = resolve_school(library, library.get("school", SAMPLE))
    bundle = bundle_html(view, META)
    document = _open(docx_bundle(view, META, EDITIONS["action"]))
    wanted = {f"plan-{d.id}" for d in view.of_kind("plan") if d.data["tier"] in ("综合应急预案", "现场处置方案")}
    wanted |= {anchor for anchor in ARTICLE.findall(bundle) if anchor.startswith("directory-")}
    assert len(wanted) >= 4
    expected, parts = [], []
    for part in PART.findall(_main(bundle)):
        kept = [m.group(0) for m in ARTICLE.finditer(part) if m.group(1) in wanted]
        if kept:
            parts.append(_text(HEADING.search(part).group(2)).split("　", 1)[1])
            expected.append((1, f"第{'一二三四五'[len(parts) - 1]}部分　{parts[-1]}"))
            expected += [h for article in kept for h in html_outline(article)]
    assert parts == ["应急预案", "应急通讯录"]
    assert docx_outline(document) == expected
    titles = {text for _, text in docx_outline(document)}
    left_out = {d.title for d in view.documents if f"plan-{d.id}" not in wanted} | {"文档修订记录", "学校概况与疏散路线"}
    assert len(left_out) > 10 and not titles & left_out
    texts = "\n".join(p.text for p in document.paragraphs)
    assert "以及应急通讯录" in texts and "隐患排查清单 " not in texts  # the decree counts what this edition holds
    assert len(document.tables) < len(_open(docx_bundle(view, META)).tables)


def test_cli_writes_the_file_with_the_chosen_body_font(tree):
    out = tree / "out" / "备案.docx"
    result = run_cli("--root", str(tree), "export", "docx", "--school", MINI_SCHOOL, "--body-font", "仿宋_GB2312",
                     "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "已写出" in result.stdout
    document = docx.Document(str(out))
    assert document.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert docx_outline(document)
    default = run_cli("--root", str(tree), "export", "docx", "--school", MINI_SCHOOL, "--edition", "action")
    assert default.returncode == 0, default.stderr
    assert (tree / "build" / "docx" / f"{MINI_SCHOOL}-action.docx").is_file()


def test_the_word_faces_come_from_the_fonts_in_safeplan_yaml(tree):
    """The stacks the PDF uses name the Word styles' faces too; the control is the default above and a second
    library without the setting, whose file names none of the configured faces."""
    names = {"body": "仿宋_GB2312", "hei": "方正黑体_GBK", "kai": "楷体_GB2312", "title": "方正小标宋简体"}
    plain = tree / "plain.docx"
    assert run_cli("--root", str(tree), "export", "docx", "--school", MINI_SCHOOL, "--out", str(plain)).returncode == 0
    with (tree / "safeplan.yaml").open("a", encoding="utf-8") as config:
        config.write("fonts:\n" + "".join(f'  {role}: ["{name}", "Noto Serif CJK SC"]\n' for role, name in names.items()))
    out = tree / "configured.docx"
    result = run_cli("--root", str(tree), "export", "docx", "--school", MINI_SCHOOL, "--out", str(out))
    assert result.returncode == 0, result.stderr
    defaults = {role: families[0] for role, families in DEFAULT_STACKS if role in names}  # the cards are not in Word's styles
    for path, expected in ((out, names), (plain, defaults)):
        document = docx.Document(str(path))
        styles = document.styles
        faces = {role: styles[name].element.rPr.rFonts.get(qn("w:eastAsia"))
                 for role, name in (("body", "Normal"), ("hei", "Heading 1"), ("kai", "Heading 2"), ("title", "Front Heading"))}
        assert faces == expected, path.name
        cover_title = next(p for p in document.paragraphs if p.text == "安全应急预案汇编")
        assert {run.element.rPr.rFonts.get(qn("w:eastAsia")) for run in cover_title.runs} == {expected["title"]}, path.name
    assert not set(names.values()) & set(re.findall(r'w:eastAsia="([^"]+)"', _all_text(plain)))


@pytest.mark.parametrize("args, message", [
    (["export", "docx", "--school", "no-such-school"], "没有编号为“no-such-school”的学校"),
    (["export", "docx", "--school", MINI_SCHOOL, "--edition", "short"], "没有“short”这个版本"),
    (["export", "pdf", "--school", MINI_SCHOOL], "不支持导出为“pdf”"),
    (["export", "docx"], "需要 --school ID"),
])
def test_bad_input_is_a_chinese_usage_error_and_writes_nothing(tree, args, message):
    out = tree / "out.docx"
    result = run_cli("--root", str(tree), *args, "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() and not (tree / "build" / "docx").exists()


def test_a_library_with_errors_writes_no_file(tree):
    school = tree / "schools" / f"{MINI_SCHOOL}.yaml"
    school.write_text(school.read_text(encoding="utf-8").replace("kind:", "kind_typo:", 1), encoding="utf-8")
    out = tree / "out.docx"
    result = run_cli("--root", str(tree), "export", "docx", "--school", MINI_SCHOOL, "--out", str(out))
    assert result.returncode == 1
    assert "没有写出 Word 文件" in result.stderr
    assert not out.exists()


def _all_text(path: Path) -> str:
    """Every w:t of the package: body, tables, headers and footers."""
    with zipfile.ZipFile(path) as package:
        return "".join(package.read(name).decode("utf-8") for name in package.namelist() if name.endswith(".xml"))


def test_public_audience_leaves_out_personal_mobiles(tree):
    mobiles = re.findall(r'mobile: "(1\d{10})"', (tree / "schools" / f"{MINI_SCHOOL}.yaml").read_text(encoding="utf-8"))
    assert len(mobiles) >= 3
    written = {}
    for audience in ("internal", "public"):
        out = tree / f"{audience}.docx"
        result = run_cli("--root", str(tree), "export", "docx", "--school", MINI_SCHOOL, "--audience", audience, "--out", str(out))
        assert result.returncode == 0, result.stderr
        written[audience] = _all_text(out)
    assert all(m in written["internal"] for m in mobiles)  # the control: the scan finds them where they belong
    assert not [m for m in mobiles if m in written["public"]]
    assert "（内部版可见）" in written["public"]


def test_nested_and_loose_lists_and_markdown_tables_become_word_structures(tree):
    from conftest import edit

    plan = tree / "plans" / "school" / "special" / "fire.md"
    edit(plan, "- 物资：", "- 信号：\n    1. 疏散：警铃连续长鸣\n    2. 就地避险：短鸣三声\n\n    分级说明另见附件。\n\n"
         "| 信号 | 含义 |\n| --- | --- |\n| 长鸣 | 疏散 |\n| 短鸣 | 避险 |\n\n- 物资：")
    library, _ = load_library(tree)
    view = resolve_school(library, library.get("school", MINI_SCHOOL))
    bundle = bundle_html(view, META)
    assert "<ol>" in bundle[bundle.index("信号："):bundle.index("物资：")]  # Markdown itself nests the list
    document = _open(docx_bundle(view, META))
    styles = {p.text: p.style.name for p in document.paragraphs}
    assert styles["信号："] == "List Bullet"
    assert styles["疏散：警铃连续长鸣"] == styles["就地避险：短鸣三声"] == "List Number 2"
    assert styles["分级说明另见附件。"] == "Normal"  # a further paragraph of the item stays a paragraph
    assert not any("疏散：警铃" in p.text and "就地避险" in p.text for p in document.paragraphs)
    signals = next(t for t in document.tables if t.rows[0].cells[0].text == "信号")
    assert [[c.text for c in row.cells] for row in signals.rows] == [["信号", "含义"], ["长鸣", "疏散"], ["短鸣", "避险"]]
    assert outline_differences(document, bundle) == []
    cover = bundle[bundle.index('<section class="front cover">'):bundle.index("</section>")]
    assert docx_tables(document) == html_tables(cover) + html_tables(_main(bundle))
