"""A school-level document + the district's data → its district template, school data shown as 〔校长姓名〕.

The site shows each school-level document once, as the district's template; each school's filled
text is in that school's bundle. Placeholder labels come from the school schema.
"""

from __future__ import annotations

import re


from safeplan.content.schemas import per_run, schema_steps
from safeplan.content.templating import PlaceholderError, fill

_PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_STATEMENT = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.S)
_TOP_LABELS = {"name": "学校名称", "short_name": "学校简称", "address": "学校地址", "town": "所在镇（街道）", "kind": "学校类型"}
_LEAF_LABELS = {"name": "姓名", "title": "职务", "mobile": "手机", "office_phone": "办公电话", "phone": "电话"}
_LABEL_END = re.compile(r"[，。；、:：]")
_BRACKETS = re.compile(r"（[^）]*）|\([^)]*\)")


class Placeholder:
    """Stands in for school data when a school-level document is shown as a district template."""

    __slots__ = ("_path",)

    def __init__(self, path: tuple):
        self._path = path

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return Placeholder(self._path + (name,))

    def __getitem__(self, key):
        return Placeholder(self._path + (key,))

    def __iter__(self):
        yield Placeholder(self._path + ("*",))

    def __len__(self) -> int:
        return 1

    def __str__(self) -> str:
        return f"〔{placeholder_label(self._path)}〕"


@per_run
def placeholder_label(path: tuple) -> str:
    """('school', 'organisation', 'principal', 'name') → 校长姓名, from the school schema."""
    steps = path[1:]
    if not steps:
        return "学校"
    if len(steps) == 1 and steps[0] in _TOP_LABELS:
        return _TOP_LABELS[steps[0]]
    words = []
    for step, node in zip(steps, schema_steps("school", steps)):
        if node is None:
            return "·".join(str(s) for s in steps)
        label = _describe(node, step)
        if (isinstance(step, int) or step == "*") and words:
            words[-1] = label + words[-1]  # 第1个应急集合点, 各疏散路线
        else:
            words.append(label)
    if steps[-1] in _LEAF_LABELS and len(words) > 1:
        leaf = "名称" if steps[-1] == "name" and steps[0] != "organisation" else _LEAF_LABELS[steps[-1]]
        return words[-2] + leaf
    return words[-1]


def _describe(node: dict, step) -> str:
    if isinstance(step, int):
        return f"第{step + 1}个"
    if step == "*":
        return "各"
    described = node.get("title") or node.get("description") or str(step)
    return _LABEL_END.split(_BRACKETS.sub("", described), 1)[0].strip() or str(step)


def template_fill(value, district: dict):
    """Fill a school-level document with readable placeholders, e.g. 〔校长姓名〕, and the district's data."""
    if isinstance(value, list):
        return [template_fill(item, district) for item in value]
    if isinstance(value, dict):
        return {key: template_fill(item, district) for key, item in value.items()}
    if not isinstance(value, str):
        return value
    try:
        return fill(value, {"school": Placeholder(("school",)), "district": district})
    except PlaceholderError:  # an expression that needs real values: show it, readably
        shown = _PLACEHOLDER.sub(lambda m: f"〔{_expression_label(m.group(1))}〕", value)
        return _STATEMENT.sub("", shown)


def _expression_label(expression: str) -> str:
    found = re.match(r"school((?:\.[a-z_]+|\[\d+\])+)", expression)
    if not found:
        return expression
    steps = tuple(int(s[1:-1]) if s.startswith("[") else s for s in re.findall(r"\.[a-z_]+|\[\d+\]", found.group(1)))
    return placeholder_label(("school",) + tuple(s.lstrip(".") if isinstance(s, str) else s for s in steps))
