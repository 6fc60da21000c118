"""`safeplan export docx` → validated library → build/docx/<school>[.action].docx, written atomically."""

from __future__ import annotations

from pathlib import Path

from safeplan.checks.library_check import check_library
from safeplan.content.vocabulary import vocabulary
from safeplan.problems import ERROR, Problem, UsageError
from safeplan.render.docx.export import school_docx
from safeplan.render.output import write_bytes
from safeplan.render.pdf.editions import BY_NAME
from safeplan.render.pdf.render_pdf import bundle_metas
from safeplan.resolve.views import resolve_school


def export_docx(root: Path, school_id: str, edition: str, audience: str) -> tuple[list[Problem], Path | None]:
    """Problems that block the export (nothing is written then), or the written file."""
    library, problems = check_library(root)
    if any(p.severity == ERROR for p in problems):
        return problems, None
    school = library.get("school", school_id)
    if school is None:
        known = "、".join(sorted(s.id for s in library.schools)[:12])
        raise UsageError(f"没有编号为“{school_id}”的学校。已有的学校：{known}")
    view = resolve_school(library, school, audience)
    meta = bundle_metas(root, library, [view])[view.id]  # the same cover date and source commit as the PDF
    target = root / "build" / "docx" / f"{view.id}{BY_NAME[edition].suffix}.docx"
    write_bytes(target, school_docx(view, meta, vocabulary(), edition))
    return problems, target
