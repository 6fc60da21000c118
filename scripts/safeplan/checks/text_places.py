"""Document → its texts and their placeholders, each with the line and column it starts at in the file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from safeplan.content.model import Document, Library, iter_strings
from safeplan.content.schemas import check_document

PLACEHOLDER = re.compile(r"\{\{.*?\}\}")


@dataclass(frozen=True)
class Place:
    pointer: str  # JSON pointer of a data value, "" for the body
    line: int  # where the body starts, or the value's field
    column: int
    text: str


def clean(library: Library) -> list[Document]:
    """Documents that passed their schema (the schema rule runs first and leaves its verdict on each)."""
    return [doc for doc in library.documents
            if not (doc.schema_problems if doc.schema_problems is not None else check_document(doc))]


def texts(doc: Document) -> Iterator[Place]:
    """Every data string, and the body, where it starts."""
    for pointer, value in iter_strings(doc.data):
        line, column = doc.position(pointer)
        yield Place(pointer, line, column, value)
    if doc.body:
        yield Place("", doc.body_line, 1, doc.body)


def at(place: Place, offset: int) -> tuple[int, int]:
    """The line and column of an offset inside the body; a YAML value is located at its field, as quoting and
    escapes make offsets inside the value meaningless in the file."""
    if place.pointer:
        return place.line, place.column
    before = place.text[:offset]
    return place.line + before.count("\n"), offset - (before.rfind("\n") + 1) + 1


def found(place: Place, needle: str) -> Iterator[tuple[int, int, int]]:
    """(offset, line, column) of every occurrence of needle in a text."""
    start = place.text.find(needle)
    while start >= 0:
        yield (start, *at(place, start))
        start = place.text.find(needle, start + 1)


def placeholders(place: Place) -> Iterator[tuple[re.Match, int, int]]:
    """Each {{ … }} of a text with its line and column."""
    for match in PLACEHOLDER.finditer(place.text):
        yield (match, *at(place, match.start()))
