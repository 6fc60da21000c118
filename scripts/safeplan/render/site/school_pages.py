"""SiteIndex → the schools' pages: the list of schools, and one page per school (facilities, documents, drills)."""

from __future__ import annotations

from safeplan.content.schemas import school_field_labels
from safeplan.render.site.index import SECTION_PAGES, SiteIndex
from safeplan.render.site.school_cards import cards_link, cards_section
from safeplan.render.site.school_emergency import emergency_block
from safeplan.render.site.records_pages import DASHBOARD, school_records_section
from safeplan.render.site.markup import month_label, relative, size_label, table, text, titled, unsearched
from safeplan.resolve.views import SchoolView
from safeplan.dates import chinese_date

SCHOOLS = "schools/index.md"


def schools_index(index: SiteIndex) -> dict[str, str]:
    views, source = index.site.views, SCHOOLS
    lines = ["# 学校", "", f"全区 {len(views)} 所学校。每所学校的页面列出适用于本校的文档、适用原因、演练安排和本校预案汇编。", "",
             unsearched("学校名单", "list"), ""]
    rows = [[index.link_school(source, view.id), text(view.data.get("kind")), text(view.data.get("town")),
             str(len(view.documents)), index.bundle_link(source, view.id) or "—"]
            for view in sorted(views, key=lambda v: (str(v.data.get("town")), str(v.data.get("name")), v.id))]
    lines.append(table(["学校", "类型", "所在镇（街道）", "适用文档", "预案汇编"], rows) if rows else "暂无学校。")
    if index.site.audience == "internal":
        lines += ["", f"各校隐患整改和演练情况（落后的学校在前）见[隐患与演练]({relative(source, DASHBOARD)})。"]
    return {SCHOOLS: "\n".join(lines) + "\n"}


def school_pages(index: SiteIndex) -> dict[str, str]:
    return {index.school_pages[view.id]: school_page(index, view) for view in index.site.views}


def school_page(index: SiteIndex, view: SchoolView) -> str:
    data, source = view.data, index.school_pages[view.id]
    counts = data.get("counts") or {}
    lines = titled(str(data.get("name") or view.id))
    facts = [text(data.get("kind")), text(data.get("town"))]
    facts += [f"{label} {counts[key]} 人" for key, label in (("students", "学生"), ("staff", "教职工"), ("boarders", "住宿生"))
              if isinstance(counts.get(key), int)]
    lines += ["　·　".join(facts), ""]
    # the first phone screen: signals, assembly points and numbers to call; then each post's first actions
    lines += emergency_block(view, index.site.district, index.site.library)
    lines += cards_section(view, index.site.audience)
    lines += [unsearched("演练安排", "calendar"), ""]
    if view.calendar:
        rows = [[month_label(d.month), index.link_doc(source, "drill", d.drill_id), text(d.drill_type)] for d in view.calendar]
        lines += ["按学年平均分布在十个教学月；具体日期由学校安排。", "", table(["月份", "演练", "类型"], rows), ""]
    else:
        lines += ["暂无适用的演练指南。", ""]
    if data.get("sample"):
        lines += ["样例数据：人名、电话均为虚构。", ""]

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
            lines += [f"### {index.words.kind(kind)}（{len(applied)}） {{ #applies-{kind} data-search-exclude }}", ""]
            rows = [[index.link_doc(source, a.kind, a.id), text(a.reason)] for a in applied]
            links = [cards_link(view, index.site.audience, a.id) if kind == "plan" else "" for a in applied]
            if any(links):  # each plan leads to its cards on this page, in the school's own words
                rows = [row + [link or "—"] for row, link in zip(rows, links)]
            lines += [table(["文档", "适用原因", "应急处置卡"][:len(rows[0])], rows), ""]
    if not view.documents:
        lines += ["暂无。", ""]
    if view.not_applied:
        lines += [unsearched("不适用的文档", "not-applies"), ""]
        lines += [table(["文档", "不适用的原因"], [[index.link_doc(source, doc.kind, doc.id), text(reason)]
                                            for doc, reason in view.not_applied]), ""]
    lines += school_records_section(index, view)
    lines += [unsearched("本校预案汇编", "bundle"), ""]
    bundle = index.site.bundles.get(view.id)
    if bundle:
        link = relative(source, "downloads/" + bundle.file)
        lines += [f'<p class="sp-download" markdown="1">[下载本校预案汇编（PDF，{size_label(bundle.bytes)}，{bundle.pages} 页，'
                  f'{text(chinese_date(bundle.date))}）]({link}){{ .md-button .md-button--primary }}</p>', ""]
        lines += [f'<p class="sp-download" markdown="1">[{text(e.label)}（PDF，{size_label(e.bytes)}，{e.pages} 页）]'
                  f'({relative(source, "downloads/" + e.file)}){{ .md-button }}</p>' for e in bundle.editions]
        lines += [""] * bool(bundle.editions)
    else:
        lines += ["本校预案汇编尚未生成（运行 `safeplan build` 后在此下载）。", ""]
    return "\n".join(lines) + "\n"
