"""A Markdown content file's text → its YAML front matter, its body, and the body's sections; too deep nesting found."""

from __future__ import annotations

import re

from safeplan.content.limits import MAX_DEPTH
from safeplan.content.model import Section

# What opens a nested Markdown block on a line: a blockquote marker or a list item marker.
_NESTING = re.compile(r"[ \t]*(>|[-*+][ \t]|[0-9]{1,9}[.)][ \t])")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def too_deep(markdown: str) -> int | None:
    """The 0-based index of the first line nested deeper than MAX_DEPTH, or None.

    Depth is counted generously (every two columns of indentation and every list or quote
    marker count one), so whatever passes here renders without deep recursion.
    """
    in_fence = False
    for index, line in enumerate(markdown.split("\n")):
        if _FENCE.match(line):
            in_fence = not in_fence
        if in_fence or 2 * len(line) <= MAX_DEPTH:  # a character opens at most two levels (a tab)
            continue
        indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip(" "))
        depth, position = indent // 2, 0
        while (match := _NESTING.match(line, position)) and depth <= MAX_DEPTH:
            depth, position = depth + 1, match.end()
        if depth > MAX_DEPTH:
            return index
    return None


def split_front_matter(text: str, fail) -> tuple[str, str, int, int]:
    """'---\\nYAML\\n---\\nbody' → (YAML, body, line offset of YAML, first body line)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise fail("Markdown 文件必须以 YAML 头部开始：第一行是 ---。",
                   "在文件开头加上 --- 行，写完字段后再用一行 --- 结束头部。")
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), 1, index + 2
    raise fail("YAML 头部没有结束行 ---。", "在字段写完之后、正文之前单独加一行 ---。")


def parse_sections(body: str, first_line: int) -> list[Section]:
    """Markdown headings outside code fences, each with the text up to the next heading."""
    sections: list[Section] = []
    in_fence = False
    lines = body.split("\n")
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence else _HEADING.match(line)
        if match:
            sections.append(Section(len(match.group(1)), match.group(2).strip(), first_line + index, ""))
        elif sections:
            sections[-1].text += line + "\n"
    for section in sections:
        section.text = section.text.strip("\n")
    return sections
