"""Documents → Problems of official form: second-level headings numbered （一）, no issue date in the future,
and printed text that names documents by their titles, never by their ids."""

from __future__ import annotations

import re
from datetime import date

from safeplan.checks.text_places import PLACEHOLDER, at, clean, texts
from safeplan.checks.validate import rule
from safeplan.content.model import WORKFLOW_KINDS, Library
from safeplan.dates import chinese_date, today
from safeplan.problems import ERROR, Problem

NUMERALS = "一二三四五六七八九十"
FIRST_LEVEL = re.compile(rf"^##\s+[{NUMERALS}]+、")
SECOND_LEVEL = re.compile(rf"^###\s+([{NUMERALS}]+)、")
STATEMENT = re.compile(r"\{%.*?%\}|\{#.*?#\}")
PRINTED = ("plan", "checklist", "drill")  # what a school's bundle prints
PROSE = re.compile(r"[\u4e00-\u9fff]")


@rule("heading-numbers", ERROR, "二级标题（### ）按 GB/T 9704 编为（一）（二）……，不与一级的“一、”重复")
def check_heading_numbers(library: Library):
    for doc in clean(library):
        if doc.kind not in WORKFLOW_KINDS or not doc.body:
            continue
        for index, line in enumerate(doc.body.split("\n")):
            found = SECOND_LEVEL.match(line)
            if found:
                yield Problem(doc.path, doc.body_line + index, line.index(found.group(1)) + 1, ERROR, "",
                              f"二级标题编号写成了“{found.group(1)}、”，与一级标题的编号方式相同。",
                              f"按 GB/T 9704，第二层用（{found.group(1)}），写成“### （{found.group(1)}）…”，或不写编号（PDF 会自动编号）。")


# An error: a current version cannot have been issued on a day still to come. The workflow lets the next version
# correct a revision record dated in the future (review/workflow), so an approved document can always be fixed.
@rule("future-issue-date", ERROR, "现行文档的颁布日期（和学校颁布令的审定、颁布日期）不晚于今天")
def check_future_issue_dates(library: Library):
    day = today()
    for doc in clean(library):
        if doc.kind != "school" and doc.data.get("status") != "approved":
            continue  # a draft or a document in review may plan its issue date
        for pointer in ("/issued_on", "/decree/issued_on", "/decree/approved_on"):
            yield from _not_future(doc, pointer, day)


def _not_future(doc, pointer: str, day: date):
    value = doc.data
    for step in pointer.strip("/").split("/"):
        value = value.get(step) if isinstance(value, dict) else None
    try:
        issued_day = date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return  # the schema reports it
    if issued_day and issued_day > day:
        line, column = doc.position(pointer)
        yield Problem(doc.path, line, column, ERROR, "",
                      f"日期 {chinese_date(issued_day)}还没到（今天是 {chinese_date(day)}）：文档不能在颁布、审定之前就是现行版本。",
                      "写实际审定、批准发布的日期；还没到颁布日期的文档不应是现行版本（status 改为 review，到期再批准）。")


@rule("printed-ids", ERROR, "印出来的文字用文档标题，不写内部编号（如“按 mass-incidents 处置”）")
def check_printed_ids(library: Library):
    docs = clean(library)
    titles = {doc.id: doc.title for doc in docs if doc.id and doc.kind != "school"}
    if not titles:
        return
    mention = re.compile(r"(?<![A-Za-z0-9_./<-])(" + "|".join(re.escape(i) for i in sorted(titles, key=len, reverse=True))
                         + r")(?![A-Za-z0-9_-])")
    for doc in docs:
        if doc.kind not in PRINTED:
            continue  # notes explain the library to its editors, ids included
        for place in texts(doc):
            if place.pointer.startswith("/revisions/") or not PROSE.search(place.text):
                continue  # ids belong in references, applies_to and the like; revision records are history
            shown = STATEMENT.sub(lambda m: " " * len(m.group(0)), PLACEHOLDER.sub(lambda m: " " * len(m.group(0)), place.text))
            for found in mention.finditer(shown):
                line, column = at(place, found.start())
                yield Problem(doc.path, line, column, ERROR, "",
                              f"正文写了文档的内部编号“{found.group(1)}”，读者看不懂。",
                              f"改写为它的标题《{titles[found.group(1)]}》；需要链接时写在 references 中。")
