"""SemanticDiff → the reviewer's text, JSON, or a pull-request comment in Markdown.

Everything in a comment that comes from content (titles, values, names, sentences,
error messages) goes through `inline`, so a pull request cannot mention people,
show images or links, hide text in comments, or break the layout. The comment is
built from whole blocks within GitHub's size limit: nothing is cut in the middle
of a table or a <details>, and every cut says what was left out.
"""

from __future__ import annotations

import json
import re

from safeplan.problems import ERROR, Problem
from safeplan.report import HINT_PREFIX
from safeplan.content.vocabulary import vocabulary
from safeplan.review.semdiff import DocumentDiff, FieldChange, Reason, SchoolImpact, SectionChange, SemanticDiff, Step

# GitHub refuses a comment over 65,536 characters (its store holds 262,144 UTF-8 bytes, which
# 60,000 characters of Chinese, three bytes each, also stay under); the margin leaves room for CI to add a line.
MD_LIMIT = 60000
MARKER = "<!-- safeplan-diff -->"  # lets the CI job find and update its own comment
HEADING = "## 预案库改动说明"
CHANGE_LABELS = {"added": "新增", "removed": "删除", "renamed": "改名", "modified": "修改", "changed": "修改"}
DETAIL = ((40, 12), (15, 3), (5, 0))  # (table rows, sentences per section) per document, tried until it fits
DOCUMENT_CHARS = MD_LIMIT // 4  # one document's share, so that one long rewrite leaves room for the rest
SECTIONS_SHOWN = 30  # per document
SENTENCE_CHARS = 200
SIGN_WORDS = {"−": "删去", "+": "加入"}  # a removed or added sentence, in the comment's list
REASONS_CHARS = 600  # per school group
NAMES_SHOWN = (None, 300, 100, 30, 10, 3, 0)  # per school group, tried in turn until the list fits
SCHOOLS_SHARE = 0.6  # of the limit, at most, for the affected schools when documents need the rest
VALUE_CHARS = 120  # an added or removed value; a changed one is cut around the difference (focus)


# ---- escaping -------------------------------------------------------------------------------

_ZWSP = "\u200b"  # a zero-width space: shows as nothing, but breaks what GitHub would link
_MARKDOWN = re.compile(r"([\\`*_\[\]|~$])")


def inline(text: str) -> str:
    """Content → Markdown that shows exactly the text, on one line, with nothing GitHub acts on."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # no HTML, no <!-- -->
    text = _MARKDOWN.sub(r"\\\1", text)  # no emphasis, code, links, images, table cells, math
    text = re.sub(r"^(?=[#+=-])|^(\d+)(?=[.)])", lambda m: (m.group(1) or "") + "\\", text)  # no heading, list, rule
    # no references: GitHub #12 GH-12, GitLab !12 ~label %milestone &epic, Gitea !12
    text = re.sub(r'(?i)(?<=[#!%~])(?=[\w"])|(?<=&amp;)(?=[\w"])|(?<=\bGH)(?=-\d)', _ZWSP, text)
    text = text.replace("@", "@" + _ZWSP)  # no @mentions, no e-mail links
    text = re.sub(r"(?i)(?<=:)(?=//)|(?<=w)(?=ww\.)", _ZWSP, text)  # no bare links (http://, www.)
    return text.replace(_ZWSP, "&#8203;")  # as an entity, so a reader of the raw comment sees it


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- lines shared by text and Markdown ------------------------------------------------------

def focus(old: str, new: str, context: int = 12, limit: int = 60) -> tuple[str, str]:
    """Two long texts → the part that differs, with a little context on each side."""
    if len(old) <= limit and len(new) <= limit:
        return old, new
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    start = max(0, head - context)

    def cut(text: str) -> str:
        end = min(len(text), len(text) - tail + context)
        middle = text[start:end]
        if len(middle) > 2 * limit:
            middle = middle[:2 * limit] + "…"
        return ("…" if start else "") + middle + ("…" if end < len(text) else "")

    return cut(old), cut(new)



def _step(step: Step) -> str:
    return step.label + (f"「{step.item}」" if step.item else f"第 {step.number} 项" if step.number else "")


def place_label(change: FieldChange) -> str:
    """[Step("应急集合点", item="yard"), Step("集合点名称与位置")] → 应急集合点「yard」 · 集合点名称与位置."""
    parts: list[str] = []
    for step in change.place:
        if step.label or not parts:
            parts.append(_step(step))
        else:  # an item of a list that is itself an item: named right after it
            parts[-1] += _step(step)
    return " · ".join(parts)


def _values(change: FieldChange) -> tuple[str, str]:
    """The old and new value as shown: a changed one around its difference, an added or removed one cut short."""
    if change.change == "changed":
        return focus(change.old, change.new)
    return tuple(value if len(value) <= VALUE_CHARS else value[:VALUE_CHARS - 3] + "…" for value in (change.old, change.new))

def _section_line(section: SectionChange) -> str:
    if section.change == "changed":
        return f"修改章节“{section.title}”：+{section.added} −{section.removed} 行"
    return f"{CHANGE_LABELS[section.change]}章节“{section.title}”（{section.lines} 行）"


def _sentence_lines(section: SectionChange, limit: int = 0) -> list[tuple[str, str]]:
    """("−" or "+", sentence) in the order the section reads; with a limit, long sentences are cut
    to it, around the difference when one sentence was rewritten."""
    found = []
    for change in section.prose:
        removed, added = change.removed, change.added
        if limit and len(removed) == len(added) == 1:
            removed, added = (list(pair) for pair in zip(focus(removed[0], added[0], 30, limit // 2)))
        found += [("−", s) for s in removed] + [("+", s) for s in added]
    return [(sign, _clip(sentence, limit) if limit else sentence) for sign, sentence in found]


def _field_line(change: FieldChange) -> str:
    (old, new), label = _values(change), place_label(change)
    if change.change == "added":
        return f"{label}: 新增 {new}"
    if change.change == "removed":
        return f"{label}: 删除（原为 {old}）"
    return f"{label}: {old} → {new}"


def _heading(doc: DocumentDiff) -> str:
    where = f"{doc.old_path} → {doc.path}" if doc.old_path else doc.path
    title = f"“{doc.title}”" if doc.title else ""
    return f"{CHANGE_LABELS[doc.change]}{vocabulary().kind(doc.kind)}{title}（{where}）"


def _summary(diff: SemanticDiff) -> str:
    base = f"与 {diff.base_ref}（合并基点 {diff.base_sha[:10]}）比较" if diff.base_ref else "比较结果"
    head = f"，{diff.head_label}" if diff.head_label else ""
    schools = f"{len(diff.schools)} 所学校的汇编会变化" if diff.schools else "没有学校的汇编变化"
    return f"{base}{head}：{len(diff.documents)} 个文件有改动，{schools}。"


def reason_text(reason: Reason) -> str:
    """Why a school's bundle changes, e.g. 应急预案“火灾事故专项应急预案”修改（适用于全部学校）."""
    document = f"{vocabulary().kind(reason.kind)}“{reason.title}”" if reason.kind else ""
    return {
        "school-added": "新增学校：生成新的汇编",
        "school-removed": "删除学校：不再生成汇编",
        "school-data": "学校信息修改：" + "、".join(reason.fields),
        "district-data": "区教育局信息修改",
        "document-added": f"新增{document}（{reason.why}）",
        "document-changed": f"{document}修改（{reason.why}）",
        "document-removed": f"移除{document}（{reason.why or '已不是现行文档或已删除'}）",
        "unfillable": f"无法生成汇编：{reason.why}（请先运行 safeplan validate）",
    }.get(reason.change, "汇编内容变化")


def _grouped(schools: list[SchoolImpact]) -> list[tuple[tuple[str, ...], list[SchoolImpact]]]:
    """Schools that share their reasons, under those reasons in words."""
    groups: dict[tuple[str, ...], list[SchoolImpact]] = {}
    for school in schools:
        groups.setdefault(tuple(reason_text(r) for r in school.reasons), []).append(school)
    return list(groups.items())


# ---- text -----------------------------------------------------------------------------------

def as_text(diff: SemanticDiff) -> str:
    lines = [_summary(diff)]
    for doc in diff.documents:
        lines += ["", _heading(doc)]
        lines += [f"  {_field_line(c)}" for c in doc.fields]
        for section in doc.sections:
            lines.append(f"  {_section_line(section)}")
            lines += [f"    {sign} {sentence}" for sign, sentence in _sentence_lines(section)]
    if diff.schools:
        lines += ["", f"受影响的学校（{len(diff.schools)} 所）："]
        for reasons, schools in _grouped(diff.schools):
            for school in schools:
                lines.append(f"  {school.id} {school.name}：{'；'.join(reasons)}")
    return "\n".join(lines) + "\n"


# ---- Markdown -------------------------------------------------------------------------------

def _more(count: int, what: str) -> str:
    return f"……另有 {count} {what}未列出，请运行 `safeplan diff` 查看全部。"


def _document_block(doc: DocumentDiff) -> str:
    for fields_shown, sentences_shown in DETAIL:
        block = _document_lines(doc, fields_shown, sentences_shown)
        if len(block) <= DOCUMENT_CHARS:
            break
    return block


def _document_lines(doc: DocumentDiff, fields_shown: int, sentences_shown: int) -> str:
    lines = ["", f"### {inline(_heading(doc))}"]
    if doc.fields:
        lines += ["", "| 字段 | 原来 | 现在 |", "|---|---|---|"]
        for change in doc.fields[:fields_shown]:
            old, new = _values(change)
            lines.append(f"| {inline(place_label(change))} | {inline(old) or '—'} | {inline(new) or '—'} |")
        if len(doc.fields) > fields_shown:
            lines += ["", _more(len(doc.fields) - fields_shown, "项字段改动")]
    if doc.sections:
        lines.append("")
        for section in doc.sections[:SECTIONS_SHOWN]:
            lines.append(f"- {inline(_section_line(section))}")
            sentences = _sentence_lines(section, SENTENCE_CHARS)
            lines += [f"  - {SIGN_WORDS[sign]}：{inline(sentence)}" for sign, sentence in sentences[:sentences_shown]]
            if len(sentences) > sentences_shown:
                lines.append(f"  - {_more(len(sentences) - sentences_shown, '句改动')}")
        if len(doc.sections) > SECTIONS_SHOWN:
            lines.append(f"- {_more(len(doc.sections) - SECTIONS_SHOWN, '个章节的改动')}")
    return "\n".join(lines)


def _group_block(reasons: tuple[str, ...], schools: list[SchoolImpact], shown: int | None) -> str:
    head = f"- **{inline(_clip('；'.join(reasons), REASONS_CHARS))}**（{len(schools)} 所）"
    listed = schools if shown is None else schools[:shown]
    if not listed:
        return head
    names = "、".join(f"{inline(s.name)}（{inline(s.id)}）" for s in listed)
    if len(listed) < len(schools):
        names += f"；另有 {len(schools) - len(listed)} 所未列出"
    if len(schools) <= 10:
        return f"{head}：{names}"
    return f"{head}\n  <details><summary>{len(schools)} 所学校</summary>\n\n  {names}\n\n  </details>"


def _schools_blocks(diff: SemanticDiff, budget: int) -> list[str]:
    """Every group of schools that share their reasons, naming as many schools per group as fit."""
    if not diff.schools:
        return []
    head = f"\n### 受影响的学校（{len(diff.schools)} 所，共 {diff.school_count} 所）\n"
    groups = _grouped(diff.schools)
    for shown in NAMES_SHOWN:
        blocks = [head] + [_group_block(reasons, schools, shown) for reasons, schools in groups]
        if _size(blocks) <= budget:
            return blocks
    kept, room = [head], budget - len(head) - 200
    for index, block in enumerate(blocks[1:]):
        if room < len(block) + 1:
            left = groups[index:]
            kept.append(f"- {_more(len(left), f'组（{sum(len(s) for _, s in left)} 所学校）的原因')}")
            break
        kept.append(block)
        room -= len(block) + 1
    return kept


def _size(blocks: list[str]) -> int:
    return sum(len(block) + 1 for block in blocks)


def as_markdown(diff: SemanticDiff, limit: int = MD_LIMIT) -> str:
    top = [MARKER, HEADING, "", inline(_summary(diff))]
    documents = [_document_block(doc) for doc in diff.documents]
    room = limit - _size(top) - 200  # 200: the line saying what was left out
    share = room - min(_size(documents), int(room * (1 - SCHOOLS_SHARE)))
    schools = _schools_blocks(diff, share)
    room -= _size(schools)
    shown = []
    for index, block in enumerate(documents):
        if room < len(block) + 1:
            shown.append("\n" + _more(len(documents) - index, "个文件的改动"))
            break
        shown.append(block)
        room -= len(block) + 1
    return "\n".join(top + shown + schools) + "\n"


def problems_markdown(problems: list[Problem], limit: int = MD_LIMIT) -> str:
    """The comment when content cannot be read: the errors themselves, so the reviewer sees why."""
    errors = [p for p in problems if p.severity == ERROR]
    lines = [MARKER, HEADING, "",
             f"**有 {len({p.path for p in errors})} 个文件无法读取，无法给出改动说明。** 请先修正下面的问题"
             "（本地运行 `safeplan validate` 可看到同样的内容）：", ""]
    size = _size(lines)
    for index, p in enumerate(errors):
        line = f"- {inline(p.path)}:{p.line}:{p.column}（{inline(p.rule)}）：{inline(p.message)}"
        if p.hint:
            line += f"<br>{HINT_PREFIX}{inline(p.hint)}"
        if size + len(line) + 200 > limit:
            lines.append(f"- {_more(len(errors) - index, '个问题')}")
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n"


def as_json(diff: SemanticDiff) -> str:
    return json.dumps(diff.as_dict(), ensure_ascii=False, indent=2) + "\n"


def render(diff: SemanticDiff, fmt: str) -> str:
    return {"md": as_markdown, "json": as_json}.get(fmt, as_text)(diff)
