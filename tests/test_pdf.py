"""PDF bundles, end to end: real WeasyPrint, real git, poppler and qpdf on the output."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import MINI, edit, run_cli
from safeplan.build import BuildOptions, build
from safeplan.render.pdf.editions import EDITIONS

PRINTED = [e for e in EDITIONS if e.name != "cards"]  # the editions of a school without emergency cards
from safeplan.render.pdf.render_pdf import in_shard
from safeplan.checks.structure_rules import REQUIRED_SECTIONS

# one worker builds the module's bundles (library, built, second) once under pytest -n --dist loadgroup
pytestmark = pytest.mark.xdist_group("test_pdf")

BUS_SCHOOL = "hutang-experimental-primary"  # facilities.school_bus: true
WALK_SCHOOL = "small-village-primary"  # facilities.school_bus: false
CLOSING = "，。、；：？！）」』】〕》”’,.;:!?)"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "周样例", "GIT_AUTHOR_EMAIL": "zhou@example.invalid",
    "GIT_COMMITTER_NAME": "周样例", "GIT_COMMITTER_EMAIL": "zhou@example.invalid",
    "GIT_AUTHOR_DATE": "2026-09-01T08:00:00+08:00", "GIT_COMMITTER_DATE": "2026-09-01T08:00:00+08:00",
}

# A plan that applies only with a school bus; its punctuation-dense paragraph puts closing
# punctuation at every possible line position, so a wrong line break would show.
BUS_PLAN = """---
id: bus-breakdown
title: 校车途中故障专项应急预案
tier: 专项应急预案
level: school
category: 事故灾难
applies_to: {all_of: [facilities.school_bus]}
summary: 校车在接送途中发生故障、碰撞或被困时，按本预案停车避险、转移学生和报告。
status: approved
version: "1.0"
number: TEST-XX-ZX-90
approved_by: wj-safety-head
issued_on: "2026-09-01"
next_review: "2029-08-31"
revisions:
  - {version: "1.0", date: "2026-09-01", reason: risk_change, summary: 测试用预案首次编制。}
organisation:
  - {role: 总指挥, who: "{{ school.organisation.principal.name }}", duties: 决定启动响应，调派接驳车辆，向区教育局报告。}
  - {role: 校车联络人, who: "{{ school.organisation.bus_manager.name }}", duties: 与随车照管员保持通话，核对乘车名单。}
procedure:
  - {within: 立即, who: 驾驶员, action: 打开双闪灯靠边停车，拉紧手刹，在车后 150 米放置警告标志。}
  - {within: 1分钟内, who: 随车照管员, action: 组织学生从右侧车门下车，到护栏外安全地带按名单清点人数。}
  - {within: 5分钟内, who: "{{ school.organisation.bus_manager.name }}", action: "电话报告交警（{{ school.contacts.traffic_police.phone }}）和校长，安排接驳车辆。"}
---

## 适用范围

本预案适用于{{ school.name }}校车在接送学生途中发生的车辆故障、轻微碰撞和道路受阻事件。

照管员、驾驶员、家长、学生，都要听从指挥；不准下车乱跑，不准翻越护栏，不准在车道上停留。车停稳后，照管员清点人数，报告校长、安全办、交警中队。甲，乙，丙。丁；戊；己：庚！辛？壬、癸、子（丑）寅「卯」辰《巳》午。一二，三四，五六，七八，九十，一二三，四五六，七八九，十一二三，四五六七，八九十一二，三四五六七八，九十一二三四五，六七八九十一二三。

| 情形 | 处置 |
|---|---|
| 车辆抛锚 | 下车到护栏外等候接驳车 |
| 发生碰撞 | 先救伤员，再报 120 和 122 |

## 应急组织机构及职责

总指挥由{{ school.organisation.principal.name }}担任，校车联络人由{{ school.organisation.bus_manager.name }}担任，职责见上表。

## 响应启动

校车因故障停驶超过 10 分钟，或发生任何碰撞，即启动本预案。

## 处置措施

1. 驾驶员停车避险，照管员组织学生下车到安全地带。
2. 校车联络人报告交警中队（{{ school.contacts.traffic_police.phone }}）和校长，安排接驳车辆。
3. 班主任逐一电话告知家长学生已安全转移和预计到校（到家）时间。
"""


def _bus_checklist(items: int) -> str:
    lines = [
        "id: bus-daily-check",
        "title: 校车每日出车前检查表（测试）",
        "frequency: daily",
        "role: 校车",
        "areas: [校车]",
        "applies_to: {all_of: [facilities.school_bus]}",
        "summary: 驾驶员与照管员每日出车前逐项检查，发现问题不得出车。",
        "status: approved",
        'version: "1.0"',
        "number: TEST-QD-90",
        "approved_by: wj-safety-head",
        'issued_on: "2026-09-01"',
        'next_review: "2029-08-31"',
        "revisions:",
        '  - {version: "1.0", date: "2026-09-01", reason: risk_change, summary: 测试用清单首次编制。}',
        "items:",
    ]
    for n in range(1, items + 1):
        lines += [f"  - check: 第 {n} 项车况：轮胎、灯光、制动、安全带和应急锤",
                  "    standard: 齐全有效，气压正常，灯光和制动工作正常",
                  "    hazard: 任一部件缺失、损坏或工作不正常",
                  "    grade: 一般"]
    return "\n".join(lines) + "\n"


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, env=_git_env())
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _git_env() -> dict:
    import os

    return {**os.environ, **GIT_ENV}


def run_build(root: Path, **options) -> list[str]:
    result = build(BuildOptions(root=root, only=("pdf",), **options))
    assert not [p for p in result.problems if p.severity == "error"], result.problems
    return result.notes


def rendered_count(notes: list[str]) -> int:
    found = [re.search(r"重新生成 (\d+) 份", note) for note in notes]
    return next(int(m.group(1)) for m in found if m)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def outline(path: Path) -> list[tuple[int, str, int]]:
    """(level, title, 0-based page index) for every bookmark, in order."""
    reader = PdfReader(path)

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, level + 1)
            else:
                yield level, item.title, reader.get_destination_page_number(item)

    return list(walk(reader.outline, 1))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    """The minimal library plus a bus-only plan and checklist, committed to a real git repository."""
    root = tmp_path_factory.mktemp("pdf") / "library"
    shutil.copytree(MINI, root)
    (root / "plans/school/special/bus-breakdown.md").write_text(BUS_PLAN, encoding="utf-8")
    (root / "checklists/bus-daily-check.yaml").write_text(_bus_checklist(24), encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "测试库")
    return root


@pytest.fixture(scope="module")
def built(library: Path) -> dict:
    notes = run_build(library, jobs=2)
    out = library / "build" / "pdf"
    return {"root": library, "notes": notes, "out": out,
            "text": {school: pdf_text(out / f"{school}.pdf") for school in (BUS_SCHOOL, WALK_SCHOOL)}}


def test_bundle_holds_the_schools_plans_and_contacts(built):
    text = built["text"][BUS_SCHOOL]
    flat = compact(text)
    for expected in ("武进区湖塘样例实验小学", "安全应急预案汇编", "颁布令", "目录", "校长：周样例",
                     "火灾事故专项应急预案", "应急组织机构及职责", "谁做什么",
                     "0519-86200110", "13900001004", "0519-86000110", "湖塘派出所（虚构）",
                     "检查人（签名）", "复查人（签名）", "排查标准与依据", "以前未整改", "整改方案", "责任人", "排查人",
                     "学年演练计划", "火灾逃生与灭火演练指南", "文档修订记录", "2026年9月1日",
                     git(built["root"], "rev-parse", "--short=10", "HEAD")):
        assert compact(expected) in flat, expected
    for section in REQUIRED_SECTIONS["专项应急预案"]:
        assert re.search(rf"[一二三四五六七八九十]+、{section}", flat), section
    assert "{{" not in text and "school." not in text  # every placeholder filled


def test_raw_html_in_content_is_cleaned_as_on_the_site(library):
    from safeplan.render.pdf.bundle_html import BundleMeta, bundle_html
    from safeplan.content.loader import load_library
    from safeplan.resolve.views import resolve_school

    lib, _ = load_library(library)
    view = resolve_school(lib, lib.get("school", BUS_SCHOOL))
    plan = next(a for a in view.documents if a.id == "fire")
    plan.body += ('\n\n<script>alert(1)</script><img src="../../etc/passwd" onerror="alert(2)">'
                  '<iframe src="https://example.invalid"></iframe>[链接](javascript:alert(3))\n')
    html = bundle_html(view, BundleMeta("2026-09-01", "0123456789", "test"))
    for unsafe in ("<script", "alert(", "onerror", "<iframe", "<img", "javascript:", "passwd"):
        assert unsafe not in html, unsafe
    assert "链接" in html


def test_weasyprint_understands_the_whole_stylesheet(library, caplog):
    from safeplan.render.pdf.bundle_html import BundleMeta, bundle_html
    from safeplan.content.loader import load_library
    from safeplan.render.pdf.render_pdf import render_pdf
    from safeplan.resolve.views import resolve_school

    lib, _ = load_library(library)
    view = resolve_school(lib, lib.get("school", WALK_SCHOOL))
    with caplog.at_level("WARNING", logger="weasyprint"):
        _, pages = render_pdf(bundle_html(view, BundleMeta("2026-09-01", "0123456789", "test")), "0" * 32)
    assert pages > 5
    assert not caplog.records, [r.getMessage() for r in caplog.records]


def test_facility_rules_hold_both_ways(built):
    bus_titles = ("校车途中故障专项应急预案", "校车每日出车前检查表（测试）")
    for school, present in ((BUS_SCHOOL, True), (WALK_SCHOOL, False)):
        flat = compact(built["text"][school])
        titles = {title for _, title, _ in outline(built["out"] / f"{school}.pdf")}
        for title in bus_titles:
            assert (compact(title) in flat) is present, (school, title)
            assert (title in titles) is present, (school, title)
        assert ("湖塘交警中队" in flat) is present
    assert "武进区样例村小" in compact(built["text"][WALK_SCHOOL])


def test_manifest_lists_every_bundle(built):
    manifest = json.loads((built["out"] / "manifest.json").read_text(encoding="utf-8"))
    assert [b["school"] for b in manifest["bundles"]] == sorted([BUS_SCHOOL, WALK_SCHOOL])
    head = git(built["root"], "rev-parse", "--short=10", "HEAD")
    for entry in manifest["bundles"]:
        path = built["out"] / entry["file"]
        assert entry["sha256"] == sha256(path) and entry["bytes"] == path.stat().st_size
        assert entry["pages"] == len(PdfReader(path).pages)
        assert entry["date"] == "2026-09-01" and entry["commit"] == head and entry["name"]


def test_fonts_are_embedded_subset_simplified_chinese(built):
    for school in (BUS_SCHOOL, WALK_SCHOOL):
        report = subprocess.run(["pdffonts", str(built["out"] / f"{school}.pdf")],
                                capture_output=True, text=True, check=True).stdout.splitlines()[2:]
        assert report, "no fonts listed"
        for row in report:
            name, *_, emb, sub, uni, _obj, _gen = row.split()
            assert (emb, sub, uni) == ("yes", "yes", "yes"), row
            assert re.match(r"^[A-Z]{6}\+((safeplan-)?Noto-(Serif|Sans)-CJK-SC|Fandol(Fang|Hei|Kai))", name), row


def _font_programs(data: bytes) -> dict[str, bytes]:
    """Embedded face name (subset tag dropped) → its font program."""
    import io

    found = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            found[font["/BaseFont"].split("+", 1)[1]] = descriptor["/FontFile3"].get_object().get_data()
    return found


def test_big_faces_are_embedded_from_their_trimmed_copies_and_rare_characters_from_the_whole_face():
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    from safeplan.render.pdf.fonts import DEFAULT_STACKS, trimmed, with_fonts
    from safeplan.render.pdf.layout import render_pdf
    from safeplan.render.pdf.render_pdf import stack_faces

    copies = trimmed(stack_faces(DEFAULT_STACKS))
    assert {(c.family, c.weight) for c in copies} == {(f, w) for f in ("Noto Serif CJK SC", "Noto Sans CJK SC")
                                                      for w in ("regular", "bold")}  # not the Fandol faces
    css = 'h1 { font: bold 22pt "safeplan-title" } p { font: 10pt "safeplan-card" }'
    html = "<html lang='zh-CN'><head><style>{}</style></head><body><h1>安全应急预案汇编</h1><p>{}</p></body></html>"
    common, rare = "应急处置卡先做什么", "堃"  # 堃 is not in GB 2312, so not in the copies
    trimmed_pdf = render_pdf(html.format(with_fonts(css, DEFAULT_STACKS, copies), common + rare), "1" * 64)[0]
    whole_pdf = render_pdf(html.format(with_fonts(css, DEFAULT_STACKS), common + rare), "2" * 64)[0]
    used, control = ({name: len(program) for name, program in _font_programs(data).items()} for data in (trimmed_pdf, whole_pdf))
    assert set(used) == {"safeplan-Noto-Serif-CJK-SC-Bold", "safeplan-Noto-Sans-CJK-SC", "Noto-Sans-CJK-SC"}, used
    assert set(control) == {"Noto-Serif-CJK-SC-Bold", "Noto-Sans-CJK-SC"}, control
    # The title's few glyphs: without the copy, an empty entry for each of the face's glyphs before them.
    assert used["safeplan-Noto-Serif-CJK-SC-Bold"] * 5 < control["Noto-Serif-CJK-SC-Bold"], (used, control)
    for data in (trimmed_pdf, whole_pdf):
        text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
        assert common + rare in compact(text), "the rare character is drawn, by the whole face"
    # The page's codes are glyph numbers; Acrobat reads them as CIDs through the charset: the copies number
    # both alike. The control: a plain subset (glyphs renumbered, CIDs kept) does not, so the check can fail.
    charsets = {name: _identity_charset(TTFont(io.BytesIO(program))) for name, program in _font_programs(trimmed_pdf).items()}
    assert all(charsets.values()), charsets
    bold = next(face for face in stack_faces(DEFAULT_STACKS) if face.family == "Noto Sans CJK SC" and face.weight == "bold")
    options = subset.Options(font_number=bold.index)
    plain = subset.load_font(bold.path, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=common)
    subsetter.subset(plain)
    assert not _identity_charset(plain)


def _identity_charset(font) -> bool:
    return all(name == f"cid{gid:05d}" for gid, name in enumerate(font["CFF "].cff.topDictIndex[0].charset) if gid)


def test_a_trimmed_copy_has_the_same_bytes_whenever_and_wherever_it_is_made(tmp_path):
    import time

    from safeplan.render.pdf.fonts import DEFAULT_STACKS, _write_copy
    from safeplan.render.pdf.render_pdf import stack_faces

    face = next(face for face in stack_faces(DEFAULT_STACKS) if face.family == "Noto Sans CJK SC" and face.weight == "bold")
    _write_copy(face, tmp_path / "first" / "copy.otf")
    time.sleep(1.1)  # the font's own timestamp counts seconds
    _write_copy(face, tmp_path / "second" / "copy.otf")
    first, second = ((tmp_path / name / "copy.otf").read_bytes() for name in ("first", "second"))
    assert first == second and len(first) > 1_000_000


def test_a_bundle_fetches_nothing_but_the_trimmed_copies(tmp_path):
    import io

    import weasyprint
    from PIL import Image

    from safeplan.render.pdf.layout import render_pdf

    picture = tmp_path / "picture.png"
    Image.new("RGB", (40, 40), "red").save(picture)
    html = f'<html><body><p>图</p><img src="{picture.as_uri()}"></body></html>'

    def images(data: bytes) -> int:
        return sum(len([x for x in (page["/Resources"].get("/XObject") or {}).values()
                        if x.get_object().get("/Subtype") == "/Image"]) for page in PdfReader(io.BytesIO(data)).pages)

    assert images(render_pdf(html, "3" * 64)[0]) == 0
    assert images(weasyprint.HTML(string=html).write_pdf()) == 1  # the control: fetched, the scan sees it


def test_outline_matches_table_of_contents(built):
    path = built["out"] / f"{BUS_SCHOOL}.pdf"
    pages = pdf_text(path).split("\f")
    toc = []
    for page in pages[:6]:
        for line in page.splitlines():
            match = re.match(r"^\s*(\S.*?)\s*\.{4,}\s*(\d+)\s*$", line)
            if match:
                toc.append((compact(match.group(1)), int(match.group(2))))
    marks = [(level, compact(title), index) for level, title, index in outline(path)
             if level <= 2 and title not in ("颁布令", "目录")]  # the front matter is bookmarked, not listed in the contents
    assert [title for title, _ in toc] == [title for _, title, _ in marks]
    assert len(toc) >= 8
    for (title, number), (_, _, index) in zip(toc, marks):
        assert re.search(rf"—\s*{number}\s*—", pages[index]), (title, number, index)
    assert any(level == 3 for level, _, _ in outline(path))  # sections are bookmarked too


def test_metadata_is_set(built):
    reader = PdfReader(built["out"] / f"{BUS_SCHOOL}.pdf")
    info = reader.metadata
    assert info.title == "武进区湖塘样例实验小学安全应急预案汇编"
    assert info.author == "武进区湖塘样例实验小学"
    assert "应急预案" in info.subject and "应急预案" in info["/Keywords"]
    assert info["/CreationDate"] == "D:20260901" and info["/ModDate"] == "D:20260901"
    assert reader.trailer["/Root"]["/Lang"] == "zh-CN"


def test_qpdf_check_is_clean(built):
    for school in (BUS_SCHOOL, WALK_SCHOOL):
        result = subprocess.run(["qpdf", "--check", str(built["out"] / f"{school}.pdf")],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "WARNING" not in result.stdout + result.stderr


def test_no_line_starts_with_closing_punctuation(built):
    checked = 0
    for text in built["text"].values():
        for line in text.splitlines():
            for fragment in re.split(r"\s{2,}", line.strip()):  # table columns are space-separated
                if fragment:
                    checked += 1
                    assert fragment[0] not in CLOSING, line
    assert checked > 500


def test_table_header_repeats_on_every_page(built):
    path = built["out"] / f"{BUS_SCHOOL}.pdf"
    pages = pdf_text(path).split("\f")
    marks = [(title, index) for level, title, index in outline(path) if level <= 2]
    start = next(i for i, (title, _) in enumerate(marks) if title == "校车每日出车前检查表（测试）")
    first, after = marks[start][1], marks[start + 1][1]
    heads = {"grid": "序号排查项目（标准与依据见说明页）", "reference": "序号排查项目合格标准隐患情形依据"}
    found = [next((kind for kind, head in heads.items() if head in compact(pages[index])), None) for index in range(first, after)]
    assert found.count("grid") >= 2, "the 24-item form is more than one sheet holds: its grid continues"
    assert None not in found and found.index("reference") == found.count("grid"), found  # its reference page follows


@pytest.fixture(scope="module")
def second(built, tmp_path_factory) -> dict:
    """The same commit in another folder, built separately with one process and an empty cache."""
    root = tmp_path_factory.mktemp("pdf-again") / "library"
    shutil.copytree(built["root"], root, ignore=shutil.ignore_patterns("build"))
    notes = run_build(root, jobs=1)
    return {"root": root, "notes": notes, "out": root / "build" / "pdf"}


def test_same_inputs_give_identical_bytes(built, second):
    assert rendered_count(second["notes"]) == 2
    for school in (BUS_SCHOOL, WALK_SCHOOL):
        assert sha256(built["out"] / f"{school}.pdf") == sha256(second["out"] / f"{school}.pdf"), school


def test_only_changed_bundles_are_rendered_again(second):
    root, out = second["root"], second["out"]
    before = {school: sha256(out / f"{school}.pdf") for school in (BUS_SCHOOL, WALK_SCHOOL)}
    assert rendered_count(run_build(root, jobs=2)) == 0
    assert {school: sha256(out / f"{school}.pdf") for school in before} == before

    edit(root / f"schools/{WALK_SCHOOL}.yaml", "13900009001", "13900009099")
    assert rendered_count(run_build(root, jobs=2)) == 1
    assert sha256(out / f"{BUS_SCHOOL}.pdf") == before[BUS_SCHOOL]
    assert sha256(out / f"{WALK_SCHOOL}.pdf") != before[WALK_SCHOOL]
    assert "13900009099" in pdf_text(out / f"{WALK_SCHOOL}.pdf")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {b["school"]: b["sha256"] for b in manifest["bundles"]}[WALK_SCHOOL] == sha256(out / f"{WALK_SCHOOL}.pdf")

    assert rendered_count(run_build(root, schools=(WALK_SCHOOL,))) == 0  # --school keeps the others' bundles
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert sha256(out / f"{BUS_SCHOOL}.pdf") == before[BUS_SCHOOL]


def test_public_bundle_leaves_out_personal_mobiles(library, tmp_path):
    root = tmp_path / "library"
    shutil.copytree(library, root, ignore=shutil.ignore_patterns("build"))
    run_build(root, schools=(WALK_SCHOOL,))
    run_build(root, audience="public", schools=(BUS_SCHOOL,))
    out = root / "build" / "pdf"
    # a partial build keeps the other schools' bundles only when they are for the same audience
    assert [(b["school"], b["audience"]) for b in json.loads((out / "manifest.json").read_text())["bundles"]] \
        == [(BUS_SCHOOL, "public")]
    flat = compact(pdf_text(out / f"{BUS_SCHOOL}.pdf"))
    assert not re.search(r"1[3-9]\d{9}", flat) and "0519-86100001" not in flat  # personal numbers
    assert "（内部版可见）" in flat and "公开版" in flat
    assert "0519-86200110" in flat  # the police station's number is public


def test_missing_glyphs_refuse_the_build_and_name_file_and_font(library, tmp_path):
    root = tmp_path / "library"
    shutil.copytree(library, root, ignore=shutil.ignore_patterns("build"))
    edit(root / "plans/school/special/bus-breakdown.md", "照管员、驾驶员", "照管员𓀀、驾驶员")
    line = next(n for n, text in enumerate(
        (root / "plans/school/special/bus-breakdown.md").read_text(encoding="utf-8").splitlines(), 1) if "𓀀" in text)
    result = run_cli("--root", str(root), "build", "--only", "pdf")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"plans/school/special/bus-breakdown.md:{line}:4: error[pdf-glyphs]" in result.stderr
    assert "U+13000" in result.stderr and "fonts-noto-cjk" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "build" / "pdf").exists()


RECYCLING = """
import sys
from dataclasses import replace
from pathlib import Path
from safeplan.render.pdf import render_pdf
from safeplan.render.pdf.bundle_html import BundleMeta
from safeplan.content.loader import load_library
from safeplan.content.model import Document
from safeplan.content.vocabulary import vocabulary
from safeplan.resolve.views import resolve_school

library, _ = load_library(Path(sys.argv[1]))
view = resolve_school(library, library.get("school", sys.argv[2]))
views = [replace(view, school=Document("school", f"schools/copy-{n}.yaml", {"id": f"copy-{n}"}, {}))
         for n in range(3)]
render_pdf.RECYCLE_AFTER = 1  # every bundle in a fresh worker process
meta = BundleMeta("2026-09-01", "0123456789", "test")
done = render_pdf._render_all(views, {v.id: meta for v in views},
                              {v.id: f"{n:064d}" for n, v in enumerate(views)}, Path(sys.argv[3]), 2, False, vocabulary())
print(sorted(bundle.school for bundle in done))
"""


def test_recycled_workers_finish_every_bundle(library, tmp_path):
    # More bundles (3) than workers × tasks per worker (2 × 1): CPython 3.11's pool hangs here unless fed one at a time.
    result = subprocess.run([sys.executable, "-c", RECYCLING, str(library), WALK_SCHOOL, str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str([f"copy-{n}" for n in range(3)])
    assert len(list(tmp_path.glob("*.json"))) == 3  # one complete cache entry per bundle
    # each with all of the school's editions; the copies' HTML is the same, so they share one PDF per edition
    entries = [json.loads(path.read_text(encoding="utf-8")) for path in tmp_path.glob("*.json")]
    assert all(len(entry["editions"]) == len(PRINTED) for entry in entries)
    assert all((tmp_path / "pages" / f"{e['html']}.pdf").stat().st_size == e["bytes"]
               for entry in entries for e in entry["editions"])
    assert len(list((tmp_path / "pages").glob("*.pdf"))) == len(PRINTED)


def test_missing_font_names_the_package_to_install(monkeypatch):
    from safeplan.render.pdf import render_pdf

    render_pdf.bundle_faces.cache_clear()
    monkeypatch.setattr(render_pdf, "FACES", (("Safeplan Nonexistent Serif", "regular"),))
    try:
        with pytest.raises(render_pdf.FontsMissing, match="Safeplan Nonexistent Serif.*fonts-noto-cjk"):
            render_pdf.bundle_faces()
    finally:
        monkeypatch.undo()
        render_pdf.bundle_faces.cache_clear()
    assert [face.family for face in render_pdf.bundle_faces()] == ["FandolFang", "FandolHei", "FandolKai", "Noto Serif CJK SC",
                                                                  "Noto Sans CJK SC"]


SHARD_COUNTS = (1, 2, 3, 7)


def shard_of(school: str, n: int) -> list[int]:
    """Every K of N whose shard takes the school (exactly one when the shards partition the schools)."""
    return [k for k in range(1, n + 1) if in_shard(school, (k, n))]


def test_shards_partition_the_schools():
    schools = [f"school-{n:03d}" for n in range(60)]
    for n in SHARD_COUNTS:
        for school in schools:
            assert len(shard_of(school, n)) == 1, (school, n, shard_of(school, n))
        sizes = [sum(in_shard(school, (k, n)) for school in schools) for k in range(1, n + 1)]
        assert all(sizes), (n, sizes)  # 60 schools leave no machine idle
    assert all(in_shard(school, None) for school in schools)


def test_adding_a_school_never_moves_the_others_to_another_shard():
    """Each CI machine runs its own process: the assignment must not hang on the process or the school list."""
    schools = [f"school-{n:03d}" for n in range(60)]
    before = {n: {school: shard_of(school, n) for school in schools} for n in SHARD_COUNTS}
    grown = schools + ["new-school-added-later"]
    program = (
        "import json, sys\n"
        "from safeplan.render.pdf.render_pdf import in_shard\n"
        "schools, counts = json.loads(sys.stdin.read())\n"
        "print(json.dumps({n: {s: [k for k in range(1, n + 1) if in_shard(s, (k, n))] for s in schools}"
        " for n in counts}))\n"
    )
    for seed in ("1", "2"):  # another machine hashes str differently: hash() would move schools
        child = subprocess.run([sys.executable, "-c", program], input=json.dumps([grown, SHARD_COUNTS]),
                               capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONHASHSEED": seed})
        assert child.returncode == 0, child.stderr
        after = {int(n): shards for n, shards in json.loads(child.stdout).items()}
        for n in SHARD_COUNTS:
            moved = {school: (before[n][school], after[n][school]) for school in schools
                     if after[n][school] != before[n][school]}
            assert not moved, (n, seed, moved)
            assert len(after[n]["new-school-added-later"]) == 1


def test_a_commit_to_one_school_re_renders_only_its_bundle(tmp_path):
    """Covers carry the newest commit of the bundle's own inputs, not HEAD, so the cache survives commits."""
    import shutil

    from conftest import MINI, edit, run_cli

    tree = tmp_path / "library"
    shutil.copytree(MINI, tree)

    def git(*args):
        subprocess.run(["git", *args], cwd=tree, check=True, capture_output=True,
                       env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "initial")
    first = run_cli("--root", str(tree), "build", "--only", "pdf")
    assert first.returncode == 0, first.stderr
    assert "重新生成 2 份" in first.stdout
    before = json.loads((tree / "build/pdf/manifest.json").read_text(encoding="utf-8"))["bundles"]
    stamps = {p.name: (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns) for p in (tree / "build/pdf").glob("*.pdf")}

    edit(tree / "schools/small-village-primary.yaml", "name: 武进区样例村小", "name: 武进区样例村小（改名）")
    git("commit", "-qam", "rename one school")
    second = run_cli("--root", str(tree), "build", "--only", "pdf")
    assert second.returncode == 0, second.stderr
    assert "重新生成 1 份，缓存命中 1 份" in second.stdout
    now = {p.name: (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns) for p in (tree / "build/pdf").glob("*.pdf")}
    rewritten = sorted(name for name in stamps if now.get(name) != stamps[name])
    # every edition of the edited school is new; the other school's files keep their bytes and timestamps
    assert rewritten == sorted(f"small-village-primary{e.suffix}.pdf" for e in PRINTED)
    after = {b["school"]: b for b in json.loads((tree / "build/pdf/manifest.json").read_text(encoding="utf-8"))["bundles"]}
    untouched = next(b for b in before if b["school"] == "hutang-experimental-primary")
    assert after["hutang-experimental-primary"]["commit"] == untouched["commit"]
    assert after["small-village-primary"]["commit"] != untouched["commit"]


def test_shard_outputs_laid_side_by_side_all_reach_the_site(tmp_path):
    """CI builds shards on separate machines and merges their build/pdf folders before the site build."""
    from conftest import MINI, run_cli

    merged = tmp_path / "merged"
    shutil.copytree(MINI, merged)
    (merged / "build" / "pdf").mkdir(parents=True)
    for k in (1, 2):
        shard = tmp_path / f"shard-{k}"
        shutil.copytree(MINI, shard)
        result = run_cli("--root", str(shard), "build", "--only", "pdf", "--shard", f"{k}/2")
        assert result.returncode == 0, result.stderr
        for path in (shard / "build" / "pdf").iterdir():
            shutil.copy2(path, merged / "build" / "pdf" / path.name)
    assert sorted(p.name for p in (merged / "build" / "pdf").glob("manifest*.json")) == [
        "manifest.shard-1-of-2.json", "manifest.shard-2-of-2.json"]
    site = run_cli("--root", str(merged), "build", "--only", "site")
    assert site.returncode == 0, site.stderr
    assert "2 份汇编可下载" in site.stdout
    downloads = (merged / "build" / "site" / "downloads").iterdir()
    assert sorted(p.name for p in downloads if p.suffix == ".pdf") == [
        f"{school}{edition.suffix}.pdf" for school in ("hutang-experimental-primary", "small-village-primary")
        for edition in sorted(PRINTED, key=lambda e: f"{school}{e.suffix}.pdf")]


def _revision_counts(root: Path, school: str) -> tuple[list, int]:
    from safeplan.content.loader import load_library
    from safeplan.resolve.views import resolve_school

    lib, _ = load_library(root)
    view = resolve_school(lib, lib.get("school", school))
    documents = [doc for doc in view.documents if doc.data.get("revisions")]
    return documents, sum(len(doc.data["revisions"]) for doc in documents)


def test_the_revision_appendix_prints_every_record_of_the_schools_documents(built):
    """Counted on paper: each record is one version number in the 版本 column, left of the 日期 head on its page."""
    from print_scan import words

    documents, expected = _revision_counts(built["root"], BUS_SCHOOL)
    path = built["out"] / f"{BUS_SCHOOL}.pdf"
    start = next(index for _, title, index in outline(path) if title == "文档修订记录") + 1  # 1-based page
    found = 0
    for page in sorted({w.page for w in words(path) if w.page >= start}):
        on_page = [w for w in words(path) if w.page == page]
        heads = [w for w in on_page if w.text == "日期"]
        if not heads:
            continue
        found += sum(1 for w in on_page if re.fullmatch(r"\d+\.\d+", w.text) and w.right <= min(h.left for h in heads))
    assert expected >= len(documents) > 3 and found == expected
    appendix = compact("".join(pdf_text(path).split("\f")[start - 1:]))
    assert all(compact(doc.title) in appendix for doc in documents)


@pytest.mark.parametrize("school", ["xihu-experimental-kindergarten", "lijia-senior-high"])
def test_the_revision_appendix_is_one_table_a_document_with_every_record(school):
    from conftest import REPO
    from safeplan.content.loader import load_library
    from safeplan.dates import chinese_date
    from safeplan.render.pdf.bundle_html import BundleMeta, bundle_html
    from safeplan.resolve.views import resolve_school

    documents, expected = _revision_counts(REPO, school)
    lib, _ = load_library(REPO)
    html = bundle_html(resolve_school(lib, lib.get("school", school)), BundleMeta("2026-12-02", "0123456789", "test"))
    appendix = html[html.index('<article class="doc revisions">'):]
    appendix = appendix[:appendix.index("</article>")]
    tables = re.findall(r'<p class="caption">\d+\. (.*?)</p>\s*<table class="revisions">(.*?)</table>', appendix, re.S)
    assert [title for title, _ in tables] == [doc.title for doc in documents]
    rows = [re.findall(r"<td>(.*?)</td>", row) for _, table in tables for row in re.findall(r"<tr>(<td>.*?)</tr>", table, re.S)]
    assert len(rows) == expected > 100
    records = [r for doc in documents for r in doc.data["revisions"]]
    assert [(v, d) for v, d, _, _ in rows] == [(r["version"], chinese_date(r["date"])) for r in records]
