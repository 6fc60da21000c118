"""Base and head records → gate problems: a record is never deleted, and a verified or voided hazard never reopens silently."""

from __future__ import annotations

from safeplan.content.model import RECORD_KINDS, Document
from safeplan.problems import ERROR, Problem
from safeplan.review.compare import Pair

FINAL = ("verified", "void")  # a hazard's states that are history, not work


def record_problems(pairs: list[Pair]) -> list[Problem]:
    problems = []
    for old, new in pairs:
        if (new or old).kind not in RECORD_KINDS or old is None:
            continue
        if new is None:
            problems.append(Problem(old.path, 1, 1, ERROR, "record-deleted",
                                    f"记录“{old.id}”被删除了。记录是工作留痕，不能删除。",
                                    "恢复这个文件；登记错误的隐患把 status 改为 void 并写明 void_reason。"))
        elif old.kind == "hazard" and old.data.get("status") in FINAL and new.data.get("status") != old.data.get("status"):
            problems.append(_at(new, "/status", "hazard-reopened",
                                f"隐患已{_label(old)}，不能改为 {new.data.get('status')}。",
                                "隐患复发或销号有误时，请登记一条新的隐患，并在其 notes 中写明原编号。"))
    return problems


def _label(doc: Document) -> str:
    return "销号（verified）" if doc.data.get("status") == "verified" else "作废（void）"


def _at(doc: Document, pointer: str, rule: str, message: str, hint: str) -> Problem:
    line, column = doc.position(pointer)
    return Problem(doc.path, line, column, ERROR, rule, message, hint)
