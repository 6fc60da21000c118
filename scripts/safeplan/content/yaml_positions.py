"""YAML text → (data, positions): every value with its line and column, typed by YAML 1.2 core rules.

Composed from libyaml's parser events with our own typing rules: `yes`, `on`, `1:30`, `0123` and
`2020-09-01` stay text, so nothing an editor typed changes meaning silently. Aliases, tags, deep
nesting, duplicate keys and numbers no reader keeps exact are refused, each at its place.
"""

from __future__ import annotations

import math
import re

import yaml

from safeplan.content.limits import MAX_DEPTH, MAX_DIGITS, MAX_KEY
from safeplan.problems import CONTROL, control_name

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+\.[0-9]*)([eE][-+]?[0-9]+)?$|^[-+]?[0-9]+[eE][-+]?[0-9]+$")
_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_SURROGATE = re.compile(r"[\ud800-\udfff]")

# libyaml's event stream when available: ~15× faster than the pure-Python parser.
_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Located(Exception):
    def __init__(self, mark, message: str, hint: str = ""):
        super().__init__(message)
        self.line = mark.line + 1 if mark else 1
        self.column = mark.column + 1 if mark else 1
        self.message = message
        self.hint = hint


def parse_yaml(text: str, fail, offset: int = 0):
    """YAML text → (data, positions), composed from parser events with our own typing rules.

    Aliases are refused (a few lines could expand to gigabytes), nesting is bounded,
    duplicate keys and non-text keys are errors.
    """
    try:
        return _compose(yaml.parse(text, Loader=_Parser), fail, offset)
    except _Located as error:
        raise fail(error.message, error.hint, error.line + offset, error.column) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = (mark.line + 1 if mark else 1) + offset
        column = mark.column + 1 if mark else 1
        hint = "检查这一行及上一行的缩进（只能用空格，不能用 Tab）、冒号后的空格和引号是否成对。"
        if "\t" in (text.split("\n") + [""])[line - offset - 1]:
            hint = "这一行含有 Tab；YAML 只能用空格缩进，请把 Tab 换成空格。"
        problem = str(error.problem or error.context)
        if "nesting depth" in problem:
            raise fail(f"嵌套层级超过 {MAX_DEPTH} 层。", "请检查缩进，文档结构不需要这么深。", line, column) from None
        raise fail(f"YAML 格式错误：{_YAML_MESSAGES.get(problem, problem)}。", hint, line, column) from None
    except yaml.YAMLError as error:
        raise fail(f"YAML 格式错误：{error}", "请检查文件格式。", 1 + offset, 1) from None


def _compose(events, fail, offset: int):
    positions: dict[str, tuple[int, int]] = {}
    # stack entries: [container, pointer, pending key (mappings), key mark]
    stack: list[list] = []
    root = _NOTHING = object()
    documents = 0

    def at(mark) -> tuple[int, int]:
        return (mark.line + 1 + offset, mark.column + 1)

    def place(value, mark, is_container=False):
        nonlocal root
        if not stack:
            root = value
            positions.setdefault("", at(mark))
            return ""
        top = stack[-1]
        container, pointer = top[0], top[1]
        if isinstance(container, list):
            child = f"{pointer}/{len(container)}"
            positions[child] = at(mark)
            container.append(value)
            return child
        if top[2] is _NOTHING:  # this value is a key
            if is_container or not isinstance(value, str):
                line, column = at(mark)
                raise fail("字段名必须是普通文字。", "请检查这一行的写法。", line, column)
            if value in container:
                line, column = at(mark)
                first = positions[f"{pointer}/{_escape(value)}"][0]
                raise fail(f"字段“{value}”重复出现（第一次在第 {first} 行）。",
                           "同一层级的字段只能出现一次：请合并两处内容，删除其中一处。", line, column)
            top[2] = value
            positions[f"{pointer}/{_escape(value)}"] = at(mark)
            return None
        child = f"{pointer}/{_escape(top[2])}"
        container[top[2]] = value
        top[2] = _NOTHING
        return child

    for event in events:
        if isinstance(event, yaml.AliasEvent):
            raise _Located(event.start_mark, "不支持 YAML 别名（*名称）和锚点（&名称）。",
                           "请把引用的内容直接写出来；别名可以让一个小文件展开成巨大的数据。")
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _Located(event.start_mark, "一个文件里只能有一个 YAML 文档。",
                               "删除多余的 --- 分隔线，或把内容拆成多个文件。")
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(stack) >= MAX_DEPTH:
                raise _Located(event.start_mark, f"嵌套层级超过 {MAX_DEPTH} 层。", "请检查缩进，文档结构不需要这么深。")
            _check_tag(event, fail, at)
            container = {} if isinstance(event, yaml.MappingStartEvent) else []
            pointer = place(container, event.start_mark, is_container=True)
            stack.append([container, pointer, _NOTHING])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
        elif isinstance(event, yaml.ScalarEvent):
            _check_tag(event, fail, at)
            is_key = bool(stack) and isinstance(stack[-1][0], dict) and stack[-1][2] is _NOTHING
            _check_scalar(event, is_key)
            control = CONTROL.search(event.value)  # written as an escape: "\u202e", "\0", "\e", "\x1b"
            if control:
                raise _Located(event.start_mark,
                               f"{'字段名' if is_key else '值'}中含有不可见的控制字符 {control_name(control.group())}"
                               "（由双引号里的反斜杠转义写出）。",
                               "请删除这个转义（例如 \\u202e、\\0、\\e、\\x1b）；控制字符和双向文字覆盖字符会让文字"
                               "显示得与实际内容不同，或在终端上执行转义序列。")
            value = event.value if (is_key or event.style or event.tag) else _plain(event.value)
            place(value, event.start_mark)
    if root is _NOTHING or root is None:
        raise fail("文件是空的。", "请参照 schemas/examples/ 中的样例填写内容，或删除这个文件。", 1 + offset, 1)
    return root, positions


_YAML_MESSAGES = {
    "mapping values are not allowed here": "这里不能出现“字段: 值”（常见原因：值里有冒号加空格却没加引号，或缩进不对）",
    "could not find expected ':'": "缺少冒号（字段名后要写半角冒号加空格）",
    "found character that cannot start any token": "出现了不能开头的字符（常见原因：用了 Tab 缩进，或值以 @、` 开头却没加引号）",
    "did not find expected key": "缩进不对齐，或列表项与字段混在同一层",
    "found undefined alias": "使用了未定义的别名",
    "found unexpected end of stream": "文件意外结束（常见原因：引号或括号没有成对）",
    "did not find expected ',' or ']'": "方括号列表没有正确结束（缺少逗号或 ]）",
    "did not find expected ',' or '}'": "花括号映射没有正确结束（缺少逗号或 }）",
    "found a tab character that violates indentation": "缩进里有 Tab",
    "found a tab character where an indentation space is expected": "缩进里有 Tab",
    "did not find expected <document start>": "文档结构不对（多余的内容或 --- 分隔线）",
    "expected <block end>, but found '-'": "列表项的缩进不对齐",
    "found invalid Unicode character escape code": "双引号里的 \\u 或 \\U 转义不是有效的字符（不成对的代理字符 U+D800–U+DFFF，或超出 U+10FFFF）",
    "found unknown escape character": "双引号内有无法识别的反斜杠转义（路径请用单引号或 /）",
}
_STANDARD_TAGS = {None, "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _check_tag(event, fail, at):
    if event.tag not in _STANDARD_TAGS:
        line, column = at(event.start_mark)
        raise fail(f"不支持 YAML 标签 {event.tag}。", "请删除以 ! 开头的标签，直接写值。", line, column)


def _check_scalar(event, is_key: bool) -> None:
    """Values no later stage could handle become located errors here."""
    value = event.value
    if _SURROGATE.search(value):
        raise _Located(event.start_mark, "双引号里的 \\u 转义写出了一个不成对的代理字符（U+D800–U+DFFF），它不是有效的文字。",
                       "删除这个转义，直接写出要表达的字符。")
    if is_key and len(value) > MAX_KEY:
        raise _Located(event.start_mark, f"字段名长达 {len(value)} 个字符，超过上限 {MAX_KEY}。",
                       "字段名应当是样例中列出的短名称；长文字请写在冒号后面作为值。")
    if is_key or event.style or event.tag:
        return
    too_big = len(value.lstrip("+-")) > MAX_DIGITS if _INT.match(value) else bool(_FLOAT.match(value)) and not _finite(value)
    if too_big:
        raise _Located(event.start_mark, f"数字“{value[:20]}{'…' if len(value) > 20 else ''}”太大或不是有限的数。",
                       f"数量不会超过 {MAX_DIGITS} 位；如果这是编号、电话或证件号，请加引号写成文字，例如 \"0519…\"。")


def _finite(value: str) -> bool:
    number = float(value)
    return math.isfinite(number) and abs(number) < 10 ** MAX_DIGITS


def _plain(value: str):
    """YAML 1.2 core schema typing for plain scalars; everything else stays text."""
    if value in _NULL:
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    return value


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
