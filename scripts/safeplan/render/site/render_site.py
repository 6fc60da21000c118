"""SchoolViews + Library → Markdown pages → build/site via mkdocs.

site_pages.generate writes the pages (all generation logic lives there, so any
builder that reads mkdocs.yml builds the same site); this module gathers what
the pages show besides the provenance build.py gathered (PDF manifest), writes build/docs with
site-assets/ copied in, runs MkDocs strictly into a staging folder from the
config the loader read safely, copies the content images (assets/) in after it,
checks that every page carries the Content-Security-Policy and swaps the
folder into build/site. Copies never follow a link; every file is written through
render/output. A refusal comes back as a Problem, never as an exception.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from pathlib import Path

from safeplan import dates
from safeplan.content.model import WORKFLOW_KINDS, Library, SiteConfig
from safeplan.content.provenance import Provenance
from safeplan.content.vocabulary import Vocabulary
from safeplan.render.output import UnsafeCopy, copy_file, copy_folder, link_file, staged_directory, write_staged
from safeplan.problems import ERROR, ContentError, ContentRefused, Problem
from safeplan.render.public_scan import refuse_leaks, scan_site
from safeplan.resolve.views import district_context
from safeplan.checks.site_checks import config_problems
from safeplan.content.site_inputs import REPOSITORY, SITE_ASSETS
from safeplan.render.site import search_index
from safeplan.render.site.site_pages import Bundle, SiteData, generate
from safeplan.render.site.admin_pages import copy_editor_bundle, editor_wanted

THEME_OVERRIDES = "theme"  # site-assets/theme: the templates that put the Content-Security-Policy on every page
# the dictionary is read by the builder and the theme overrides by MkDocs: neither is a page or a file to serve
NOT_PUBLISHED_ASSETS = ("README.md", "*.txt", THEME_OVERRIDES)
CSP_MARK = b'<meta http-equiv="Content-Security-Policy"'
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")
_HASH = re.compile(r"^[0-9a-f]{64}$")
_BUNDLE_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*\.pdf$")


class SiteBuildError(ContentRefused):
    """The site could not be built from this configuration; the message (Chinese) says why and what to do."""


def render_site(library: Library, views, district_docs, options, notes: list[str],
                provenance: Provenance, words: Vocabulary) -> tuple[list[Path], list[Problem]]:
    """Write build/site; with problems (a refused configuration, a missing package, a leak in the public
    edition) the last good site stays and they are returned."""
    try:
        return _render_site(library, views, district_docs, options, notes, provenance, words), []
    except SiteBuildError as refused:
        return [], [_problem("site-build", "mkdocs.yml", refused)]
    except search_index.SearchIndexMissing as missing:
        return [], [_problem("package-missing", "build/site", missing)]
    except ContentError as leak:
        return [], list(getattr(leak, "problems", [leak.problem]))


def _problem(rule: str, path: str, error: Exception) -> Problem:
    """A renderer's refusal as a Problem: the message up to its hint, on one line, and the hint."""
    message, _, hint = str(error).partition("提示：")
    return Problem(path, 1, 1, ERROR, rule, " ".join(line.strip(" -") for line in message.splitlines() if line.strip(" -")),
                   " ".join(hint.split()))


def _render_site(library: Library, views, district_docs, options, notes: list[str],
                 provenance: Provenance, words: Vocabulary) -> list[Path]:
    root = Path(options.root)
    build_dir = root / "build"
    search_index.pagefind_binary()  # before anything is written: a missing Pagefind is the machine's problem
    say = _progress(options)

    data = SiteData(
        library=library, views=views, district_docs=district_docs,
        district=district_context(library, options.audience), audience=options.audience,
        build_date=provenance.date, dated_by=provenance.dated_by, commit=provenance.head,
        review_due_days=int(library.config.get("review_due_days") or 90), today=dates.today().isoformat(),
        bundles=read_bundles(build_dir / "pdf", options.audience, notes), words=words,
        editor=editor_wanted(root, options, notes),
    )
    if options.audience != "public":  # public pages show revision records, never commit authors or subjects
        data.histories = {doc.path: list(provenance.logs.get(doc.path, ()))
                          for doc in library.documents if doc.kind in WORKFLOW_KINDS}
        data.recent = [(commit, list(paths)) for commit, paths in provenance.recent]
    say("网站：生成页面…")
    pages = generate(data)

    with staged_directory(build_dir / "docs") as docs:
        for relative, markdown in pages.items():
            write_staged(docs / relative, markdown)
        _copy(lambda: copy_folder(assets_dir(root), docs, NOT_PUBLISHED_ASSETS))
        link_bundles(build_dir / "pdf", docs / "downloads", data.bundles)
        if data.editor:
            _copy(lambda: copy_editor_bundle(root, docs))

    if library.site_config is None:  # the loader reported why; the build refuses before this point
        raise SiteBuildError("网站配置 mkdocs.yml 无法读取，没有生成网站。\n  提示：运行 safeplan validate 查看原因。")
    say(f"网站：MkDocs 生成 {len(pages)} 个页面…")
    with staged_directory(build_dir / "site") as staging:
        run_mkdocs(library.site_config, root, docs_dir=build_dir / "docs", site_dir=staging, epoch=provenance.epoch)
        # content images go in after MkDocs, so it never treats one as a page; each is a checked image file
        for asset in library.assets:
            _copy(lambda: copy_file(root / asset.path, staging / asset.path))
        check_policy(staging)
        search_index.drop_unused_theme_files(staging)
        index_size = search_index.index_site(staging)
        if options.audience == "public":  # a leak fails here, and the staged site is never swapped in
            say("网站：扫描公开版…")
            refuse_leaks(scan_site(library, staging, build_dir / "cache"))
    site = build_dir / "site"
    notes.append(f"网站：{_shown(root, site)}（{len(pages)} 个页面，搜索索引 {index_size / 1024:.0f} KB，"
                 f"{len(data.bundles)} 份汇编可下载）")
    return [site]


# ---------------------------------------------------------------- inputs



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
        try:
            editions = [Bundle(school=bundle.school, file=str(e["file"]), bytes=int(e["bytes"]), pages=int(e["pages"]),
                               sha256=str(e["sha256"]), date=bundle.date, name=bundle.name, commit=bundle.commit,
                               label=str(e["label"])) for e in entry.get("editions") or [] if e.get("file") != bundle.file]
        except (KeyError, TypeError, ValueError, AttributeError):
            editions = []
        if not _on_disk(pdf_dir, bundle, notes):
            continue
        bundle.editions = tuple(e for e in editions if _on_disk(pdf_dir, e, notes))
        bundles[bundle.school] = bundle
    return bundles


def _on_disk(pdf_dir: Path, bundle: Bundle, notes: list[str]) -> bool:
    """The name stays inside build/pdf, and the file is the one the manifest describes."""
    path = pdf_dir / bundle.file
    if not _BUNDLE_NAME.match(bundle.file) or not _HASH.match(bundle.sha256) or not path.is_file() \
            or path.stat().st_size != bundle.bytes:
        notes.append(f"网站：汇编 {bundle.file} 与清单不符或不存在，下载页未列出。")
        return False
    return True


def link_bundles(pdf_dir: Path, downloads: Path, bundles: dict[str, Bundle]) -> None:
    """Put each PDF into the pages folder; a hard link costs nothing, MkDocs copies it into the site."""
    for bundle in (b for whole in bundles.values() for b in (whole, *whole.editions)):
        link_file(pdf_dir / bundle.file, downloads / bundle.file)


def assets_dir(root: Path) -> Path:
    own = root / SITE_ASSETS
    return own if own.is_dir() or own.is_symlink() else REPOSITORY / SITE_ASSETS


def _copy(call) -> None:
    try:
        call()
    except (UnsafeCopy, OSError) as error:
        raise SiteBuildError(f"复制网站文件时出错：{error}\n  提示：assets/ 和 site-assets/ 中只能有普通文件，"
                             "图片不能与网站自带的文件同名（如 assets/images/favicon.png）；运行 safeplan validate 查看其他问题。") from None


# ---------------------------------------------------------------- MkDocs

class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_mkdocs(site_config: SiteConfig, root: Path, docs_dir: Path, site_dir: Path, epoch: int) -> None:
    """Build strictly from the config the loader read (MkDocs never parses mkdocs.yml, so its YAML runs
    nothing); dates in the output (sitemap, its gzip header) come from the build epoch."""
    from mkdocs.commands.build import build
    from mkdocs.exceptions import Abort, ConfigurationError

    refused = list(config_problems(site_config))
    if refused:  # validate reports these for the root's own file; this also covers the tool's template
        raise SiteBuildError("网站配置不安全，没有生成网站：\n" + "".join(
            f"  {p.path}:{p.line}:{p.column}: {p.message}\n    提示：{p.hint}\n" for p in refused))
    config_file = site_config.folder / "mkdocs.yml"

    logger = logging.getLogger("mkdocs")
    collect = _Collect()
    logger.addHandler(collect)
    saved_epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        try:
            config = _mkdocs_config(site_config, root, docs_dir, site_dir)
        except (ConfigurationError, Abort) as error:
            raise SiteBuildError(f"网站配置 {config_file} 有误：{error}\n"
                                 f"  {_listed(collect.messages)}提示：请对照仓库中的 mkdocs.yml 修改。") from None
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


def _mkdocs_config(site_config: SiteConfig, root: Path, docs_dir: Path, site_dir: Path):
    """What mkdocs.config.load_config does after reading the file, from data the loader read safely."""
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.exceptions import Abort

    data = {**site_config.data, "docs_dir": str(docs_dir), "site_dir": str(site_dir), "strict": True}
    theme = data.get("theme")
    if isinstance(theme, dict) and theme.get("custom_dir") is not None:
        data["theme"] = {**theme, "custom_dir": str(_theme_overrides(site_config, root, str(theme["custom_dir"])))}
    config = MkDocsConfig(config_file_path=str(site_config.folder / "mkdocs.yml"))
    config.load_dict(data)
    errors, warnings = config.validate()
    logger = logging.getLogger("mkdocs")
    for name, warning in warnings:
        logger.warning(f"Config value '{name}': {warning}")
    for name, error in errors:
        logger.error(f"Config value '{name}': {error}")
    if errors or warnings:
        raise Abort(f"{len(errors)} 个配置错误、{len(warnings)} 个配置警告")
    return config


def _theme_overrides(site_config: SiteConfig, root: Path, value: str) -> Path:
    """The theme overrides folder: as written from the config's folder, else the root's or the tool's site-assets/theme
    (a content root without its own site-assets/ still gets the templates that set the page policy)."""
    for candidate in (site_config.folder / value, assets_dir(root) / THEME_OVERRIDES, REPOSITORY / SITE_ASSETS / THEME_OVERRIDES):
        if candidate.is_dir() and not candidate.is_symlink():
            return candidate.resolve()
    raise SiteBuildError(f"找不到主题覆盖目录 {value}。\n  提示：从仓库恢复 {SITE_ASSETS}/{THEME_OVERRIDES}/。")


def check_policy(site_dir: Path) -> None:
    """Every page carries the Content-Security-Policy the theme overrides set, before anything else in its head,
    and no inline script (the policy would block it: a theme feature that needs one is broken, so say so)."""
    for page in sorted(site_dir.rglob("*.html")):
        html = page.read_bytes()
        inline = _INLINE_SCRIPT.search(html)
        if CSP_MARK not in html[:4096] or inline:
            what = "没有内容安全策略（Content-Security-Policy）" if CSP_MARK not in html[:4096] \
                else f"含有内联脚本 {inline.group()[:60].decode(errors='replace')}"
            raise SiteBuildError(f"页面 {page.relative_to(site_dir)} {what}。\n"
                                 f"  提示：mkdocs.yml 的 theme.custom_dir 应为 {SITE_ASSETS}/{THEME_OVERRIDES}（请从仓库恢复）；"
                                 "需要内联脚本的主题功能（如 consent、announce.dismiss）请先在该目录中改为脚本文件。")


def _listed(messages: list[str]) -> str:
    return "".join(f"- {m}\n  " for m in messages[:20])


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
