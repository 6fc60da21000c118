"""SchoolView → HTML → PDF bundle: build/pdf/<school>.pdf and manifest.json, cached and in parallel.

A bundle is rendered only when its cache key changes: the school's resolved view, the
template, stylesheet and code that turn it into HTML, the font files and the tool
versions. Workers are processes, recycled every few bundles so memory stays flat.
The same inputs give byte-identical PDFs: dates come from the build date, the PDF
identifier from the cache key, and nothing reads the clock.
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
import unicodedata
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import weasyprint
from weasyprint.text.ffi import harfbuzz_subset

from safeplan import __version__
from safeplan.review import history
from safeplan.render.pdf.bundle_html import TEMPLATE_FILES, TEMPLATES, BundleMeta
from safeplan.render.pdf.editions import EDITIONS, edition_html
from safeplan.render.pdf.fonts import DEFAULT_STACKS, font_stacks, package_for, wanted_faces
from safeplan.render.pdf.structure import page_labels
from safeplan.dates import epoch_date, fixed_epoch
from safeplan.content.model import Document, Library, iter_strings
from safeplan.render.output import staged_directory, write_bytes, write_text
from safeplan.problems import ERROR, ContentError, EnvironmentProblem, Problem
from safeplan.render.public_scan import refuse_leaks, scan_files
from safeplan.resolve.views import SchoolView
from safeplan.content.vocabulary import Vocabulary, vocabulary

FACES = wanted_faces(DEFAULT_STACKS)  # safeplan.yaml `fonts` replaces them (render/pdf/fonts.py)
RECYCLE_AFTER = 6  # bundles per worker process before it is replaced
CACHE_FORMAT = "1"
CODE_FILES = ("render/pdf/bundle_html.py", "content/sanitize.py", "render/pdf/render_pdf.py", "content/model.py",
              "content/vocabulary.py", "render/pdf/editions.py", "render/pdf/forms.py", "render/pdf/structure.py",
              "render/pdf/fonts.py")  # what turns a view into bytes


class FontsMissing(EnvironmentProblem):
    """The CJK fonts the bundles are set in are not installed (message says what to install)."""


class GlyphsMissing(ContentError):
    """Content uses characters the bundle fonts cannot show; one Problem per document."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0])
        self.problems = problems


@dataclass(frozen=True)
class Face:
    family: str
    weight: str
    path: str
    index: int

    def identity(self) -> str:
        stat = os.stat(self.path)
        return f"{self.family}|{self.weight}|{self.path}|{self.index}|{stat.st_size}|{stat.st_mtime_ns}"


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
    editions: tuple[dict, ...] = ()  # every edition's file: edition, label, suffix, pages, bytes, sha256 (full first)

    def files(self, cache: Path) -> list[tuple[str, Path]]:
        """(published name, cache file) of every edition."""
        return [(f"{self.school}{e['suffix']}.pdf", cache / f"{self.key}{e['suffix']}.pdf") for e in self.editions]


def render_bundles(library: Library, views: list[SchoolView], options, notes: list[str]) -> list[Path]:
    """Write build/pdf/<school>.pdf for the selected schools and build/pdf/manifest.json."""

    started = time.perf_counter()
    root = Path(options.root)
    build_dir = root / "build"
    cache = build_dir / "cache" / "pdf"
    selected = [view for view in views if in_shard(view.id, options.shard)]
    metas = bundle_metas(root, library, selected)
    stacks = font_stacks(library.config)
    faces = bundle_faces(wanted_faces(stacks) if stacks != DEFAULT_STACKS else None)
    words = vocabulary()  # one vocabulary for the whole build, read from the schemas as they are now
    salt = render_salt(faces, words)
    keys = {view.id: cache_key(view, salt, metas[view.id]) for view in selected}

    hits = {view.id: bundle for view in selected if (bundle := _cached(cache, view, keys[view.id]))}
    misses = [view for view in selected if view.id not in hits]
    if misses:
        check_glyphs(library, misses, faces)
    if harfbuzz_subset is None:
        notes.append("警告：未安装 libharfbuzz-subset0，字体子集化改用 fontTools，每份 PDF 约多用 10 秒；"
                     "请运行 sudo apt-get install libharfbuzz-subset0。")
    jobs = options.jobs or len(os.sched_getaffinity(0))
    if options.progress and selected:
        print(f"PDF：{len(selected)} 份，缓存命中 {len(hits)} 份，需要生成 {len(misses)} 份", file=sys.stderr, flush=True)
    rendered = _render_all(misses, metas, keys, cache, jobs, options.progress, words)
    bundles = {**hits, **{bundle.school: bundle for bundle in rendered}}

    if options.audience == "public":  # before _publish: a leak leaves the last build/pdf as it was
        if options.progress:
            print("PDF：扫描公开版…", file=sys.stderr, flush=True)
        refuse_leaks(scan_files(library, [(f"build/pdf/{name}", path) for view in selected
                                          for name, path in bundles[view.id].files(cache)], build_dir / "cache"))

    partial = bool(options.schools or options.shard)
    # A shard names its manifest after itself, so the shards' outputs can be laid side by side.
    manifest_name = f"manifest.shard-{options.shard[0]}-of-{options.shard[1]}.json" if options.shard else "manifest.json"
    written = _publish(build_dir / "pdf", manifest_name, cache, [bundles[view.id] for view in selected], metas, options.audience,
                       keep_others={s.id for s in library.schools} if partial else set())
    _prune(cache, keep=set(keys.values()), limit=3 * len(library.schools) + 10)

    pages = sum(bundles[view.id].pages for view in selected)
    seconds = time.perf_counter() - started
    workers = min(jobs, len(misses)) if len(misses) > 1 else 1
    notes.append(f"PDF：{len(selected)} 份（共 {pages} 页），重新生成 {len(rendered)} 份，缓存命中 {len(hits)} 份，"
                 f"用时 {seconds:.1f} 秒" + (f"（{workers} 个进程）" if rendered else "") + " → build/pdf/")
    return written


def bundle_metas(root: Path, library: Library, views: list[SchoolView]) -> dict[str, BundleMeta]:
    """Each bundle's source commit and date: the newest commit that touched its own inputs.

    Not HEAD: a commit that edits one school must re-render that school's bundle only,
    so unrelated commits leave the other covers, and the cache, untouched.
    """
    fixed = fixed_epoch()
    fallback = library.latest_date() or "1970-01-01"
    district = [library.district.path] if library.district else []
    repo = history.open_repo(root)
    metas = {}
    for view in views:
        paths = sorted({view.school.path, *district, *(a.doc.path for a in view.documents)})
        source = history.last_commit(root, paths, repo)
        commit, epoch = source if source else ("", None)
        date = epoch_date(fixed) if fixed is not None else epoch_date(epoch) if epoch is not None else fallback
        metas[view.id] = BundleMeta(date=date, commit=commit, tool_version=__version__, fonts=font_stacks(library.config))
    return metas


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


def _fonts_missing_message(family: str) -> str:
    package = package_for(family)
    return (f"未找到字体“{family}”，无法生成 PDF 汇编。请安装字体软件包 {package}：sudo apt-get install {package}"
            "（或运行 make build，它会安装所需的系统软件包）；自备的字体（如仿宋_GB2312）请先安装到系统字体目录，"
            "或在 safeplan.yaml 的 fonts 中改用已安装的字体。")


@lru_cache(maxsize=4)
def covered_codepoints(faces: tuple[Face, ...]) -> frozenset[int]:
    """Characters every bundle face can draw: text may be set in any of them."""
    from fontTools.ttLib import TTCollection, TTFont

    covered = None
    for face in faces:
        if face.path.lower().endswith((".ttc", ".otc")):
            font = TTCollection(face.path, lazy=True)[face.index]
        else:
            font = TTFont(face.path, lazy=True)
        codepoints = frozenset(font.getBestCmap())
        covered = codepoints if covered is None else covered & codepoints
    return covered or frozenset()


def _drawn(char: str) -> bool:
    """Whether a character needs a glyph: controls, format marks and variation selectors do not."""
    if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
        return False
    code = ord(char)
    return not (0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF)


def check_glyphs(library: Library, views: list[SchoolView], faces: tuple[Face, ...]) -> None:
    """Refuse to render text the fonts would show as empty boxes (tofu); name the file and characters."""
    covered = covered_codepoints(faces)
    documents: dict[str, Document] = {}
    for view in views:
        documents[view.school.path] = view.school
        documents.update((applied.doc.path, applied.doc) for applied in view.documents)
    if library.district:
        documents[library.district.path] = library.district
    problems, packages = [], " ".join(sorted({package_for(face.family) for face in faces}))
    for path in sorted(documents):
        doc = documents[path]
        text = doc.body + "".join(value for _, value in iter_strings(doc.data))
        missing = sorted({c for c in text if ord(c) not in covered and _drawn(c)})
        if missing:
            line, column = _locate(doc, missing[0])
            shown = "、".join(f"“{c}”（U+{ord(c):04X}）" for c in missing[:10]) + ("等" if len(missing) > 10 else "")
            problems.append(Problem(
                doc.path, line, column, ERROR, "pdf-glyphs",
                f"PDF 字体（{'、'.join(sorted({f.family for f in faces}))}）中没有这些字符，印出来会是空白方框：{shown}。",
                f"先确认已安装字体软件包 {packages}（sudo apt-get install {packages}）；"
                "已安装仍缺字时，请把这些字符改为常用字或标准写法（生僻字可加括号注明读音）。"))
    if problems:
        raise GlyphsMissing(problems)


def _locate(doc: Document, char: str) -> tuple[int, int]:
    for offset, line in enumerate(doc.body.split("\n")):
        if char in line:
            return doc.body_line + offset, line.index(char) + 1
    for pointer, value in iter_strings(doc.data):
        if char in value:
            return doc.position(pointer)
    return 1, 1


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


def cache_key(view: SchoolView, salt: str, meta: BundleMeta) -> str:
    return hashlib.sha256(f"{salt}|{meta.date}|{meta.commit}|{meta.tool_version}|{meta.fonts}|{view.fingerprint()}".encode()).hexdigest()


def _cached(cache: Path, view: SchoolView, key: str) -> Bundle | None:
    try:
        entry = json.loads((cache / f"{key}.json").read_text(encoding="utf-8"))
        editions = tuple(entry["editions"])
        if any((cache / f"{key}{e['suffix']}.pdf").stat().st_size != e["bytes"] for e in editions):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Bundle(view.id, view.data["name"], key, entry["pages"], entry["bytes"], entry["sha256"], editions=editions)


def _prune(cache: Path, keep: set[str], limit: int) -> None:
    """Mark this build's entries as fresh; drop the least recently used beyond the limit."""
    if not cache.is_dir():
        return
    now = time.time()
    for key in keep:  # the .json only: the PDFs are hard-linked into build/pdf, whose timestamps must not move
        try:
            os.utime(cache / f"{key}.json", (now, now))
        except FileNotFoundError:
            pass
    entries = sorted(cache.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[limit:]:
        if stale.stem not in keep:
            stale.unlink(missing_ok=True)
            for pdf in cache.glob(f"{stale.stem}*.pdf"):
                pdf.unlink(missing_ok=True)


# ---- rendering ---------------------------------------------------------------------------------

def render_pdf(html: str, key: str, restart: bool = True) -> tuple[bytes, int]:
    """HTML → (PDF bytes, pages). Nothing is fetched: bundles are self-contained."""
    document = weasyprint.HTML(string=html, url_fetcher=weasyprint.URLFetcher(allowed_protocols=())).render()
    # A fixed identifier (from the cache key) instead of none or a random one: stable and unique.
    data = document.write_pdf(pdf_identifier=key[:32].encode(), finisher=page_labels(restart))
    return data, len(document.pages)


def render_one(view: SchoolView, meta: BundleMeta, key: str, cache: Path, words: Vocabulary | None = None) -> Bundle:
    """Render one school's editions into the cache (worker side); the entry (its .json, written last) is complete or absent."""
    started = time.perf_counter()
    editions = []
    for edition in EDITIONS:
        identity = hashlib.sha256(f"{key}{edition.suffix}".encode()).hexdigest() if edition.suffix else key
        data, pages = render_pdf(edition_html(edition, view, meta, words or vocabulary()), identity, edition.restart)
        write_bytes(cache / f"{key}{edition.suffix}.pdf", data)
        editions.append({"edition": edition.name, "label": edition.label, "suffix": edition.suffix, "pages": pages,
                         "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    full = editions[0]
    bundle = Bundle(view.id, view.data["name"], key, full["pages"], full["bytes"], full["sha256"],
                    time.perf_counter() - started, tuple(editions))
    write_text(cache / f"{key}.json", json.dumps({"pages": bundle.pages, "bytes": bundle.bytes, "sha256": bundle.sha256,
                                                  "editions": editions}))
    return bundle


def _render_all(views: list[SchoolView], metas: dict[str, BundleMeta], keys: dict[str, str], cache: Path,
                jobs: int, progress: bool, words: Vocabulary | None = None) -> list[Bundle]:
    # Biggest first, so no worker is left with a long bundle at the end.
    views = sorted(views, key=lambda v: (-len(v.documents), v.id))
    done: list[Bundle] = []

    def report(bundle: Bundle) -> None:
        done.append(bundle)
        if progress:
            print(f"PDF [{len(done):>{len(str(len(views)))}}/{len(views)}] {bundle.school}  "
                  f"{bundle.pages} 页  {bundle.seconds:.1f} 秒", file=sys.stderr, flush=True)

    if jobs <= 1 or len(views) <= 1:
        for view in views:
            report(render_one(view, metas[view.id], keys[view.id], cache, words))
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
                pending.add(pool.submit(render_one, _portable(view), metas[view.id], keys[view.id], cache, words))
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
        for school, entry in previous.items():
            files = [e["file"] for e in entry.get("editions") or [entry]]
            if school in keep_others and entry.get("audience") == audience and all((out / f).is_file() for f in files):
                for file in files:
                    _link(out / file, staging / file)
                entries[school] = entry
        for bundle in bundles:
            for name, path in bundle.files(cache):
                _link(path, staging / name)
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


def _link(source: Path, target: Path) -> None:
    """Hard-link (cache entries are never modified in place); copy where links are impossible."""
    try:
        os.link(source, target)
    except OSError:
        write_bytes(target, source.read_bytes())
