"""An applies_to rule + a school → whether the document applies, and why (in Chinese)."""

from __future__ import annotations

from safeplan.content.schemas import school_field_labels

_NEGATED = "否"


def field_value(school: dict, path: str):
    value = school
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _label(path: str) -> str:
    return school_field_labels().get(path, path)


def _hidden(value) -> bool:
    """A boolean or count field holding text holds the public edition's redaction marker (false, non-empty)."""
    return isinstance(value, str) and len(value) > 0


def applies(rule: dict | None, school: dict) -> tuple[bool, str]:
    """(applies?, reason). Every condition must hold; an empty rule applies to every school."""
    rule = rule or {}
    reasons = []
    kinds = rule.get("kinds")
    if kinds:
        if school.get("kind") not in kinds:
            return False, f"学校类型不是{'、'.join(kinds)}"
        reasons.append(f"学校类型为{school.get('kind')}")
    for path in rule.get("all_of") or []:
        if not field_value(school, path):
            value = field_value(school, path)
            return False, f"{_label(path)}：{value if _hidden(value) else _NEGATED}"
        reasons.append(_label(path))
    any_of = rule.get("any_of") or []
    if any_of:
        hits = [path for path in any_of if field_value(school, path)]
        if not hits:
            return False, f"{'、'.join(_label(p) for p in any_of)}均为否"
        reasons.append("、".join(_label(p) for p in hits))
    for path in rule.get("none_of") or []:
        if field_value(school, path):
            return False, f"{_label(path)}：是"
        value = field_value(school, path)
        reasons.append(f"{_label(path)}：{value}" if _hidden(value) else f"无{_label(path)}")
    return True, "；".join(reasons) if reasons else "适用于全部学校"


def rule_paths(rule: dict | None) -> list[tuple[str, str]]:
    """(JSON pointer inside the rule, field path) for every field the rule names."""
    rule = rule or {}
    return [(f"/{key}/{index}", path)
            for key in ("all_of", "any_of", "none_of")
            for index, path in enumerate(rule.get(key) or [])]
