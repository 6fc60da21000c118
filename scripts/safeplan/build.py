"""Content root → build/site and build/pdf: the orchestrator that reads like the pipeline.

load → validate → resolve (per school) → render PDF bundles → render site.
Everything is gathered and checked before anything is written; a library with
errors writes nothing, so the last good output stays in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from safeplan.checks.library_check import check_library
from safeplan.render.output import build_lock, recover_all
from safeplan.problems import ERROR, ContentError, Problem, UsageError
from safeplan.resolve.views import resolve_all, resolve_district

TARGETS = ("site", "pdf")


@dataclass
class BuildOptions:
    root: Path
    only: tuple[str, ...] = TARGETS
    schools: tuple[str, ...] = ()
    jobs: int = 0  # 0: one per core
    shard: tuple[int, int] | None = None  # (k, n), 1-based k
    audience: str = "internal"
    progress: bool = False
    strict: bool = False
    editor: bool = True  # the internal site's web editor at /admin/ (render/site/admin_pages); --no-editor


@dataclass
class BuildResult:
    problems: list[Problem] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one line each, for the summary


def build(options: BuildOptions) -> BuildResult:
    with build_lock(options.root / "build"):
        recover_all(options.root / "build")  # a killed build's swap is completed before anything else
        return _build(options)


def _build(options: BuildOptions) -> BuildResult:
    result = BuildResult()
    library, result.problems = check_library(options.root)
    failing = {ERROR, "warning"} if options.strict else {ERROR}
    if any(p.severity in failing for p in result.problems):
        return result
    unknown = sorted(set(options.schools) - {s.id for s in library.schools})
    if unknown:
        raise UsageError(f"没有这些学校：{'、'.join(unknown)}")

    views = resolve_all(library, options.audience, only=set(options.schools) or None)
    district_docs = resolve_district(library, options.audience)

    if "pdf" in options.only:
        from safeplan.render.pdf.render_pdf import render_bundles

        try:
            result.written += render_bundles(library, views, options, result.notes)
        except ContentError as error:  # e.g. characters the PDF fonts cannot show: nothing written
            result.problems += getattr(error, "problems", [error.problem])
            return result
    if "site" in options.only:
        from safeplan.render.site.render_site import render_site

        all_views = views if not options.schools else resolve_all(library, options.audience)
        try:
            result.written += render_site(library, all_views, district_docs, options, result.notes)
        except ContentError as error:  # e.g. a leak the public-edition scan found: the old site stays
            result.problems += getattr(error, "problems", [error.problem])
    return result
