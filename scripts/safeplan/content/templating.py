"""Text with placeholders + a school → filled text; a placeholder is a data path, nothing else.

Every template is checked on its syntax tree before it is rendered: output is a data path
(`school.assembly_points[0].name`) through filters of a short list whose arguments are text
written in the template, and `{% if %}` tests data paths. No calls, loops, macros, `set`,
arithmetic or concatenation exist, so filling takes time and memory in proportion to the
template and the school's data. The sandbox and the output cap stay as a second fence.
"""

from __future__ import annotations

import re
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateError, UndefinedError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from safeplan.content import reporting_text
from safeplan.content.model import map_strings
from safeplan.content.schemas import common_definition

_MARKERS = ("{{", "{%", "{#")
_PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")
ROOT_NAMES = ("school", "district")
MAX_OUTPUT_CHARS = 1_000_000  # a filled plan is ~20 KB; the check makes more impossible, this is a fence
ALLOWED_FORM = "{{ school.字段.子字段 }}、{{ school.列表[0].字段 }}、{{ 路径 | default(\"—\") }}，条件用 {% if 路径 %}…{% endif %}"


class PlaceholderError(Exception):
    """A placeholder that cannot be filled; `expression` is what the editor wrote."""

    def __init__(self, message: str, expression: str = "", lineno: int | None = None, column: int | None = None,
                 hint: str = ""):
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.lineno = lineno
        self.column = column
        self.hint = hint


# ---------------------------------------------------------------- filters

def _field(mapping, key, default=""):
    """mapping[key], or default: works on school data and on the site's stand-in placeholders."""
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return default


def _routes(school):
    names = {str(_field(p, "id")): _field(p, "name") for p in _field(school, "assembly_points", [])}
    for route in _field(school, "evacuation_routes", []):
        yield route, names.get(str(_field(route, "assembly_point")), "")


def evacuation_rows(school) -> str:
    """One Markdown table row per evacuation route: building | floors | route | assembly point."""
    return "\n".join(f"| {_field(r, 'building')} | {_field(r, 'floors', '—')} | {_field(r, 'route')} | {point} |"
                     for r, point in _routes(school))


def evacuation_steps(school) -> str:
    """One nested list item per route (under a numbered step): building：route，到达 assembly point。"""
    return "\n".join(f"   - {_field(r, 'building')}：{_field(r, 'route')}，到达{point}。" for r, point in _routes(school))


def assembly_points(school) -> str:
    """The assembly points with their capacity, separated by ；."""
    return "；".join(f"{_field(p, 'name')}" + (f"（可容纳 {_field(p, 'capacity')} 人）" if _field(p, "capacity", None)
                                              is not None else "") for p in _field(school, "assembly_points", []))


def points_for(school, use: str) -> list[str]:
    """The names of the assembly points that routes of buildings with this use lead to, in route order."""
    names = []
    for route, point in _routes(school):
        if use in (_field(route, "uses", None) or ()) and point and point not in names:
            names.append(point)
    return names


def assembly_point_for(school, use: str) -> str:
    """The assembly point(s) of the school's buildings of one use (dorm, teaching …), joined by 、."""
    if not isinstance(school, dict):  # the site's generic page: say which point, readably
        return f"〔{common_definition('building_use').get('x-labels', {}).get(use, use)}的集合点〕"
    names = points_for(school, use)
    if not names:
        raise PlaceholderError(f"本校没有用途为“{use}”的楼栋疏散路线，无法写出它的集合点。", f'assembly_point_for("{use}")')
    return "、".join(names)


# name → (how to use it, how many text arguments it takes); each one's output grows at most
# linearly in the data and the template.
FILTERS = {
    "default": ('字段缺失时显示给定文字，例如 {{ school.counts.boarders | default("无") }}', 1),
    "join": ('把文字列表用给定分隔符连起来，例如 {{ school.notes | join("、") }}', 1),
    "evacuation_rows": ("把本校疏散路线写成表格行，例如 {{ school | evacuation_rows }}", 0),
    "evacuation_steps": ("把本校疏散路线写成列表，例如 {{ school | evacuation_steps }}", 0),
    "assembly_points": ("列出本校集合点及容量，例如 {{ school | assembly_points }}", 0),
    "assembly_point_for": ('某类楼栋（按疏散路线的 uses）的集合点，例如 {{ school | assembly_point_for("dorm") }}', 1),
    **{name: (usage, arguments) for name, (usage, arguments, _) in reporting_text.FILTERS.items()},
}
_OWN_FILTERS = {"evacuation_rows": evacuation_rows, "evacuation_steps": evacuation_steps,
                "assembly_points": assembly_points, "assembly_point_for": assembly_point_for,
                **{name: function for name, (_, _, function) in reporting_text.FILTERS.items()}}
_TESTS = ("defined", "undefined", "none")
_COMPARISONS = ("eq", "ne", "lt", "lteq", "gt", "gteq", "in", "notin")


_DATA = (dict, list, str, int, float, bool, type(None))


class _DataPaths(ImmutableSandboxedEnvironment):
    """Attribute and index access reach data only: `school.items` is the field items, never dict.items."""

    def getattr(self, obj, attribute):
        if isinstance(obj, _DATA):
            return obj[attribute] if isinstance(obj, dict) and attribute in obj else self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)  # the site's stand-ins for school data

    def getitem(self, obj, argument):
        if isinstance(obj, dict) and argument in obj:
            return obj[argument]
        if isinstance(obj, list) and type(argument) is int and -len(obj) <= argument < len(obj):
            return obj[argument]
        if isinstance(obj, _DATA):
            return self.undefined(obj=obj, name=argument)
        return super().getitem(obj, argument)


@lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    # autoescape stays off: output is Markdown, and HTML is sanitised when it is rendered.
    env = _DataPaths(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters = {"default": env.filters["default"], "join": env.filters["join"], **_OWN_FILTERS}
    env.tests = {name: env.tests[name] for name in _TESTS}
    env.globals.clear()
    return env


# ---------------------------------------------------------------- the syntax check

_CONSTRUCTS = {  # node type → (what the editor wrote, a string to find it on its line)
    nodes.For: ("循环 {% for %}", "for"), nodes.Macro: ("宏 {% macro %}", "macro"),
    nodes.CallBlock: ("{% call %}", "call"), nodes.Assign: ("赋值 {% set %}", "set"),
    nodes.AssignBlock: ("赋值 {% set %}", "set"), nodes.Include: ("包含文件 {% include %}", "include"),
    nodes.Import: ("导入 {% import %}", "import"), nodes.FromImport: ("导入 {% from %}", "from"),
    nodes.Extends: ("继承 {% extends %}", "extends"), nodes.Block: ("{% block %}", "block"),
    nodes.FilterBlock: ("{% filter %}", "filter"), nodes.With: ("{% with %}", "with"),
    nodes.Scope: ("{% with %}", "with"), nodes.Call: ("函数或方法调用 (…)", "("),
    nodes.Concat: ("字符串拼接 ~", "~"), nodes.CondExpr: ("行内条件 … if … else …", " if "),
    nodes.Slice: ("切片 [a:b]", ":"), nodes.List: ("列表 […]", "["), nodes.Tuple: ("元组 (…)", "("),
    nodes.Dict: ("字典 {…}", "{"), nodes.Pos: ("正号 +", "+"), nodes.Neg: ("负号 -", "-"),
}


def check_template(text: str) -> None:
    """Raise PlaceholderError (with line and column in text) unless text uses only data paths."""
    try:
        tree = _environment().parse(text)
    except TemplateError as error:
        lineno = getattr(error, "lineno", None) or 1
        raise PlaceholderError(f"占位符写法有误：{error.message or error}", "", lineno, _column(text, lineno, ""),
                               f"占位符的写法：{ALLOWED_FORM}。") from None
    for node in tree.body:
        _statement(node, text)


def _refuse(text: str, node: nodes.Node, what: str, needle: str, hint: str = "") -> PlaceholderError:
    lineno = getattr(node, "lineno", 1) or 1
    return PlaceholderError(f"占位符中不允许使用{what}。", "", lineno, _column(text, lineno, needle),
                            hint or f"占位符只能写数据路径，可加过滤器 {'、'.join(FILTERS)}；写法：{ALLOWED_FORM}。"
                                    "列表请用 evacuation_rows 等过滤器，不要写循环。")


def _unknown(text: str, node: nodes.Node) -> PlaceholderError:
    what, needle = _CONSTRUCTS.get(type(node), (None, ""))
    if what is None and isinstance(node, nodes.BinExpr):
        what, needle = f"运算符 {node.operator}", node.operator
    if what is None and isinstance(node, nodes.Const):
        what, needle = "字面值（数字或文字）", str(node.value)
    return _refuse(text, node, what or f"“{type(node).__name__}”结构", needle)


def _statement(node: nodes.Node, text: str) -> None:
    if isinstance(node, nodes.TemplateData):
        return
    if isinstance(node, nodes.Output):
        for child in node.nodes:
            if not isinstance(child, nodes.TemplateData):
                _output(child, text)
        return
    if isinstance(node, nodes.If):
        _test(node.test, text)
        for child in [*node.body, *node.elif_, *node.else_]:
            _statement(child, text)
        return
    raise _unknown(text, node)


def _output(node: nodes.Node, text: str) -> None:
    """{{ data.path | filter("text") | … }}"""
    if isinstance(node, nodes.Filter):
        if node.node is None:
            raise _unknown(text, node)
        _output(node.node, text)  # inner first: the message names what the editor wrote first
        if node.name not in FILTERS:
            raise _refuse(text, node, f"过滤器 {node.name}", node.name,
                          "可用的过滤器：" + "；".join(f"{name}：{use}" for name, (use, _) in FILTERS.items()) + "。")
        usage, arguments = FILTERS[node.name]
        if node.kwargs or node.dyn_args or node.dyn_kwargs or len(node.args) > arguments or any(
                not (isinstance(arg, nodes.Const) and isinstance(arg.value, str)) for arg in node.args):
            raise _refuse(text, node, f"过滤器 {node.name} 的这种参数", node.name,
                          f"{node.name} 的用法：{usage}。参数只能是引号中的文字。")
        return
    _path(node, text)


def _path(node: nodes.Node, text: str) -> None:
    """school, school.name, school.assembly_points[0].name"""
    if isinstance(node, nodes.Name):
        if node.name not in ROOT_NAMES:
            raise _refuse(text, node, f"名称“{node.name}”", node.name,
                          "数据路径以 school（本校数据）或 district（区教育局数据）开头，例如 {{ school.name }}。")
        return
    if isinstance(node, nodes.Getattr):
        if node.attr.startswith("_"):
            raise _refuse(text, node, f"以下划线开头的字段“{node.attr}”", node.attr)
        return _path(node.node, text)
    if isinstance(node, nodes.Getitem):
        key = node.arg
        if not (isinstance(key, nodes.Const) and (type(key.value) is int or isinstance(key.value, str))
                and not str(key.value).startswith("_")):
            raise _refuse(text, node, "这种下标", "[", "下标只能是数字或字段名，例如 school.assembly_points[0]。")
        return _path(node.node, text)
    raise _unknown(text, node)


def _test(node: nodes.Node, text: str) -> None:
    """{% if %} conditions: data paths, and/or/not, comparisons with a path or a constant, `is defined`."""
    if isinstance(node, (nodes.And, nodes.Or)):
        _test(node.left, text)
        return _test(node.right, text)
    if isinstance(node, nodes.Not):
        return _test(node.node, text)
    if isinstance(node, nodes.Test):
        if node.name not in _TESTS or node.args or node.kwargs or node.dyn_args or node.dyn_kwargs:
            raise _refuse(text, node, f"判断 is {node.name}", node.name,
                          "条件里只能用 is defined、is undefined、is none，或 ==、!=、<、> 与数据路径比较。")
        return _path(node.node, text)
    if isinstance(node, nodes.Compare):
        for operand in (node.expr, *(op.expr for op in node.ops)):
            if not isinstance(operand, nodes.Const):
                _path(operand, text)
        for op in node.ops:
            if op.op not in _COMPARISONS:
                raise _refuse(text, node, f"比较 {op.op}", op.op)
        return
    _path(node, text)


def _column(text: str, lineno: int, needle: str) -> int:
    """Where on its line the construct is: the needle inside a {{ }}/{% %}, else the first marker."""
    lines = text.split("\n")
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    for tag in re.finditer(r"\{[{%].*?(?:[}%]\}|$)", line):
        if needle and needle in tag.group(0):
            return tag.start() + 1
    first = re.search(r"\{[{%#]", line)
    return first.start() + 1 if first else 1


# ---------------------------------------------------------------- filling

def has_placeholders(text: str) -> bool:
    return any(marker in text for marker in _MARKERS)


@lru_cache(maxsize=4096)
def _compile(text: str):
    check_template(text)  # raises before anything is rendered
    return _environment().from_string(text)


def compile_error(text: str) -> PlaceholderError | None:
    """The reason text is not a valid template, or None."""
    if not has_placeholders(text):
        return None
    try:
        _compile(text)
    except PlaceholderError as error:
        return error
    return None


def fill(text: str, context: dict) -> str:
    """Fill placeholders; raise PlaceholderError naming the expression that failed."""
    if not has_placeholders(text):
        return text
    template = _compile(text)
    try:
        parts, size = [], 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise PlaceholderError(f"占位符展开后超过 {MAX_OUTPUT_CHARS} 个字符。")
            parts.append(chunk)
        return "".join(parts)
    except PlaceholderError:
        raise
    except UndefinedError as error:
        raise PlaceholderError(f"占位符无法填写：{_undefined_reason(error)}", _failing_expression(text, error)) from None
    except TemplateError as error:
        lineno = getattr(error, "lineno", None)
        raise PlaceholderError(f"占位符写法有误：{error.message or error}", "", lineno) from None
    except Exception as error:  # e.g. a comparison of a number with text
        raise PlaceholderError(f"占位符无法计算：{error}", "") from None


def fill_data(value, context: dict):
    """Fill placeholders in every string of a nested structure."""
    return map_strings(value, lambda text: fill(text, context))


def _undefined_reason(error: UndefinedError) -> str:
    message = str(error.message or error)
    found = re.search(r"has no attribute '([^']+)'", message) or re.search(r"'([^']+)' is undefined", message)
    return f"字段“{found.group(1)}”不存在" if found else message


def _failing_expression(text: str, error: UndefinedError) -> str:
    """The first placeholder that mentions the missing name, to locate it in the file."""
    message = str(error.message or error)
    found = re.search(r"has no attribute '([^']+)'", message) or re.search(r"'([^']+)' is undefined", message)
    if found:
        for match in _PLACEHOLDER.finditer(text):
            if found.group(1) in match.group(1):
                return match.group(0)
    return ""
