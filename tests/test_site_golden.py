"""The site's Markdown for the fixture library, page by page, against committed golden files.

Pages are generated in-process from the mini library (no git, no mkdocs): every input that
varies between runs (build date, commit, history, bundles, today) is pinned below. After a
deliberate change to the pages, regenerate the golden files and review their diff:

    .venv/bin/python -m pytest tests/test_site_golden.py --update-golden
"""

from __future__ import annotations

import difflib

import pytest

from conftest import MINI, REPO
from safeplan import dates
from safeplan.content.loader import load_library
from safeplan.content.model import WORKFLOW_KINDS
from safeplan.render.site import site_pages
from safeplan.render.site.index import SiteIndex
from safeplan.render.site.site_pages import PAGES, Bundle, SiteData, generate
from safeplan.resolve.views import district_context, resolve_all, resolve_district
from safeplan.review.history import Commit

GOLDEN = REPO / "tests" / "golden" / "site"
UPDATE = "--update-golden"
COMMIT = "0123456789"
DIFF_LINES = 40


def bundle(audience: str) -> Bundle:
    return Bundle(school="hutang-experimental-primary", file=f"hutang-experimental-primary-{audience}.pdf",
                  bytes=1234567, pages=42, sha256="ab" * 32, date="2026-11-30", name="武进区湖塘样例实验小学", commit=COMMIT)


EDITIONS = {  # golden folder → (audience, the day reviews fall due against; None: SAFEPLAN_TODAY, pinned by conftest)
    "internal": ("internal", None),
    "public": ("public", None),
    "overdue": ("internal", "2029-09-30"),  # a month after the fixture's reviews fall due
}


def site_data(edition: str) -> SiteData:
    """What render_site gathers, pinned: one bundle, and (internal) two commits per document."""
    audience, today = EDITIONS[edition]
    library, problems = load_library(MINI)
    assert problems == []
    data = SiteData(library=library, views=resolve_all(library, audience), district_docs=resolve_district(library, audience),
                    district=district_context(library, audience), audience=audience, build_date="2026-11-30",
                    commit=COMMIT, review_due_days=90, today=today or dates.today().isoformat(),
                    bundles={"hutang-experimental-primary": bundle(audience)})
    if audience != "public":
        paths = sorted(d.path for d in library.documents if d.kind in WORKFLOW_KINDS)
        data.histories = {path: [Commit("b" * 40, "2026-11-20", "王老师", f"修订 {path}", path),
                                 Commit("a" * 40, "2026-09-01", "李老师", "初版", "old/" + path)] for path in paths}
        data.recent = [(Commit("b" * 40, "2026-11-20", "王老师", "修订全部文档", paths[0]), paths + ["README.md"])]
    return data


def golden_pages(edition: str) -> dict[str, str]:
    folder = GOLDEN / edition
    # every file the pages write (Markdown, and the ICS calendars with their CRLF line ends), byte for byte
    return {p.relative_to(folder).as_posix(): p.read_bytes().decode("utf-8") for p in sorted(folder.rglob("*")) if p.is_file()}


def short_diff(expected: dict[str, str], actual: dict[str, str]) -> str:
    lines = []
    for path in sorted(expected.keys() | actual.keys()):
        if expected.get(path) != actual.get(path):
            lines += difflib.unified_diff((expected.get(path) or "").splitlines(), (actual.get(path) or "").splitlines(),
                                          f"golden/{path}", f"generated/{path}", n=1, lineterm="")
    shown = lines[:DIFF_LINES] + ([f"… {len(lines) - DIFF_LINES} more diff lines"] if len(lines) > DIFF_LINES else [])
    return "\n".join(shown)


@pytest.mark.parametrize("edition", EDITIONS)
def test_generated_pages_match_the_golden_files(edition, request):
    pages = generate(site_data(edition))
    if request.config.getoption(UPDATE):
        folder = GOLDEN / edition
        for old in [p for p in folder.rglob("*") if p.is_file()]:
            old.unlink()
        for path, markdown in pages.items():
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            (folder / path).write_bytes(markdown.encode("utf-8"))
    golden = golden_pages(edition)
    assert golden, f"no golden files in {GOLDEN / edition}: run pytest tests/test_site_golden.py {UPDATE}"
    difference = short_diff(golden, pages)
    assert not difference, (
        f"the generated {edition} pages differ from tests/golden/site/{edition}/. If the change is intended, run\n"
        f"  .venv/bin/python -m pytest tests/test_site_golden.py {UPDATE}\nand review the golden diff:\n{difference}")


def test_the_pinned_inputs_reach_the_pages():
    """The golden files show what is pinned, so a stable golden file is not one that dropped those parts."""
    internal, public, overdue = (generate(site_data(edition)) for edition in EDITIONS)
    assert f"（提交 `{COMMIT}`）" in internal["index.md"] and "数据截至 2026年11月30日" in public["index.md"]
    assert "| 2026年11月20日 | 王老师 |" in internal["plans/fire.md"] and "王老师" not in public["plans/fire.md"]
    assert "hutang-experimental-primary-public.pdf" in public["downloads.md"]
    assert "份文档超期未评审" in overdue["index.md"] and "份文档超期未评审" not in internal["index.md"]


def test_each_page_function_renders_alone_what_the_site_has():
    """Page functions read the frozen index only: each one alone gives exactly its pages of the whole site."""
    data = site_data("internal")
    data.editor = True  # admin_pages writes /admin/ only when the build carries the web editor
    whole, index = generate(data), SiteIndex.gather(data)
    for page_function in PAGES:
        alone = page_function(index)
        assert alone and all(whole[path] == markdown for path, markdown in alone.items()), page_function.__name__
    assert sum(len(page_function(index)) for page_function in PAGES) == len(whole)


def test_two_page_functions_writing_one_path_stop_the_build(monkeypatch):
    monkeypatch.setattr(site_pages, "PAGES", (*site_pages.PAGES, site_pages.PAGES[0]))
    with pytest.raises(RuntimeError, match="index.md is written by home_page"):
        generate(site_data("internal"))
