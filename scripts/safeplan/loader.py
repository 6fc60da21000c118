"""Content files → Library: the only module that reads content from disk.

Every value keeps its line and column, so later stages can point at it. YAML is
read with YAML 1.2 core rules: `yes`, `on`, `1:30`, `0123` and `2020-09-01`
stay text, so nothing an editor typed changes meaning silently; the schema then
says where a boolean, number or date was expected.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .model import KINDS, Document, Library, Section
from .problems import ERROR, WARNING, ContentError, Problem

MAX_FILE_BYTES = 2 * 1024 * 1024  # the largest real plan is ~30 KB
MAX_DEPTH = 40  # deeper YAML is a mistake or an attack, never content

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+\.[0-9]*)([eE][-+]?[0-9]+)?$|^[-+]?[0-9]+[eE][-+]?[0-9]+$")
_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_FULLWIDTH_KEY = re.compile(r"^(\s*-?\s*)([A-Za-z_][A-Za-z0-9_]*)\s*：", re.M)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


class _Loader(yaml.SafeLoader):
    """Composes nodes only; no implicit typing, no aliases, bounded depth."""

    yaml_implicit_resolvers: dict = {}
    _depth = 0

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            mark = self.peek_event().start_mark
            raise _Located(mark, "不支持 YAML 别名（*名称）和锚点（&名称）。",
                           "请把引用的内容直接写出来；别名可以让一个小文件展开成巨大的数据。")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Located(mark, f"嵌套层级超过 {MAX_DEPTH} 层。", "请检查缩进，文档结构不需要这么深。")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


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
    return Library(root=root, documents=documents), problems


def _content_files(root: Path, problems: list[Problem]):
    for kind, (location, suffixes) in KINDS.items():
        base = root / location
        if base.is_file() or base.is_symlink():
            yield kind, base
            continue
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith(".") or name.startswith("README"):
                    continue
                path = Path(dirpath) / name
                if path.suffix.lower() in suffixes:
                    yield kind, path
                else:
                    problems.append(Problem(
                        _rel(root, path), 1, 1, WARNING, "unknown-file",
                        f"{location}/ 下的文件应为 {'、'.join(suffixes)} 格式，本文件不会被读取。",
                        f"把文件改名为 {suffixes[0]} 结尾，或移出 {location}/ 目录。"))


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

    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(root.resolve()):
            raise fail("文件是指向仓库之外的符号链接，出于安全考虑不予读取。", "请把文件内容复制到仓库内，删除这个链接。")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise fail(f"文件大小 {size // 1024} KB，超过上限 {MAX_FILE_BYTES // 1024} KB。",
                   "请拆分文件，或检查是否误放了图片、表格等二进制内容。")
    raw = path.read_bytes()
    text = decode(raw, fail)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    control = _CONTROL.search(text)
    if control:
        line, column = _line_col(text, control.start())
        raise fail(f"第 {line} 行含有不可见的控制字符 U+{ord(control.group()):04X}。",
                   "请删除该字符（常见于从网页或 Word 复制的文本）。", line, column)

    body, body_line, offset = "", 0, 0
    if path.suffix == ".md":
        front, body, offset, body_line = split_front_matter(text, fail)
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
    return Document(
        kind=kind, path=rel, data=data, positions=positions, body=body, body_line=body_line,
        sections=parse_sections(body, body_line), source_sha=hashlib.sha256(raw).hexdigest(),
    )


def decode(raw: bytes, fail) -> str:
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
    """YAML text → (data, positions). Duplicate keys and non-text keys are errors."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except _Located as error:
        raise fail(error.message, error.hint, error.line + offset, error.column) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = (mark.line + 1 if mark else 1) + offset
        column = mark.column + 1 if mark else 1
        hint = "检查这一行及上一行的缩进（只能用空格，不能用 Tab）、冒号后的空格和引号是否成对。"
        if "\t" in (text.split("\n") + [""])[line - offset - 1]:
            hint = "这一行含有 Tab；YAML 只能用空格缩进，请把 Tab 换成空格。"
        raise fail(f"YAML 格式错误：{error.problem or error.context}。", hint, line, column) from None
    except yaml.YAMLError as error:
        raise fail(f"YAML 格式错误：{error}", "请检查文件格式。", 1 + offset, 1) from None
    except RecursionError:
        raise fail("YAML 嵌套过深。", "请检查缩进。", 1 + offset, 1) from None
    if node is None:
        raise fail("文件是空的。", "请参照 schemas/examples/ 中的样例填写内容，或删除这个文件。", 1 + offset, 1)
    positions: dict[str, tuple[int, int]] = {}

    def at(mark) -> tuple[int, int]:
        return (mark.line + 1 + offset, mark.column + 1)

    def build(node, pointer: str):
        positions.setdefault(pointer, at(node.start_mark))
        if isinstance(node, MappingNode):
            result = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag != _STR_TAG:
                    line, column = at(key_node.start_mark)
                    raise fail("字段名必须是普通文字。", "请检查这一行的写法。", line, column)
                key = key_node.value
                if key in result:
                    line, column = at(key_node.start_mark)
                    first = positions[f"{pointer}/{_escape(key)}"][0]
                    raise fail(f"字段“{key}”重复出现（第一次在第 {first} 行）。",
                               "同一层级的字段只能出现一次：请合并两处内容，删除其中一处。", line, column)
                child = f"{pointer}/{_escape(key)}"
                positions[child] = at(key_node.start_mark)
                result[key] = build(value_node, child)
            return result
        if isinstance(node, SequenceNode):
            return [build(item, f"{pointer}/{index}") for index, item in enumerate(node.value)]
        return scalar(node, fail, at)

    return build(node, ""), positions


def scalar(node: ScalarNode, fail, at):
    if node.tag not in (_STR_TAG, _SEQ_TAG, _MAP_TAG) and not node.tag.startswith("tag:yaml.org,2002:"):
        line, column = at(node.start_mark)
        raise fail(f"不支持 YAML 标签 {node.tag}。", "请删除以 ! 开头的标签，直接写值。", line, column)
    value = node.value
    if node.style or node.tag != _STR_TAG:  # quoted, or an explicit standard tag: keep the text
        return value
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

