"""Filled text + a kind of school → the same text in that kind of school's words (幼儿园: 园长, 幼儿, 带班教师 …).

The words are the school schema's: `x-terms` on the school kind (common.schema.json), read through
content/vocabulary. Titles of national rules (《…》) and a word quoted on its own (“学生”) are mentions,
not uses, and stay as written; the library's own titles in 《…》 (plans, on-site plans, drill guides,
checklists) are the school's documents and change with them.
"""

from __future__ import annotations

import re

from safeplan.content.model import map_strings

LIBRARY_TITLE_ENDINGS = ("应急预案", "工作预案", "处置方案", "演练指南", "排查表", "排查计划")  # every title of the library ends so


def is_library_title(quoted: str) -> bool:
    """《学生意外伤害专项应急预案》 names a document of the library; 《中小学生守则》 a national rule."""
    return quoted.startswith("《") and quoted[1:-1].endswith(LIBRARY_TITLE_ENDINGS)

def in_words_of(text: str, terms: dict[str, str]) -> str:
    """text with every term replaced by its counterpart, longest term first, outside titles and quoted words."""
    if not terms or not isinstance(text, str):
        return text
    alternatives = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    pattern, kept_parts = re.compile(alternatives), re.compile(f"《[^》]*》|“(?:{alternatives})”")
    parts, position = [], 0
    for kept in kept_parts.finditer(text):
        if is_library_title(kept.group(0)):
            continue
        parts.append(pattern.sub(lambda m: terms[m.group(0)], text[position:kept.start()]))
        parts.append(kept.group(0))
        position = kept.end()
    parts.append(pattern.sub(lambda m: terms[m.group(0)], text[position:]))
    return "".join(parts)


def data_in_words_of(value, terms: dict[str, str]):
    """in_words_of over every string of a nested structure."""
    return map_strings(value, lambda text: in_words_of(text, terms))
