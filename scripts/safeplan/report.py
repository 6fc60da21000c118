"""Problems → text or JSON for people and machines; the one place that picks exit codes."""

from __future__ import annotations

import json
from collections import Counter

from .problems import ERROR, WARNING, Problem

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
        lines.append(f"{p.path}:{p.line}:{p.column}: {p.severity}[{p.rule}]: {p.message}")
        if p.hint:
            lines.append(f"  提示：{p.hint}")
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
