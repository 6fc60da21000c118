"""SiteIndex → the district-wide pages: the home page (status, categories, reviews, recent changes), downloads, tags."""

from __future__ import annotations

from safeplan.render.site.index import SECTION_PAGES, STATUS_ORDER, SiteIndex
from safeplan.render.site.office_pages import REVIEWS_PAGE, recent_changes, status_page_path
from safeplan.render.site.markup import days_between, relative, size_label, table, text, titled, unsearched
from safeplan.dates import chinese_date

HOME = "index.md"
DOWNLOADS = "downloads.md"
TAGS = "tags.md"


def home_page(index: SiteIndex) -> dict[str, str]:
    site, words, source = index.site, index.words, HOME
    lines = titled(f"{site.district.get('name') or ''}校园安全预案库")
    stamp = f"数据截至 {chinese_date(site.build_date)}" + (f"（提交 `{site.commit}`）" if site.commit else f"（{site.dated_by}）" if site.dated_by else "")
    lines.append(f"{stamp}。共 {len(index.entries)} 份文档、{len(site.views)} 所学校。")
    lines += _overdue_line(index, source)
    if site.audience == "public":
        lines += ["", "!!! info \"公开版\"", "    本站为公开版：个人手机号等内部信息已隐去。"]
    lines += ["", "## 文档状态 {#status}", ""]
    rows = []
    for kind in SECTION_PAGES:
        entries = index.of_kind(kind)
        counts = [sum(1 for e in entries if e.data.get("status") == s) for s in STATUS_ORDER]
        rows.append([f"[{words.kind(kind)}]({relative(source, SECTION_PAGES[kind] + '/index.md')})",
                     *(f"[{c}]({relative(source, status_page_path(s))}#{kind})" if c else "—"
                       for s, c in zip(STATUS_ORDER, counts)), str(len(entries))])
    lines.append(table(["类型", *(f"[{words.status(s)}]({relative(source, status_page_path(s))})" for s in STATUS_ORDER),
                        "合计"], rows))

    lines += ["", "## 按突发事件类别 {#categories}", ""]
    plans = index.of_kind("plan")
    rows = []
    for category, anchor in words.categories.items():
        found = [e for e in plans if e.data.get("category") == category]
        counts = [sum(1 for e in found if e.data.get("tier") == tier) for tier in words.tiers]
        rows.append([f"[{category}]({relative(source, 'plans/index.md#category-' + anchor)})",
                     *(str(c) if c else "—" for c in counts), str(len(found))])
    lines.append(table(["类别", *words.tiers, "合计"], rows))

    due, overdue = [], []
    for entry in index.reviewable():
        value = entry.data["next_review"]
        left = days_between(site.today, str(value))
        row = [f"[{text(entry.title)}]({relative(source, entry.page)})", words.kind(entry.kind), text(chinese_date(value))]
        if left < 0:
            overdue.append(row + [f"{-left} 天"])
        elif left <= site.review_due_days:
            due.append(row + [f"{left} 天"])
    lines += ["", "## 评审提醒 {#reviews}", "",
              f"以 {chinese_date(site.today)}为准：下次评审日期已过的文档，以及 {site.review_due_days} 天内到期的文档。"
              f"全部文档的评审日期见[评审计划]({relative(source, REVIEWS_PAGE)})。", "",
              "### 已超期 {#overdue}", ""]
    lines.append(table(["文档", "类型", "下次评审", "超期"], overdue) if overdue else "没有超期未评审的文档。")
    lines += ["", f"### {site.review_due_days} 天内到期 {{#due}}", ""]
    lines.append(table(["文档", "类型", "下次评审", "剩余"], due) if due else f"{site.review_due_days} 天内没有到期的评审。")

    lines += _recent_revisions(index, source) if site.audience == "public" else recent_changes(index, source)
    return {HOME: "\n".join(lines) + "\n"}


def _overdue_line(index: SiteIndex, source: str) -> list[str]:
    """One warning at the top of the home page naming every overdue review, oldest first."""
    overdue = [e for e in index.reviewable() if days_between(index.site.today, str(e.data["next_review"])) < 0]
    if not overdue:
        return []
    named = "；".join(f"[{text(e.title)}]({relative(source, e.page)})（{text(chinese_date(e.data['next_review']))}）" for e in overdue)
    return ["", f'!!! warning "{len(overdue)} 份文档超期未评审（截至 {chinese_date(index.site.today)}）"',
            f"    {named}。详见[评审提醒](#overdue)。"]


def _recent_revisions(index: SiteIndex, source: str) -> list[str]:
    """The public edition's 'what changed': revision records, which a reviewer approved, never commits."""
    rows = sorted(((str(r.get("date") or ""), entry, r) for entry in index.entries.values()
                   for r in entry.data.get("revisions") or [] if isinstance(r, dict)),
                  key=lambda row: (row[0], row[1].page), reverse=True)[:15]
    lines = ["", "## 最近修订 {#recent}", ""]
    lines.append(table(["日期", "文档", "版本", "修订原因", "修订内容"], [
        [text(chinese_date(date)), f"[{text(entry.title)}]({relative(source, entry.page)})", text(r.get("version")),
         text(index.words.revision_reason(r.get("reason"))), text(r.get("summary"))]
        for date, entry, r in rows]) if rows else "暂无修订记录。")
    return lines


def downloads_page(index: SiteIndex) -> dict[str, str]:
    source = DOWNLOADS
    lines = ["# 汇编下载", "", "每所学校一份 PDF 预案汇编，收录适用于本校、已按本校数据填写的全部预案、清单和演练指南。", ""]
    bundles = sorted(index.site.bundles.values(), key=lambda b: (b.name, b.school))
    if not bundles:
        lines += ['!!! note "还没有汇编"',
                  "    尚未生成任何学校的 PDF 汇编。运行 `safeplan build`（或 `make build`）后，这里会列出每所学校的汇编及其校验值。", ""]
        return {DOWNLOADS: "\n".join(lines)}
    lines += [f"共 {len(bundles)} 份。下载后可用 `sha256sum 文件名` 核对校验值。", "", unsearched("全部汇编", "bundles"), ""]
    rows = []
    for bundle in (b for whole in bundles for b in (whole, *whole.editions)):
        school = (f"[{text(bundle.name)}]({relative(source, index.school_pages[bundle.school])})"
                  if bundle.school in index.school_pages else text(bundle.name))
        school += f"（{text(bundle.label)}）" if bundle.label else ""
        rows.append([school, f"[{text(bundle.file)}]({relative(source, 'downloads/' + bundle.file)})", size_label(bundle.bytes),
                     str(bundle.pages), text(chinese_date(bundle.date)), f"`{bundle.sha256}`"])
    lines.append(table(["学校", "文件", "大小", "页数", "日期", "SHA-256"], rows))
    return {DOWNLOADS: "\n".join(lines) + "\n"}


def tags_page(index: SiteIndex) -> dict[str, str]:
    """Material's tags plugin fills the marker with every tag and the pages that carry it."""
    return {TAGS: "# 标签\n\n按标签查看相关的预案、清单与演练指南。\n\n<!-- material/tags -->\n"}
