"""Content root → build/site and build/pdf: the orchestrator that reads like the pipeline.

load → validate → resolve (per school) → gather provenance (git) → render PDF bundles → render site.
Everything is gathered and checked before anything is written; a library with
errors writes nothing, so the last good output stays in place. The renderers get
what they print as data: they do no git of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from safeplan.checks.library_check import check_library
from safeplan.content.model import Library
from safeplan.content.provenance import Provenance, Source
from safeplan.content.schemas import Schemas, using
from safeplan.content.vocabulary import vocabulary
from safeplan.dates import epoch_date, fixed_epoch
from safeplan.render.output import build_lock, recover_all
from safeplan.problems import ERROR, Problem, UsageError
from safeplan.resolve.views import SchoolView, resolve_all, resolve_district
from safeplan.review import history

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
        with using(Schemas()) as schemas:  # the schemas as they are now: a rebuild in `serve` reads an edit
            return _build(options, schemas)


def _build(options: BuildOptions, schemas: Schemas) -> BuildResult:
    result = BuildResult()
    library, result.problems = check_library(options.root)
    failing = {ERROR, "warning"} if options.strict else {ERROR}
    if any(p.severity in failing for p in result.problems):
        return result
    unknown = sorted(set(options.schools) - {s.id for s in library.schools})
    if unknown:
        raise UsageError(f"没有这些学校：{'、'.join(unknown)}")

    views = resolve_all(library, options.audience, only=set(options.schools) or None)
    result.problems += [problem for view in views for problem in view.card_problems]
    if any(p.severity in failing for p in result.problems):
        return result
    district_docs = resolve_district(library, options.audience)
    provenance = gather_provenance(library, views)
    words = vocabulary(schemas.schema_for, schemas.common_definition)  # one vocabulary for the whole build

    if "pdf" in options.only:
        from safeplan.render.pdf.render_pdf import render_bundles

        written, problems = render_bundles(library, views, options, result.notes, provenance, words)
        result.written += written
        result.problems += problems
        if problems:  # e.g. characters the PDF fonts cannot show: nothing written, the site not built either
            return result
    if "site" in options.only:
        from safeplan.render.site.render_site import render_site

        all_views = views if not options.schools else resolve_all(library, options.audience)
        written, problems = render_site(library, all_views, district_docs, options, result.notes, provenance, words)
        result.written += written
        result.problems += problems  # e.g. a leak the public-edition scan found: the old site stays
    return result


def gather_provenance(library: Library, views: list[SchoolView]) -> Provenance:
    """What the outputs say about their sources, from one git call over every content file.

    A bundle's source is the newest commit among its own inputs, not HEAD: a commit that edits
    one school re-renders that school's bundle only, so unrelated commits leave the other
    covers, and the cache, untouched.
    """
    head, logs, recent = history.content_history(library.root, sorted(doc.path for doc in library.documents))
    fixed = fixed_epoch()
    latest = library.latest_date()
    epoch = fixed if fixed is not None else head.epoch if head else 0
    dated_by = ""
    if epoch == 0:  # neither git nor SOURCE_DATE_EPOCH: the newest date in the content, never the clock
        epoch = int(datetime.fromisoformat(latest or "1970-01-01").replace(tzinfo=timezone.utc).timestamp())
        dated_by = "内容目录不在 git 中且未设置 SOURCE_DATE_EPOCH，日期按内容中最新的颁布或修订日期计"
    district = [library.district.path] if library.district else []
    sources = {}
    for view in views:
        inputs = {view.school.path, *district, *(applied.doc.path for applied in view.documents)}
        newest = max((logs[path][0] for path in sorted(inputs) if logs.get(path)), key=lambda c: c.epoch, default=None)
        date = epoch_date(fixed) if fixed is not None else epoch_date(newest.epoch) if newest else latest or "1970-01-01"
        sources[view.id] = Source(commit=newest.sha[:10] if newest else "", date=date)
    return Provenance(head=head.sha[:10] if head else "", epoch=epoch, date=epoch_date(epoch), dated_by=dated_by,
                      logs={path: tuple(commits) for path, commits in logs.items()},
                      recent=tuple((commit, tuple(paths)) for commit, paths in recent), sources=sources)
