"""school.schema.json → the sheets of the contacts workbook: one layout for the template and the import.

A school keeps its emergency team and its contacts as a table: one row per post (校长, 安全办主任 …) or
per unit (属地派出所 …), one column per field of a person or unit; the school's other contacts (门卫室,
医务室 …) are a list of their own. Sheet names, posts and headers are the schema's labels.
"""

from __future__ import annotations

from dataclasses import dataclass

from safeplan.content.hazard_columns import column_letter
from safeplan.content.schemas import common_definition, field_labels, shape

KIND = "school"
# (data path, header of the first column naming the row's post; None: a list, one item per row)
_LAYOUT = ((("organisation",), "岗位"), (("contacts",), "单位"), (("contacts", "internal"), None))


@dataclass(frozen=True)
class Column:
    name: str  # the field of a person, unit or list item
    header: str
    kind: str  # "phone", "number" or "text"
    required: bool
    letter: str


@dataclass(frozen=True)
class Sheet:
    title: str
    path: tuple[str, ...]
    post_header: str | None  # keyed sheets: the first column's header; None for a list
    posts: dict[str, str]  # post key → label, in schema order (empty for a list)
    columns: tuple[Column, ...]  # the fields, from column B on keyed sheets, from A on a list

    @property
    def headers(self) -> list[str]:
        return ([self.post_header] if self.post_header else []) + [c.header for c in self.columns]

    def column_number(self, column: Column) -> int:
        return self.columns.index(column) + (2 if self.post_header else 1)

    def post_label(self, key: str) -> str:
        return self.posts.get(key, key)


def contact_sheets() -> tuple[Sheet, ...]:
    """The workbook's sheets, read from the school schema."""
    sheets = []
    phone = common_definition("phone")["pattern"]
    for path, post_header in _LAYOUT:
        if post_header:
            _, properties = shape(KIND, path)
            posts = {key: field_labels(KIND, path + (key,))[-1] for key in properties
                     if "properties" in shape(KIND, path + (key,))[0]}
            row_path = path + (next(iter(posts)),)
        else:
            posts, row_path = {}, path + ("*",)
        _, fields = shape(KIND, row_path)
        columns = []
        for name, required in fields.items():
            spec, _ = shape(KIND, row_path + (name,))
            kind = "phone" if spec.get("pattern") == phone else "number" if spec.get("type") in ("number", "integer") else "text"
            offset = 2 if post_header else 1
            columns.append(Column(name, field_labels(KIND, row_path + (name,))[-1], kind, required,
                                  column_letter(len(columns) + offset)))
        sheets.append(Sheet(field_labels(KIND, path)[-1], path, post_header, posts, tuple(columns)))
    return tuple(sheets)


def imported_paths() -> tuple[tuple[str, ...], ...]:
    """The top-level fields of a school the import replaces."""
    return tuple(dict.fromkeys(sheet.path[:1] for sheet in contact_sheets()))


def sheet_rows(school: dict, sheet: Sheet) -> list[list]:
    """A school's rows of a sheet as the template shows them: every post (empty where none is held), every item."""
    value = school
    for step in sheet.path:
        value = value.get(step) if isinstance(value, dict) else None
    if sheet.post_header is None:
        return [[item.get(c.name) for c in sheet.columns] for item in value or [] if isinstance(item, dict)]
    held = value if isinstance(value, dict) else {}
    return [[label] + [(held.get(key) or {}).get(c.name) for c in sheet.columns] for key, label in sheet.posts.items()]
