"""Plans + schools' route tables → Problems: a plan sends people to the assembly point of the building it is about."""

from __future__ import annotations

import re

from safeplan.checks.text_places import clean, found, placeholders, texts
from safeplan.checks.template_rules import template_context
from safeplan.checks.validate import rule
from safeplan.content.applicability import applies
from safeplan.content.model import WORKFLOW_KINDS, Document, Library
from safeplan.content.templating import PlaceholderError, fill, points_for
from safeplan.problems import ERROR, Problem

INDEXED = re.compile(r"assembly_points\s*\[")
_HINT = ('写本楼栋的集合点：{{ school | assembly_point_for("dorm") }}（宿舍）、assembly_point_for("teaching")（教学楼）等，'
         "用途取自学校文件 evacuation_routes 的 uses；需要列出全部集合点时用 {{ school | assembly_points }}。")


def schools_of(doc: Document, schools: list[Document]) -> list[Document]:
    """The schools a school-level document is filled for."""
    return [s for s in schools if applies(doc.data.get("applies_to"), s.data)[0] and doc.data.get("school") in (None, s.id)]


@rule("assembly-point-building", ERROR, "预案写出的集合点是它所针对楼栋（building）的集合点，不直接取第 N 个集合点")
def check_assembly_points(library: Library):
    docs = clean(library)
    schools = [d for d in docs if d.kind == "school"]
    for doc in docs:
        if doc.kind not in WORKFLOW_KINDS:
            continue
        for place in texts(doc):
            for match, line, column in placeholders(place):
                if INDEXED.search(match.group(0)):
                    yield Problem(doc.path, line, column, ERROR, "",
                                  f"“{match.group(0)}”直接取学校的第 N 个集合点，不看人员所在的楼栋：宿舍、食堂的学生会被带到教学区的集合点。",
                                  _HINT)
        use = doc.data.get("building")
        if doc.kind == "plan" and use:
            yield from _foreign_points(library, doc, use, schools_of(doc, schools))


def _foreign_points(library: Library, doc: Document, use: str, schools: list[Document]):
    """Assembly points the plan names, for a school, that no route of a building of this use leads to."""
    for school in schools:
        allowed = points_for(school.data, use)
        others = [p["name"] for p in school.data["assembly_points"] if p["name"] not in allowed]
        context = template_context(library, school)
        where = f"（学校：{school.id}，本校 {use} 楼栋的集合点：{'、'.join(allowed) or '无'}）"
        for place in texts(doc):
            if place.pointer.startswith("/revisions/"):
                continue  # a revision record may name the point the plan used to name
            spans = []
            for match, line, column in placeholders(place):
                spans.append(match.span())
                try:
                    value = fill(match.group(0), context)
                except PlaceholderError:
                    continue  # the placeholders rule reports it
                for name in others:
                    if name in value:
                        yield Problem(doc.path, line, column, ERROR, "",
                                      f"本预案针对 {use} 楼栋（building: {use}），这里却写出了其他楼栋的集合点“{name}”{where}。", _HINT)
            for name in others:
                for offset, line, column in found(place, name):
                    if not any(start <= offset < end for start, end in spans):
                        yield Problem(doc.path, line, column, ERROR, "",
                                      f"本预案针对 {use} 楼栋（building: {use}），这里写的集合点“{name}”不是这类楼栋的集合点{where}。",
                                      _HINT)
