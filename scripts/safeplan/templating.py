"""Text with placeholders + a school → filled text, in a sandbox that cannot run code."""

from __future__ import annotations

import re
from functools import lru_cache

from jinja2 import StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

_MARKERS = ("{{", "{%", "{#")
_PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")


class PlaceholderError(Exception):
    """A placeholder that cannot be filled; `expression` is what the editor wrote."""

    def __init__(self, message: str, expression: str = "", lineno: int | None = None):
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.lineno = lineno


MAX_OUTPUT_CHARS = 1_000_000  # a filled plan is ~20 KB; anything near this is an attack
# Filters content may use: enough for lists and defaults, none that can multiply text.
ALLOWED_FILTERS = ("default", "d", "join", "length", "count", "first", "last", "upper", "lower", "trim",
                   "string", "int", "sort", "list", "unique", "selectattr", "rejectattr", "map", "e", "escape")


class _ContentSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, minus arithmetic that can blow up (`'x' * 10**9`, `9**9**9`, `'%099999999d' % 1`)."""

    intercepted_binops = frozenset({"*", "**", "%", "//"})

    def call_binop(self, context, operator, left, right):
        raise SecurityError(f"占位符中不允许使用运算符 {operator}")


@lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    # autoescape stays off: output is Markdown, and HTML is sanitised when it is rendered.
    env = _ContentSandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.filters = {name: env.filters[name] for name in ALLOWED_FILTERS if name in env.filters}
    env.globals.clear()  # no range(), lipsum(), cycler(): loops run over the school's own data only
    return env


def has_placeholders(text: str) -> bool:
    return any(marker in text for marker in _MARKERS)


@lru_cache(maxsize=4096)
def _compile(text: str):
    return _environment().from_string(text)


def fill(text: str, context: dict) -> str:
    """Fill placeholders; raise PlaceholderError naming the expression that failed."""
    if not has_placeholders(text):
        return text
    try:
        parts, size = [], 0
        for chunk in _compile(text).generate(context):
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
    except Exception as error:  # the sandbox raises SecurityError, and content may divide by zero
        raise PlaceholderError(f"占位符无法计算：{error}", "") from None


def fill_data(value, context: dict):
    """Fill placeholders in every string of a nested structure."""
    if isinstance(value, str):
        return fill(value, context)
    if isinstance(value, list):
        return [fill_data(item, context) for item in value]
    if isinstance(value, dict):
        return {key: fill_data(item, context) for key, item in value.items()}
    return value


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
