"""Problems → text, JSON or a code host's format, for people and machines; the one place that picks exit codes."""

from __future__ import annotations

import errno
import hashlib
import json
from collections import Counter

from safeplan.problems import ERROR, WARNING, ContentError, ContentRefused, EnvironmentProblem, Problem, UsageError, printable
from safeplan.review.hosts import HostError

# The one table of exit codes (README's table is checked against it): code, name, meaning.
EXIT_CODES = (
    (0, "ok", "成功"),
    (1, "problems", "内容有问题（文件:行:列 给出位置和改法）；没有写出任何输出"),
    (2, "usage", "命令用法错误（参数、学校编号、git 版本不存在等）"),
    (3, "internal", "工具内部错误：这是工具的缺陷，请报告"),
    (4, "environment", "运行环境的问题：build/ 不可写、磁盘已满、git 拒绝访问仓库、缺少字体或软件包、另一个构建正在进行"),
    (130, "interrupted", "被 Ctrl+C 中断；已有的输出保持不变"),
)
EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL, EXIT_ENVIRONMENT, EXIT_INTERRUPTED = (code for code, _, _ in EXIT_CODES)
HINT_PREFIX = "提示："
# GitLab's scale is info < minor < major < critical < blocker; an error blocks the merge, so it ranks
# above anything a generic linter reports as major.
GITLAB_SEVERITY = {ERROR: "critical", WARNING: "minor"}

# OSErrors that say the machine refuses, not that the tool or the content is wrong.
_ENVIRONMENT_ERRNOS = {
    errno.EACCES: ("没有权限", "检查该目录的权限（例如 chmod -R u+w build），或删除 build/ 后重新运行。"),
    errno.EPERM: ("操作不被允许", "检查该目录的权限或不可变属性（lsattr），或删除 build/ 后重新运行。"),
    errno.EROFS: ("所在的文件系统是只读的", "把内容目录放到可写的位置，或重新以可写方式挂载。"),
    errno.ENOSPC: ("磁盘空间已满", "清理磁盘空间（例如删除 build/cache/）后重新运行。"),
    errno.EDQUOT: ("超出了磁盘配额", "清理磁盘空间或请管理员提高配额后重新运行。"),
    errno.ENOTDIR: ("路径中有一段是文件而不是目录", "删除或改名挡路的文件（常见：误建了名为 build 的文件）后重新运行。"),
    errno.EEXIST: ("已经存在同名的文件", "删除或改名挡路的文件（常见：误建了名为 build 的文件）后重新运行。"),
    errno.EMFILE: ("打开的文件过多", "提高打开文件数上限（ulimit -n 4096）后重新运行。"),
    errno.ENFILE: ("系统打开的文件过多", "稍后重新运行，或请管理员提高系统的文件数上限。"),
}


def _machine_refused(error) -> bool:
    return isinstance(error, OSError) and error.errno in _ENVIRONMENT_ERRNOS


# The one table from what ends a command to its exit code, first match wins: an exception type (or a
# test on the exception), or the rule of a blocking Problem. Any other exception is a bug (3); any
# other blocking Problem is the content's (1).
EXIT_FOR = (
    (KeyboardInterrupt, EXIT_INTERRUPTED),
    (ContentError, EXIT_PROBLEMS),
    (ContentRefused, EXIT_PROBLEMS),
    (UsageError, EXIT_USAGE),
    (EnvironmentProblem, EXIT_ENVIRONMENT),
    (HostError, EXIT_ENVIRONMENT),  # the host or the network, not the content or the command
    (_machine_refused, EXIT_ENVIRONMENT),
    ("fonts-missing", EXIT_ENVIRONMENT),  # render/pdf: the CJK fonts are not installed
    ("package-missing", EXIT_ENVIRONMENT),  # render/site: Pagefind is missing where safeplan runs
)


def _code(thing: BaseException | Problem) -> int | None:
    for what, code in EXIT_FOR:
        if isinstance(what, str):
            if isinstance(thing, Problem) and thing.rule == what:
                return code
        elif isinstance(what, type):
            if isinstance(thing, what):
                return code
        elif not isinstance(thing, Problem) and what(thing):
            return code
    return None


def exit_for(error: BaseException) -> int:
    """The exit code for an exception that ended a command."""
    code = _code(error)
    return EXIT_INTERNAL if code is None else code


def describe(error: BaseException) -> str:
    """What an editor reads when a command ends with this exception (Chinese, no traceback)."""
    code = exit_for(error)
    if code == EXIT_INTERRUPTED:
        return "safeplan: 已中断，已有的输出未被改动。"
    if isinstance(error, ContentError):
        return as_text(getattr(error, "problems", [error.problem]), 1).rstrip()
    if isinstance(error, OSError) and code == EXIT_ENVIRONMENT:
        what, fix = _ENVIRONMENT_ERRNOS[error.errno]
        where = f"“{error.filename}”" if error.filename else ""
        return f"safeplan: 无法写入或读取{where}：{what}（{error.strerror}）。\n  提示：{fix}"
    if code == EXIT_INTERNAL:
        return (f"safeplan: 内部错误：{type(error).__name__}: {error}\n"
                "  提示：这是工具的缺陷而不是内容的问题；设置 SAFEPLAN_DEBUG=1 重新运行可看到详细信息，并请报告给区局安全科。")
    hint = getattr(error, "hint", "")
    return f"safeplan: {error}" + (f"\n  {HINT_PREFIX}{hint}" if hint else "")


def exit_code(problems: list[Problem], strict: bool = False) -> int:
    """The exit code for problems found (with strict, warnings block too): the highest their rows give."""
    failing = {ERROR, WARNING} if strict else {ERROR}
    return max((_code(p) or EXIT_PROBLEMS for p in problems if p.severity in failing), default=EXIT_OK)


def nothing_written(code: int) -> str:
    """What a build that stopped on problems tells the editor after listing them."""
    cause = "运行环境有问题" if code == EXIT_ENVIRONMENT else "内容有错误"
    return f"safeplan: {cause}，未生成任何输出；上一次成功的输出保持不变。"


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
        lines.append(printable(f"{p.place}: {p.severity}[{p.rule}]: {p.message}"))
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
