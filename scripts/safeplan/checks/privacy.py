"""Text → normalised text and the personal numbers in it; library → the values of internal fields.

One normaliser for validation (on the sources) and for the public-edition scan (on the output),
so both see a number the same way however it is disguised: HTML entities and percent-escapes
decoded, full-width and other digits made ASCII (NFKC), zero-width and format characters dropped.
Separators inside a number (spaces, dashes, dots, brackets, Markdown emphasis) are kept but read
through: a number is any run of digit groups whose concatenation has the number's shape, so
`**139**0000-1001`, `139 0000 1001` and `139‑0000‑1001` are all the same mobile.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote

from safeplan.content.model import Document, Library
from safeplan.content.schemas import internal_pointers, phone_pointers

MOBILE, ID_CARD, PHONE, VALUE = "mobile", "id-card", "phone", "value"
LABELS = {MOBILE: "手机号", ID_CARD: "身份证号", PHONE: "个人电话号码", VALUE: "内部字段的值"}

# Between two digits these are read through; a line break is not (it separates cells and lines).
_SEPARATORS = " \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\\-\u2010-\u2015\u2212\ufe58\ufe63.\u00b7\u2027\u30fb,()\\[\\]*_~`'\"+"
_RUN = re.compile(rf"\d+(?:[{_SEPARATORS}]+\d+)*")
_GROUP = re.compile(r"\d+")
_MOBILE = re.compile(r"(?:0086|86)?(1[3-9]\d{9})")
_ID18 = re.compile(r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]")
_ID15 = re.compile(r"[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}")
_PROVINCES = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
              50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_LONGEST = 18  # digits: no number we look for is longer (a +86 mobile is 13)
MIN_TEXT_VALUE = 8  # internal text shorter than this (after normalising) is too common to search for


@lru_cache(maxsize=1)
def _table() -> dict[int, str | None]:
    """Format characters (zero-width, bidi marks, soft hyphen) dropped; every decimal digit → ASCII."""
    table: dict[int, str | None] = {}
    for code in (*range(0x20000), *range(0xE0000, 0xE1000)):  # where format characters and digits live
        char = chr(code)
        category = unicodedata.category(char)
        if category == "Cf":
            table[code] = None
        elif category == "Nd" and code > 0x7F:
            table[code] = str(unicodedata.decimal(char))
    return table


def _unescape(text: str) -> str:
    for _ in range(3):  # &amp;#49; is a "1" escaped twice
        if "&" not in text:
            break
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def normalise(text: str) -> str:
    """Entities and %-escapes decoded, NFKC, format characters dropped, all digits ASCII.

    Upper-case X (an ID card's check digit) survives; separators between digits stay (see find_numbers).
    """
    text = _unescape(text)
    if "%" in text:
        text = unquote(text)
        text = _unescape(text)
    text = unicodedata.normalize("NFKC", text).translate(_table())
    return text.replace("x", "X") if "x" in text else text


@dataclass(frozen=True)
class Number:
    kind: str  # MOBILE or ID_CARD
    digits: str
    start: int  # in the normalised text
    end: int


def digit_runs(text: str):
    """(start, end, [(group digits, group start)]) for every run of digit groups in normalised text.

    An ID card's final X belongs to the group before it.
    """
    for run in _RUN.finditer(text):
        end = run.end()
        if end < len(text) and text[end] == "X":
            end += 1
        groups = [(g.group(0), g.start()) for g in _GROUP.finditer(text, run.start(), end)]
        if end > run.end():
            last, at = groups[-1]
            groups[-1] = (last + "X", at)
        yield run.start(), end, groups


def spans(groups) -> list[tuple[str, int, int]]:
    """Every concatenation of consecutive groups up to 18 digits: (digits, first group, last group)."""
    found = []
    for first in range(len(groups)):
        digits = ""
        for last in range(first, len(groups)):
            digits += groups[last][0]
            if len(digits) > _LONGEST:
                break
            found.append((digits, first, last))
    return found


def is_id_card(number: str) -> bool:
    """An 18-digit resident ID (GB 11643: province, birth date, check digit) or a 15-digit one."""
    number = number.upper()
    if int(number[:2] or 0) not in _PROVINCES:
        return False
    if len(number) == 15:
        return bool(_ID15.fullmatch(number))
    if not _ID18.fullmatch(number):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _ID_WEIGHTS))
    return "10X98765432"[total % 11] == number[17]


def find_numbers(text: str, normalised: bool = False) -> list[Number]:
    """Mobiles and ID-card numbers in text, however separated or encoded."""
    text = text if normalised else normalise(text)
    found = []
    for _, _, groups in digit_runs(text):
        if sum(len(g) for g, _ in groups) < 11:
            continue
        taken = -1  # a group belongs to one number at most; from one group on, an ID card beats a mobile
        candidates = spans(groups)
        for first in range(len(groups)):
            if first <= taken:
                continue
            here = [(digits, last) for digits, start, last in candidates if start == first]
            ids = [(d, last) for d, last in here if len(d) in (15, 18) and is_id_card(d)]
            mobiles = [(m.group(1), last) for d, last in here if (m := _MOBILE.fullmatch(d))]
            for kind, hits in ((ID_CARD, ids[-1:]), (MOBILE, mobiles[:1])):
                if hits:
                    digits, last = hits[0]
                    found.append(Number(kind, digits, groups[first][1], groups[last][1] + len(groups[last][0])))
                    taken = last
                    break
    return found


def column_in(original: str, normalised_index: int) -> int:
    """1-based column in the original text of a position in its normalised form."""
    low, high = 0, len(original)
    while low < high:  # the shortest prefix whose normal form reaches past the position
        middle = (low + high) // 2
        if len(normalise(original[:middle + 1])) > normalised_index:
            high = middle
        else:
            low = middle + 1
    return min(low, max(len(original) - 1, 0)) + 1


def mask(digits: str) -> str:
    """A number as messages show it: enough to recognise, not enough to dial."""
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:] if len(digits) > 8 else digits[:2] + "***"


def compact(text: str, normalised: bool = False) -> str:
    """Normalised text without any whitespace: how internal text values are compared."""
    return re.sub(r"\s+", "", text if normalised else normalise(text))


# ---- internal values ---------------------------------------------------------------------------

@dataclass(frozen=True)
class InternalValue:
    kind: str  # PHONE (digits) or VALUE (compacted text)
    needle: str
    doc: Document
    pointer: str
    label: str  # the field, e.g. organisation.principal.mobile


def _matches(pointer: str, pattern: tuple[str, ...]) -> bool:
    parts = pointer.strip("/").split("/")
    return len(parts) == len(pattern) and all(p == "*" or p == part for p, part in zip(pattern, parts))


def values_at(data, pattern: tuple[str, ...], pointer: str = ""):
    """(JSON pointer, text) of the strings at a schema path ('*' for any key or index) in a document's data."""
    if not pattern:
        if isinstance(data, str):
            yield pointer, data
        return
    head, rest = pattern[0], pattern[1:]
    if isinstance(data, dict):
        keys = list(data) if head == "*" else [head] if head in data else []
        for key in keys:
            yield from values_at(data[key], rest, f"{pointer}/{key}")
    elif isinstance(data, list) and head == "*":
        for index, item in enumerate(data):
            yield from values_at(item, rest, f"{pointer}/{index}")


def field_in(pointer: str, patterns: list[tuple[str, ...]]) -> bool:
    """Whether a JSON pointer names one of the schema paths ('*' for any key or index)."""
    return any(_matches(pointer, pattern) for pattern in patterns)


def internal_values(library: Library) -> list[InternalValue]:
    """Every value that sits in an x-audience: internal field, in a form the scan can look for.

    Phone numbers by their digits (with and without the area code); text by its compact form when it
    is long enough to be distinctive. Booleans and counts cannot be searched for: redaction alone hides them.
    """
    public = set()  # a unit's duty line stays public even where a person's field repeats it
    for doc in library.documents:
        internal = internal_pointers(doc.kind)
        for pattern in phone_pointers(doc.kind):
            if pattern not in internal:
                for _, value in values_at(doc.data, pattern):
                    digits = re.sub(r"\D", "", normalise(value))
                    public |= {digits, re.sub(r"^0\d{2,3}", "", digits) if digits.startswith("0") else digits}
    found = []
    for doc in library.documents:
        for pattern in internal_pointers(doc.kind):
            for pointer, value in values_at(doc.data, pattern):
                label = ".".join(pointer.strip("/").split("/"))
                digits = re.sub(r"\D", "", normalise(value))
                if re.fullmatch(r"[\d\s()+\-–—.]+", normalise(value)) and len(digits) >= 7:
                    local = re.sub(r"^0\d{2,3}", "", digits) if digits.startswith("0") else digits
                    found += [InternalValue(PHONE, needle, doc, pointer, label) for needle in dict.fromkeys((digits, local))
                              if len(needle) >= 7 and needle not in public]
                elif len(compact(value)) >= MIN_TEXT_VALUE:
                    found.append(InternalValue(VALUE, compact(value), doc, pointer, label))
    return found
