"""Library + SchoolViews → the site's Markdown pages (path → text), independent of the builder.

Every page of the website is generated here, as plain Markdown plus a little
HTML, into a folder that `mkdocs.yml`'s docs_dir points to; MkDocs (or any
builder that reads mkdocs.yml, such as Zensical) only turns them into HTML.

Nothing from content is trusted as markup: YAML values go through `text()`
(escaped for Markdown and HTML), bodies through sanitize.markdown_to_safe_html,
whose HTML is split at its headings so the headings stay Markdown (table of
contents, anchors, search sections) and the rest is inserted as raw HTML.
School data comes only from the SchoolViews, already redacted for the audience.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from safeplan.content.model import FOLDERS, WORKFLOW_KINDS, Document, Library
from safeplan.resolve.views import Applied, SchoolView
from safeplan.content.sanitize import markdown_to_safe_html
from safeplan.content.schemas import common_definition, schema_for, schema_steps, school_field_labels
from safeplan.content.templating import PlaceholderError, fill
from safeplan.content.vocabulary import Vocabulary, vocabulary

SECTION_PAGES = FOLDERS  # each workflow kind's section of the site is named after its folder
STATUS_ORDER = ("approved", "review", "draft", "retired")


def titled(title: str, tags: list[str] = ()) -> list[str]:
    """Front matter and h1 for a page whose title comes from content.

    The theme prints page titles into <title> and the header without escaping them (and its
    striptags filter unescapes the h1 text), so the front matter carries the title already
    HTML-escaped; the h1 is escaped Markdown.
    """
    lines = ["---", f"title: {_yaml_string(html.escape(title))}"]
    if tags:
        lines += ["tags:", *(f"  - {_yaml_string(html.escape(tag))}" for tag in tags)]
    return lines + ["---", "", f"# {text(title)}", ""]


def unsearched(title: str, anchor: str) -> str:
    """An h2 whose section stays out of the search index (lists of links, tables of dates)."""
    return f"## {title} {{ #{anchor} data-search-exclude }}"


# ---------------------------------------------------------------- Markdown text

_MD_ESCAPE = re.compile(r"([\\`*_{}\[\]()#|!])")


def text(value) -> str:
    """A plain value → inline Markdown that shows exactly that text and nothing else."""
    if value is None:
        return ""
    escaped = html.escape(str(value), quote=False)
    escaped = _MD_ESCAPE.sub(r"\\\1", escaped)
    return re.sub(r"\s*\n\s*", "<br>", escaped.strip())


def page_name(identifier: str) -> str:
    """A page's file name; `index` is the section's own page, and ids never start with '_'."""
    return "_index" if identifier == "index" else identifier


def table(headers: list[str], rows: list[list[str]], css: str = "") -> str:
    """A Markdown table; cells are Markdown already (use text() for values)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell if cell.strip() else " " for cell in row) + " |" for row in rows]
    body = "\n".join(lines)
    return f'<div class="{css}" markdown="1" data-search-exclude>\n\n{body}\n\n</div>' if css else body


def relative(source: str, target: str) -> str:
    """The link from one page to another (paths relative to the docs folder, anchors kept)."""
    path, _, anchor = target.partition("#")
    link = _relpath(path, posixpath.dirname(source)) if path else ""
    return link + (f"#{anchor}" if anchor else "")


@lru_cache(maxsize=65536)
def _relpath(path: str, folder: str) -> str:  # cached: relpath asks the OS for the working directory each time
    return posixpath.relpath(path, folder or ".")


def days_between(first: str, second: str) -> int:
    return (date.fromisoformat(second) - date.fromisoformat(first)).days


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{year} 年 {int(number)} 月"


def size_label(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, round(size / 1024))} KB"


# ---------------------------------------------------------------- bodies

_HEADING = re.compile(r"<h([1-6])[^>]*>(.*?)</h\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_CONTENT_IMAGE = re.compile(r'(<img [^>]*src=")(assets/[^"]+)"')


def body_markdown(body: str, page: str) -> str:
    """A filled body → Markdown headings with sanitised HTML between them."""
    if not body.strip():
        return ""
    safe = markdown_to_safe_html(body)
    # content images live in the repository's assets/ (copied to the site's assets/). MkDocs rewrites no link in
    # raw HTML, so point at them from where the page is served (use_directory_urls: plans/fire.md → plans/fire/)
    stem = page.removesuffix(".md")
    served = posixpath.dirname(stem) if posixpath.basename(stem) == "index" else stem
    safe = _CONTENT_IMAGE.sub(lambda m: f'{m.group(1)}{_relpath(m.group(2), served)}"', safe)
    parts, position = [], 0
    for match in _HEADING.finditer(safe):
        parts.append(_raw(safe[position:match.start()]))
        title = html.unescape(_TAG.sub("", match.group(2))).strip()
        parts.append(f"{'#' * max(2, int(match.group(1)))} {text(title)}")
        position = match.end()
    parts.append(_raw(safe[position:]))
    return "\n\n".join(part for part in parts if part)


def _raw(fragment: str) -> str:
    fragment = fragment.strip()
    return f'<div class="sp-text">\n{fragment}\n</div>' if fragment else ""


# ---------------------------------------------------------------- district templates

_PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_STATEMENT = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.S)
_TOP_LABELS = {"name": "学校名称", "short_name": "学校简称", "address": "学校地址", "town": "所在镇（街道）", "kind": "学校类型"}
_LEAF_LABELS = {"name": "姓名", "title": "职务", "mobile": "手机", "office_phone": "办公电话", "phone": "电话"}
_LABEL_END = re.compile(r"[，。；、:：]")
_BRACKETS = re.compile(r"（[^）]*）|\([^)]*\)")


class Placeholder:
    """Stands in for school data when a school-level document is shown as a district template."""

    __slots__ = ("_path",)

    def __init__(self, path: tuple):
        self._path = path

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return Placeholder(self._path + (name,))

    def __getitem__(self, key):
        return Placeholder(self._path + (key,))

    def __iter__(self):
        yield Placeholder(self._path + ("*",))

    def __len__(self) -> int:
        return 1

    def __str__(self) -> str:
        return f"〔{placeholder_label(self._path)}〕"


@lru_cache(maxsize=None)
def placeholder_label(path: tuple) -> str:
    """('school', 'organisation', 'principal', 'name') → 校长姓名, from the school schema."""
    steps = path[1:]
    if not steps:
        return "学校"
    if len(steps) == 1 and steps[0] in _TOP_LABELS:
        return _TOP_LABELS[steps[0]]
    words = []
    for step, node in zip(steps, schema_steps("school", steps)):
        if node is None:
            return "·".join(str(s) for s in steps)
        label = _describe(node, step)
        if (isinstance(step, int) or step == "*") and words:
            words[-1] = label + words[-1]  # 第1个应急集合点, 各疏散路线
        else:
            words.append(label)
    if steps[-1] in _LEAF_LABELS and len(words) > 1:
        leaf = "名称" if steps[-1] == "name" and steps[0] != "organisation" else _LEAF_LABELS[steps[-1]]
        return words[-2] + leaf
    return words[-1]


def _describe(node: dict, step) -> str:
    if isinstance(step, int):
        return f"第{step + 1}个"
    if step == "*":
        return "各"
    described = node.get("title") or node.get("description") or str(step)
    return _LABEL_END.split(_BRACKETS.sub("", described), 1)[0].strip() or str(step)


def template_fill(value, district: dict):
    """Fill a school-level document with readable placeholders, e.g. 〔校长姓名〕, and the district's data."""
    if isinstance(value, list):
        return [template_fill(item, district) for item in value]
    if isinstance(value, dict):
        return {key: template_fill(item, district) for key, item in value.items()}
    if not isinstance(value, str):
        return value
    try:
        return fill(value, {"school": Placeholder(("school",)), "district": district})
    except PlaceholderError:  # an expression that needs real values: show it, readably
        shown = _PLACEHOLDER.sub(lambda m: f"〔{_expression_label(m.group(1))}〕", value)
        return _STATEMENT.sub("", shown)


def _expression_label(expression: str) -> str:
    found = re.match(r"school((?:\.[a-z_]+|\[\d+\])+)", expression)
    if not found:
        return expression
    steps = tuple(int(s[1:-1]) if s.startswith("[") else s for s in re.findall(r"\.[a-z_]+|\[\d+\]", found.group(1)))
    return placeholder_label(("school",) + tuple(s.lstrip(".") if isinstance(s, str) else s for s in steps))


# ---------------------------------------------------------------- the site

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
    words: Vocabulary = field(default_factory=vocabulary)  # the labels of kinds, statuses, tiers… from the schemas


@dataclass
class Entry:
    """One published document: what its page shows."""

    doc: Document
    data: dict
    body: str
    page: str

    @property
    def kind(self) -> str:
        return self.doc.kind

    @property
    def title(self) -> str:
        return str(self.data.get("title") or self.doc.id)


class Site:
    def __init__(self, site: SiteData):
        self.site = site
        self.words = site.words
        self.pages: dict[str, str] = {}
        filled = {(a.kind, a.id): a for a in site.district_docs}
        for view in site.views:  # a document that belongs to one school shows that school's filled text
            filled.update({(a.kind, a.id): a for a in view.documents if a.doc.data.get("school") == view.id})
        self.entries: dict[tuple[str, str], Entry] = {}
        for doc in sorted(site.library.documents, key=lambda d: d.path):
            if doc.kind not in WORKFLOW_KINDS or (doc.kind, doc.id) in self.entries:
                continue
            if site.audience == "public" and doc.data.get("status") != "approved":
                continue  # the public site carries only what has been approved
            page = f"{SECTION_PAGES[doc.kind]}/{page_name(doc.id)}.md"
            if (doc.kind, doc.id) in filled:
                applied = filled[(doc.kind, doc.id)]
                self.entries[(doc.kind, doc.id)] = Entry(doc, applied.data, applied.body, page)
            else:
                data = template_fill(doc.data, site.district)
                self.entries[(doc.kind, doc.id)] = Entry(doc, data, template_fill(doc.body, site.district), page)
        self.applied: dict[tuple[str, str], list[tuple[SchoolView, str]]] = defaultdict(list)
        for view in site.views:
            for applied in view.documents:
                self.applied[(applied.kind, applied.id)].append((view, applied.reason))
        self.school_pages = {view.id: f"schools/{page_name(view.id)}.md" for view in site.views}
        self.content_paths = {doc.path for doc in site.library.documents}

    # ------------------------------------------------------------ helpers

    def of_kind(self, kind: str) -> list[Entry]:
        return sorted((e for e in self.entries.values() if e.kind == kind), key=self._order)

    def _order(self, entry: Entry):
        return (self.words.tier_rank(entry.data.get("tier")), str(entry.data.get("number") or "~"), entry.doc.id)

    def link_doc(self, source: str, kind: str, doc_id: str) -> str:
        entry = self.entries.get((kind, doc_id))
        if entry is None:
            return f"{text(doc_id)}（未发布）"
        return f"[{text(entry.title)}]({relative(source, entry.page)})"

    def link_path(self, source: str, path: str) -> str:
        """A content path (from git history) → a link to its page, or the path as code."""
        for entry in self.entries.values():
            if entry.doc.path == path:
                return f"[{text(entry.title)}]({relative(source, entry.page)})"
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if path.startswith("schools/") and stem in self.school_pages:
            view = next(v for v in self.site.views if v.id == stem)
            return f"[{text(view.data.get('name'))}]({relative(source, self.school_pages[stem])})"
        return f"`{path}`" if "`" not in path else text(path)

    def status(self, data: dict) -> str:
        value = data.get("status", "")
        return f'<span class="sp-status sp-status--{value}">{text(self.words.status(value))}</span>'

    def review_cell(self, value) -> str:
        if not value:
            return "—"
        left = days_between(self.site.today, str(value))
        if left < 0:
            return f'{text(value)} <span class="sp-overdue">已超期 {-left} 天</span>'
        return text(value)

    def bundle_link(self, source: str, school_id: str, label: str = "PDF") -> str:
        bundle = self.site.bundles.get(school_id)
        if not bundle:
            return ""
        return f"[{label}]({relative(source, 'downloads/' + bundle.file)})"

    # ------------------------------------------------------------ all pages

    def build(self) -> dict[str, str]:
        self.pages["index.md"] = self.dashboard()
        for kind in SECTION_PAGES:
            self.pages[f"{SECTION_PAGES[kind]}/index.md"] = getattr(self, f"{kind}_index")()
        for entry in self.entries.values():
            self.pages[entry.page] = self.document_page(entry)
        self.pages["schools/index.md"] = self.schools_index()
        for view in self.site.views:
            self.pages[self.school_pages[view.id]] = self.school_page(view)
        self.pages["downloads.md"] = self.downloads()
        self.pages["tags.md"] = "# 标签\n\n按标签查看相关的预案、清单与演练指南。\n\n<!-- material/tags -->\n"
        return dict(sorted(self.pages.items()))

    # ------------------------------------------------------------ dashboard

    def dashboard(self) -> str:
        site, source = self.site, "index.md"
        lines = titled(f"{site.district.get('name') or ''}校园安全预案库")
        stamp = f"数据截至 {site.build_date}" + (f"（提交 `{site.commit}`）" if site.commit else f"（{site.dated_by}）" if site.dated_by else "")
        lines.append(f"{stamp}。共 {len(self.entries)} 份文档、{len(site.views)} 所学校。")
        lines += self.overdue_line(source)
        if site.audience == "public":
            lines += ["", "!!! info \"公开版\"", "    本站为公开版：个人手机号等内部信息已隐去。"]
        lines += ["", "## 文档状态 {#status}", ""]
        rows = []
        for kind in SECTION_PAGES:
            entries = self.of_kind(kind)
            counts = [sum(1 for e in entries if e.data.get("status") == s) for s in STATUS_ORDER]
            rows.append([f"[{self.words.kind(kind)}]({relative(source, SECTION_PAGES[kind] + '/index.md')})",
                         *(str(c) if c else "—" for c in counts), str(len(entries))])
        lines.append(table(["类型", *(self.words.status(s) for s in STATUS_ORDER), "合计"], rows))

        lines += ["", "## 按突发事件类别 {#categories}", ""]
        plans = self.of_kind("plan")
        rows = []
        for category, anchor in self.words.categories.items():
            found = [e for e in plans if e.data.get("category") == category]
            counts = [sum(1 for e in found if e.data.get("tier") == tier) for tier in self.words.tiers]
            rows.append([f"[{category}]({relative(source, 'plans/index.md#category-' + anchor)})",
                         *(str(c) if c else "—" for c in counts), str(len(found))])
        lines.append(table(["类别", *self.words.tiers, "合计"], rows))

        due, overdue = [], []
        for entry in self.reviewable():
            value = entry.data["next_review"]
            left = days_between(site.today, str(value))
            row = [f"[{text(entry.title)}]({relative(source, entry.page)})", self.words.kind(entry.kind), text(value)]
            if left < 0:
                overdue.append(row + [f"{-left} 天"])
            elif left <= site.review_due_days:
                due.append(row + [f"{left} 天"])
        lines += ["", "## 评审提醒 {#reviews}", "",
                  f"以 {site.today} 为准：下次评审日期已过的文档，以及 {site.review_due_days} 天内到期的文档。", "",
                  "### 已超期 {#overdue}", ""]
        lines.append(table(["文档", "类型", "下次评审", "超期"], overdue) if overdue else "没有超期未评审的文档。")
        lines += ["", f"### {site.review_due_days} 天内到期 {{#due}}", ""]
        lines.append(table(["文档", "类型", "下次评审", "剩余"], due) if due else f"{site.review_due_days} 天内没有到期的评审。")

        lines += self.recent_revisions(source) if site.audience == "public" else self.recent_commits(source)
        return "\n".join(lines) + "\n"

    def recent_revisions(self, source: str) -> list[str]:
        """The public edition's 'what changed': revision records, which a reviewer approved, never commits."""
        rows = sorted(((str(r.get("date") or ""), entry, r) for entry in self.entries.values()
                       for r in entry.data.get("revisions") or [] if isinstance(r, dict)),
                      key=lambda row: (row[0], row[1].page), reverse=True)[:15]
        lines = ["", "## 最近修订 {#recent}", ""]
        lines.append(table(["日期", "文档", "版本", "修订原因", "修订内容"], [
            [text(date), f"[{text(entry.title)}]({relative(source, entry.page)})", text(r.get("version")),
             text(self.words.revision_reason(r.get("reason"))), text(r.get("summary"))]
            for date, entry, r in rows]) if rows else "暂无修订记录。")
        return lines

    def recent_commits(self, source: str) -> list[str]:
        site = self.site
        lines = ["", "## 最近修改 {#recent}", ""]
        recent = [(commit, [p for p in paths if self.is_content(p)]) for commit, paths in site.recent]
        recent = [(commit, paths) for commit, paths in recent if paths][:15]
        if recent:
            rows = []
            for commit, paths in recent:
                shown = [self.link_path(source, p) for p in paths[:5]]
                more = f" 等 {len(paths)} 个文件" if len(paths) > 5 else ""
                rows.append([commit.date, text(commit.author), text(commit.message), "、".join(shown) + more])
            lines.append(table(["日期", "作者", "说明", "涉及文档"], rows))
        else:
            lines.append("没有内容修改的 git 历史（内容目录不在 git 仓库中，或尚无提交）。")
        return lines

    def reviewable(self) -> list[Entry]:
        """Documents with a review date that still counts (not retired), the soonest first."""
        return sorted((e for e in self.entries.values() if e.data.get("next_review") and e.data.get("status") != "retired"),
                      key=lambda e: (str(e.data["next_review"]), e.page))

    def overdue_line(self, source: str) -> list[str]:
        """One warning at the top of the dashboard naming every overdue review, oldest first."""
        overdue = [e for e in self.reviewable() if days_between(self.site.today, str(e.data["next_review"])) < 0]
        if not overdue:
            return []
        named = "；".join(f"[{text(e.title)}]({relative(source, e.page)})（{text(e.data['next_review'])}）" for e in overdue)
        return ["", f'!!! warning "{len(overdue)} 份文档超期未评审（截至 {self.site.today}）"',
                f"    {named}。详见[评审提醒](#overdue)。"]

    def is_content(self, path: str) -> bool:
        return path in self.content_paths

    # ------------------------------------------------------------ indexes

    def _entry_rows(self, source: str, entries: list[Entry], extra=lambda e: []) -> list[list[str]]:
        return [[f"[{text(e.title)}]({relative(source, e.page)})", *extra(e), text(e.data.get("number") or "—"),
                 self.status(e.data)] for e in entries]

    def plan_index(self) -> str:
        source, plans = "plans/index.md", self.of_kind("plan")
        level = {"district": "区级", "school": "学校"}
        lines = ["# 应急预案", "",
                 "学校预案在这里显示为区局统一的模板，〔〕中的内容由各校数据填写；"
                 f"各校填好的版本见[学校]({relative(source, 'schools/index.md')})页面的预案汇编。", "",
                 "## 按突发事件类别 {#by-category}"]
        for category, anchor in self.words.categories.items():
            found = [e for e in plans if e.data.get("category") == category]
            lines += ["", f"### {category} {{#category-{anchor}}}", ""]
            lines.append(table(["预案", "层级", "级别", "编号", "状态"], self._entry_rows(
                source, found, lambda e: [text(e.data.get("tier")), level.get(e.data.get("level"), "")]))
                if found else "暂无。")
        lines += ["", "## 按层级 {#by-tier}"]
        groups = [("区级预案", "tier-district", [e for e in plans if e.data.get("level") == "district"])]
        groups += [(tier, f"tier-{anchor}", [e for e in plans if e.data.get("tier") == tier and e.data.get("level") != "district"])
                   for tier, anchor in self.words.tiers.items()]
        for heading, anchor, found in groups:
            lines += ["", f"### {heading} {{#{anchor}}}", ""]
            lines.append(table(["预案", "类别", "编号", "状态"], self._entry_rows(
                source, found, lambda e: [text(e.data.get("category"))])) if found else "暂无。")
        return "\n".join(lines) + "\n"

    def checklist_index(self) -> str:
        source, checklists = "checklists/index.md", self.of_kind("checklist")
        lines = ["# 排查清单", "", "每张清单打印出来就是一张排查记录表（含学校、日期、检查人和检查结果、隐患描述、签名栏）。"]

        def group(heading: str, anchor: str, key, order=None):
            buckets: dict[str, list[Entry]] = defaultdict(list)
            for entry in checklists:
                for value in key(entry):
                    buckets[value].append(entry)
            names = [name for name in (order or sorted(buckets)) if name in buckets]
            lines.extend(["", f"## {heading} {{#{anchor}}}"])
            for index, name in enumerate(names, 1):
                label = self.words.frequencies.get(name, name)
                lines.extend(["", f"### {text(label)} {{#{anchor}-{index}}}", ""])
                lines.append(table(["清单", "编号", "状态"], self._entry_rows(source, buckets[name])))
            if not names:
                lines.extend(["", "暂无。"])

        group("按排查人岗位", "by-role", lambda e: [e.data.get("role", "")], _schema_enum("checklist", "role"))
        group("按排查频次", "by-frequency", lambda e: [e.data.get("frequency", "")], list(self.words.frequencies))
        group("按重点领域", "by-area", lambda e: e.data.get("areas") or [], _schema_enum("checklist", "areas"))
        group("按重点时段", "by-period", lambda e: e.data.get("periods") or [], _schema_enum("checklist", "periods"))
        group("按重要时节", "by-season", lambda e: e.data.get("seasons") or [], _schema_enum("checklist", "seasons"))
        return "\n".join(lines) + "\n"

    def drill_index(self) -> str:
        source, drills = "drills/index.md", self.of_kind("drill")
        lines = ["# 演练指南", "", "计入疏散演练的指南合计次数须满足：中小学每月至少一次，幼儿园每季度至少一次。",
                 "", "## 按演练类型 {#by-type}"]
        types = _schema_enum("drill", "drill_type")
        present = [t for t in types if any(e.data.get("drill_type") == t for e in drills)]
        for index, drill_type in enumerate(present, 1):
            found = [e for e in drills if e.data.get("drill_type") == drill_type]
            lines += ["", f"### {text(drill_type)} {{#type-{index}}}", ""]
            lines.append(table(["指南", "疏散演练", "目标用时", "编号", "状态"], self._entry_rows(
                source, found, lambda e: ["是" if e.data.get("evacuation") else "否",
                                          f"{(e.data.get('time_target') or {}).get('seconds', '—')} 秒"])))
        if not present:
            lines += ["", "暂无。"]
        return "\n".join(lines) + "\n"

    def note_index(self) -> str:
        source = "notes/index.md"
        notes = sorted(self.of_kind("note"), key=lambda e: e.doc.id)
        lines = ["# 说明文档", "", "把预案库联系起来的说明：预案体系、通讯录模板、修订原因等。", ""]
        lines.append(table(["文档", "说明", "状态"], [[f"[{text(e.title)}]({relative(source, e.page)})",
                                                     text(e.data.get("summary") or ""), self.status(e.data)]
                                                    for e in notes]) if notes else "暂无。")
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------ document pages

    def document_page(self, entry: Entry) -> str:
        data, source = entry.data, entry.page
        section = SECTION_PAGES[entry.kind]
        lines = titled(entry.title, [str(t) for t in data.get("tags") or []])
        crumb = f"[{self.words.kind(entry.kind)}]({relative(source, section + '/index.md')})"
        if data.get("tier"):
            crumb += f" › {text(data['tier'])}"
        lines += [f'<p class="sp-crumbs" markdown="1" data-search-exclude>{crumb}</p>', ""]
        if data.get("status") != "approved":
            lines += [f"!!! warning \"{text(self.words.statuses.get(data.get('status'), '未审批'))}\"",
                      "    本文档尚未审批或已废止，不得作为现行文件执行。", ""]
        lines += [self.metadata_box(entry), ""]
        if data.get("summary"):
            lines += [text(data["summary"]), ""]
        lines += getattr(self, f"{entry.kind}_sections")(entry)
        body = body_markdown(entry.body, entry.page)
        if body:
            lines += [body, ""]
        lines += self.revision_sections(entry)
        return "\n".join(lines) + "\n"

    def metadata_box(self, entry: Entry) -> str:
        data, doc = entry.data, entry.doc
        rows = [["状态", self.status(data)], ["版本", text(data.get("version"))]]
        rows.append(["预案编号" if entry.kind == "plan" else "编号", text(data.get("number") or "—")])
        if entry.kind == "plan":
            level = "区教育局" if data.get("level") == "district" else "学校"
            rows += [["层级", f"{text(data.get('tier'))}（{level}）"], ["事件类别", text(data.get("category"))]]
        if entry.kind == "checklist":
            rows += [["排查频次", text(self.words.frequency(data.get("frequency")))],
                     ["排查人", text(data.get("role"))], ["重点领域", text("、".join(data.get("areas") or []))]]
            for key, label in (("periods", "重点时段"), ("seasons", "重要时节")):
                if data.get(key):
                    rows.append([label, text("、".join(data[key]))])
        if entry.kind == "drill":
            target = data.get("time_target") or {}
            per_year = data.get("per_year") or {}
            rows += [["演练类型", text(data.get("drill_type"))], ["计入疏散演练", "是" if data.get("evacuation") else "否"],
                     ["目标用时", f"{text(target.get('seconds'))} 秒"],
                     ["每学年次数", text("；".join(f"{k} {per_year[k]} 次" for k in common_definition("school_kind")["enum"] if k in per_year))]]
        rows += [["颁布日期", text(data.get("issued_on") or "—")], ["下次评审", self.review_cell(data.get("next_review"))],
                 ["审批人", self.approver(doc, data.get("approved_by"))], ["适用范围", self.applies_cell(entry)]]
        box = table(["项目", "内容"], rows)
        schools = self.applied.get((doc.kind, doc.id), [])
        if schools:
            items = []
            for view, reason in sorted(schools, key=lambda pair: pair[0].id):
                pdf = self.bundle_link(entry.page, view.id)
                items.append(f"[{text(view.data.get('name'))}]({relative(entry.page, self.school_pages[view.id])})"
                             + (f"（{pdf}）" if pdf else ""))
            filled = "各校按本校数据填好的文本在本校 PDF 汇编中。"
            box += (f'\n\n<details markdown="1" data-search-exclude>\n<summary>适用的学校（{len(schools)} 所）</summary>\n\n'
                    f"{filled}{'、'.join(items)}\n\n</details>")
        return f'<div class="sp-meta" markdown="1">\n\n{box}\n\n</div>'

    def approver(self, doc: Document, owner_id) -> str:
        owner = self.site.library.owners(doc).people.get(owner_id)
        if owner:
            role = f"（{owner['role']}）" if owner.get("role") else ""
            return text(f"{owner.get('name', owner_id)}{role}")
        return text(owner_id or "—")

    def applies_cell(self, entry: Entry) -> str:
        data = entry.data
        if entry.kind == "note":
            return "全区通用"
        if entry.kind == "plan" and data.get("level") == "district":
            return "区教育局（区级预案）"
        count = len(self.applied.get((entry.kind, entry.doc.id), []))
        rule = describe_rule(data.get("applies_to"))
        if data.get("school"):
            rule = f"仅 {text(data['school'])} 一校"
        if data.get("status") != "approved":
            return f"{rule}（尚未审批，暂不分发到学校）"
        return f"{rule}（{count} 所学校）"

    def plan_sections(self, entry: Entry) -> list[str]:
        data, lines = entry.data, []
        if data.get("procedure"):
            lines += ["## 先期处置 {#procedure}", "", "事发后最初 10 分钟内，各岗位按下表行动。", ""]
            lines += [table(["时限", "执行人", "行动"], [[text(s.get("within")), text(s.get("who")), text(s.get("action"))]
                                                   for s in data["procedure"]]), ""]
        if data.get("response_levels"):
            lines += ["## 响应分级 {#response-levels}", ""]
            lines += [table(["级别", "启动条件", "主要行动"], [[text(r.get("level")), text(r.get("trigger")), text(r.get("actions"))]
                                                       for r in data["response_levels"]]), ""]
        if data.get("organisation"):
            lines += ["## 组织与职责 {#organisation}", ""]
            lines += [table(["岗位", "由谁担任", "职责"], [[text(o.get("role")), text(o.get("who")), text(o.get("duties"))]
                                                     for o in data["organisation"]]), ""]
        return lines

    def checklist_sections(self, entry: Entry) -> list[str]:
        data, items = entry.data, entry.data.get("items") or []
        lines = ["## 排查项目 {#items}", ""]
        lines += [table(["序号", "排查内容", "合格标准", "隐患情形", "等级", "依据"],
                        [[str(i), text(item.get("check")), text(item.get("standard") or "—"), text(item.get("hazard")),
                          text(item.get("grade")), text(item.get("basis") or "—")] for i, item in enumerate(items, 1)]), ""]
        lines += ["打印本页（浏览器菜单 → 打印）即得到这张清单的排查记录表：表头有学校、日期、检查人，"
                  "每一项后面留有检查结果、隐患描述和签名栏。", ""]
        lines += [self.form_header(data, "检查人", "sp-print-only"), ""]
        lines += [table(["序号", "排查内容", "合格标准", "等级", "检查结果", "隐患描述", "签名"],
                        [[str(i), text(item.get("check")), text(item.get("standard") or item.get("hazard")),
                          text(item.get("grade")), "", "", ""] for i, item in enumerate(items, 1)],
                        css="sp-form sp-form--checklist sp-print-only"), ""]
        return lines

    def form_header(self, data: dict, person: str, css: str = "") -> str:
        number = f"编号 {text(data.get('number') or '—')}，第 {text(data.get('version'))} 版"
        return (f'<div class="sp-form-header {css}" markdown="1" data-search-exclude>\n<span>学校：<span class="sp-blank"></span></span> '
                f'<span>日期：<span class="sp-blank"></span></span> <span>{person}：<span class="sp-blank"></span></span> '
                f"<span>{number}</span>\n</div>")

    def drill_sections(self, entry: Entry) -> list[str]:
        data, lines = entry.data, []
        if data.get("roles"):
            lines += ["## 角色分工 {#roles}", ""]
            lines += [table(["角色", "由谁担任", "职责"], [[text(r.get("role")), text(r.get("who") or "—"), text(r.get("duties"))]
                                                     for r in data["roles"]]), ""]
        if data.get("stages"):
            lines += ["## 演练流程 {#stages}", ""]
            for index, stage in enumerate(data["stages"], 1):
                lines += [f"### {text(stage.get('stage'))} {{#stage-{index}}}", ""]
                lines += [table(["时间", "执行人", "行动"], [[text(s.get("at")), text(s.get("who")), text(s.get("action"))]
                                                       for s in stage.get("steps") or []]), ""]
        target = data.get("time_target") or {}
        if target:
            lines += ["## 时间目标 {#time-target}", "", f"**{text(target.get('seconds'))} 秒**：{text(target.get('note'))}", ""]
        if data.get("headcount"):
            lines += ["## 人数清点 {#headcount}", "", text(data["headcount"]), ""]
        if data.get("evaluation"):
            lines += ["## 评估项目 {#evaluation}", ""] + [f"- {text(item)}" for item in data["evaluation"]] + [""]
        if data.get("record_fields"):
            lines += ["## 演练记录表 {#record}", "", self.form_header(data, "记录人"), ""]
            lines += [table(["项目", "记录"], [[text(name), ""] for name in data["record_fields"]], css="sp-form"), ""]
        return lines

    def note_sections(self, entry: Entry) -> list[str]:
        return []

    def revision_sections(self, entry: Entry) -> list[str]:
        data, doc, source = entry.data, entry.doc, entry.page
        lines = ["## 修订记录 {#revisions}", ""]
        revisions = data.get("revisions") or []
        lines.append(table(["版本", "日期", "修订原因", "修订内容"],
                           [[text(r.get("version")), text(r.get("date")), text(self.words.revision_reason(r.get("reason"))),
                             text(r.get("summary"))] for r in revisions]) if revisions else "暂无修订记录。")
        if self.site.audience != "public":  # commit authors and subjects may hold anything: internal only
            lines += self.commit_history(doc)
        outgoing = [self.link_doc(source, kind, target) for kind, target, _ in doc.references()]
        incoming = [self.link_doc(source, other.kind, other.id) for other in self.site.library.referenced_by(doc)
                    if other.kind in WORKFLOW_KINDS]
        lines += ["", unsearched("关联文档", "links"), "", "**本文档引用：** " + ("、".join(outgoing) or "无"), "",
                  "**引用本文档的：** " + ("、".join(incoming) or "无"), ""]
        return lines

    def commit_history(self, doc) -> list[str]:
        lines = ["", unsearched("变更历史", "history"), ""]
        commits = self.site.histories.get(doc.path) or []
        if commits:
            lines.append(table(["日期", "作者", "说明", "文件"], [
                [c.date, text(c.author), text(c.message), "" if c.path.endswith(doc.path) else f"原 `{c.path}`"]
                for c in commits]))
        else:
            lines.append("没有 git 历史（内容目录不在 git 仓库中，或文件尚未提交）。")
        return lines

    # ------------------------------------------------------------ schools

    def schools_index(self) -> str:
        source = "schools/index.md"
        lines = ["# 学校", "", f"全区 {len(self.site.views)} 所学校。每所学校的页面列出适用于本校的文档、适用原因、演练安排和本校预案汇编。", "",
                 unsearched("学校名单", "list"), ""]
        rows = []
        for view in sorted(self.site.views, key=lambda v: (str(v.data.get("town")), str(v.data.get("name")), v.id)):
            rows.append([f"[{text(view.data.get('name'))}]({relative(source, self.school_pages[view.id])})",
                         text(view.data.get("kind")), text(view.data.get("town")), str(len(view.documents)),
                         self.bundle_link(source, view.id) or "—"])
        lines.append(table(["学校", "类型", "所在镇（街道）", "适用文档", "预案汇编"], rows) if rows else "暂无学校。")
        return "\n".join(lines) + "\n"

    def school_page(self, view: SchoolView) -> str:
        data, source = view.data, self.school_pages[view.id]
        counts = data.get("counts") or {}
        lines = titled(str(data.get("name") or view.id))
        facts = [text(data.get("kind")), text(data.get("town"))]
        facts += [f"{label} {counts[key]} 人" for key, label in (("students", "学生"), ("staff", "教职工"), ("boarders", "住宿生"))
                  if isinstance(counts.get(key), int)]
        lines += ["　·　".join(facts), ""]
        if data.get("sample"):
            lines += ["样例数据：人名、电话均为虚构。", ""]
        bundle = self.site.bundles.get(view.id)
        if bundle:
            link = relative(source, "downloads/" + bundle.file)
            lines += [f'<p class="sp-download" markdown="1">[下载本校预案汇编（PDF，{size_label(bundle.bytes)}，{bundle.pages} 页，'
                      f'{text(bundle.date)}）]({link}){{ .md-button .md-button--primary }}</p>', ""]
            lines += [f'<p class="sp-download" markdown="1">[{text(e.label)}（PDF，{size_label(e.bytes)}，{e.pages} 页）]'
                      f'({relative(source, "downloads/" + e.file)}){{ .md-button }}</p>' for e in bundle.editions] + [""] * bool(bundle.editions)
        else:
            lines += ["本校预案汇编尚未生成（运行 `safeplan build` 后在此下载）。", ""]

        rows = []
        for path, label in school_field_labels().items():  # schema order
            group, _, key = path.partition(".")
            value = (data.get(group) or {}).get(key) if group in ("facilities", "security") else None
            if value is not None:
                rows.append([text(label), ("是" if value else "否") if isinstance(value, bool) else text(value)])
        lines += [unsearched("设施与安防", "facilities"), "", table(["项目", "情况"], rows), ""]

        lines += [unsearched("适用的文档", "applies"), "", "按本校的类型与设施，下列文档适用于本校；本校汇编收录的就是这些文档。", ""]
        for kind in SECTION_PAGES:
            applied = view.of_kind(kind)
            if applied:
                lines += [f"### {self.words.kind(kind)}（{len(applied)}） {{ #applies-{kind} data-search-exclude }}", ""]
                lines += [table(["文档", "适用原因"], [[self.link_doc(source, a.kind, a.id), text(a.reason)] for a in applied]), ""]
        if not view.documents:
            lines += ["暂无。", ""]
        if view.not_applied:
            lines += [unsearched("不适用的文档", "not-applies"), ""]
            lines += [table(["文档", "不适用的原因"], [[self.link_doc(source, doc.kind, doc.id), text(reason)]
                                                for doc, reason in view.not_applied]), ""]
        lines += [unsearched("演练安排", "calendar"), ""]
        if view.calendar:
            rows = [[month_label(d.month), self.link_doc(source, "drill", d.drill_id), text(d.drill_type)] for d in view.calendar]
            lines += ["按学年平均分布在十个教学月；具体日期由学校安排。", "", table(["月份", "演练", "类型"], rows), ""]
        else:
            lines += ["暂无适用的演练指南。", ""]
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------ downloads

    def downloads(self) -> str:
        source = "downloads.md"
        lines = ["# 汇编下载", "", "每所学校一份 PDF 预案汇编，收录适用于本校、已按本校数据填写的全部预案、清单和演练指南。", ""]
        bundles = sorted(self.site.bundles.values(), key=lambda b: (b.name, b.school))
        if not bundles:
            lines += ['!!! note "还没有汇编"',
                      "    尚未生成任何学校的 PDF 汇编。运行 `safeplan build`（或 `make build`）后，这里会列出每所学校的汇编及其校验值。", ""]
            return "\n".join(lines)
        lines += [f"共 {len(bundles)} 份。下载后可用 `sha256sum 文件名` 核对校验值。", "", unsearched("全部汇编", "bundles"), ""]
        rows = []
        for bundle in (b for whole in bundles for b in (whole, *whole.editions)):
            school = (f"[{text(bundle.name)}]({relative(source, self.school_pages[bundle.school])})"
                      if bundle.school in self.school_pages else text(bundle.name))
            school += f"（{text(bundle.label)}）" if bundle.label else ""
            rows.append([school, f"[{text(bundle.file)}]({relative(source, 'downloads/' + bundle.file)})", size_label(bundle.bytes),
                         str(bundle.pages), text(bundle.date), f"`{bundle.sha256}`"])
        lines.append(table(["学校", "文件", "大小", "页数", "日期", "SHA-256"], rows))
        return "\n".join(lines) + "\n"


def describe_rule(rule: dict | None) -> str:
    """An applies_to rule in Chinese, e.g. 学校类型：小学、初中；须具备：有学生食堂."""
    rule = rule or {}
    labels = school_field_labels()
    parts = []
    if rule.get("kinds"):
        parts.append("学校类型：" + "、".join(rule["kinds"]))
    for key, label in (("all_of", "须具备"), ("any_of", "具备其一"), ("none_of", "不具备")):
        if rule.get(key):
            parts.append(label + "：" + "、".join(labels.get(p, p) for p in rule[key]))
    return text("；".join(parts)) if parts else "全部学校"


def _schema_enum(kind: str, key: str) -> list[str]:
    node = schema_for(kind)["properties"][key]
    node = node.get("items", node)
    return list(node.get("enum") or [])


def _yaml_string(value: str) -> str:
    return json.dumps(str(value), ensure_ascii=False)


def generate(site: SiteData) -> dict[str, str]:
    """All pages of the site: docs-relative path → Markdown text."""
    return Site(site).build()
