"""Content files → Library: the only module that reads content from disk.

Every value keeps its line and column, so later stages can point at it. YAML is
read with YAML 1.2 core rules: `yes`, `on`, `1:30`, `0123` and `2020-09-01`
stay text, so nothing an editor typed changes meaning silently; the schema then
says where a boolean, number or date was expected.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import stat
from pathlib import Path

import yaml

from safeplan.content.model import KINDS, Document, Library, Section, record_kind
from safeplan.problems import CONTROL, ERROR, WARNING, ContentError, Problem, control_name
from safeplan.content.site_inputs import ASSETS, SITE_ASSETS, list_folder, load_site_config

MAX_FILE_BYTES = 2 * 1024 * 1024  # the largest real plan is ~30 KB
MAX_DEPTH = 40  # deeper YAML or Markdown is a mistake or an attack, never content; renderers use it too
MAX_DIGITS = 15  # no count in a plan comes near 10^15, and JavaScript and JSON readers stay exact below 2^53
MAX_KEY = 100  # characters in a field name
MAX_LINE = 10_000  # characters in one line: the site's Chinese word segmentation is quadratic in a line's length

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+\.[0-9]*)([eE][-+]?[0-9]+)?$|^[-+]?[0-9]+[eE][-+]?[0-9]+$")
_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_FULLWIDTH_KEY = re.compile(r"^(\s*-?\s*)([A-Za-z_][A-Za-z0-9_]*)\s*：", re.M)
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# What opens a nested Markdown block on a line: a blockquote marker or a list item marker.
_NESTING = re.compile(r"[ \t]*(>|[-*+][ \t]|[0-9]{1,9}[.)][ \t])")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


# libyaml's event stream when available: ~15× faster than the pure-Python parser.
_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Located(Exception):
    def __init__(self, mark, message: str, hint: str = ""):
        super().__init__(message)
        self.line = mark.line + 1 if mark else 1
        self.column = mark.column + 1 if mark else 1
        self.message = message
        self.hint = hint


def load_library(root: Path) -> tuple[Library, list[Problem]]:
    """Read every content file under root. Unreadable files become problems, not documents."""
    root = Path(root)
    documents: list[Document] = []
    problems: list[Problem] = []
    for kind, path in _content_files(root, problems):
        try:
            documents.append(load_document(root, path, kind))
        except ContentError as error:
            problems.append(error.problem)
    site_config, config_problems = load_site_config(root)
    library = Library(root=root, documents=documents, site_config=site_config,
                      assets=list_folder(root, ASSETS), site_assets=list_folder(root, SITE_ASSETS))
    return library, problems + config_problems


def kind_of(rel: str) -> str | None:
    """The kind of a content path (relative to the root), as load_library would read it, or None."""
    for kind, (location, suffixes) in KINDS.items():
        if rel == location:
            return kind
        if rel.startswith(location + "/"):
            parts = rel.split("/")
            if any(part.startswith(".") for part in parts) or parts[-1].startswith("README"):
                return None
            if "." + rel.rsplit(".", 1)[-1].lower() not in suffixes:
                return None
            return record_kind(rel) if kind == "record" else kind
    return None


def load_files(root: Path, files: dict[str, bytes]) -> tuple[Library, list[Problem]]:
    """Content path → bytes (e.g. every file at a git ref) → Library, like load_library."""
    documents: list[Document] = []
    problems: list[Problem] = []
    for rel, raw in sorted(files.items()):
        kind = kind_of(rel)
        if kind is None:
            continue
        try:
            documents.append(parse_document(rel, kind, raw))
        except ContentError as error:
            problems.append(error.problem)
    return Library(root=Path(root), documents=documents), problems


def _content_files(root: Path, problems: list[Problem]):
    for kind, (location, suffixes) in KINDS.items():
        base = root / location
        if not os.path.lexists(base):
            continue
        if location.endswith(suffixes):  # a single file such as district.yaml
            problem = _unreadable(root, base)
            if problem:
                problems.append(problem)
            else:
                yield kind, base
            continue
        if base.is_symlink() or not base.is_dir():
            problems.append(Problem(
                location, 1, 1, ERROR, "load",
                f"内容目录 {location} 是符号链接或不是目录，其中的文件没有读取。",
                f"把 {location}/ 作为普通目录放在仓库里（删除链接，把文件移进来）。"))
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            for name in sorted(d for d in dirnames if not d.startswith(".") and os.path.islink(os.path.join(dirpath, d))):
                problems.append(Problem(
                    _rel(root, Path(dirpath) / name), 1, 1, WARNING, "load",
                    "这是指向目录的符号链接，其中的文件没有读取（链接可能指向仓库之外或形成循环）。",
                    "把文件直接放在这个目录里，或删除这个链接。"))
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith(".") or name.startswith("README"):
                    continue
                path = Path(dirpath) / name
                problem = _unreadable(root, path)
                if problem:
                    problems.append(problem)
                elif path.suffix.lower() in suffixes and kind != "record":
                    yield kind, path
                elif path.suffix.lower() in suffixes and record_kind(_rel(root, path)):
                    yield record_kind(_rel(root, path)), path
                elif path.suffix.lower() in suffixes:
                    problems.append(Problem(
                        _rel(root, path), 1, 1, WARNING, "unknown-file",
                        "记录文件应放在 records/<学校编号>/hazards|drills|incidents/<四位年份>/<编号>.yaml，本文件不会被读取。",
                        "把文件移到对应学校、类别和年份的目录下。"))
                else:
                    problems.append(Problem(
                        _rel(root, path), 1, 1, WARNING, "unknown-file",
                        f"{location}/ 下的文件应为 {'、'.join(suffixes)} 格式，本文件不会被读取。",
                        f"把文件改名为 {suffixes[0]} 结尾，或移出 {location}/ 目录。"))


def _unreadable(root: Path, path: Path) -> Problem | None:
    """Why a content path cannot be read as a file (never opened: a FIFO would block), or None."""
    def problem(message: str, hint: str) -> Problem:
        return Problem(_rel(root, path), 1, 1, ERROR, "load", message, hint)

    try:
        mode = path.stat().st_mode
    except OSError as error:
        if path.is_symlink():
            return problem("符号链接指向的文件不存在，或链接形成了循环。", "删除这个链接，或让它指向仓库里存在的文件。")
        return problem(f"无法读取这个文件（{error.strerror}）。", "检查文件的权限，例如 chmod u+r 文件名。")
    if stat.S_ISDIR(mode):
        return problem("这是一个目录（或指向目录的链接），不是内容文件。", "把它改名或移走；内容文件应是 YAML 或 Markdown 文本文件。")
    if not stat.S_ISREG(mode):
        return problem("这不是普通文件（是命名管道、设备或套接字），不会读取。",
                       "删除这个特殊文件；内容目录里只放 YAML 和 Markdown 文本文件。")
    return None


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def load_document(root: Path, path: Path, kind: str) -> Document:
    """Read, decode and parse one file into a Document, or raise ContentError."""
    rel = _rel(root, path)

    def fail(message: str, hint: str = "", line: int = 1, column: int = 1) -> ContentError:
        return ContentError(Problem(rel, line, column, ERROR, "load", message, hint))

    problem = _unreadable(root, path)
    if problem:
        raise ContentError(problem)
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(root.resolve()):
            raise fail("文件是指向仓库之外的符号链接，出于安全考虑不予读取。", "请把文件内容复制到仓库内，删除这个链接。")
    try:
        _check_size(path.stat().st_size, fail)
        raw = path.read_bytes()
    except OSError as error:
        raise fail(f"无法读取这个文件（{error.strerror}）。", "检查文件的权限，例如 chmod u+r 文件名。") from None
    return parse_document(rel, kind, raw)


def _check_size(size: int, fail) -> None:
    if size > MAX_FILE_BYTES:
        raise fail(f"文件大小 {size // 1024} KB，超过上限 {MAX_FILE_BYTES // 1024} KB。",
                   "请拆分文件，或检查是否误放了图片、表格等二进制内容。")


def parse_document(rel: str, kind: str, raw: bytes) -> Document:
    """The bytes of one content file (from disk or from a git blob) → Document, or raise ContentError."""

    def fail(message: str, hint: str = "", line: int = 1, column: int = 1) -> ContentError:
        return ContentError(Problem(rel, line, column, ERROR, "load", message, hint))

    _check_size(len(raw), fail)
    text = decode(raw, fail)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    control = CONTROL.search(text)
    if control:
        line, column = _line_col(text, control.start())
        raise fail(f"第 {line} 行含有不可见的控制字符 {control_name(control.group())}。",
                   "请删除该字符（常见于从网页或 Word 复制的文本）。", line, column)

    body, body_line, offset = "", 0, 0
    if rel.endswith(".md"):
        front, body, offset, body_line = split_front_matter(text, fail)
        deep = too_deep(body)
        if deep is not None:
            raise fail(f"正文的列表或引用嵌套超过 {MAX_DEPTH} 层。",
                       "请减少缩进和嵌套的列表或引用（>）层级；预案正文不需要这么深的结构。", body_line + deep, 1)
    else:
        front = text
    fullwidth = _FULLWIDTH_KEY.search(front)
    if fullwidth:
        line, column = _line_col(front, fullwidth.start(2))
        raise fail(f"字段名“{fullwidth.group(2)}”后面用了全角冒号“：”。",
                   "YAML 字段名后要用半角冒号加空格，例如 title: 火灾事故专项应急预案。",
                   line + offset, column)
    data, positions = parse_yaml(front, fail, offset)
    if not isinstance(data, dict):
        raise fail("文件内容应当是“字段: 值”的映射，现在不是。",
                   "请参照 schemas/examples/ 中的样例，每行写成“字段名: 值”。", 1 + offset, 1)
    lines = text.split("\n")
    long_line = next((index for index, line in enumerate(lines) if len(line) > MAX_LINE), None)
    if long_line is not None:
        raise fail(f"第 {long_line + 1} 行长达 {len(lines[long_line])} 个字符，超过上限 {MAX_LINE}。",
                   "请分段（在句号后换行并空一行）；这么长的一行会让网站的中文分词花上几十秒甚至更久。", long_line + 1, 1)
    return Document(
        kind=kind, path=rel, data=data, positions=positions, body=body, body_line=body_line,
        sections=parse_sections(body, body_line), source_sha=hashlib.sha256(raw).hexdigest(),
    )


def decode(raw: bytes, fail) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail("文件是 UTF-16 编码。", "请用编辑器“另存为 UTF-8”（记事本：另存为 → 编码选 UTF-8；VS Code：右下角编码 → 通过编码保存 → UTF-8）。")
    if b"\x00" in raw[:8192]:
        raise fail("这是二进制文件，不是文本。", "内容文件只能是 UTF-8 编码的 YAML 或 Markdown 文本。")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        prefix = raw[: error.start].decode("utf-8", "replace")
        line, column = _line_col(prefix, len(prefix))
        guess = ""
        try:
            raw.decode("gb18030")
            guess = "文件看起来是 GBK/GB18030 编码。"
        except UnicodeDecodeError:
            pass
        raise fail(f"文件不是 UTF-8 编码。{guess}",
                   "请用编辑器“另存为 UTF-8”（记事本：另存为 → 编码选 UTF-8；VS Code：右下角编码 → 通过编码保存 → UTF-8）。",
                   line, column) from None


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


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _line_col(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    line = before.count("\n") + 1
    return line, index - (before.rfind("\n") + 1) + 1

