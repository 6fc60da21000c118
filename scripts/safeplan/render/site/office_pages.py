"""The site's documents → the safety office's views: documents by status, the review schedule, recent changes.

Page functions over the frozen SiteIndex (its entries, words and helpers). What changed is
told by the revision records (written in Chinese and approved with the change), never by commit
subjects; commit authors appear on the internal edition only.
"""

from __future__ import annotations

from safeplan.content.model import FOLDERS
from safeplan.render.site.index import STATUS_ORDER, SiteIndex
from safeplan.render.site.markup import days_between, relative, table, text, titled
from safeplan.dates import chinese_date

STATUS_PAGE = "status/{status}.md"
REVIEWS_PAGE = "reviews.md"


def status_page_path(status: str) -> str:
    return STATUS_PAGE.format(status=status)


def office_pages(index: SiteIndex) -> dict[str, str]:
    """The status lists and the review schedule."""
    return {**status_pages(index), REVIEWS_PAGE: review_schedule(index)}


def status_pages(site: SiteIndex) -> dict[str, str]:
    """One page per status (草稿, 待审, 现行, 废止), every document of that status grouped by kind."""
    pages = {}
    for status in STATUS_ORDER:
        source = status_page_path(status)
        label = site.words.status(status)
        lines = titled(f"{label}的文档")
        found = 0
        for kind in FOLDERS:
            entries = [e for e in site.of_kind(kind) if e.data.get("status") == status]
            found += len(entries)
            if not entries:
                continue
            lines += [f"## {site.words.kind(kind)}（{len(entries)}） {{ #{kind} data-search-exclude }}", ""]
            lines.append(table(["文档", "编号", "版本", "下次评审", "最近修改"], [
                [f"[{text(e.title)}]({relative(source, e.page)})", text(e.data.get("number") or "—"),
                 text(e.data.get("version")), site.review_cell(e.data.get("next_review")), text(chinese_date(last_modified(site, e) or "—"))]
                for e in entries]))
            lines.append("")
        if not found:
            lines += [f"没有{label}的文档。", ""]
        pages[source] = "\n".join(lines) + "\n"
    return pages


def review_schedule(site: SiteIndex) -> str:
    """Every document with a review date, soonest first, overdue and due-soon marked."""
    source, today, due_days = REVIEWS_PAGE, site.site.today, site.site.review_due_days
    lines = titled("评审计划")
    lines += [f"按下次评审日期排列，以 {chinese_date(today)}为准；{due_days} 天内到期的标为“即将到期”。已废止的文档不列。", ""]
    rows = []
    for entry in site.reviewable():
        value = str(entry.data["next_review"])
        left = days_between(today, value)
        state = (f'<span class="sp-overdue">已超期 {-left} 天</span>' if left < 0
                 else f'<span class="sp-due">即将到期（{left} 天）</span>' if left <= due_days else f"{left} 天后")
        rows.append([f"[{text(entry.title)}]({relative(source, entry.page)})", site.words.kind(entry.kind),
                     site.status(entry.data), text(chinese_date(value)), state])
    lines.append(table(["文档", "类型", "状态", "下次评审", "情况"], rows, css="sp-reviews") if rows else "没有需要评审的文档。")
    return "\n".join(lines) + "\n"


def last_modified(site: SiteIndex, entry) -> str:
    """The day the document last changed: its newest commit (internal edition), else its newest revision record."""
    commits = site.site.histories.get(entry.doc.path) or []
    dates = [str(r.get("date")) for r in entry.data.get("revisions") or [] if isinstance(r, dict) and r.get("date")]
    return commits[0].date if commits else max(dates, default="")


def revision_at(entry, day: str) -> dict:
    """The revision record in force on a day (the newest dated on or before it), else the newest."""
    revisions = [r for r in entry.data.get("revisions") or [] if isinstance(r, dict)]
    before = [r for r in revisions if str(r.get("date") or "") <= day]
    return (before or revisions or [{}])[-1]


def recent_changes(site: SiteIndex, source: str, limit: int = 15) -> list[str]:
    """The newest commits that touched content, each told by the changed documents' revision summaries."""
    lines = ["", "## 最近修改 {#recent}", ""]
    by_path = {e.doc.path: e for e in site.entries.values()}
    rows = []
    for commit, paths in site.site.recent[:limit]:
        for path in paths:
            entry = by_path.get(path)
            if entry is None:
                rows.append([text(chinese_date(commit.date)), site.link_path(source, path), "—", "学校或区局数据更新"])
                continue
            revision = revision_at(entry, commit.date)
            rows.append([text(chinese_date(commit.date)), f"[{text(entry.title)}]({relative(source, entry.page)})",
                         text(revision.get("version") or entry.data.get("version")), text(revision.get("summary") or "—")])
    if rows:
        lines.append(table(["日期", "文档", "版本", "修订内容"], rows[:limit * 2]))
    else:
        lines.append("没有内容修改的 git 历史（内容目录不在 git 仓库中，或尚无提交）。")
    return lines
