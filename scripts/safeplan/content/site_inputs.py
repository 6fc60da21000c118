"""mkdocs.yml, assets/ and site-assets/ → SiteConfig and Assets: the loader's reading of what builds the site.

mkdocs.yml is read here, never by MkDocs (whose loader can construct any Python
object): a yaml.SafeLoader subclass that constructs exactly the Python calls in
SITE_CONFIG_CALLS, after the event stream was checked for every other tag,
aliases and depth. The folders the site copies are listed without following a
link and without opening anything but a regular file; the rules in
site_checks.py judge what was found.
"""

from __future__ import annotations

import importlib
import os
import stat
from pathlib import Path

import yaml

from safeplan.content.model import Asset, SiteConfig
from safeplan.problems import ERROR, Problem

REPOSITORY = Path(__file__).resolve().parents[3]  # the tool's own mkdocs.yml and site-assets/ live here
CONFIG_NAME = "mkdocs.yml"
ASSETS = "assets"  # images the content shows, published as they are
SITE_ASSETS = "site-assets"  # the site's stylesheets, theme overrides and search dictionary
CONFIG_RULE = "site-config"
MAX_CONFIG_BYTES = 256 * 1024  # the gate's mkdocs.yml is 2 KB
MAX_CONFIG_DEPTH = 20
ASSET_HEAD_BYTES = 16  # enough for the PNG, JPEG and WebP signatures
# The only Python a site configuration may name: the toc extension's slug function (the anchors of every heading).
SITE_CONFIG_CALLS = frozenset({"pymdownx.slugs.slugify"})
_APPLY = "tag:yaml.org,2002:python/object/apply:"
_PLAIN_TAGS = {None, "!"} | {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")}


class _Refused(Exception):
    def __init__(self, mark, message: str, hint: str):
        super().__init__(message)
        self.line, self.column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        self.message, self.hint = message, hint


class SiteConfigLoader(yaml.SafeLoader):
    """SafeLoader that also constructs `!!python/object/apply:` for the callables in SITE_CONFIG_CALLS, nothing else."""


def _construct_call(loader: SiteConfigLoader, suffix: str, node):
    if suffix not in SITE_CONFIG_CALLS:  # the event check refuses it first; this keeps the loader safe on its own
        raise yaml.constructor.ConstructorError(None, None, f"python call {suffix!r} is not allowed", node.start_mark)
    args, kwds = [], {}
    if isinstance(node, yaml.SequenceNode):
        args = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
        if set(value) - {"args", "kwds"}:
            raise _Refused(node.start_mark, f"{suffix} 只接受 args 和 kwds。", "参照仓库的 mkdocs.yml：kwds 下写 case: lower。")
        args, kwds = value.get("args") or [], value.get("kwds") or {}
    module, name = suffix.rsplit(".", 1)
    try:
        return getattr(importlib.import_module(module), name)(*args, **kwds)
    except (TypeError, ValueError) as error:
        raise _Refused(node.start_mark, f"{suffix} 的参数有误：{error}。", "参照仓库的 mkdocs.yml：kwds 下写 case: lower。") from None


SiteConfigLoader.add_multi_constructor(_APPLY, _construct_call)


def load_site_config(root: Path) -> tuple[SiteConfig | None, list[Problem]]:
    """The root's own mkdocs.yml, else the tool's: (SiteConfig, []) or (None, [the located problem])."""
    own = root / CONFIG_NAME
    file, shown = (own, CONFIG_NAME) if own.exists() or own.is_symlink() else (REPOSITORY / CONFIG_NAME, str(REPOSITORY / CONFIG_NAME))

    def refuse(message: str, hint: str, line: int = 1, column: int = 1):
        return None, [Problem(shown, line, column, ERROR, CONFIG_RULE, message, hint)]

    if file.is_symlink():
        return refuse("mkdocs.yml 是符号链接；网站配置必须是仓库里的普通文件。", "删除链接，把配置文件本身放在仓库根目录。")
    if not file.is_file():  # a folder or a FIFO (which a read would wait on forever)
        return refuse("mkdocs.yml 不是普通文件。", "删除它，从仓库恢复 mkdocs.yml。")
    try:
        raw = file.read_bytes() if file.stat().st_size <= MAX_CONFIG_BYTES else None
    except OSError as error:
        return refuse(f"无法读取网站配置：{error.strerror}。", "从仓库恢复 mkdocs.yml。")
    if raw is None:
        return refuse(f"mkdocs.yml 超过 {MAX_CONFIG_BYTES // 1024} KB。", "网站配置只需几十行；请从仓库恢复 mkdocs.yml。")
    try:
        text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        return refuse("mkdocs.yml 不是 UTF-8 编码。", "请用编辑器另存为 UTF-8。")
    try:
        _check_events(text)
        loader = SiteConfigLoader(text)
        positions: dict[str, tuple[int, int]] = {}
        try:
            node = loader.get_single_node()
            _positions(node, "", positions)  # before constructing, which flattens merge keys away
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except _Refused as error:
        return refuse(error.message, error.hint, error.line, error.column)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        return refuse(f"mkdocs.yml 的 YAML 格式错误：{error.problem or error.context}。",
                      "检查这一行的缩进、冒号和引号；可与仓库中的 mkdocs.yml 对照。",
                      mark.line + 1 if mark else 1, mark.column + 1 if mark else 1)
    except yaml.YAMLError as error:
        return refuse(f"mkdocs.yml 的 YAML 格式错误：{error}。", "可与仓库中的 mkdocs.yml 对照。")
    if not isinstance(data, dict):
        return refuse("mkdocs.yml 应当是“设置: 值”的映射。", "从仓库恢复 mkdocs.yml。")
    return SiteConfig(path=shown, folder=file.parent, data=data, positions=positions), []


def _check_events(text: str) -> None:
    """Refuse, with its place, any tag but the plain ones and the allowed calls, any alias, and deep nesting."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(event.start_mark, "mkdocs.yml 不支持 YAML 别名（*名称）。", "把引用的内容直接写出来。")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_CONFIG_DEPTH:
                raise _Refused(event.start_mark, f"mkdocs.yml 嵌套超过 {MAX_CONFIG_DEPTH} 层。", "检查缩进；网站配置不需要这么深。")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        tag = getattr(event, "tag", None)
        if tag in _PLAIN_TAGS or (tag.startswith(_APPLY) and tag[len(_APPLY):] in SITE_CONFIG_CALLS):
            continue
        shown = tag.replace("tag:yaml.org,2002:", "!!")
        raise _Refused(event.start_mark, f"mkdocs.yml 中不允许 YAML 标签 {shown}：网站配置不能调用 Python 代码、读取环境变量或其他文件。",
                       "删除这个标签。允许的只有 " + "、".join(f"!!python/object/apply:{c}" for c in sorted(SITE_CONFIG_CALLS))
                       + "（toc 扩展生成标题锚点用）。")


def _positions(node, pointer: str, positions: dict) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.tag == "tag:yaml.org,2002:merge":  # `<<:` would bring in settings no key names where they are
                raise _Refused(key.start_mark, "mkdocs.yml 不支持 YAML 合并键（<<:）。", "把要合并的设置直接写在这一层。")
            child = f"{pointer}/{str(key.value).replace('~', '~0').replace('/', '~1')}"
            positions[child] = (key.start_mark.line + 1, key.start_mark.column + 1)
            _positions(value, child, positions)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            positions[f"{pointer}/{index}"] = (item.start_mark.line + 1, item.start_mark.column + 1)
            _positions(item, f"{pointer}/{index}", positions)


def list_folder(root: Path, folder: str) -> list[Asset]:
    """Every entry under root/folder that a copy would meet, hidden names left out; links are listed, never followed."""
    base = root / folder
    if base.is_symlink():
        return [Asset(folder, "folder-link", target=os.readlink(base))]
    if not base.is_dir():
        return []
    found: list[Asset] = []
    for dirpath, dirnames, filenames in os.walk(base):  # followlinks=False: a symlinked folder is in dirnames, not entered
        here = Path(dirpath)
        for name in sorted(dirnames):
            if not name.startswith(".") and (here / name).is_symlink():
                found.append(Asset(_rel(root, here / name), "folder-link", target=os.readlink(here / name)))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (here / d).is_symlink())
        for name in sorted(filenames):
            if not name.startswith("."):
                found.append(_entry(root, here / name))
    return found


def _entry(root: Path, path: Path) -> Asset:
    rel = _rel(root, path)
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            return Asset(rel, "symlink", target=os.readlink(path))
        if not stat.S_ISREG(mode):
            return Asset(rel, "special")
        # O_NOFOLLOW and O_NONBLOCK: a file swapped for a link or a FIFO since lstat is refused, never waited on
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return Asset(rel, "special")
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return Asset(rel, "special")
        return Asset(rel, "file", size=info.st_size, head=handle.read(ASSET_HEAD_BYTES))


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()
