"""SiteConfig and Assets → Problems: the site is built from data and the gate's own code, nothing else.

assets/ holds raster images only (judged by their bytes), mkdocs.yml names only
the plugins and Markdown extensions below, loads no outside script or
stylesheet and points at no folder outside the repository; nothing the site
copies is a link. The loader (site_inputs.py) read what these rules judge.
"""

from __future__ import annotations

import re
from pathlib import Path

from safeplan.content.model import Asset, Library, SiteConfig
from safeplan.problems import ERROR, Problem
from safeplan.content.site_inputs import SITE_ASSETS
from safeplan.checks.validate import rule

# A school's evacuation map photographed or scanned at print resolution is 1–3 MB; 5 MB leaves room for that,
# and bounds what every reader on a school's network downloads for one picture.
MAX_ASSET_BYTES = 5 * 1024 * 1024
# image type → (its signature test on the first bytes, the file name endings that may carry it)
IMAGE_TYPES = {
    "PNG": (lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"), (".png",)),
    "JPEG": (lambda head: head.startswith(b"\xff\xd8\xff"), (".jpg", ".jpeg")),
    "WebP": (lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP", (".webp",)),
}
ALLOWED_PLUGINS = ("search", "tags")  # Material's own; "material/search" names the same plugin
ALLOWED_EXTENSIONS = ("toc", "tables", "attr_list", "md_in_html", "admonition", "def_list", "footnotes", "abbr",
                      "pymdownx.details")  # Markdown syntax only: none reads files or runs configured code
THEME = "material"
BUILD_FOLDERS = {"docs_dir": "build/docs", "site_dir": "build/site"}  # where safeplan writes pages and the site
_OUTSIDE_URL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//|\\\\)")


def image_type(head: bytes) -> str:
    return next((name for name, (test, _) in IMAGE_TYPES.items() if test(head)), "")


def _link_problem(asset: Asset, what: str, hint: str) -> Problem | None:
    if asset.kind == "folder-link":
        return Problem(asset.path, 1, 1, ERROR, "", f"{asset.path} 是指向文件夹的符号链接（→ {asset.target}），不会被复制，也不予读取。", hint)
    if asset.kind == "symlink":
        return Problem(asset.path, 1, 1, ERROR, "", f"{what}中不能有符号链接（→ {asset.target}）：链接可以把仓库之外的文件发布出去。", hint)
    if asset.kind == "special":
        return Problem(asset.path, 1, 1, ERROR, "", f"{asset.path} 不是普通文件（管道、设备或无法打开的文件），不予读取。", hint)
    return None


@rule("asset-type", ERROR, f"assets/ 中只有不超过 {MAX_ASSET_BYTES // 2**20} MB 的 PNG、JPEG、WebP 图片，没有符号链接", allowed=(ERROR,))
def check_assets(library: Library):
    endings = "、".join(ending for _, ends in IMAGE_TYPES.values() for ending in ends)
    for asset in library.assets:
        found = _link_problem(asset, "assets/ ", "把图片文件本身复制进 assets/，删除这个链接或特殊文件。")
        if found:
            yield found
            continue
        kind = image_type(asset.head)
        ending = Path(asset.path).suffix.lower()
        if not kind:
            yield Problem(asset.path, 1, 1, ERROR, "", "assets/ 只能放 PNG、JPEG、WebP 图片；按文件内容判断，这个文件不是。",
                          "网页、脚本、SVG、Markdown 等文件会被浏览器当作网站的一部分打开或执行，不能放进 assets/；"
                          f"图片请导出为 {endings}，说明文字请写进 notes/。")
        elif ending not in IMAGE_TYPES[kind][1]:
            yield Problem(asset.path, 1, 1, ERROR, "", f"文件内容是 {kind} 图片，扩展名却是“{ending or '（无）'}”。",
                          f"把文件改名为 {IMAGE_TYPES[kind][1][0]} 结尾；扩展名与内容一致，浏览器才会按图片显示它。")
        if asset.size > MAX_ASSET_BYTES:
            yield Problem(asset.path, 1, 1, ERROR, "", f"图片 {asset.size / 1024 / 1024:.1f} MB，超过上限 {MAX_ASSET_BYTES // 1024 // 1024} MB。",
                          "请压缩图片（例如导出为 JPEG，长边不超过 2000 像素），学校网络中每位读者都要下载它。")


@rule("site-config", ERROR, "网站配置 mkdocs.yml 不运行代码、不引用外部脚本和样式表、路径不出仓库", allowed=(ERROR,))
def check_site_config(library: Library):
    for asset in library.site_assets:
        found = _link_problem(asset, "site-assets/ ", "把文件本身放进 site-assets/，删除这个链接或特殊文件。")
        if found:
            yield found
    config = library.site_config
    if config is not None:
        yield from config_problems(config)


def config_problems(config: SiteConfig):
    data = config.data

    def at(pointer: str, message: str, hint: str) -> Problem:
        line, column = config.position(pointer)
        return Problem(config.path, line, column, ERROR, "", message, hint)

    if "hooks" in data:
        yield at("/hooks", "mkdocs.yml 不能设置 hooks：钩子是生成网站时运行的 Python 代码。",
                 "删除 hooks；网站需要的功能请在 scripts/safeplan/ 中实现并经过审核。")
    if "INHERIT" in data:
        yield at("/INHERIT", "mkdocs.yml 不能用 INHERIT 继承另一个配置文件。", "把需要的设置直接写进 mkdocs.yml。")
    theme = data.get("theme")
    name = theme.get("name") if isinstance(theme, dict) else theme
    if name != THEME:
        yield at("/theme/name" if isinstance(theme, dict) else "/theme", f"网站主题必须是 {THEME}，现在是“{name}”。", f"把 theme 的 name 改回 {THEME}；其他主题会带来未经审核的模板和脚本。")
    for setting, allowed, label in (("plugins", ALLOWED_PLUGINS, "插件"), ("markdown_extensions", ALLOWED_EXTENSIONS, "Markdown 扩展")):
        for key, entry, options in _entries(data.get(setting)):
            if entry.removeprefix("material/").removeprefix("markdown.extensions.") not in allowed:
                yield at(f"/{setting}/{key}", f"{label}“{entry[:60]}”不在允许名单中：它可能在生成网站时读取文件或运行未经审核的代码。",
                         f"{label}只能用：{'、'.join(allowed)}。")
            if setting == "plugins" and isinstance(options, dict) and options.get("jieba_dict_user") is not None:
                if _outside(config, options["jieba_dict_user"]):
                    yield at(f"/plugins/{key}/{entry.replace('/', '~1')}/jieba_dict_user", "搜索分词词典的路径指向仓库之外。",
                             "词典放在 site-assets/jieba-user-dict.txt，路径相对于仓库根目录。")
    for setting, label in (("extra_javascript", "脚本"), ("extra_css", "样式表")):
        items = data.get(setting) or []
        for index, item in enumerate(items if isinstance(items, list) else [items]):
            url = str(item.get("path", "") if isinstance(item, dict) else item)
            if _OUTSIDE_URL.match(url.strip()):
                yield at(f"/{setting}/{index}", f"网站不能加载外部{label}“{url[:80]}”：它会在每个页面上运行或生效，且不受审核。",
                         f"把{label}文件放进 site-assets/，写成相对路径（如 stylesheets/safeplan.css）。")
            elif url.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", url):
                yield at(f"/{setting}/{index}", f"{label}路径“{url[:80]}”指向网站之外。", "写成 site-assets/ 下的相对路径，不以 / 开头，不含 ..。")
    if isinstance(theme, dict) and theme.get("custom_dir") is not None:
        custom = config.folder / str(theme["custom_dir"])
        # templates and the scripts beside them decide what every page runs: only the gate's own folder may hold them
        if not custom.resolve().is_relative_to((config.folder / SITE_ASSETS).resolve()) or custom.is_symlink():
            where = "指向仓库之外" if _outside(config, theme["custom_dir"]) else f"不在 {SITE_ASSETS}/ 之内"
            yield at("/theme/custom_dir", f"theme.custom_dir {where}或是符号链接：主题模板和其中的脚本决定每个页面运行什么。",
                     f"主题覆盖放在 {SITE_ASSETS}/theme/，写成 custom_dir: {SITE_ASSETS}/theme。")
    for setting, expected in BUILD_FOLDERS.items():
        value = data.get(setting)
        if value is None or str(value).strip("/").removeprefix("./") == expected:
            continue
        where = "指向仓库之外" if _outside(config, value) else f"不是 {expected}"
        yield at(f"/{setting}", f"{setting} {where}：safeplan 总是从 build/docs 生成到 build/site。",
                 f"写成 {setting}: {expected}（相对于仓库根目录），或删除这一行。")


def _entries(value):
    """(pointer key, name, options) of each entry of a plugins or markdown_extensions setting (a list or a map)."""
    if isinstance(value, dict):
        for name, options in value.items():
            yield str(name).replace("~", "~0").replace("/", "~1"), str(name), options
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict) and len(item) == 1:
                name, options = next(iter(item.items()))
                yield str(index), str(name), options
            else:
                yield str(index), str(item), None


def _outside(config: SiteConfig, value) -> bool:
    """Does this path, read from the config's folder with every link followed, leave that folder?"""
    return not (config.folder / str(value)).resolve().is_relative_to(config.folder.resolve())
