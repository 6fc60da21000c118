"""Library → CODEOWNERS: who must review each file, from the owners of the schools and the district.

A school's owners review its school file and the documents that belong to it
(`school: <id>`); the district's owners review everything else: district.yaml,
workflow.yaml, the district's and the shared documents, schemas, scripts, CI.
GitHub uses the last matching line, so the catch-all comes first.
"""

from __future__ import annotations

from pathlib import Path

from . import history
from .model import WORKFLOW_KINDS, Document, Library
from .problems import ERROR, Problem

RELATIVE_PATH = ".github/CODEOWNERS"

# The gate's own files: whatever decides if a change may land, on every host. A pull request that
# touches one needs the district owners' review (`protected-file` in the workflow check). A folder ends in "/".
PROTECTED_PATHS = (
    "safeplan.yaml", "workflow.yaml", "mkdocs.yml", "pyproject.toml", "Makefile",
    ".pre-commit-config.yaml", ".pre-commit-hooks.yaml", ".gitlab-ci.yml",
    "schemas/", "scripts/", "site-assets/", ".ci/", ".github/", ".gitea/", ".gitlab/",
)


def is_protected(path: str) -> bool:
    """True for a repository-relative path that belongs to the gate itself."""
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in PROTECTED_PATHS)

HEADER = """\
# 由 `safeplan codeowners` 根据 district.yaml 和 schools/*.yaml 中的 owners 生成，请勿手工修改。
# 负责人有变化时，先改 owners，再运行 safeplan codeowners 并提交本文件；CI 会检查它是否过期。
# 同一文件匹配多行时，以最后一行为准。
"""


def _handles(doc: Document | None) -> list[str]:
    owners = (doc.data.get("owners") if doc else None) or []
    handles = [o.get("handle") for o in owners if isinstance(o, dict)]
    return sorted({h for h in handles if isinstance(h, str) and h.startswith("@")})


def render(library: Library, prefix: str = "") -> str:
    """The CODEOWNERS text; `prefix` is the content root's folder inside the repository."""
    district = _handles(library.district)
    lines = [HEADER]
    if district:
        lines.append("# 区局负责人：district.yaml、workflow.yaml、区级与全区通用文档、schemas/、scripts/、.github/ 以及下面未列出的一切")
        lines.append(f"* {' '.join(district)}")
    own_documents: dict[str, list[Document]] = {}  # school id → its own documents, in one pass
    for doc in sorted(library.documents, key=lambda d: d.path):
        if doc.kind in WORKFLOW_KINDS and isinstance(doc.data.get("school"), str):
            own_documents.setdefault(doc.data["school"], []).append(doc)
    for school in sorted(library.schools, key=lambda s: s.id):
        handles = _handles(school)
        if not handles:
            continue  # no owners of its own: the district's review covers it
        own = [school] + own_documents.get(school.id, [])
        lines.append("")
        lines.append(f"# {school.data.get('name', school.id)}")
        lines += [f"/{prefix}{doc.path} {' '.join(handles)}" for doc in own]
    return "\n".join(lines) + "\n"


def repository_top(root: Path) -> Path:
    top = Path(root).resolve()
    for _ in filter(None, history.content_prefix(root).split("/")):
        top = top.parent
    return top


def expected(library: Library) -> tuple[Path, str]:
    """Where CODEOWNERS belongs and what it must say."""
    root = Path(library.root)
    return repository_top(root) / RELATIVE_PATH, render(library, history.content_prefix(root))


def stale(library: Library) -> list[Problem]:
    """A problem when the committed CODEOWNERS differs from what the owners lists say."""
    path, text = expected(library)
    shown = Path(RELATIVE_PATH).as_posix()
    hint = "运行 safeplan codeowners 重新生成，并把 .github/CODEOWNERS 一起提交。"
    if not path.is_file():
        return [Problem(shown, 1, 1, ERROR, "codeowners-stale", "缺少 .github/CODEOWNERS。", hint)]
    committed = path.read_text(encoding="utf-8", errors="replace")
    if committed == text:
        return []
    old, new = committed.splitlines(), text.splitlines()
    line = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new))) + 1
    expected_line = new[line - 1] if line <= len(new) else "（文件应在此结束）"
    return [Problem(shown, line, 1, ERROR, "codeowners-stale",
                    f"CODEOWNERS 已过期：第 {line} 行应为“{expected_line}”。", hint)]


def write(library: Library) -> Path:
    """Write CODEOWNERS atomically; returns its path."""
    from .output import write_text

    path, text = expected(library)
    write_text(path, text)
    return path
