"""Library → CODEOWNERS: who must review each file, from the owners of the schools and the district.

A school's owners review its school file and the documents that belong to it
(`school: <id>`); the district's owners review everything else: district.yaml,
workflow.yaml, the district's and the shared documents, and the gate's own files
(PROTECTED_PATHS). Each host reads the file from its own place in its own syntax
(`host` in safeplan.yaml): GitHub and GitLab take gitignore-like paths and the last
matching line wins, so the catch-all comes first and the gate's files last; Gitea
takes anchored Go regexps and asks every matching rule's owners, so its catch-all
excludes the schools' files.
"""

from __future__ import annotations

from pathlib import Path

from safeplan.review import history
from safeplan.review.hosts import HOSTS
from safeplan.content.model import Document, Library
from safeplan.problems import ERROR, Problem

LOCATIONS = {host: f".{host}/CODEOWNERS" for host in HOSTS}  # each host also reads ./CODEOWNERS first: keep none there
DEFAULT_HOST = "github"

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
"""
ORDER_NOTE = {
    "github": "# 同一文件匹配多行时，以最后一行为准。",
    "gitlab": "# 同一文件匹配多行时，以最后一行为准；[审核规则与发布流程] 一节另需区局负责人批准。",
    "gitea": "# 规则是 Go 正则表达式；Gitea 要求每条匹配规则的负责人批准，所以区局的规则排除了各校自己的文件。",
}
DISTRICT_NOTE = "# 区局负责人：district.yaml、workflow.yaml、区级与全区通用文档以及下面未列出的一切"
GATE_NOTE = "# 审核规则与发布流程本身（校验配置、Schema、脚本、CI）：只能由区局负责人批准，列在最后，任何学校的规则都不能覆盖"
_GO_ESCAPES = {**{c: "\\\\" + c for c in ".+*?()|[]{}^$"}, "\\": "\\" * 4, " ": "\\ ", "#": "\\#"}


def host_of(library: Library) -> str:
    """The host the repository lives on: `host` in safeplan.yaml, GitHub when unset."""
    return library.config.get("host") or DEFAULT_HOST


def _gitea_pattern(path: str) -> str:
    """A repository path (a folder ends in "/") as Gitea's regexp, written the way its tokenizer unescapes."""
    escaped = "".join(_GO_ESCAPES.get(c, c) for c in path)
    return escaped + ".*" if path.endswith("/") else escaped


def render(library: Library, prefix: str = "", host: str = DEFAULT_HOST) -> str:
    """The CODEOWNERS text for `host`; `prefix` is the content root's folder inside the repository."""
    district = " ".join(library.owners().handles)
    schools = []  # (heading, [repository paths], owners)
    own_documents: dict[str, list[Document]] = {}  # school path → the documents its owners approve, in one pass
    for doc in sorted(library.documents, key=lambda d: d.path):
        source = library.owners(doc).source
        if doc.kind != "school" and source is not None and source.kind == "school":
            own_documents.setdefault(source.path, []).append(doc)
    for school in sorted(library.schools, key=lambda s: s.id):
        handles = library.owners(school).handles
        if not handles:
            continue  # no owners of its own: the district's review covers it
        own = [school] + own_documents.get(school.path, [])
        schools.append((school.data.get("name", school.id), [f"{prefix}{doc.path}" for doc in own], " ".join(handles)))
    path = _gitea_pattern if host == "gitea" else (lambda p: "/" + p)
    lines = [HEADER + ORDER_NOTE[host]]
    if district:
        catch_all = ".*"
        if host == "gitea" and schools:
            catch_all = "!(" + "|".join(_gitea_pattern(p) for _, paths, _ in schools for p in paths) + ")"
        lines += ["", DISTRICT_NOTE, f"{catch_all if host == 'gitea' else '*'} {district}"]
    for heading, paths, handles in schools:
        lines += ["", f"# {heading}"] + [f"{path(p)} {handles}" for p in paths]
    if district:
        lines += ["", GATE_NOTE] + (["[审核规则与发布流程]"] if host == "gitlab" else [])
        lines += [f"{path(p)} {district}" for p in PROTECTED_PATHS]
    return "\n".join(lines) + "\n"


def repository_top(root: Path) -> Path:
    top = Path(root).resolve()
    for _ in filter(None, history.content_prefix(root).split("/")):
        top = top.parent
    return top


def expected(library: Library, host: str | None = None) -> tuple[Path, str]:
    """Where the host reads CODEOWNERS and what it must say."""
    root, host = Path(library.root), host or host_of(library)
    return repository_top(root) / LOCATIONS[host], render(library, history.content_prefix(root), host)


def stale(library: Library, host: str | None = None) -> list[Problem]:
    """A problem when the committed CODEOWNERS differs from what the owners lists say."""
    path, text = expected(library, host)
    shown = LOCATIONS[host or host_of(library)]
    hint = f"运行 safeplan codeowners 重新生成，并把 {shown} 一起提交。"
    if not path.is_file():
        return [Problem(shown, 1, 1, ERROR, "codeowners-stale", f"缺少 {shown}。", hint)]
    committed = path.read_text(encoding="utf-8", errors="replace")
    if committed == text:
        return []
    old, new = committed.splitlines(), text.splitlines()
    line = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new))) + 1
    expected_line = new[line - 1] if line <= len(new) else "（文件应在此结束）"
    return [Problem(shown, line, 1, ERROR, "codeowners-stale",
                    f"CODEOWNERS 已过期：第 {line} 行应为“{expected_line}”。", hint)]


def write(library: Library, host: str | None = None) -> Path:
    """Write the host's CODEOWNERS atomically; returns its path."""
    from safeplan.render.output import write_text

    path, text = expected(library, host)
    write_text(path, text)
    return path
