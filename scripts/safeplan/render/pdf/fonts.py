"""safeplan.yaml `fonts` → the bundle's font stacks (GB/T 9704 faces), their CSS and the faces to check and embed."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# GB/T 9704: body 仿宋, 一、 headings 黑体, （一） headings 楷体, titles 小标宋. Free faces packaged in Debian:
# the Fandol fonts (texlive-lang-chinese, GB 2312 and more); Noto CJK (fonts-noto-cjk) behind them and for titles.
# The emergency cards are not a 公文: a plain 黑体 whose outlines are compact (Noto's Chinese glyphs are
# 160 bytes each embedded, Fandol's 390), because a sheet of four dense cards is mostly its font.
DEFAULT_STACKS = (
    ("body", ("FandolFang", "Noto Serif CJK SC")),
    ("hei", ("FandolHei", "Noto Sans CJK SC")),
    ("kai", ("FandolKai", "Noto Serif CJK SC")),
    ("title", ("Noto Serif CJK SC",)),
    ("card", ("Noto Sans CJK SC", "FandolHei")),
)
WEIGHTS = {"title": "bold"}  # the weight each role's first face is checked and embedded in
GENERIC = {"body": "serif", "hei": "sans-serif", "kai": "serif", "title": "serif", "card": "sans-serif"}
PACKAGES = {"Fandol": "texlive-lang-chinese", "Noto": "fonts-noto-cjk"}


def font_stacks(config: dict | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The stacks from safeplan.yaml's `fonts` (a role → list of family names), the defaults for roles not given."""
    given = (config or {}).get("fonts") or {}
    return tuple((role, tuple(given.get(role) or families)) for role, families in DEFAULT_STACKS)


def wanted_faces(stacks) -> tuple[tuple[str, str], ...]:
    """(family, weight) of each role's first family: text is checked against and subset from these."""
    return tuple(dict.fromkeys((families[0], WEIGHTS.get(role, "regular")) for role, families in stacks))


def with_fonts(css: str, stacks, trimmed: tuple["Trimmed", ...] = ()) -> str:
    """The stylesheet with its role placeholders ("safeplan-body" …) replaced by the configured stacks,
    each trimmed face's copy named before its family, so only what the copy lacks comes from the whole face."""
    copies = {t.family: t.name for t in trimmed}
    for role, families in stacks:
        listed = [name for f in families for name in ((copies[f], f) if f in copies else (f,))]
        css = css.replace(f'"safeplan-{role}"', ", ".join(f'"{f}"' for f in listed) + f", {GENERIC[role]}")
    return "".join(t.font_face() for t in trimmed) + css


def package_for(family: str) -> str:
    return next((package for prefix, package in PACKAGES.items() if family.startswith(prefix)), " ".join(PACKAGES.values()))


@dataclass(frozen=True)
class Face:
    family: str
    weight: str
    path: str
    index: int

    def identity(self) -> str:
        stat = os.stat(self.path)
        return f"{self.family}|{self.weight}|{self.path}|{self.index}|{stat.st_size}|{stat.st_mtime_ns}"


# ---- trimmed copies of the big faces ------------------------------------------------------------
# WeasyPrint keeps each embedded glyph at its number in the face (the page's text refers to glyphs by number),
# so a subset carries an empty entry for every glyph up to the last one used: a title in Noto Serif CJK
# (65,000 glyphs) embedded 100–190 KB of empty entries in every edition. A copy of the big faces holding
# GB 2312 and the symbols, 8,400 glyphs, keeps those tables small; a character the copy lacks comes from the
# whole face behind it in the stack, so nothing prints differently.
TRIM_ABOVE = 20_000  # glyphs: the Fandol faces (9,000) are embedded as they are
TRIM_FORMAT = "3"  # bump when the copies change: their files are named after it
_SYMBOLS = ((0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x2100, 0x22FF), (0x2460, 0x24FF), (0x2500, 0x26FF),
            (0x3000, 0x303F), (0xFF00, 0xFFEF))


@dataclass(frozen=True)
class Trimmed:
    family: str
    weight: str
    path: str

    @property
    def name(self) -> str:
        return f"safeplan {self.family}"

    def font_face(self) -> str:
        weight = 700 if self.weight == "bold" else 400
        return f'@font-face {{ font-family: "{self.name}"; src: url("{Path(self.path).as_uri()}"); font-weight: {weight} }}\n'


def trim_dir() -> Path:
    """Where the copies live: per user, not per repository, so every build and test on a machine shares them."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "safeplan" / "fonts"


def _charset() -> set[int]:
    hanzi = set()
    for high in range(0xB0, 0xF8):  # GB 2312's 6,763 hanzi; its symbol rows are in _SYMBOLS' ranges
        for low in range(0xA1, 0xFF):
            try:
                hanzi.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return hanzi | {c for start, end in _SYMBOLS for c in range(start, end + 1)}


def open_face(face: Face):
    """The face's font, its tables read when asked for (a collection's member by its index)."""
    from fontTools.ttLib import TTCollection, TTFont

    if face.path.lower().endswith((".ttc", ".otc")):
        return TTCollection(face.path, lazy=True)[face.index]
    return TTFont(face.path, lazy=True)


def trimmed(faces: tuple[Face, ...], announce=None) -> tuple[Trimmed, ...]:
    """The copies of the faces over TRIM_ABOVE glyphs, made once per machine (5–10 seconds a face);
    `announce(face)` before each one made."""
    copies = []
    for face in faces:
        if open_face(face)["maxp"].numGlyphs <= TRIM_ABOVE:
            continue
        digest = hashlib.sha256(f"{TRIM_FORMAT}|{face.identity()}".encode()).hexdigest()[:20]
        path = trim_dir() / f"{digest}.otf"
        if not path.exists():
            if announce:
                announce(face)
            try:
                _write_copy(face, path)
            except Exception:  # noqa: BLE001 - no writable cache, a face fontTools cannot subset: the whole face
                continue
        copies.append(Trimmed(face.family, face.weight, str(path)))
    return tuple(copies)


def _write_copy(face: Face, path: Path) -> None:
    from fontTools import subset

    # No 'locl': in a Simplified Chinese face it only pulls in the Japanese, Korean and Traditional forms.
    options = subset.Options(font_number=face.index, notdef_outline=True, hinting=True, name_IDs=["*"],
                             ignore_missing_glyphs=True)
    options.layout_features = [feature for feature in options.layout_features if feature != "locl"]
    font = subset.load_font(face.path, options)
    font.recalcTimestamp = False  # the face's date, not the day the copy was made: the same bytes on every machine
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_charset() & set(font.getBestCmap()))
    subsetter.subset(font)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")  # parallel builds: the last rename wins, same bytes
    try:
        font.save(str(partial))
        _number_cids_as_glyphs(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _number_cids_as_glyphs(path: Path) -> None:
    """Give glyph n the CID n. WeasyPrint writes glyph numbers as CIDs; Acrobat and Preview look a CID up in
    the CFF charset, poppler and PDFium use it as the glyph number: only an identity charset draws the same in all.
    (The subset kept the face's CIDs, which no longer match the renumbered glyphs.)"""
    from fontTools.ttLib import TTFont

    font = TTFont(str(path), recalcTimestamp=False)
    if "CFF " not in font:  # TrueType: embedded with CIDToGIDMap /Identity, CIDs are glyph numbers already
        return
    count = len(font.getGlyphOrder())  # read from the CFF charset; the other tables are not read yet
    identity = [".notdef"] + [f"cid{gid:05d}" for gid in range(1, count)]
    font.setGlyphOrder(identity)
    for tag in font.keys():
        font[tag]  # noqa: B018 - read every table against the new names (they store glyph numbers)
    top = font["CFF "].cff.topDictIndex[0]
    top.CharStrings.charStrings = dict(zip(identity, top.CharStrings.charStrings.values()))
    top.charset = identity
    font.save(str(path))


@lru_cache(maxsize=1)
def fetcher():
    """WeasyPrint's URL fetcher for the bundles: nothing but the trimmed copies (the HTML fetches nothing)."""
    import weasyprint

    class TrimmedOnly(weasyprint.URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith(trim_dir().as_uri() + "/") or not url.endswith(".otf"):
                raise ValueError(f"URI not allowed: {url}")
            return super().fetch(url, headers)

    return TrimmedOnly(allowed_protocols=("file",))


@lru_cache(maxsize=1)
def font_config():
    """One font configuration per process: the copies are loaded once, and tables laid out in one
    document can be drawn into another (render/pdf/blocks.py)."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()
