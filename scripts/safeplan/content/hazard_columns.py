"""hazard.schema.json → the columns of the hazard sheet: one layout for the monthly report, the template and the import.

The provincial system (江苏省安全风险管控系统) is filled by re-keying these columns, so their order
follows a hazard's life: found, assessed, assigned, fixed, verified. Headers are the schema's titles.
"""

from __future__ import annotations

from dataclasses import dataclass

from safeplan.content.schemas import schema_for

SHEET = "隐患"
# (data path, header when the schema gives no title of its own there)
_LAYOUT = (
    (("id",), "编号"), (("found_on",), None), (("found_by", "post"), "发现人岗位"), (("found_by", "name"), "发现人"),
    (("category",), None), (("place",), None), (("description",), None), (("risk_level",), None),
    (("owner", "name"), "整改责任人"), (("owner", "post"), "责任人岗位"), (("deadline",), None),
    (("fix_plan",), None), (("interim_measures",), None), (("status",), None), (("closed_on",), None),
    (("verified_by", "name"), "复查人"), (("verified_by", "post"), "复查人岗位"), (("verified_on",), None),
    (("notes",), None),
)


@dataclass(frozen=True)
class Column:
    path: tuple[str, ...]
    header: str
    kind: str  # "date", "enum" or "text"
    labels: dict[str, str]  # enum value → label (empty unless kind is enum)
    required: bool
    letter: str  # the spreadsheet column: A, B, …


def column_letter(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def hazard_columns(schema=schema_for) -> tuple[Column, ...]:
    """The sheet's columns, read from the schemas (`schema(kind)` gives a kind's schema)."""
    schema_of = schema
    schema = schema_of("hazard")
    properties, required = schema["properties"], set(schema["required"])
    columns = []
    for path, header in _LAYOUT:
        spec = properties[path[0]]
        leaf = spec.get("properties", {}).get(path[1], {}) if len(path) == 2 else spec
        enum = leaf.get("enum") or []
        if "$ref" in leaf and leaf["$ref"].startswith("checklist.schema.json"):
            enum = schema_of("checklist")["properties"]["areas"]["items"]["enum"]
        kind = "date" if "date" in leaf.get("$ref", "") else "enum" if enum else "text"
        labels = leaf.get("x-labels") or {value: value for value in enum}
        needed = path[0] in required and (len(path) == 1 or path[1] in spec.get("required", ()))
        columns.append(Column(path, header or leaf.get("title") or path[-1], kind, labels, needed,
                              column_letter(len(columns) + 1)))
    return tuple(columns)


def cell_value(data: dict, column: Column):
    """What a record holds in a column, as the sheet shows it (enum values by their labels)."""
    value = data
    for step in column.path:
        value = value.get(step) if isinstance(value, dict) else None
    return column.labels.get(value, value) if column.kind == "enum" else value
