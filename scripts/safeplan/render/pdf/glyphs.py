"""Library text + the bundle's faces → one problem per document for each character no face can draw (tofu)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from safeplan.content.model import Document, Library, iter_strings
from safeplan.problems import ERROR, Problem
from safeplan.render.pdf.fonts import Face, open_face, package_for
from safeplan.resolve.views import SchoolView


@lru_cache(maxsize=4)
def covered_codepoints(faces: tuple[Face, ...]) -> frozenset[int]:
    """Characters every bundle face can draw: text may be set in any of them."""
    covered = None
    for face in faces:
        codepoints = frozenset(open_face(face).getBestCmap())
        covered = codepoints if covered is None else covered & codepoints
    return covered or frozenset()


def _drawn(char: str) -> bool:
    """Whether a character needs a glyph: controls, format marks and variation selectors do not."""
    if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
        return False
    code = ord(char)
    return not (0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF)


def check_glyphs(library: Library, views: list[SchoolView], faces: tuple[Face, ...]) -> list[Problem]:
    """Text the fonts would show as empty boxes (tofu), one problem per document naming the characters."""
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
    return problems


def _locate(doc: Document, char: str) -> tuple[int, int]:
    for offset, line in enumerate(doc.body.split("\n")):
        if char in line:
            return doc.body_line + offset, line.index(char) + 1
    for pointer, value in iter_strings(doc.data):
        if char in value:
            return doc.position(pointer)
    return 1, 1
