"""SiteIndex → one page per published document: metadata, the kind's structured sections, body, revisions, links."""

from __future__ import annotations

from safeplan.content.model import WORKFLOW_KINDS, Document
from safeplan.content.schemas import common_definition, school_field_labels
from safeplan.render.site.district_pages import DOWNLOADS
from safeplan.render.site.index import SECTION_PAGES, Entry, SiteIndex
from safeplan.render.site.forms import checklist_form, drill_record
from safeplan.render.site.markup import body_markdown, relative, table, text, titled, unsearched
from safeplan.render.site.office_pages import last_modified, revision_at
from safeplan.dates import chinese_date
from safeplan.render.site.plan_opening import plan_opening


def document_pages(index: SiteIndex) -> dict[str, str]:
    return {entry.page: document_page(index, entry) for entry in index.entries.values()}


def document_page(index: SiteIndex, entry: Entry) -> str:
    data, source, words = entry.data, entry.page, index.words
    lines = titled(entry.title, [str(t) for t in data.get("tags") or []])
    crumb = f"[{words.kind(entry.kind)}]({relative(source, SECTION_PAGES[entry.kind] + '/index.md')})"
    if data.get("tier"):
        crumb += f" › {text(data['tier'])}"
    lines += [f'<p class="sp-crumbs" markdown="1" data-search-exclude>{crumb}</p>', ""]
    if data.get("status") != "approved":
        lines += [f"!!! warning \"{text(words.statuses.get(data.get('status'), '未审批'))}\"",
                  "    本文档尚未审批或已废止，不得作为现行文件执行。", ""]
    lines += plan_opening(index, entry)  # action first: the 10-minute steps by post and the levels, then the rest
    lines += [metadata_box(index, entry), ""]
    if data.get("summary"):
        lines += [text(data["summary"]), ""]
    lines += KIND_SECTIONS[entry.kind](data)
    if entry.kind == "checklist":
        lines += checklist_form(data, words.frequency(data.get("frequency")), relative(entry.page, DOWNLOADS))
    body = body_markdown(entry.body, entry.page)
    if body:
        lines += [body, ""]
    lines += revision_sections(index, entry)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the metadata box

def metadata_box(index: SiteIndex, entry: Entry) -> str:
    data, doc = entry.data, entry.doc
    rows = [["状态", index.status(data, result=True)], ["版本", text(data.get("version"))]]
    rows.append(["预案编号" if entry.kind == "plan" else "编号", text(data.get("number") or "—")])
    if entry.kind == "plan":
        level = "区教育局" if data.get("level") == "district" else "学校"
        rows += [["层级", f"{text(data.get('tier'))}（{level}）"], ["事件类别", text(data.get("category"))]]
    if entry.kind == "checklist":
        rows += [["排查频次", text(index.words.frequency(data.get("frequency")))],
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
    rows += [["颁布日期", text(chinese_date(data.get("issued_on") or "—"))],
             ["最近修改", text(chinese_date(last_modified(index, entry) or "—"))],
             ["下次评审", index.review_cell(data.get("next_review"))],
             ["审批人", _approver(index, doc, data.get("approved_by"))], ["适用范围", _applies_cell(index, entry)]]
    box = table(["项目", "内容"], rows)
    schools = index.applied.get((doc.kind, doc.id), ())
    if schools:
        items = []
        for view, _ in sorted(schools, key=lambda pair: pair[0].id):
            pdf = index.bundle_link(entry.page, view.id)
            items.append(index.link_school(entry.page, view.id) + (f"（{pdf}）" if pdf else ""))
        filled = "各校按本校数据填好的文本在本校 PDF 汇编中。"
        box += (f'\n\n<details markdown="1" data-search-exclude>\n<summary>适用的学校（{len(schools)} 所）</summary>\n\n'
                f"{filled}{'、'.join(items)}\n\n</details>")
    return f'<div class="sp-meta" markdown="1">\n\n{box}\n\n</div>'


def _approver(index: SiteIndex, doc: Document, owner_id) -> str:
    owner = index.site.library.owners(doc).people.get(owner_id)
    if owner:
        role = f"（{owner['role']}）" if owner.get("role") else ""
        return text(f"{owner.get('name', owner_id)}{role}")
    return text(owner_id or "—")


def _applies_cell(index: SiteIndex, entry: Entry) -> str:
    data = entry.data
    if entry.kind == "note":
        return "全区通用"
    if entry.kind == "plan" and data.get("level") == "district":
        return "区教育局（区级预案）"
    count = len(index.applied.get((entry.kind, entry.doc.id), ()))
    rule = describe_rule(data.get("applies_to"))
    if data.get("school"):
        rule = f"仅 {text(data['school'])} 一校"
    if data.get("status") != "approved":
        return f"{rule}（尚未审批，暂不分发到学校）"
    return f"{rule}（{count} 所学校）"


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


# ---------------------------------------------------------------- each kind's structured sections

def plan_sections(data: dict) -> list[str]:
    lines = []
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


def checklist_sections(data: dict) -> list[str]:
    items = data.get("items") or []
    lines = ["## 排查项目 {#items}", ""]
    lines += [table(["序号", "排查内容", "合格标准", "隐患情形", "等级", "依据"],
                    [[str(i), text(item.get("check")), text(item.get("standard") or "—"), text(item.get("hazard")),
                      text(item.get("grade")), text(item.get("basis") or "—")] for i, item in enumerate(items, 1)]), ""]
    return lines


def drill_sections(data: dict) -> list[str]:
    lines = []
    if data.get("roles"):
        lines += ["## 角色分工 {#roles}", ""]
        lines += [table(["角色", "由谁担任", "职责"], [[text(r.get("role")), text(r.get("who") or "—"), text(r.get("duties"))]
                                                 for r in data["roles"]]), ""]
    if data.get("stages"):
        lines += ["## 演练流程 {#stages}", ""]
        for number, stage in enumerate(data["stages"], 1):
            lines += [f"### {text(stage.get('stage'))} {{#stage-{number}}}", ""]
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
        lines += ["## 演练记录表 {#record}", ""] + drill_record(data)
    return lines


KIND_SECTIONS = {"plan": plan_sections, "checklist": checklist_sections, "drill": drill_sections, "note": lambda data: []}


# ---------------------------------------------------------------- revisions, history and links

def revision_sections(index: SiteIndex, entry: Entry) -> list[str]:
    data, doc, source = entry.data, entry.doc, entry.page
    lines = ["## 修订记录 {#revisions}", ""]
    revisions = data.get("revisions") or []
    lines.append(table(["版本", "日期", "修订原因", "修订内容"],
                       [[text(r.get("version")), text(chinese_date(r.get("date"))), text(index.words.revision_reason(r.get("reason"))),
                         text(r.get("summary"))] for r in revisions]) if revisions else "暂无修订记录。")
    if index.site.audience != "public":  # commit authors and subjects may hold anything: internal only
        lines += _commit_history(index, doc)
    outgoing = [index.link_doc(source, kind, target) for kind, target, _ in doc.references()]
    incoming = [index.link_doc(source, other.kind, other.id) for other in index.site.library.referenced_by(doc)
                if other.kind in WORKFLOW_KINDS]
    lines += ["", unsearched("关联文档", "links"), "", "**本文档引用：** " + ("、".join(outgoing) or "无"), "",
              "**引用本文档的：** " + ("、".join(incoming) or "无"), ""]
    return lines


def _commit_history(index: SiteIndex, doc: Document) -> list[str]:
    lines = ["", unsearched("变更历史", "history"), ""]
    commits = index.site.histories.get(doc.path) or []
    if commits:
        entry = next(e for e in index.entries.values() if e.doc is doc)
        lines.append(table(["日期", "作者", "修订内容", "文件"], [  # the revision record in force, never the commit subject
            [text(chinese_date(c.date)), text(c.author), text(revision_at(entry, c.date).get("summary") or "—"),
             "" if c.path.endswith(doc.path) else f"原 `{c.path}`"] for c in commits]))
    else:
        lines.append("没有 git 历史（内容目录不在 git 仓库中，或文件尚未提交）。")
    return lines
