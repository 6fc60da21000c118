"""Content files → Library: the only module that reads content from disk.

Files are found, checked (kind, size, plain files only, no link out of the root),
decoded and turned into Documents here. Every value keeps its line and column, so
later stages can point at it: yaml_positions.py parses YAML (YAML 1.2 core rules,
so `yes`, `0123` and `2020-09-01` stay text; the schema then says where a boolean,
number or date was expected), markdown_source.py splits front matter, body and sections.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

from safeplan.content.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_LINE
from safeplan.content.markdown_source import parse_sections, split_front_matter, too_deep
from safeplan.content.model import KINDS, Document, Library, record_kind
from safeplan.content.site_inputs import ASSETS, SITE_ASSETS, list_folder, load_site_config
from safeplan.content.yaml_positions import parse_yaml
from safeplan.problems import CONTROL, ERROR, WARNING, ContentError, Problem, control_name

_FULLWIDTH_KEY = re.compile(r"^(\s*-?\s*)([A-Za-z_][A-Za-z0-9_]*)\s*：", re.M)


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


def source_text(root: Path, rel: str) -> str:
    """A content file's text as written (comments and layout kept), for a command that rewrites the file."""
    return (Path(root) / rel).read_text(encoding="utf-8")


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


def _line_col(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    line = before.count("\n") + 1
    return line, index - (before.rfind("\n") + 1) + 1
