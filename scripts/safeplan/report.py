"""Problems → text, JSON or a code host's format, for people and machines; the one place that picks exit codes."""

from __future__ import annotations

import hashlib
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
HINT_PREFIX = "提示："
# GitLab's scale is info < minor < major < critical < blocker; an error blocks the merge, so it ranks
# above anything a generic linter reports as major.
GITLAB_SEVERITY = {ERROR: "critical", WARNING: "minor"}


def exit_code(problems: list[Problem], strict: bool = False) -> int:
    failing = {ERROR, WARNING} if strict else {ERROR}
    return EXIT_PROBLEMS if any(p.severity in failing for p in problems) else EXIT_OK


def summary(problems: list[Problem], files: int) -> str:
    counts = Counter(p.severity for p in problems)
    if not problems:
        return f"检查了 {files} 个文件，没有发现问题。"
    return f"检查了 {files} 个文件：{counts[ERROR]} 个错误，{counts[WARNING]} 个警告。"


def _explained(p: Problem) -> str:
    """The message, and the hint on a line of its own."""
    return f"{p.message}\n{HINT_PREFIX}{p.hint}" if p.hint else p.message


def as_text(problems: list[Problem], files: int) -> str:
    lines = []
    for p in problems:
        lines.append(printable(f"{p.path}:{p.line}:{p.column}: {p.severity}[{p.rule}]: {p.message}"))
        if p.hint:
            lines.append(printable(f"  {HINT_PREFIX}{p.hint}"))
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


def _command_data(text: str) -> str:
    """Escape a workflow command's message as the runner (GitHub, Gitea's act) unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _command_property(text: str) -> str:
    return _command_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(problems: list[Problem], files: int) -> str:
    """GitHub Actions workflow commands: one annotation per problem, then the summary (Gitea logs them)."""
    lines = []
    for p in problems:
        command = "error" if p.severity == ERROR else "warning"
        where = ",".join(f"{key}={_command_property(str(value))}" for key, value in
                         (("file", p.path), ("line", p.line), ("col", p.column), ("title", p.rule)))
        lines.append(f"::{command} {where}::{_command_data(_explained(p))}")
    lines.append(summary(problems, files))
    return "\n".join(lines) + "\n"


def as_gitlab(problems: list[Problem], files: int) -> str:
    """A GitLab code-quality report (artifacts:reports:codequality).

    The fingerprint hashes path, rule and message but not the line, so a finding keeps its
    identity when lines above it move and GitLab does not show it as fixed and new again;
    a counter tells identical findings in one file apart, as GitLab keeps one per fingerprint.
    """
    seen: Counter = Counter()
    issues = []
    for p in problems:
        identity = (p.path, p.rule, p.message)
        seen[identity] += 1
        digest = hashlib.sha256("\0".join((*identity, str(seen[identity]))).encode("utf-8")).hexdigest()
        issues.append({
            "description": _explained(p).replace("\n", " "),
            "check_name": p.rule,
            "fingerprint": digest[:32],
            "severity": GITLAB_SEVERITY.get(p.severity, "info"),
            "location": {"path": p.path, "lines": {"begin": p.line}},
        })
    return json.dumps(issues, ensure_ascii=False, indent=2) + "\n"


RENDERERS = {"text": as_text, "json": as_json, "github": as_github, "gitlab": as_gitlab}
FORMATS = tuple(RENDERERS)


def render(problems: list[Problem], files: int, fmt: str) -> str:
    return RENDERERS.get(fmt, as_text)(problems, files)
