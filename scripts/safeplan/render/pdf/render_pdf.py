"""SchoolView → HTML → PDF bundle: build/pdf/<school>.pdf and manifest.json, cached and in parallel.

A bundle is rendered only when its cache key changes: the school's resolved view, the
template, stylesheet and code that turn it into HTML, the font files and the tool
versions. Workers are processes, recycled every few bundles so memory stays flat.
The same inputs give byte-identical PDFs: dates come from the build date, the PDF
identifier from the edition's HTML, and nothing reads the clock. An edition whose HTML is
unchanged keeps its cached file (a template edit lays out only what it changes).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import weasyprint
from weasyprint.text.ffi import harfbuzz_subset

from safeplan import __version__
from safeplan.render.pdf.layout import render_pdf
from safeplan.render.pdf.bundle_html import TEMPLATE_FILES, TEMPLATES, BundleMeta
from safeplan.render.pdf.editions import EDITIONS, edition_html
from safeplan.render.pdf.fonts import DEFAULT_STACKS, Face, font_stacks, package_for, trimmed, wanted_faces
from safeplan.render.pdf.glyphs import check_glyphs
from safeplan.content.provenance import Provenance
from safeplan.content.model import Document, Library
from safeplan.render.output import link_file, prune_cache, staged_directory, write_bytes, write_text
from safeplan.problems import ERROR, ContentError, EnvironmentProblem, Problem
from safeplan.render.public_scan import refuse_leaks, scan_files
from safeplan.resolve.views import SchoolView
from safeplan.content.vocabulary import Vocabulary

FACES = wanted_faces(DEFAULT_STACKS)  # safeplan.yaml `fonts` replaces them (render/pdf/fonts.py)
# Bundles per worker process before it is replaced: memory stays flat, and a worker keeps the blank
# forms it laid out (render/pdf/blocks.py) for this many schools.
RECYCLE_AFTER = 50
CACHE_FORMAT = "2"
PAGES = "pages"  # cache folder of edition PDFs by their HTML's key, shared by every bundle key that gives that HTML
CODE_FILES = ("render/pdf/bundle_html.py", "content/sanitize.py", "render/pdf/render_pdf.py", "content/model.py",
              "content/vocabulary.py", "render/pdf/cards.py", "render/pdf/editions.py", "render/pdf/forms.py",
              "render/pdf/structure.py", "render/pdf/fonts.py", "render/pdf/blocks.py", "render/pdf/layout.py",
              "content/form_sheets.py")  # what turns a view into bytes
LAYOUT_FILES = ("render/pdf/render_pdf.py", "render/pdf/layout.py", "render/pdf/blocks.py", "render/pdf/structure.py",
                "render/pdf/fonts.py")  # HTML into bytes


class FontsMissing(EnvironmentProblem):
    """The CJK fonts the bundles are set in are not installed (message says what to install)."""


@dataclass(frozen=True)
class Bundle:
    """One written bundle, as listed in manifest.json."""

    school: str
    name: str
    key: str
    pages: int
    bytes: int
    sha256: str
    seconds: float = 0.0  # render time; 0 for a cache hit
    editions: tuple[dict, ...] = ()  # every edition's file: edition, label, suffix, pages, bytes, sha256, html (full first)
    laid_out: int = 0  # editions laid out by this build (an unchanged edition's HTML reuses its PDF)

    def files(self, cache: Path) -> list[tuple[str, Path]]:
        """(published name, cache file) of every edition: the cache keeps an edition's PDF under its HTML's key."""
        return [(f"{self.school}{e['suffix']}.pdf", cache / PAGES / f"{e['html']}.pdf") for e in self.editions]


def render_bundles(library: Library, views: list[SchoolView], options, notes: list[str],
                   provenance: Provenance, words: Vocabulary) -> tuple[list[Path], list[Problem]]:
    """Write build/pdf/<school>.pdf for the selected schools and build/pdf/manifest.json; with problems
    (fonts or characters missing, a leak in a public bundle) nothing is written and they are returned."""

    started = time.perf_counter()
    root = Path(options.root)
    build_dir = root / "build"
    cache = build_dir / "cache" / "pdf"
    selected = [view for view in views if in_shard(view.id, options.shard)]
    stacks = font_stacks(library.config)
    try:
        faces = bundle_faces(wanted_faces(stacks) if stacks != DEFAULT_STACKS else None)
    except FontsMissing as missing:
        message, _, hint = str(missing).partition("请安装")
        return [], [Problem("build/pdf", 1, 1, ERROR, "fonts-missing", message, "请安装" + hint)]
    announce = (lambda face: print(f"PDF：为 {face.family}（{face.weight}）做常用字精简副本（每台机器只做一次）…",
                                   file=sys.stderr, flush=True)) if options.progress else None
    copies = trimmed(stack_faces(stacks), announce)
    metas = {view.id: BundleMeta(date=provenance.sources[view.id].date, commit=provenance.sources[view.id].commit,
                                 tool_version=__version__, fonts=stacks, trimmed=copies) for view in selected}
    salt, layout = render_salt(faces, words), layout_salt(faces)
    keys = {view.id: cache_key(view, salt, metas[view.id]) for view in selected}

    hits = {view.id: bundle for view in selected if (bundle := _cached(cache, view, keys[view.id]))}
    misses = [view for view in selected if view.id not in hits]
    unprintable = check_glyphs(library, misses, faces) if misses else []
    if unprintable:
        return [], unprintable
    if harfbuzz_subset is None:
        notes.append("警告：未安装 libharfbuzz-subset0，字体子集化改用 fontTools，每份 PDF 约多用 10 秒；"
                     "请运行 sudo apt-get install libharfbuzz-subset0。")
    jobs = options.jobs or len(os.sched_getaffinity(0))
    if options.progress and selected:
        print(f"PDF：{len(selected)} 份，缓存命中 {len(hits)} 份，需要生成 {len(misses)} 份", file=sys.stderr, flush=True)
    rendered = _render_all(misses, metas, keys, cache, jobs, options.progress, words, layout)
    bundles = {**hits, **{bundle.school: bundle for bundle in rendered}}

    if options.audience == "public":  # before _publish: a leak leaves the last build/pdf as it was
        if options.progress:
            print("PDF：扫描公开版…", file=sys.stderr, flush=True)
        try:
            refuse_leaks(scan_files(library, [(f"build/pdf/{name}", path) for view in selected
                                              for name, path in bundles[view.id].files(cache)], build_dir / "cache"))
        except ContentError as leak:
            return [], list(getattr(leak, "problems", [leak.problem]))

    partial = bool(options.schools or options.shard)
    # A shard names its manifest after itself, so the shards' outputs can be laid side by side.
    manifest_name = f"manifest.shard-{options.shard[0]}-of-{options.shard[1]}.json" if options.shard else "manifest.json"
    written = _publish(build_dir / "pdf", manifest_name, cache, [bundles[view.id] for view in selected], metas, options.audience,
                       keep_others={s.id for s in library.schools} if partial else set())
    prune_cache(cache, keep=set(keys.values()), limit=3 * len(library.schools) + 10,
                suffixes=(".json",))
    prune_cache(cache / PAGES, keep={e["html"] for view in selected for e in bundles[view.id].editions},
                limit=len(EDITIONS) * len(library.schools) + 10)

    pages = sum(bundles[view.id].pages for view in selected)
    seconds = time.perf_counter() - started
    workers = min(jobs, len(misses)) if len(misses) > 1 else 1
    notes.append(f"PDF：{len(selected)} 份（共 {pages} 页），重新生成 {len(rendered)} 份，缓存命中 {len(hits)} 份，"
                 f"重新排版 {sum(bundle.laid_out for bundle in rendered)} 个文件，"
                 f"用时 {seconds:.1f} 秒" + (f"（{workers} 个进程）" if rendered else "") + " → build/pdf/")
    return written, []


def in_shard(school_id: str, shard: tuple[int, int] | None) -> bool:
    """Shard K of N by a hash of the id: adding a school never moves the others between machines."""
    if not shard:
        return True
    k, n = shard
    return int(hashlib.sha256(school_id.encode()).hexdigest(), 16) % n == k - 1


# ---- fonts -------------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def bundle_faces(wanted: tuple[tuple[str, str], ...] | None = None) -> tuple[Face, ...]:
    """The font files fontconfig (and so Pango) picks for the bundle's families (FACES by default), Simplified Chinese."""
    name = ctypes.util.find_library("fontconfig") or "libfontconfig.so.1"
    fc = ctypes.CDLL(name)
    fc.FcNameParse.restype = ctypes.c_void_p
    fc.FcNameParse.argtypes = [ctypes.c_char_p]
    fc.FcConfigSubstitute.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
    fc.FcDefaultSubstitute.argtypes = [ctypes.c_void_p]
    fc.FcFontMatch.restype = ctypes.c_void_p
    fc.FcFontMatch.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
    fc.FcPatternGetString.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
    fc.FcPatternGetInteger.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    fc.FcPatternDestroy.argtypes = [ctypes.c_void_p]

    def strings(pattern, key: bytes) -> list[str]:
        found, value = [], ctypes.c_char_p()
        while fc.FcPatternGetString(pattern, key, len(found), ctypes.byref(value)) == 0:
            found.append(value.value.decode())
        return found

    faces = []
    for family, weight in wanted or FACES:
        pattern = fc.FcNameParse(f"{family}:weight={weight}:lang=zh-cn".encode())
        fc.FcConfigSubstitute(None, pattern, 0)
        fc.FcDefaultSubstitute(pattern)
        result, index = ctypes.c_int(), ctypes.c_int()
        match = fc.FcFontMatch(None, pattern, ctypes.byref(result))
        fc.FcPatternDestroy(pattern)
        if not match:
            raise FontsMissing(_fonts_missing_message(family))
        families, files = strings(match, b"family"), strings(match, b"file")
        fc.FcPatternGetInteger(match, b"index", 0, ctypes.byref(index))
        fc.FcPatternDestroy(match)
        if family not in families or not files:
            raise FontsMissing(_fonts_missing_message(family))
        faces.append(Face(family, weight, files[0], index.value))
    return tuple(faces)


def stack_faces(stacks) -> tuple[Face, ...]:
    """Every installed family of the stacks, regular and bold: the faces text may be set in."""
    faces = []
    for family in dict.fromkeys(f for _, families in stacks for f in families):
        for weight in ("regular", "bold"):
            try:
                faces.extend(bundle_faces(((family, weight),)))
            except FontsMissing:  # a fallback that is not installed: Pango skips it too
                pass
    return tuple(dict.fromkeys(faces))


def _fonts_missing_message(family: str) -> str:
    package = package_for(family)
    return (f"未找到字体“{family}”，无法生成 PDF 汇编。请安装字体软件包 {package}：sudo apt-get install {package}"
            "（或运行 make build，它会安装所需的系统软件包）；自备的字体（如仿宋_GB2312）请先安装到系统字体目录，"
            "或在 safeplan.yaml 的 fonts 中改用已安装的字体。")


# ---- cache -------------------------------------------------------------------------------------

def render_salt(faces: tuple[Face, ...], words: Vocabulary) -> str:
    """Everything besides the view that changes a bundle's bytes, the schemas' labels included."""
    import markdown
    import nh3
    import pydyf

    digest = hashlib.sha256()
    for part in (CACHE_FORMAT, __version__, weasyprint.__version__, pydyf.__version__, markdown.__version__,
                 getattr(nh3, "__version__", ""), words.fingerprint(),
                 *(face.identity() for face in faces)):
        digest.update(part.encode() + b"\0")
    here = Path(__file__).parents[2]  # the safeplan package
    for path in [TEMPLATES / name for name in TEMPLATE_FILES] + [here / name for name in CODE_FILES]:
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def layout_salt(faces: tuple[Face, ...]) -> str:
    """What besides the HTML changes an edition's bytes: tool versions, fonts and the code that lays HTML out."""
    import pydyf

    here = Path(__file__).parents[2]
    parts = [CACHE_FORMAT, weasyprint.__version__, pydyf.__version__, *(face.identity() for face in faces),
             *(hashlib.sha256((here / name).read_bytes()).hexdigest() for name in LAYOUT_FILES)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def cache_key(view: SchoolView, salt: str, meta: BundleMeta) -> str:
    return hashlib.sha256(f"{salt}|{meta.date}|{meta.commit}|{meta.tool_version}|{meta.fonts}|{view.fingerprint()}".encode()).hexdigest()


def _cached(cache: Path, view: SchoolView, key: str) -> Bundle | None:
    try:
        entry = json.loads((cache / f"{key}.json").read_text(encoding="utf-8"))
        editions = tuple(entry["editions"])
        if any((cache / PAGES / f"{e['html']}.pdf").stat().st_size != e["bytes"] for e in editions):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Bundle(view.id, view.data["name"], key, entry["pages"], entry["bytes"], entry["sha256"], editions=editions)


# ---- rendering ---------------------------------------------------------------------------------

def render_one(view: SchoolView, meta: BundleMeta, key: str, cache: Path, words: Vocabulary, layout: str = "") -> Bundle:
    """Render one school's editions into the cache (worker side); the entry (its .json, written last) is complete or absent.

    An edition whose HTML (with `layout`, the salt of what lays it out) is already in the cache is not laid
    out again: a template edit re-renders only the editions it changes, and the others keep their files.
    """
    started = time.perf_counter()
    editions, laid_out = [], 0
    for edition in EDITIONS:
        html = edition_html(edition, view, meta, words)
        if html is None:  # an edition this school has nothing for (the cards sheet of a school without cards)
            continue
        content = hashlib.sha256(f"{layout}|{edition.restart}|{html}".encode()).hexdigest()
        entry = _laid_out(cache / PAGES, content)
        if entry is None:
            data, pages = render_pdf(html, content, edition.restart, share=True)
            entry = {"pages": pages, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            write_bytes(cache / PAGES / f"{content}.pdf", data)
            write_text(cache / PAGES / f"{content}.json", json.dumps(entry))
            laid_out += 1
        editions.append({"edition": edition.name, "label": edition.label, "suffix": edition.suffix, **entry,
                         "html": content})
    full = editions[0]
    bundle = Bundle(view.id, view.data["name"], key, full["pages"], full["bytes"], full["sha256"],
                    time.perf_counter() - started, tuple(editions), laid_out)
    write_text(cache / f"{key}.json", json.dumps({"pages": bundle.pages, "bytes": bundle.bytes, "sha256": bundle.sha256,
                                                  "editions": editions}))
    return bundle


def _laid_out(folder: Path, content: str) -> dict | None:
    """The cached PDF of an edition's HTML: pages, bytes, sha256 (None if absent or incomplete)."""
    try:
        entry = json.loads((folder / f"{content}.json").read_text(encoding="utf-8"))
        return entry if (folder / f"{content}.pdf").stat().st_size == entry["bytes"] else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _render_all(views: list[SchoolView], metas: dict[str, BundleMeta], keys: dict[str, str], cache: Path,
                jobs: int, progress: bool, words: Vocabulary, layout: str = "") -> list[Bundle]:
    # Schools that file the same forms one after another, so a worker lays those out once; and the biggest
    # first, so no worker is left with a long bundle at the end.
    forms = {v.id: tuple(item.id for item in v.of_kind("checklist") + v.of_kind("drill")) for v in views}
    biggest = {}
    for view in views:
        biggest[forms[view.id]] = max(biggest.get(forms[view.id], 0), len(view.documents))
    views = sorted(views, key=lambda v: (-biggest[forms[v.id]], forms[v.id], -len(v.documents), v.id))
    done: list[Bundle] = []

    def report(bundle: Bundle) -> None:
        done.append(bundle)
        if progress:
            print(f"PDF [{len(done):>{len(str(len(views)))}}/{len(views)}] {bundle.school}  "
                  f"{bundle.pages} 页  {bundle.seconds:.1f} 秒", file=sys.stderr, flush=True)

    if jobs <= 1 or len(views) <= 1:
        for view in views:
            report(render_one(view, metas[view.id], keys[view.id], cache, words, layout))
        return done
    workers = min(jobs, len(views))
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])  # workers fork with WeasyPrint already imported
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, max_tasks_per_child=RECYCLE_AFTER)
    queue, pending = list(reversed(views)), set()
    try:
        while queue or pending:
            # At most one bundle in flight per worker: with a queued backlog, Python 3.11–3.13 stop
            # replacing recycled workers and hang (CPython gh-115634).
            while queue and len(pending) < workers:
                view = queue.pop()
                pending.add(pool.submit(render_one, _portable(view), metas[view.id], keys[view.id], cache, words,
                                        layout))
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                report(future.result())
    except BaseException:
        for process in list(getattr(pool, "_processes", {}).values()):  # stop renders now, not when done
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return done


def _portable(view: SchoolView) -> SchoolView:
    """The view as a worker needs it: without source positions and memos, a tenth of the pickle."""

    def light(doc: Document) -> Document:
        return Document(kind=doc.kind, path=doc.path, data={"id": doc.id}, positions={})

    return replace(view, school=light(view.school), not_applied=[],
                   documents=[replace(applied, doc=light(applied.doc)) for applied in view.documents])


# ---- output ------------------------------------------------------------------------------------

def _publish(out: Path, manifest_name: str, cache: Path, bundles: list[Bundle], metas: dict[str, BundleMeta], audience: str,
             keep_others: set[str]) -> list[Path]:
    """Swap in a new build/pdf: these bundles, plus (for a partial build) the other schools' last ones."""
    previous = _read_manifest(out)
    entries = {}
    with staged_directory(out) as staging:
        kept = keep_others - {bundle.school for bundle in bundles}
        for school, entry in previous.items():
            files = [e["file"] for e in entry.get("editions") or [entry]]
            if school in kept and entry.get("audience") == audience and all((out / f).is_file() for f in files):
                for file in files:
                    link_file(out / file, staging / file)
                entries[school] = entry
        for bundle in bundles:
            for name, path in bundle.files(cache):
                link_file(path, staging / name)
            entries[bundle.school] = {"school": bundle.school, "name": bundle.name, "file": f"{bundle.school}.pdf",
                                      "bytes": bundle.bytes, "pages": bundle.pages, "sha256": bundle.sha256,
                                      "date": metas[bundle.school].date, "commit": metas[bundle.school].commit,
                                      "audience": audience,
                                      "editions": [{"edition": e["edition"], "label": e["label"],
                                                    "file": f"{bundle.school}{e['suffix']}.pdf", "pages": e["pages"],
                                                    "bytes": e["bytes"], "sha256": e["sha256"]} for e in bundle.editions]}
        manifest = {"bundles": [entries[school] for school in sorted(entries)]}
        write_text(staging / manifest_name, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return [out / name for bundle in bundles for name, _ in bundle.files(cache)] + [out / manifest_name]


def _read_manifest(out: Path) -> dict[str, dict]:
    """Every bundle the manifests in build/pdf list (a full build's and any shard's)."""
    entries = {}
    for path in sorted(out.glob("manifest*.json")):
        try:
            entries.update({entry["school"]: entry for entry in json.loads(path.read_text(encoding="utf-8"))["bundles"]})
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return entries
