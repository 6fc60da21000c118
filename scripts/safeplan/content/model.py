"""Content types: Document and Library, the data every later stage reads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# kind → (folder or file relative to the root, file suffixes); labels are in vocabulary.py
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "district": ("district.yaml", (".yaml",)),
    "school": ("schools", (".yaml",)),
    "plan": ("plans", (".md",)),
    "checklist": ("checklists", (".yaml",)),
    "drill": ("drills", (".md",)),
    "note": ("notes", (".md",)),
    "card": ("cards", (".yaml",)),
    "config": ("safeplan.yaml", (".yaml",)),
    "workflow": ("workflow.yaml", (".yaml",)),
    "record": ("records", (".yaml",)),  # not a kind of its own: record_kind() names it from the path
}

# records/<school>/<folder>/<year>/<id>.yaml: what a school did (internal only, never deleted)
RECORD_FOLDERS = {"hazards": "hazard", "drills": "drill_record", "incidents": "incident"}
RECORD_KINDS = tuple(RECORD_FOLDERS.values())


def record_kind(rel: str) -> str | None:
    """The kind of a path under records/, or None when it is not where a record belongs."""
    parts = rel.split("/")
    if len(parts) == 5 and parts[0] == KINDS["record"][0] and parts[3].isdigit() and len(parts[3]) == 4:
        return RECORD_FOLDERS.get(parts[2])
    return None


# Documents with their own section of the site, which other documents may reference.
SECTION_KINDS = ("plan", "checklist", "drill", "note")
# Documents that go through the review workflow (schools and the district are data); a plan's
# emergency cards are reviewed like it but shown with it, not in a section of their own.
WORKFLOW_KINDS = SECTION_KINDS + ("card",)

# A section kind's folder: where its files live, its key under `references`, its section of the site.
FOLDERS = {kind: KINDS[kind][0] for kind in SECTION_KINDS}
REFERENCE_KINDS = {folder: kind for kind, folder in FOLDERS.items()}

REVIEWED = "reviewed"  # the revision reason of a review that left the content as it was (next_review moves on)

# How an editor numbers a heading by hand: 第一章, 一、, 1. or 1.1 followed by a space, （一）. A number must end
# in a mark or a space, so that 2020年… and 1.5倍… are not taken for numbered headings.
HEADING_NUMBER = re.compile(r"^(第[一二三四五六七八九十]+[章节部分]|[一二三四五六七八九十]+[、.．]"
                            r"|[0-9]+(\.[0-9]+)*(?:[、．]|\.(?![0-9])|\s)|[（(][一二三四五六七八九十0-9]+[)）])\s*")


def heading_text(title: str) -> str:
    """'一、总则' and '1.1 适用范围' → '总则' and '适用范围': a heading without the number its editor gave it."""
    return HEADING_NUMBER.sub("", title.strip(), count=1).strip()


def map_strings(value, function):
    """The same nested structure with `function` applied to every string in it."""
    if isinstance(value, str):
        return function(value)
    if isinstance(value, list):
        return [map_strings(item, function) for item in value]
    if isinstance(value, dict):
        return {key: map_strings(item, function) for key, item in value.items()}
    return value


def iter_strings(value, pointer: str = ""):
    """(JSON pointer, text) for every string in a nested structure."""
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_strings(item, f"{pointer}/{index}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from iter_strings(item, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")


@dataclass
class Section:
    """A Markdown heading and the text below it, up to the next heading of any level."""

    level: int
    title: str
    line: int
    text: str


@dataclass
class Document:
    kind: str
    path: str  # relative to the content root, with forward slashes
    data: dict
    positions: dict[str, tuple[int, int]]  # JSON pointer → (line, column), 1-based
    body: str = ""
    body_line: int = 0  # line number of the body's first line in the file
    sections: list[Section] = field(default_factory=list)
    source_sha: str = ""  # sha256 of the raw bytes, for caches
    schema_problems: list | None = field(default=None, repr=False, compare=False)  # memo for validate

    @property
    def id(self) -> str:
        value = self.data.get("id")
        return value if isinstance(value, str) else ""

    @property
    def title(self) -> str:
        return str(self.data.get("title") or self.data.get("name") or self.id)

    def position(self, pointer: str) -> tuple[int, int]:
        """Best position for a JSON pointer: the pointer itself or its nearest ancestor."""
        while True:
            if pointer in self.positions:
                return self.positions[pointer]
            if not pointer:
                return (1, 1)
            pointer = pointer.rsplit("/", 1)[0]

    def references(self) -> list[tuple[str, str, str]]:
        """(kind, id, JSON pointer) for every reference this document makes."""
        refs = self.data.get("references") or {}
        found = []
        if isinstance(refs, dict):
            for key, kind in REFERENCE_KINDS.items():
                for index, target in enumerate(refs.get(key) or []):
                    if isinstance(target, str):
                        found.append((kind, target, f"/references/{key}/{index}"))
        return found


@dataclass
class Asset:
    """One entry of a folder the site copies (assets/, site-assets/), as the loader found it on disk."""

    path: str  # relative to the content root
    kind: str  # "file", "symlink", "folder-link" (a symlinked folder, never entered) or "special" (FIFO, device…)
    size: int = 0
    head: bytes = b""  # the first bytes, enough for the magic number of an image
    target: str = ""  # where a symlink points


@dataclass
class SiteConfig:
    """mkdocs.yml as loaded by the loader's safe YAML loader: data, positions and the folder it belongs to."""

    path: str  # as shown in problems: relative to the content root, or absolute for the tool's own template
    folder: Path  # the repository the file belongs to; its paths must stay inside
    data: dict
    positions: dict[str, tuple[int, int]]

    def position(self, pointer: str) -> tuple[int, int]:
        while pointer not in self.positions and pointer:
            pointer = pointer.rsplit("/", 1)[0]
        return self.positions.get(pointer, (1, 1))


@dataclass(frozen=True)
class Owners:
    """Who may approve a document, and the file that lists them."""

    source: Document | None  # a school's file or district.yaml; None when the library has neither
    people: dict[str, dict]  # owner id → owner

    @property
    def handles(self) -> list[str]:
        """Their code-host accounts, as CODEOWNERS names them."""
        found = (owner.get("handle") for owner in self.people.values())
        return sorted({h for h in found if isinstance(h, str) and h.startswith("@")})


@dataclass
class Library:
    root: Path
    documents: list[Document]
    site_config: SiteConfig | None = None  # None when it could not be loaded (the loader reported why)
    assets: list[Asset] = field(default_factory=list)  # assets/: images the content shows
    site_assets: list[Asset] = field(default_factory=list)  # the root's own site-assets/, when it has one

    def __post_init__(self) -> None:
        self.by_id: dict[tuple[str, str], Document] = {}
        self.by_kind: dict[str, list[Document]] = {}
        self.records: dict[tuple[str, str], list[Document]] = {}  # (kind, school) → records in the school's folder
        for doc in self.documents:
            self.by_id.setdefault((doc.kind, doc.id), doc)
            self.by_kind.setdefault(doc.kind, []).append(doc)
            if doc.kind in RECORD_KINDS and doc.data.get("school") == doc.path.split("/")[1]:
                self.records.setdefault((doc.kind, doc.data["school"]), []).append(doc)

    def of_kind(self, kind: str) -> list[Document]:
        return list(self.by_kind.get(kind, ()))

    def get(self, kind: str, doc_id: str) -> Document | None:
        return self.by_id.get((kind, doc_id))

    @property
    def district(self) -> Document | None:
        found = self.of_kind("district")
        return found[0] if found else None

    @property
    def config(self) -> dict:
        found = self.of_kind("config")
        return found[0].data if found else {}

    @property
    def schools(self) -> list[Document]:
        return self.of_kind("school")

    def owners(self, doc: Document | None = None) -> Owners:
        """Who may approve a document: a school file's own owners; for a document that belongs to a school
        of this library (`school: <id>`), that school's; for every other document, and for None, the district's."""
        if doc is not None and doc.kind == "school":
            source = doc
        else:
            school_id = doc.data.get("school") if doc is not None and doc.kind in WORKFLOW_KINDS else None
            source = (self.get("school", school_id) if isinstance(school_id, str) else None) or self.district
        listed = (source.data.get("owners") if source else None) or []
        return Owners(source, {o["id"]: o for o in listed if isinstance(o, dict) and isinstance(o.get("id"), str)})

    def latest_date(self) -> str:
        """The newest issue or revision date written in the content ('' when there is none)."""
        dates = []
        for doc in self.documents:
            if doc.kind in WORKFLOW_KINDS:
                dates.append(doc.data.get("issued_on"))
                dates += [r.get("date") for r in doc.data.get("revisions") or [] if isinstance(r, dict)]
        return max((d for d in dates if isinstance(d, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", d)), default="")

    def referenced_by(self, doc: Document) -> list[Document]:
        """Documents whose references name this one, sorted by path."""
        return sorted(
            (other for other in self.documents
             if any(kind == doc.kind and target == doc.id for kind, target, _ in other.references())),
            key=lambda other: other.path,
        )
