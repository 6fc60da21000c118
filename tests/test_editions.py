"""A school's printed editions: the action edition beside the full one, in the manifest, on the site, within 60 pages."""

from __future__ import annotations

import hashlib
import json
import re
import shutil

import pytest
from pypdf import PdfReader

from test_pdf import outline

from conftest import MINI, REPO, run_cli
from print_scan import check_page_labels, outside_type_area, plain_text, sparse_pages
from safeplan.content.loader import load_library
from safeplan.content.vocabulary import vocabulary
from safeplan.render.pdf.bundle_html import BundleMeta
from safeplan.render.pdf.editions import BY_NAME, EDITIONS, action_view, edition_html
from safeplan.render.pdf.render_pdf import render_pdf
from safeplan.resolve.views import resolve_school

ACTION_PAGES = 60  # what a school prints and keeps at hand
META = BundleMeta("2026-09-01", "0123456789", "test")
SCHOOL = "hutang-experimental-primary"


@pytest.fixture(scope="module")
def action_editions(tmp_path_factory) -> dict:
    """The action edition of every sample school, rendered from the real library."""
    library, _ = load_library(REPO)
    out = tmp_path_factory.mktemp("action")
    found = {}
    for school in library.schools:
        view = resolve_school(library, school)
        data, pages = render_pdf(edition_html(BY_NAME["action"], view, META, vocabulary()), "0" * 32)
        (out / f"{school.id}.pdf").write_bytes(data)
        found[school.id] = {"pdf": out / f"{school.id}.pdf", "pages": pages, "view": view}
    return found


def test_every_sample_schools_action_edition_fits_in_sixty_pages(action_editions):
    assert len(action_editions) >= 12
    too_long = {school: e["pages"] for school, e in action_editions.items() if e["pages"] > ACTION_PAGES}
    assert not too_long


def test_the_action_edition_holds_the_comprehensive_and_on_site_plans_and_contacts_only(action_editions):
    for school, edition in action_editions.items():
        view = edition["view"]
        titles = {title for _, title, _ in outline(edition["pdf"])}
        kept = {a.title for a in action_view(view).documents}
        left_out = {a.title for a in view.of_kind("plan") if a.title not in kept}
        assert any(a.data["tier"] == "综合应急预案" for a in action_view(view).documents)
        assert kept <= titles, (school, kept - titles)
        assert left_out and not left_out & titles, (school, left_out & titles)  # special plans stay in the full edition
        assert not {a.title for a in view.of_kind("checklist") + view.of_kind("drill")} & titles
        assert "学校应急领导小组与联络单位" in titles
        assert "应急处置版" in plain_text(edition["pdf"]).split("颁　布　令")[0]  # on the cover


def test_action_editions_keep_the_print_geometry(action_editions):
    for school, edition in action_editions.items():
        assert not outside_type_area(edition["pdf"]), school
        assert not sparse_pages(edition["pdf"], 3), school
        assert not check_page_labels(edition["pdf"]), school


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("editions") / "library"
    shutil.copytree(MINI, root)
    result = run_cli("--root", str(root), "build", "--jobs", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def test_manifest_lists_each_schools_editions_with_their_files(built):
    out = built / "build" / "pdf"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["bundles"]:
        editions = {e["edition"]: e for e in entry["editions"]}
        assert list(editions) == [e.name for e in EDITIONS if e.name != "cards"]  # the mini library has no cards
        assert editions["full"]["file"] == entry["file"] == f"{entry['school']}.pdf"
        assert editions["action"]["file"] == f"{entry['school']}.action.pdf"
        for e in editions.values():
            path = out / e["file"]
            assert hashlib.sha256(path.read_bytes()).hexdigest() == e["sha256"] and path.stat().st_size == e["bytes"]
            assert len(PdfReader(path).pages) == e["pages"]
        assert editions["action"]["pages"] < editions["full"]["pages"]


def test_the_site_links_every_edition(built):
    school_page = (built / "build" / "site" / "schools" / SCHOOL / "index.html").read_text(encoding="utf-8")
    downloads = (built / "build" / "site" / "downloads" / "index.html").read_text(encoding="utf-8")
    for edition in (e for e in EDITIONS[1:] if e.name != "cards"):  # the mini library has no cards
        name = f"{SCHOOL}{edition.suffix}.pdf"
        assert re.search(rf'href="[./]*downloads/{re.escape(name)}"', school_page), edition.name
        assert edition.label in school_page and name in downloads
        assert (built / "build" / "site" / "downloads" / name).read_bytes() == (built / "build" / "pdf" / name).read_bytes()
