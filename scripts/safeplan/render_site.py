"""SchoolViews + Library → Markdown pages → build/site via mkdocs.

site_pages.generate writes the pages (all generation logic lives there, so any
builder that reads mkdocs.yml builds the same site); this module gathers what
the pages show (git history, PDF manifest, build date), writes build/docs,
copies the tracked assets in, runs MkDocs strictly into a staging folder and
swaps it into build/site.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from . import history
from .dates import build_date, build_epoch
from .model import WORKFLOW_KINDS, Library
from .output import staged_directory, write_text
from .problems import ContentRefused, EnvironmentProblem
from .resolve import district_context
from .site_pages import Bundle, SiteData, generate

REPOSITORY = Path(__file__).resolve().parents[2]  # the template mkdocs.yml and site-assets/ live here
ASSETS = "site-assets"
NOT_PUBLISHED_ASSETS = ("README.md", "*.txt")  # the dictionary is read by the builder, not served
_HASH = re.compile(r"^[0-9a-f]{64}$")
_BUNDLE_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*\.pdf$")


class SiteBuildError(ContentRefused):
    """The site could not be built from this configuration; the message (Chinese) says why and what to do."""


class PackageMissing(EnvironmentProblem):
    """A Python package the site needs is not installed where safeplan runs."""


def render_site(library: Library, views, district_docs, options, notes: list[str]) -> list[Path]:
    root = Path(options.root)
    build_dir = root / "build"
    require_jieba()
    say = _progress(options)

    epoch, today, dated_by = build_epoch(root), build_date(root), ""
    if epoch == 0:  # neither git nor SOURCE_DATE_EPOCH: the newest date in the content, never the clock
        today = library.latest_date() or today
        epoch = int(datetime.fromisoformat(today).replace(tzinfo=timezone.utc).timestamp())
        dated_by = "内容目录不在 git 中且未设置 SOURCE_DATE_EPOCH，日期按内容中最新的颁布或修订日期计"
    data = SiteData(
        library=library, views=views, district_docs=district_docs,
        district=district_context(library, options.audience), audience=options.audience,
        build_date=today, dated_by=dated_by, commit=history.head_commit(root),
        review_due_days=int(library.config.get("review_due_days") or 90),
        bundles=read_bundles(build_dir / "pdf", options.audience, notes),
    )
    say("网站：读取 git 历史…")
    data.histories = file_histories(root, [d.path for d in library.documents if d.kind in WORKFLOW_KINDS],
                                    build_dir / "cache" / "site-history.json")
    data.recent = history.recent_changes(root, limit=20)  # commits that touch no content are left out later
    say("网站：生成页面…")
    pages = generate(data)

    with staged_directory(build_dir / "docs") as docs:
        for relative, markdown in pages.items():
            target = docs / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(markdown, encoding="utf-8")
        shutil.copytree(assets_dir(root), docs, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*NOT_PUBLISHED_ASSETS))
        if (root / "assets").is_dir():  # images content may show, by the unsafe-link rule always assets/<name>
            shutil.copytree(root / "assets", docs / "assets", dirs_exist_ok=True, symlinks=False,
                            ignore=lambda folder, names: [n for n in names if _not_plain(Path(folder) / n)])
        link_bundles(build_dir / "pdf", docs / "downloads", data.bundles)

    config_file = effective_config(root)
    say(f"网站：MkDocs 生成 {len(pages)} 个页面…")
    with staged_directory(build_dir / "site") as staging:
        run_mkdocs(config_file, root, staging, epoch)
        index_size = check_search_index(staging)
    site = build_dir / "site"
    notes.append(f"网站：{_shown(root, site)}（{len(pages)} 个页面，搜索索引 {index_size / 1024 / 1024:.1f} MB，"
                 f"{len(data.bundles)} 份汇编可下载）")
    return [site]


# ---------------------------------------------------------------- inputs

def require_jieba() -> None:
    """Without jieba, Material silently writes a search index that cannot find Chinese words."""
    try:
        import jieba
    except ImportError:
        raise PackageMissing(
            "中文分词组件 jieba 无法导入，生成的搜索索引将搜不到中文词语，因此没有生成网站。\n"
            "  提示：运行 make build（会自动安装依赖），或 .venv/bin/pip install 'jieba>=0.42,<0.43'。") from None
    jieba.setLogLevel(logging.WARNING)  # jieba prints its dictionary loading to stderr otherwise
    _pristine_dictionary(jieba)
    from material.plugins.search import plugin

    if getattr(plugin, "jieba", None) is None:
        raise PackageMissing(
            "Material 的搜索插件没有找到 jieba，搜索索引将无法切分中文。\n"
            "  提示：jieba 要装在运行 safeplan 的同一个 Python 环境里：.venv/bin/pip install 'jieba>=0.42,<0.43'。")


_PRISTINE: tuple[dict, int] | None = None


def _pristine_dictionary(jieba) -> None:
    """Material adds the user dictionary again on every build, and each addition shifts jieba's word
    frequencies: in one process (serve, tests) later builds would segment the index differently.
    Every build starts from the dictionary as first loaded."""
    global _PRISTINE
    jieba.dt.check_initialized()
    if _PRISTINE is None:
        _PRISTINE = (dict(jieba.dt.FREQ), jieba.dt.total)
    jieba.dt.FREQ, jieba.dt.total = dict(_PRISTINE[0]), _PRISTINE[1]
    jieba.dt.user_word_tag_tab = {}


def file_histories(root: Path, paths: list[str], cache_file: Path) -> dict[str, list]:
    """Git history of each file, following renames; cached per HEAD commit, which fixes every answer."""
    repo = history.open_repo(root)
    if repo is None or not repo.head.is_valid():
        return {}
    head = repo.head.commit.hexsha
    cached: dict = {}
    try:
        saved = json.loads(cache_file.read_text(encoding="utf-8"))
        if saved.get("head") == head:
            cached = {path: [history.Commit(*fields) for fields in logs] for path, logs in saved["logs"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        pass
    missing = sorted(set(paths) - cached.keys())
    fresh = history.file_logs(root, missing, repo) if missing else {}
    logs = {path: cached[path] if path in cached else fresh[path] for path in sorted(paths)}
    if logs.keys() - cached.keys():
        payload = {"head": head, "logs": {path: [list(vars(c).values()) for c in commits] for path, commits in logs.items()}}
        write_text(cache_file, json.dumps(payload, ensure_ascii=False, sort_keys=True))
    return logs


def read_bundles(pdf_dir: Path, audience: str, notes: list[str]) -> dict[str, Bundle]:
    """build/pdf/manifest.json (and the shards' manifest.shard-K-of-N.json) → the bundles of this
    audience that exist on disk, keyed by school id."""
    entries: list = []
    for manifest in sorted(pdf_dir.glob("manifest*.json")):
        try:
            found = json.loads(manifest.read_text(encoding="utf-8")).get("bundles") or []
        except (ValueError, AttributeError, OSError) as error:
            notes.append(f"网站：{manifest} 无法读取（{error}），其中的汇编暂不列出。")
            continue
        entries += found if isinstance(found, list) else []
    manifest = pdf_dir / "manifest*.json"
    bundles: dict[str, Bundle] = {}
    for entry in entries:
        try:
            bundle = Bundle(school=str(entry["school"]), file=str(entry["file"]), bytes=int(entry["bytes"]),
                            pages=int(entry["pages"]), sha256=str(entry["sha256"]), date=str(entry["date"]),
                            name=str(entry.get("name") or entry["school"]), commit=str(entry.get("commit") or ""))
        except (KeyError, TypeError, ValueError):
            notes.append(f"网站：{manifest} 中有一项缺少字段，已跳过：{str(entry)[:80]}")
            continue
        if entry.get("audience", "internal") != audience:
            continue  # a public site never offers an internal bundle (it has personal phone numbers)
        path = pdf_dir / bundle.file
        # the name must stay inside build/pdf, and the file must be the one the manifest describes
        if not _BUNDLE_NAME.match(bundle.file) or not _HASH.match(bundle.sha256) or not path.is_file() \
                or path.stat().st_size != bundle.bytes:
            notes.append(f"网站：汇编 {bundle.file} 与清单不符或不存在，下载页未列出。")
            continue
        bundles[bundle.school] = bundle
    return bundles


def link_bundles(pdf_dir: Path, downloads: Path, bundles: dict[str, Bundle]) -> None:
    """Put each PDF into the pages folder; a hard link costs nothing, MkDocs copies it into the site."""
    if not bundles:
        return
    downloads.mkdir(parents=True, exist_ok=True)
    for bundle in bundles.values():
        try:
            os.link(pdf_dir / bundle.file, downloads / bundle.file)
        except OSError:
            shutil.copyfile(pdf_dir / bundle.file, downloads / bundle.file)


def assets_dir(root: Path) -> Path:
    own = root / ASSETS
    return own if own.is_dir() else REPOSITORY / ASSETS


# ---------------------------------------------------------------- MkDocs

def effective_config(root: Path) -> Path:
    """The root's own mkdocs.yml, else one under build/ that inherits the repository's."""
    own = root / "mkdocs.yml"
    if own.is_file():
        return own
    template = REPOSITORY / "mkdocs.yml"
    if not template.is_file():
        raise SiteBuildError(f"找不到网站配置 mkdocs.yml（{root} 和 {REPOSITORY} 中都没有）。\n"
                             "  提示：从仓库复制 mkdocs.yml 到内容目录。")
    effective = root / "build" / "mkdocs.yml"
    text = ("# Written by safeplan for a content folder without its own mkdocs.yml.\n"
            f"INHERIT: {json.dumps(str(template))}\ndocs_dir: docs\nsite_dir: site\n")
    if not effective.is_file() or effective.read_text(encoding="utf-8") != text:
        effective.parent.mkdir(parents=True, exist_ok=True)
        effective.write_text(text, encoding="utf-8")
    return effective


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_mkdocs(config_file: Path, root: Path, site_dir: Path, epoch: int) -> None:
    """Build strictly; dates in the output (sitemap, its gzip header) come from the build epoch."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError

    logger = logging.getLogger("mkdocs")
    collect = _Collect()
    logger.addHandler(collect)
    saved_epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        try:
            config = load_config(config_file=str(config_file), site_dir=str(site_dir), strict=True)
        except (ConfigurationError, Abort) as error:
            raise SiteBuildError(f"网站配置 {config_file} 有误：{error}\n"
                                 f"  {_listed(collect.messages)}提示：请对照仓库中的 mkdocs.yml 修改。") from None
        _absolute_dictionary(config, config_file, root)
        try:
            build(config)
        except Abort as error:
            raise SiteBuildError(f"MkDocs 生成网站失败（{error}）：\n  {_listed(collect.messages)}"
                                 "提示：页面由 safeplan 生成；如果最近改过 mkdocs.yml 或 site-assets/，请先改回；"
                                 "否则这是工具缺陷，请报告区局安全科。") from None
    finally:
        logger.removeHandler(collect)
        if saved_epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved_epoch


def _listed(messages: list[str]) -> str:
    return "".join(f"- {m}\n  " for m in messages[:20])


def _absolute_dictionary(config, config_file: Path, root: Path) -> None:
    """Material reads jieba_dict_user relative to the working directory; pin it to a real file."""
    for name, plugin in config.plugins.items():
        if not name.endswith("search") or not getattr(plugin.config, "jieba_dict_user", None):
            continue
        value = Path(plugin.config.jieba_dict_user)
        candidates = [value] if value.is_absolute() else [root / value, config_file.parent / value, REPOSITORY / value]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise SiteBuildError(f"找不到搜索分词词典 {value}。\n  提示：词典应在 {ASSETS}/ 中，请从仓库恢复该文件。")
        plugin.config.jieba_dict_user = str(found.resolve())


def check_search_index(site_dir: Path) -> int:
    """The index must exist and, for Chinese pages, be segmented; returns its size in bytes."""
    index = site_dir / "search" / "search_index.json"
    if not index.is_file():
        raise SiteBuildError("网站生成后没有搜索索引（search/search_index.json）。\n"
                             "  提示：mkdocs.yml 的 plugins 中要有 search。")
    raw = index.read_bytes()
    if re.search(rb"\\u[4-9][0-9a-f]{3}", raw) and b"\\u200b" not in raw:
        raise SiteBuildError("搜索索引没有经过中文分词，中文词语将搜不到。\n"
                             "  提示：确认 jieba 已安装（.venv/bin/pip install jieba），且 mkdocs.yml 的 search 插件设置了 lang: zh。")
    return len(raw)


# ---------------------------------------------------------------- helpers

def _not_plain(path: Path) -> bool:
    """Symlinks and special files (a FIFO would block the copy) are never published."""
    return path.is_symlink() or not (path.is_dir() or path.is_file())


def _progress(options):
    if not options.progress:
        return lambda message: None
    return lambda message: print(message, file=sys.stderr, flush=True)


def _shown(root: Path, path: Path) -> str:
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
