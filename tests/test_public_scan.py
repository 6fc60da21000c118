"""The public edition is scanned before it is published: the normaliser form by form, then real builds
(MkDocs and WeasyPrint) of a small library with personal numbers and internal values injected in every
disguise, the same scan over the internal edition as a control, and the unmodified repository passing."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from conftest import MINI, REPO, edit, run_cli
from conftest_site import unguarded
from safeplan.content.loader import load_library
from safeplan.checks.privacy import ID_CARD, MOBILE, find_numbers, internal_values, is_id_card, normalise
from safeplan.render.public_scan import markup_chunks, scan_files, scan_site

SCHOOL = "small-village-primary"  # the smaller bundle: one PDF keeps the test quick
EPOCH = {"SOURCE_DATE_EPOCH": "1788220800", "CI": "1"}
ID_FORMS = {  # every form of the same kind of number the issue lists
    "１１０１０５１９４９１２３１００２Ｘ": "11010519491231002X",  # full width
    "320102 19800101 1238": "320102198001011238",  # spaced
    "&#51;20483198512310023": "320483198512310023",  # entity
    "110105491231002": "110105491231002",  # 15 digits
}


# ---------------------------------------------------------------- the normaliser, form by form

@pytest.mark.parametrize("written", [
    "13900001234", "１３９００００１２３４", "139-0000-1234", "139–0000—1234", "139 0000 1234", "139\u30000000\u00a01234",
    "139\u200b0000\u200b1234", "1\u200d39\ufeff00001234", "**139**00001234", "*139*0000_1234_", "&#49;&#51;&#57;00001234",
    "&#x31;3900001234", "&amp;#49;3900001234", "tel:+86-139-0000-1234", "tel:%31%33%39%30%30%30%30%31%32%33%34",
    "139.0000.1234", "(139)0000-1234", "+86 139 0000 1234", "<strong>139</strong>00001234",
])
def test_every_disguise_of_a_mobile_is_the_same_mobile(written):
    text = "".join(piece for _, piece in markup_chunks(written)) if written.startswith("<") else written
    assert [(n.kind, n.digits) for n in find_numbers(f"值班电话：{text}。")] == [(MOBILE, "13900001234")]


@pytest.mark.parametrize("written, digits", list(ID_FORMS.items()))
def test_every_disguise_of_an_id_card_is_the_same_id_card(written, digits):
    assert [(n.kind, n.digits) for n in find_numbers(f"证件 {written}。")] == [(ID_CARD, digits)]


@pytest.mark.parametrize("text", [
    "0519-86000110", "2026-09-01", "1.0 2026-09-01", "共 1860 人、教职工 112 人", "110 / 119 / 120",
    "110105194912310021",  # wrong check digit
    "990105194912310027",  # no such province
    "1390000123",  # ten digits
    "913900001234",  # part of a longer number
])
def test_numbers_that_are_not_personal_are_left_alone(text):
    assert find_numbers(text) == []


def test_normalise_reads_width_entities_and_invisible_characters():
    assert normalise("１２３&#52;&amp;#53;\u200b6\u00ad7٨") == "12345678"
    assert is_id_card("11010519491231002x") and not is_id_card("11010519491231002")


def test_sitemap_gzip_and_attributes_are_read(tmp_path):
    import gzip

    from safeplan.render.public_scan import output_chunks

    sitemap = tmp_path / "sitemap.xml.gz"
    sitemap.write_bytes(gzip.compress(b"<urlset><url><loc>https://x.invalid/notes/m13900001234/</loc></url></urlset>"))
    page = tmp_path / "index.html"
    page.write_text('<p>\n<a href="tel:139-0000-1235" title="139 0000 1236">'
                    '<img alt="&#49;3900001237" data-x="１３９００００１２３８" src="a.png"></a></p>', encoding="utf-8")
    found = [n.digits for path in (sitemap, page) for _, _, text in output_chunks(path, tmp_path) for n in find_numbers(text)]
    assert found == ["13900001234", "13900001235", "13900001236", "13900001237", "13900001238"]


def test_internal_values_skip_a_unit_line_a_person_also_answers(tree):
    library, _ = load_library(tree)
    values = {(v.needle, v.label) for v in internal_values(library)}
    assert ("13900000003", "organisation.safety_head.mobile") in values
    assert ("051986000111", "organisation.safety_head.office_phone") in values
    assert not [v for v in values if v[0] == "051986000110"]  # duty_officer's office line is the bureau's own
    assert ("中间楼梯下楼后直行", "evacuation_routes.0.route") in values


# ---------------------------------------------------------------- the security posture is redacted

POSTURE_CHECKLIST = """\
id: micro-fire-kit
title: 微型消防站器材月检表
frequency: monthly
role: 安全管理人员
areas: [微型消防站]
applies_to: {all_of: [security.micro_fire_station]}
summary: 建有微型消防站的学校每月检查一次器材。
status: draft
version: "0.1"
items:
  - {check: 微型消防站器材, standard: 数量与登记表一致, hazard: 器材缺失, grade: 一般}
"""


def test_public_views_hide_the_security_posture_and_what_it_decides(tree):
    (tree / "checklists" / "micro-fire-kit.yaml").write_text(POSTURE_CHECKLIST.replace("status: draft\nversion: \"0.1\"",
        'status: approved\nversion: "1.0"\nnumber: T-1\napproved_by: wj-safety-head\nissued_on: "2026-09-01"\n'
        'next_review: "2029-08-31"\nrevisions:\n  - {version: "1.0", date: "2026-09-01", reason: other, summary: 测试。}'),
        encoding="utf-8")
    edit(tree / "schools" / f"{SCHOOL}.yaml", "video_linked: true}", "video_linked: true, micro_fire_station: false}")
    edit(tree / PLAN, "## 应急保障", "## 应急保障\n\n{% if school.security.micro_fire_station %}本校微型消防站 3 分钟到场。{% endif %}")
    library, problems = load_library(tree)
    assert not [p for p in problems if p.severity == "error"], problems
    from safeplan.resolve.views import REDACTED, resolve_school

    for school in library.schools:
        internal, public = (resolve_school(library, school, audience) for audience in ("internal", "public"))
        assert all(public.data["security"][key] == REDACTED for key in
                   ("full_time_guards", "closed_management", "anti_collision_barriers", "one_button_alarm_linked",
                    "video_linked", "micro_fire_station"))
        assert {r["route"] for r in public.data["evacuation_routes"]} == {REDACTED}
        assert "micro-fire-kit" not in [a.id for a in public.documents]
        assert dict((d.id, r) for d, r in public.not_applied)["micro-fire-kit"] == f"建有微型消防站：{REDACTED}"
        assert "微型消防站 3 分钟" not in public.of_kind("plan")[0].body
        has_station = bool(school.data["security"].get("micro_fire_station"))
        assert ("micro-fire-kit" in [a.id for a in internal.documents]) == has_station  # the control
        assert ("微型消防站 3 分钟" in internal.of_kind("plan")[0].body) == has_station
    assert any(s.data["security"].get("micro_fire_station") for s in library.schools)
    from safeplan.resolve.views import redact

    # an optional hidden field reads the same written or not: having none is what must not show
    assert redact({"security": {"full_time_guards": 1}}, "school", "public")["security"]["micro_fire_station"] == REDACTED
    assert redact({"security": {"full_time_guards": 1}}, "school", "internal") == {"security": {"full_time_guards": 1}}


# ---------------------------------------------------------------- real builds with injected leaks

def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


# (file, marker, what goes in): each on its own line, so each source line can be asserted
PLAN = "plans/school/special/fire.md"
DRILL = "drills/fire-drill.md"
NOTE = "notes/revision-triggers.md"
CHECKLIST = "checklists/fire-safety.yaml"
INJECTED = [
    (PLAN, "明文手机", "13700001001"),
    (PLAN, "全角手机", "１３７００００１００２"),
    (PLAN, "横线手机", "137-0000-1003"),
    (PLAN, "空格手机", "137 0000 1004"),
    (PLAN, "零宽手机", "137\u200b0000\u200b1005"),
    (PLAN, "加粗拆分", "**137**00001006"),
    (PLAN, "实体手机", "&#49;&#51;&#55;00001007"),
    (PLAN, "电话链接", "[拨打](tel:137-0000-1010)"),
    (PLAN, "网址手机", "[登记](https://example.invalid/call?m=13700001011)"),
    (PLAN, "图片说明", "![值班 13700001012](assets/map.png)"),
    (PLAN, "全角身份证", "１１０１０５１９４９１２３１００２Ｘ"),
    (PLAN, "空格身份证", "320102 19800101 1238"),
    (DRILL, "实体身份证", "&#51;20483198512310023"),
    (DRILL, "十五位身份证", "110105491231002"),
    (DRILL, "校长手机照抄", "139-0000-9001"),  # small-village-primary's principal (x-audience: internal)
    (DRILL, "疏散路线照抄", "中间楼梯 下楼后直行"),  # its evacuation route (internal since this change)
    (NOTE, "表格手机", "| 值班 | 13700001008 |"),
    (NOTE, "科长办公电话照抄", "0519 8600 0111"),  # the district safety head's office line (internal)
]
SUMMARY = "13700001009"  # into the checklist's summary field


PRIVACY_RULES = ("free-text-mobile", "id-card-number")  # validation refuses most injections; the scan must stop them by itself


def injected_tree(base: Path) -> tuple[Path, dict[str, tuple[str, int]]]:
    """MINI with every injection; marker → (file, line) where it was written."""
    tree = base / "library"
    shutil.copytree(MINI, tree)
    (tree / "assets").mkdir()
    (tree / "assets" / "map.png").write_bytes(_png())
    for path in {p for p, _, _ in INJECTED}:
        bullets = [f"- {marker}：{value}\n" for p, marker, value in INJECTED if p == path and not value.startswith("|")]
        rows = [f"{value}\n" for p, _, value in INJECTED if p == path and value.startswith("|")]
        table = ["\n| 岗位 | 电话 |\n|---|---|\n", *rows] if rows else []
        with open(tree / path, "a", encoding="utf-8") as handle:
            handle.writelines(["\n", *bullets, *table])
    edit(tree / CHECKLIST, "summary: ", f"summary: 值班 {SUMMARY}；")
    where = {}
    for path in {p for p, _, _ in INJECTED} | {CHECKLIST}:
        for number, line in enumerate((tree / path).read_text(encoding="utf-8").split("\n"), 1):
            for p, marker, value in INJECTED + [(CHECKLIST, "summary", SUMMARY)]:
                if p == path and value in line:
                    where[marker] = (path, number)
    assert len(where) == len(INJECTED) + 1
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tree, check=True)
    return tree, where


def build(tree: Path, *args: str, guarded: bool = False) -> subprocess.CompletedProcess:
    """`safeplan build`; unless guarded, without the validate rules that would refuse the injected numbers
    before the scan runs."""
    with unguarded(EPOCH, () if guarded else PRIVACY_RULES):
        return run_cli("--root", str(tree), "build", *args)


def leak_sources(stderr: str) -> set[tuple[str, int]]:
    return {(m.group(1), int(m.group(2))) for m in re.finditer(r"^(\S+?):(\d+):\d+: error\[public-leak\]", stderr, re.M)}


@pytest.fixture(scope="module")
def injected(tmp_path_factory):
    return injected_tree(tmp_path_factory.mktemp("leaks"))


# a bundle prints a link's text and an image, not their targets or alt text (see the next test for links that stay)
PDF_MARKERS = [m for p, m, _ in INJECTED if p in (PLAN, DRILL) and m not in ("电话链接", "网址手机", "图片说明")]


def test_pdf_text_includes_link_targets(tmp_path):
    """Should a bundle ever keep a tel: link, its number is in an annotation, not in the page text."""
    import weasyprint

    from safeplan.render.public_scan import pdf_pages

    pdf = tmp_path / "link.pdf"
    pdf.write_bytes(weasyprint.HTML(string='<p><a href="tel:137-0000-1010">拨打值班电话</a></p>').write_pdf())
    pages = pdf_pages(pdf, tmp_path / "cache")
    assert "137-0000-1010" not in pages[1].split("\n")[0] and "tel:137-0000-1010" in pages[1]
    assert [n.digits for n in find_numbers(pages[1])] == ["13700001010"]


def test_public_site_with_leaks_fails_naming_every_source(injected):
    tree, where = injected
    result = build(tree, "--only", "site", "--audience", "public")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    found = leak_sources(result.stderr)
    missing = {marker: place for marker, place in where.items() if place not in found}
    assert not missing, (missing, result.stderr[-3000:])
    assert re.search(r"build/site/pagefind/fragment/[^:（]+\.pf_fragment(:\d+)?（搜索索引", result.stderr), result.stderr[-3000:]
    assert "139****9001" in result.stderr and "13700001001" not in result.stderr  # messages mask the numbers
    assert not (tree / "build" / "site").exists()  # nothing published, no staging left behind
    assert not list((tree / "build").glob(".site.staging-*"))


def test_public_pdf_with_leaks_fails_naming_every_source(injected):
    tree, where = injected
    result = build(tree, "--only", "pdf", "--audience", "public", "--school", SCHOOL, "--jobs", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    found = leak_sources(result.stderr)
    missing = {m: where[m] for m in PDF_MARKERS if where[m] not in found}
    assert not missing, (missing, result.stderr[-3000:])
    assert f"build/pdf/{SCHOOL}.pdf（PDF 第" in result.stderr
    assert not (tree / "build" / "pdf" / f"{SCHOOL}.pdf").exists()


def test_control_the_internal_edition_has_every_injected_value(injected, tmp_path):
    """The same scan over the internal edition finds them all, so the public scan can fail."""
    tree = tmp_path / "internal"
    shutil.copytree(injected[0], tree, ignore=shutil.ignore_patterns("build"))
    where = injected[1]
    result = build(tree, "--school", SCHOOL, "--jobs", "1")
    assert result.returncode == 0, result.stderr
    library, _ = load_library(tree)
    cache = tmp_path / "cache"
    site = {(p.path, p.line) for p in scan_site(library, tree / "build" / "site", cache)}
    assert not {m: w for m, w in where.items() if w not in site}, site
    pdf = {(p.path, p.line) for p in scan_files(library, [("x.pdf", tree / "build" / "pdf" / f"{SCHOOL}.pdf")], cache)}
    assert not {m: where[m] for m in PDF_MARKERS if where[m] not in pdf}, pdf


# the school with the most facilities, and a boarding school with night evacuation routes (all twelve take ~9 minutes)
REPOSITORY_BUNDLES = ("hutang-experimental-primary", "nanxiashu-special-education")


def test_unmodified_repository_public_edition_passes(tmp_path):
    """The whole public site (every school's page) and two schools' bundles pass the scan."""
    tree = tmp_path / "repository"
    shutil.copytree(REPO, tree, ignore=shutil.ignore_patterns(".git", ".venv", "build", "tests", "bench", "__pycache__",
                                                              "node_modules"))
    result = build(tree, "--audience", "public", *(f"--school={school}" for school in REPOSITORY_BUNDLES), guarded=True)
    assert result.returncode == 0, result.stderr[-4000:]
    assert sorted({p.name.split(".")[0] for p in (tree / "build" / "pdf").glob("*.pdf")}) == list(REPOSITORY_BUNDLES)
    assert len(list((tree / "build" / "site" / "schools").glob("*/index.html"))) == len(list((tree / "schools").glob("*.yaml")))
    contacts = (tree / "build" / "site" / "notes" / "contacts-template" / "index.html").read_text(encoding="utf-8")
    assert "139xxxxxxxx" in contacts and "（内部版可见）" in contacts  # the district's mobiles, redacted


def test_a_checksum_is_not_a_mobile_but_the_same_digits_alone_are(tree):
    """The downloads page prints SHA-256 values; one in four holds an 11-digit run shaped like a mobile."""
    from safeplan.content.loader import load_library
    from safeplan.render.public_scan import Scanner

    scanner = Scanner(load_library(tree)[0])
    checksum = "6d76b6af17181832864c0a8f3e2b1d4c5a6978e0f1d2c3b4a5968778695a4b3c"
    assert [h.kind for h in scanner.hits(f"SHA-256：{checksum}")] == []
    assert [h.kind for h in scanner.hits("联系电话 17181832864")] == ["mobile"]  # the control: alone, it is one
