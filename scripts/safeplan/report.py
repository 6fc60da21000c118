"""Problems → text or JSON for people and machines; the one place that picks exit codes."""

from __future__ import annotations

import json
import re
from collections import Counter

from .problems import CONTROL, ERROR, WARNING, Problem

_UNPRINTABLE = re.compile(CONTROL.pattern[:-1] + r"\n\r\t\u2028\u2029]")


def printable(text: str) -> str:
    """Text safe for a terminal: every control and bidi character shown as an escape, e.g. \\x1b, \\u202e."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
                            text)


EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def exit_code(problems: list[Problem], strict: bool = False) -> int:
    failing = {ERROR, WARNING} if strict else {ERROR}
    return EXIT_PROBLEMS if any(p.severity in failing for p in problems) else EXIT_OK


def summary(problems: list[Problem], files: int) -> str:
    counts = Counter(p.severity for p in problems)
    if not problems:
        return f"检查了 {files} 个文件，没有发现问题。"
    return f"检查了 {files} 个文件：{counts[ERROR]} 个错误，{counts[WARNING]} 个警告。"


def as_text(problems: list[Problem], files: int) -> str:
    lines = []
    for p in problems:
        lines.append(printable(f"{p.path}:{p.line}:{p.column}: {p.severity}[{p.rule}]: {p.message}"))
        if p.hint:
            lines.append(printable(f"  提示：{p.hint}"))
    lines.append(summary(problems, files))
    return "\n".join(lines) + "\n"


def as_json(problems: list[Problem], files: int) -> str:
    counts = Counter(p.severity for p in problems)
    payload = {
        "files": files,
        "errors": counts[ERROR],
        "warnings": counts[WARNING],
        "problems": [p.as_dict() for p in problems],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def render(problems: list[Problem], files: int, fmt: str) -> str:
    return as_json(problems, files) if fmt == "json" else as_text(problems, files)
