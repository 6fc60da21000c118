"""Checklist and drill documents → the blank forms a school prints and files: grids, records, reference pages."""

from __future__ import annotations

# Drill-record fields filled in by hand at length; the rest take one line (a time, a count, a name).
_DRAWN = ("路线图", "示意图")
_WRITTEN = ("问题", "整改", "意见", "点评", "评估", "总结", "情况")


def record_space(field: str) -> str:
    """How much room a drill-record field needs on paper: "draw", "write" or "" (one line)."""
    if any(word in field for word in _DRAWN):
        return "draw"
    return "write" if any(word in field for word in _WRITTEN) else ""
