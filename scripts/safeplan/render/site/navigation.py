"""SiteIndex → each section's own page (plans/index.md, checklists/index.md…): its documents grouped and linked."""

from __future__ import annotations

from collections import defaultdict

from safeplan.content.schemas import schema_for
from safeplan.render.site.forms import printed_sheet
from safeplan.render.site.index import SECTION_PAGES, Entry, SiteIndex
from safeplan.render.site.markup import relative, table, text


def section_pages(index: SiteIndex) -> dict[str, str]:
    return {f"{SECTION_PAGES[kind]}/index.md": SECTION_INDEXES[kind](index, f"{SECTION_PAGES[kind]}/index.md")
            for kind in SECTION_PAGES}


def _entry_rows(index: SiteIndex, source: str, entries: list[Entry], extra=lambda e: []) -> list[list[str]]:
    return [[f"[{text(e.title)}]({relative(source, e.page)})", *extra(e), text(e.data.get("number") or "—"),
             index.status(e.data)] for e in entries]


def _schema_enum(kind: str, key: str) -> list[str]:
    node = schema_for(kind)["properties"][key]
    node = node.get("items", node)
    return list(node.get("enum") or [])


def plan_index(index: SiteIndex, source: str) -> str:
    plans, words = index.of_kind("plan"), index.words
    level = {"district": "区级", "school": "学校"}
    lines = ["# 应急预案", "",
             "学校预案在这里显示为区局统一的模板，〔〕中的内容由各校数据填写；"
             f"各校填好的版本见[学校]({relative(source, 'schools/index.md')})页面的预案汇编。", "",
             "## 按突发事件类别 {#by-category}"]
    for category, anchor in words.categories.items():
        found = [e for e in plans if e.data.get("category") == category]
        lines += ["", f"### {category} {{#category-{anchor}}}", ""]
        lines.append(table(["预案", "层级", "级别", "编号", "状态"], _entry_rows(
            index, source, found, lambda e: [text(e.data.get("tier")), level.get(e.data.get("level"), "")]))
            if found else "暂无。")
    lines += ["", "## 按层级 {#by-tier}"]
    groups = [("区级预案", "tier-district", [e for e in plans if e.data.get("level") == "district"])]
    groups += [(tier, f"tier-{anchor}", [e for e in plans if e.data.get("tier") == tier and e.data.get("level") != "district"])
               for tier, anchor in words.tiers.items()]
    for heading, anchor, found in groups:
        lines += ["", f"### {heading} {{#{anchor}}}", ""]
        lines.append(table(["预案", "类别", "编号", "状态"], _entry_rows(
            index, source, found, lambda e: [text(e.data.get("category"))])) if found else "暂无。")
    return "\n".join(lines) + "\n"


def checklist_index(index: SiteIndex, source: str) -> str:
    checklists, words = index.of_kind("checklist"), index.words
    lines = ["# 排查清单", "", printed_sheet(words)]

    def group(heading: str, anchor: str, key, order=None):
        buckets: dict[str, list[Entry]] = defaultdict(list)
        for entry in checklists:
            for value in key(entry):
                buckets[value].append(entry)
        names = [name for name in (order or sorted(buckets)) if name in buckets]
        lines.extend(["", f"## {heading} {{#{anchor}}}"])
        for number, name in enumerate(names, 1):
            label = words.frequencies.get(name, name)
            lines.extend(["", f"### {text(label)} {{#{anchor}-{number}}}", ""])
            lines.append(table(["清单", "编号", "状态"], _entry_rows(index, source, buckets[name])))
        if not names:
            lines.extend(["", "暂无。"])

    group("按排查人岗位", "by-role", lambda e: [e.data.get("role", "")], _schema_enum("checklist", "role"))
    group("按排查频次", "by-frequency", lambda e: [e.data.get("frequency", "")], list(words.frequencies))
    group("按重点领域", "by-area", lambda e: e.data.get("areas") or [], _schema_enum("checklist", "areas"))
    group("按重点时段", "by-period", lambda e: e.data.get("periods") or [], _schema_enum("checklist", "periods"))
    group("按重要时节", "by-season", lambda e: e.data.get("seasons") or [], _schema_enum("checklist", "seasons"))
    return "\n".join(lines) + "\n"


def drill_index(index: SiteIndex, source: str) -> str:
    drills = index.of_kind("drill")
    lines = ["# 演练指南", "", "计入疏散演练的指南合计次数须满足：中小学每月至少一次，幼儿园每季度至少一次。",
             "", "## 按演练类型 {#by-type}"]
    present = [t for t in _schema_enum("drill", "drill_type") if any(e.data.get("drill_type") == t for e in drills)]
    for number, drill_type in enumerate(present, 1):
        found = [e for e in drills if e.data.get("drill_type") == drill_type]
        lines += ["", f"### {text(drill_type)} {{#type-{number}}}", ""]
        lines.append(table(["指南", "疏散演练", "目标用时", "编号", "状态"], _entry_rows(
            index, source, found, lambda e: ["是" if e.data.get("evacuation") else "否",
                                             f"{(e.data.get('time_target') or {}).get('seconds', '—')} 秒"])))
    if not present:
        lines += ["", "暂无。"]
    return "\n".join(lines) + "\n"


def note_index(index: SiteIndex, source: str) -> str:
    notes = sorted(index.of_kind("note"), key=lambda e: e.doc.id)
    lines = ["# 说明文档", "", "把预案库联系起来的说明：预案体系、通讯录模板、修订原因等。", ""]
    lines.append(table(["文档", "说明", "状态"], [[f"[{text(e.title)}]({relative(source, e.page)})",
                                                 text(e.data.get("summary") or ""), index.status(e.data)]
                                                for e in notes]) if notes else "暂无。")
    return "\n".join(lines) + "\n"


SECTION_INDEXES = {"plan": plan_index, "checklist": checklist_index, "drill": drill_index, "note": note_index}
