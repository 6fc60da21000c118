"""SiteData (what render_site gathered) → SiteIndex: what the site publishes, decided once and frozen.

Like Sphinx's environment: every page function reads the same index (which documents have a page
and where, which schools each applies to, which paths are content) through read-only mappings and
none changes it, so pages can be rendered alone, in any order. School data comes only from the SchoolViews, already redacted
for the audience.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from safeplan.content.model import FOLDERS, Library
from safeplan.content.vocabulary import Vocabulary, vocabulary
from safeplan.render.site.markup import days_between, page_name, relative, text
from safeplan.render.site.templates import template_fill
from safeplan.resolve.views import Applied, SchoolView
from safeplan.dates import chinese_date

SECTION_PAGES = FOLDERS  # each workflow kind's section of the site is named after its folder
STATUS_ORDER = ("approved", "review", "draft", "retired")


@dataclass
class Bundle:
    school: str
    file: str
    bytes: int
    pages: int
    sha256: str
    date: str
    name: str = ""
    commit: str = ""
    label: str = ""  # the edition's name (应急处置版, 表格本); "" for the full bundle
    editions: tuple["Bundle", ...] = ()  # the school's other printed editions, each its own PDF


@dataclass
class SiteData:
    """Everything the pages show, gathered by render_site."""

    library: Library
    views: list[SchoolView]
    district_docs: list[Applied]
    district: dict  # the district's data, redacted for the audience
    audience: str
    build_date: str
    commit: str
    review_due_days: int
    today: str  # the real day (dates.today), which reviews fall due against, unlike build_date
    bundles: dict[str, Bundle] = field(default_factory=dict)
    dated_by: str = ""  # why build_date is what it is, when it comes from neither git nor SOURCE_DATE_EPOCH
    histories: dict[str, list] = field(default_factory=dict)  # content path → history.Commit list
    recent: list = field(default_factory=list)  # history.recent_changes
    editor: bool = False  # the internal edition carries the web editor at /admin/ (admin_pages)
    words: Vocabulary = field(default_factory=vocabulary)  # the labels of kinds, statuses, tiers… from the schemas


@dataclass
class Entry(Applied):
    """One published document: its shown text (a school's own filled one, or the district's template) and its page."""

    page: str


@dataclass(frozen=True)
class SiteIndex:
    """What the site publishes, gathered once by gather() and read, never changed, by every page function."""

    site: SiteData
    entries: Mapping[tuple[str, str], Entry]  # (kind, id) → the published document, in path order
    applied: Mapping[tuple[str, str], tuple[tuple[SchoolView, str], ...]]  # (kind, id) → (school, why it applies)
    schools: Mapping[str, SchoolView]  # school id → its view, in the views' order
    school_pages: Mapping[str, str]  # school id → its page
    content_paths: frozenset[str]

    @classmethod
    def gather(cls, site: SiteData) -> SiteIndex:
        filled = {(a.kind, a.id): a for a in site.district_docs}
        for view in site.views:  # a document that belongs to one school shows that school's filled text
            filled.update({(a.kind, a.id): a for a in view.documents if a.doc.data.get("school") == view.id})
        entries: dict[tuple[str, str], Entry] = {}
        for doc in sorted(site.library.documents, key=lambda d: d.path):
            if doc.kind not in SECTION_PAGES or (doc.kind, doc.id) in entries:  # cards show with their plan
                continue
            if site.audience == "public" and doc.data.get("status") != "approved":
                continue  # the public site carries only what has been approved
            page = f"{SECTION_PAGES[doc.kind]}/{page_name(doc.id)}.md"
            if (doc.kind, doc.id) in filled:
                applied = filled[(doc.kind, doc.id)]
                entries[(doc.kind, doc.id)] = Entry(doc, applied.data, applied.body, applied.reason, page)
            else:  # shown as the district's template: it applies to no one school
                entries[(doc.kind, doc.id)] = Entry(doc, template_fill(doc.data, site.district),
                                                    template_fill(doc.body, site.district), "", page)
        applied: dict[tuple[str, str], list[tuple[SchoolView, str]]] = defaultdict(list)
        for view in site.views:
            for document in view.documents:
                applied[(document.kind, document.id)].append((view, document.reason))
        return cls(site=site, entries=MappingProxyType(entries),
                   applied=MappingProxyType({key: tuple(schools) for key, schools in applied.items()}),
                   schools=MappingProxyType({view.id: view for view in site.views}),
                   school_pages=MappingProxyType({view.id: f"schools/{page_name(view.id)}.md" for view in site.views}),
                   content_paths=frozenset(doc.path for doc in site.library.documents))

    @property
    def words(self) -> Vocabulary:
        return self.site.words

    def of_kind(self, kind: str) -> list[Entry]:
        """The published documents of a kind: by tier, then number, then id."""
        return sorted((e for e in self.entries.values() if e.kind == kind),
                      key=lambda e: (self.words.tier_rank(e.data.get("tier")), str(e.data.get("number") or "~"), e.doc.id))

    def reviewable(self) -> list[Entry]:
        """Documents with a review date that still counts (not retired), the soonest first."""
        return sorted((e for e in self.entries.values() if e.data.get("next_review") and e.data.get("status") != "retired"),
                      key=lambda e: (str(e.data["next_review"]), e.page))

    def link_doc(self, source: str, kind: str, doc_id: str) -> str:
        entry = self.entries.get((kind, doc_id))
        if entry is None:
            return f"{text(doc_id)}（未发布）"
        return f"[{text(entry.title)}]({relative(source, entry.page)})"

    def link_school(self, source: str, school_id: str) -> str:
        return f"[{text(self.schools[school_id].data.get('name'))}]({relative(source, self.school_pages[school_id])})"

    def link_path(self, source: str, path: str) -> str:
        """A content path (from git history) → a link to its page, or the path as code."""
        for entry in self.entries.values():
            if entry.doc.path == path:
                return f"[{text(entry.title)}]({relative(source, entry.page)})"
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if path.startswith("schools/") and stem in self.school_pages:
            return self.link_school(source, stem)
        return f"`{path}`" if "`" not in path else text(path)

    def bundle_link(self, source: str, school_id: str, label: str = "PDF") -> str:
        bundle = self.site.bundles.get(school_id)
        if not bundle:
            return ""
        return f"[{label}]({relative(source, 'downloads/' + bundle.file)})"

    def status(self, data: dict, result: bool = False) -> str:
        """The status label; `result`: also the one search results show for this page (Pagefind metadata)."""
        value = data.get("status", "")
        found = f' data-pagefind-meta="status, status_id:{value}"' if result else ""
        return f'<span class="sp-status sp-status--{value}"{found}>{text(self.words.status(value))}</span>'

    def review_cell(self, value) -> str:
        if not value:
            return "—"
        left = days_between(self.site.today, str(value))
        if left < 0:
            return f'{text(chinese_date(value))} <span class="sp-overdue">已超期 {-left} 天</span>'
        return text(chinese_date(value))
