"""SiteIndex + node_modules → the web editor at /admin/ of the internal edition (Decap CMS, bundled, no CDN).

The page function writes admin/index.html, admin/safeplan-editor.js (editor_assets/) and the generated
admin/config.yml; copy_editor_bundle copies Decap's own build (decap-cms.js, its chunks and WebAssembly,
never the source maps) from the npm install next to them. The public edition never has an editor.
"""

from __future__ import annotations

import os
from pathlib import Path

from safeplan.content.site_inputs import REPOSITORY
from safeplan.render.output import copy_file
from safeplan.render.site.admin_config import LOCAL_BACKEND, config_text, editor_config
from safeplan.render.site.index import SiteIndex

ASSETS = Path(__file__).parent / "editor_assets"
FOLDER = "admin"
DECAP_DIST = Path("node_modules") / "decap-cms" / "dist"
BUNDLE = "decap-cms.js"  # loads its chunks <n>.decap-cms.js and the .wasm files from its own folder
BACKEND_ENV = "SAFEPLAN_EDITOR_BACKEND"  # set by `safeplan edit`: the address of the decap-server it started


def node_modules(root: Path) -> Path | None:
    """The npm install the editor comes from: the content root's own, else the tool's (make build)."""
    for base in (Path(root), REPOSITORY):
        if (base / DECAP_DIST / BUNDLE).is_file():
            return base / "node_modules"
    return None


def editor_wanted(root: Path, options, notes: list[str]) -> bool:
    """Whether this build gets /admin/: internal edition, not --no-editor, and Decap installed (else one line says so)."""
    if options.audience == "public":
        return False
    if not getattr(options, "editor", True):
        notes.append("网站：未生成网页编辑器 /admin/（--no-editor）")
        return False
    if node_modules(root) is None:
        notes.append("网站：找不到 node_modules/decap-cms，未生成网页编辑器 /admin/，其余照常生成（先运行 make build 或 npm ci 安装）")
        return False
    return True


def bundle_files(modules: Path) -> list[Path]:
    """Decap's build as the browser loads it: the bundle, its chunks, WebAssembly and licence; no maps, no second build."""
    dist = modules / "decap-cms" / "dist"
    return sorted(p for p in dist.iterdir() if p.is_file() and (
        p.name == BUNDLE or p.name.endswith(("." + BUNDLE, ".wasm")) or p.name == BUNDLE + ".LICENSE.txt"))


def copy_editor_bundle(root: Path, docs: Path) -> None:
    for source in bundle_files(node_modules(root)):
        copy_file(source, docs / FOLDER / source.name)


def admin_pages(index: SiteIndex) -> dict[str, str]:
    site = index.site
    if site.audience != "internal" or not getattr(site, "editor", False):
        return {}
    backend = os.environ.get(BACKEND_ENV) or LOCAL_BACKEND
    return {
        f"{FOLDER}/index.html": (ASSETS / "index.html").read_text(encoding="utf-8"),
        f"{FOLDER}/safeplan-editor.js": (ASSETS / "safeplan-editor.js").read_text(encoding="utf-8"),
        f"{FOLDER}/config.yml": config_text(editor_config(site.library, site.words, backend)),
    }
