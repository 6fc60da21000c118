"""The forms pack: each checklist a one-page grid with its reference page, the monthly summary, drill records with room."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from conftest import REPO
from print_scan import check_page_labels, outside_type_area, pages, printed_numbers, sparse_pages, words
from safeplan.content.loader import load_library
from safeplan.content.vocabulary import vocabulary
from safeplan.render.pdf.bundle_html import BundleMeta, checklist_sheets, summary_sheet
from safeplan.render.pdf.editions import BY_NAME, edition_html
from safeplan.content.form_sheets import MARKS, SUMMARY_COLUMNS, SUMMARY_ORIGINS, column_names
from safeplan.render.pdf.forms import grid, record_fields, record_space
from safeplan.render.pdf.render_pdf import render_pdf
from safeplan.resolve.views import resolve_school

SCHOOL = "jiaze-vocational-school"  # the most checklists of the sample schools, all frequencies


def forms_pack_html(school: str = SCHOOL):
    """(view, HTML) of a sample school's forms pack, as the build makes it."""
    library, _ = load_library(REPO)
    view = resolve_school(library, library.get("school", school))
    return view, edition_html(BY_NAME["forms"], view, BundleMeta("2026-09-01", "0123456789", "test"), vocabulary())


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> dict:
    view, html = forms_pack_html()
    data, _ = render_pdf(html, "0" * 32, BY_NAME["forms"].restart)
    pdf = tmp_path_factory.mktemp("forms") / "forms.pdf"
    pdf.write_bytes(data)
    reader = PdfReader(pdf)
    starts = {item.title: reader.get_destination_page_number(item) for item in reader.outline if not isinstance(item, list)}
    return {"pdf": pdf, "view": view, "starts": starts, "pages": pages(pdf)}


def _page_text(pack, index: int) -> str:
    """The page's text without digits: row numbers sit mid-row and interleave with wrapped item text."""
    return _letters("".join(text for _, text in pack["pages"][index]))


def _letters(text: str) -> str:
    return re.sub(r"[\d\s]", "", text)


def test_each_checklist_is_one_grid_page_then_its_reference_page(pack):
    checklists = pack["view"].of_kind("checklist")
    assert any(doc.data["frequency"] == "daily" for doc in checklists)
    for doc in checklists:
        first = pack["starts"][doc.title]
        sheet = _page_text(pack, first)
        assert _letters(doc.data["items"][-1]["check"]) in sheet, doc.title  # every item on the sheet
        assert "检查人（签名）" in sheet and "复查人（签名）" in sheet, doc.title  # and the rows below them
        assert _page_text(pack, first + 1).startswith(_letters(f"{doc.title}：排查标准与依据")), doc.title
        reference = _page_text(pack, first + 1) + _page_text(pack, first + 2)
        for item in doc.data["items"]:
            if item.get("basis"):  # the legal basis is on the reference page, not on the sheet filled in daily
                assert _letters(item["basis"])[:10] in reference and _letters(item["basis"])[:10] not in sheet, doc.title


def test_a_daily_grid_has_a_column_for_every_day_and_weekly_one_per_week(pack):
    daily = next(doc for doc in pack["view"].of_kind("checklist") if doc.data["frequency"] == "daily")
    first = pack["starts"][daily.title]
    header = [w.text for w in words(pack["pdf"]) if w.page == first + 1]
    assert all(f"{day}日" in header for day in range(1, 32))
    assert grid("weekly").columns == ("第1周", "第2周", "第3周", "第4周", "第5周")


def test_the_monthly_summary_has_the_ledger_columns(pack):
    sheet = _page_text(pack, pack["starts"]["月度隐患排查整改汇总表"])
    for column in (*SUMMARY_ORIGINS, *SUMMARY_COLUMNS):
        assert _letters(column.split("（")[0]) in sheet, column  # "销号（日期、签名）" wraps in its cell


def test_drill_records_leave_room_to_draw_and_write(pack):
    for drill in pack["view"].of_kind("drill"):
        page = pack["starts"][f"{drill.title}：演练记录表"]
        lines = pack["pages"][page]
        fields = drill.data["record_fields"]
        for index, field in enumerate(fields[:-1]):
            room = {"疏散路线图": 40, "发现的问题": 15, "整改措施": 15}.get(field)
            if room:
                top = next(y for y, text in lines if text == field)
                below = next(y for y, text in lines if text == fields[index + 1])
                assert below - top >= room, (drill.title, field, below - top)


def test_the_forms_pack_keeps_the_print_geometry(pack):
    assert not outside_type_area(pack["pdf"])
    assert not sparse_pages(pack["pdf"], 3)


def test_the_forms_pack_labels_pages_as_printed(pack):
    printed = printed_numbers(pack["pdf"])
    first = next(index for index, number in enumerate(printed) if number)
    assert first >= 2 and printed[first] == str(first + 1)  # numbered from the cover, the cover and contents unprinted
    assert not check_page_labels(pack["pdf"])


def test_the_full_edition_prints_the_same_forms_as_the_pack(pack):
    """One builder: each checklist's sheet and reference page, and the monthly summary, are the pack's, anchors aside."""
    view, words, meta = pack["view"], vocabulary(), BundleMeta("2026-09-01", "0123456789", "test")
    full = edition_html(BY_NAME["full"], view, meta, words)
    forms_pack = edition_html(BY_NAME["forms"], view, meta, words)
    checklists = view.of_kind("checklist")
    for doc in checklists:
        sheet = re.search(rf'<article class="form">\s*<section class="grid-sheet[^"]*">\s*<h2 id="form-{doc.id}">.*?</article>',
                          forms_pack, re.S).group(0)
        assert sheet.replace(f'id="form-{doc.id}"', f'id="checklist-{doc.id}"') in full, doc.title
    assert full.count('<table class="grid">') == len(checklists) > 30
    assert "排查内容、合格标准与隐患情形" not in full  # the old per-item form, standard and basis in every row
    summary = re.search(r'<article class="form">\s*<section class="grid-sheet summary">.*?</article>', forms_pack, re.S).group(0)
    assert summary.replace('id="form-summary"', 'id="checklist-summary"') in full
    index = full[full.index('id="checklist-index"'):full.index('<article class="form">')]
    assert all(doc.title in index for doc in checklists)  # the part opens with the list of its forms


def test_every_evacuation_drill_record_has_room_for_the_route_and_every_record_for_problems_and_fixes():
    library, _ = load_library(REPO)
    drills = library.of_kind("drill")
    assert any(d.data["evacuation"] and not any("路线图" in f for f in d.data["record_fields"]) for d in drills)  # the nap-room drill
    for drill in drills:
        rows = record_fields(drill.data["record_fields"], drill.data["evacuation"])
        assert [f for f in rows if f in drill.data["record_fields"]] == drill.data["record_fields"]  # nothing dropped or moved
        assert any("问题" in f for f in rows) and any("整改" in f for f in rows), drill.title
        assert any("路线图" in f for f in rows) == (drill.data["evacuation"] or any("路线图" in f for f in drill.data["record_fields"]))
        assert record_space(next(f for f in rows if "问题" in f)) == "write"
    assert record_fields(["演练日期", "记录人"], True) == ["演练日期", "疏散路线图", "发现的问题", "整改措施", "记录人"]


# A text names a column when it quotes it before 栏 or 列 (“检查结果”栏, “销号”一栏), a mark when it says to 打 it.
_NAMED_COLUMN = re.compile(r"“([^“”]{1,16})”一?[栏列]")
_NAMED_MARK = re.compile(r"[打画]“([^“”]{1,3})”")
_WRITTEN_WORD = re.compile(r"[写填]“([^“”]{1,8})”")  # a word written in a cell where the legend gives a mark


def _unknown_names(doc, text: str) -> list[str]:
    columns = column_names(doc.data["frequency"])
    return ([name for name in _NAMED_COLUMN.findall(text) if name.split("（")[0] not in columns]
            + [mark for mark in _NAMED_MARK.findall(text) if mark not in {mark for mark, _ in MARKS}]
            + [word for word in _WRITTEN_WORD.findall(text) if word in {meaning for _, meaning in MARKS}])


def _how_to_fill(doc) -> str:
    return "\n".join([doc.data.get("summary") or ""] + [str(item.get(key) or "") for item in doc.data["items"]
                                                        for key in ("check", "standard", "hazard")])


def test_every_checklist_names_only_columns_and_marks_its_sheet_prints(pack):
    library, _ = load_library(REPO)
    checklists = library.of_kind("checklist")
    for doc in checklists:
        assert not _unknown_names(doc, _how_to_fill(doc)), (doc.id, _unknown_names(doc, _how_to_fill(doc)))
    told = [doc for doc in checklists if _NAMED_MARK.search(_how_to_fill(doc))]
    assert len(told) >= 8  # the texts that say how to fill the sheet are scanned, not skipped
    # the names come from the sheet: each one the rendered sheet or the monthly summary prints
    view, words = pack["view"], vocabulary()
    printed = "".join(str(html) for _, _, html in checklist_sheets(view, words, "form"))
    printed += str(summary_sheet(view, "form-summary")[2])
    for doc in view.of_kind("checklist"):
        for name in column_names(doc.data["frequency"]):
            assert name in printed, (doc.id, name)


def test_a_text_naming_a_column_or_mark_the_sheet_lacks_is_found():
    library, _ = load_library(REPO)
    doc = library.get("checklist", "campus-risk-list")
    assert _unknown_names(doc, "“检查结果”栏填管控有效，写在“隐患描述”一栏，打“○”，本校没有的写“不适用”") == [
        "检查结果", "隐患描述", "○", "不适用"]
    assert not _unknown_names(doc, "在“第一学期”栏打“√”，写入“整改时限”栏，“检查人”栏签名，打“／”")
