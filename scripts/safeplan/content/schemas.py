"""JSON Schemas → a Schemas object (validators, labels, field paths), and schema errors → Chinese messages located in the file.

A Schemas is built per run from the files as they are (build and validate make one and
activate it with `using`), so `safeplan serve` reads an edited schema on its next rebuild.
The module-level functions answer from the active run's Schemas; outside a run, from one
rebuilt whenever a schema file changes.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING

from jsonschema import Draft202012Validator, FormatChecker, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from safeplan.content.model import Document
from safeplan.problems import ERROR, Problem

if TYPE_CHECKING:
    from referencing._core import Resolver  # not exported, but what Registry.resolver() returns

SCHEMA_FILES = {
    "district": "district.schema.json",
    "school": "school.schema.json",
    "plan": "plan.schema.json",
    "checklist": "checklist.schema.json",
    "drill": "drill.schema.json",
    "note": "note.schema.json",
    "card": "card.schema.json",
    "config": "config.schema.json",
    "workflow": "workflow.schema.json",
    "hazard": "hazard.schema.json",
    "drill_record": "drill_record.schema.json",
    "incident": "incident.schema.json",
}


def schema_dir() -> Path:
    """Schemas ship inside the wheel; in a source checkout they are the repository's schemas/."""
    packaged = Path(__file__).parent / "schemas"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[3] / "schemas"


# "integer" means an integer as written: JSON Schema would also accept 60.0, which pages would print as "60.0".
_Validator = validators.extend(Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda checker, value: isinstance(value, int) and not isinstance(value, bool)))


class Schemas:
    """The schemas of one run, parsed once, with what is derived from them memoised on the object.

    Every schema is registered under its file name. The schemas carry no `$id` and refer to each
    other by relative `$ref`s (`common.schema.json#/$defs/id`), so a reference resolves against the
    referring file here exactly as it does in check-jsonschema or an editor, which take the file's
    location as its base URI. Nothing is retrieved: a `$ref` to anything else fails rather than go online.
    """

    def __init__(self, folder: Path | None = None):
        self.folder = folder or schema_dir()
        self.registry = Registry().with_resources(
            (path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8")),
                                               default_specification=DRAFT202012))
            for path in sorted(self.folder.glob("*.schema.json")))
        self._memo: dict = {}

    def _memoised(self, key, make):
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def schema_for(self, kind: str) -> dict:
        return self.registry.contents(SCHEMA_FILES[kind])

    def resolver(self, kind: str = "common") -> Resolver:
        """Resolves `$ref`s written in the schema of `kind` (or in common.schema.json)."""
        return self.registry.resolver(base_uri=SCHEMA_FILES.get(kind, "common.schema.json"))

    def validator_for(self, kind: str) -> Draft202012Validator:
        return self._memoised(("validator", kind), lambda: _Validator(
            self.schema_for(kind), registry=self.registry, format_checker=FormatChecker()))

    def common_definition(self, name: str) -> dict:
        """A definition from common.schema.json's $defs, e.g. revision_reason."""
        return self.resolver().lookup(f"#/$defs/{name}").contents

    def school_field_labels(self) -> dict[str, str]:
        """Dotted paths of school fields an applies_to rule may name → Chinese label."""
        def make():
            labels = {}
            properties = self.schema_for("school")["properties"]
            for group in ("facilities", "security", "counts"):
                for name, spec in properties[group]["properties"].items():
                    labels[f"{group}.{name}"] = spec.get("description", name).rstrip("。")
            return labels
        return self._memoised("school_field_labels", make)

    def internal_pointers(self, kind: str) -> list[tuple[str, ...]]:
        """Paths (with '*' for any key or index) of fields marked x-audience: internal."""
        return self._memoised(("internal", kind), lambda: _pointers(
            self, kind, lambda schema: schema.get("x-audience") == "internal"))

    def phone_pointers(self, kind: str) -> list[tuple[str, ...]]:
        """Paths of fields meant for a phone number: those with the common phone pattern."""
        pattern = self.common_definition("phone")["pattern"]
        return self._memoised(("phone", kind), lambda: _pointers(self, kind, lambda schema: schema.get("pattern") == pattern))


_ACTIVE: ContextVar[Schemas | None] = ContextVar("safeplan_schemas", default=None)
_outside_runs: tuple[tuple, Schemas] | None = None


@contextlib.contextmanager
def using(schemas: Schemas):
    """Make `schemas` the one every lookup in this run answers from."""
    token = _ACTIVE.set(schemas)
    try:
        yield schemas
    finally:
        _ACTIVE.reset(token)


def active() -> Schemas:
    """The active run's Schemas; outside a run, one that is rebuilt whenever a schema file changes."""
    global _outside_runs
    current = _ACTIVE.get()
    if current is not None:
        return current
    folder = schema_dir()
    signature = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.glob("*.schema.json")))
    if _outside_runs is None or _outside_runs[0] != (folder, signature):
        _outside_runs = ((folder, signature), Schemas(folder))
    return _outside_runs[1]


def per_run(function):
    """Memoise a function of the schemas on the active run's Schemas (not for the process's life),
    so the next run reads an edited schema."""
    @functools.wraps(function)
    def memoised(*args):
        return active()._memoised((function.__module__, function.__qualname__, args), lambda: function(*args))
    return memoised


def schema_for(kind: str) -> dict:
    return active().schema_for(kind)


def validator_for(kind: str) -> Draft202012Validator:
    return active().validator_for(kind)


def common_definition(name: str) -> dict:
    return active().common_definition(name)


def school_field_labels() -> dict[str, str]:
    return active().school_field_labels()


def internal_pointers(kind: str) -> list[tuple[str, ...]]:
    return active().internal_pointers(kind)


def phone_pointers(kind: str) -> list[tuple[str, ...]]:
    return active().phone_pointers(kind)


def check_document(doc: Document) -> list[Problem]:
    """Schema problems of one document, each located at the offending value or key."""
    problems = []
    for error in sorted(validator_for(doc.kind).iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path))):
        for leaf in _leaves(error):
            problems.append(_to_problem(doc, leaf))
    return sorted(set(problems))


def _leaves(error):
    """Errors under anyOf/allOf report their most specific cause."""
    if error.context:
        best = [e for e in error.context if not e.context]
        if best:
            return best[:1]
    return [error]


def _pointer(path) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


_TYPE_NAMES = {"string": "文字", "integer": "整数", "number": "数字", "boolean": "true 或 false",
               "object": "“字段: 值”映射", "array": "列表（每项以 - 开头）", "null": "空值"}


def _to_problem(doc: Document, error) -> Problem:
    pointer = _pointer(error.absolute_path)
    field = ".".join(str(p) for p in error.absolute_path) or "（文件顶层）"
    described = error.schema.get("description", "") if isinstance(error.schema, dict) else ""
    hint = described
    kind = error.validator
    value = error.instance
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        message = f"缺少必填字段“{missing}”（在 {field}）。"
        prop = error.schema.get("properties", {}).get(missing, {})
        hint = prop.get("description", "") or f"请补上 {missing}: …"
    elif kind in ("additionalProperties", "unevaluatedProperties"):
        unexpected = re.findall(r"'([^']+)'", error.message.split("(", 1)[-1])
        name = unexpected[0] if unexpected else "?"
        pointer = f"{pointer}/{name}"
        message = f"不认识的字段“{name}”。"
        known = set(error.schema.get("properties", {}))
        if kind == "unevaluatedProperties":
            known |= set(_workflow_properties())
        hint = "字段名可能拼错了；可用的字段有：" + "、".join(sorted(known))
    elif kind == "type":
        expected = error.validator_value if isinstance(error.validator_value, str) else error.validator_value[0]
        message = f"{field} 应当是{_TYPE_NAMES.get(expected, expected)}，现在是“{_short(value)}”。"
        if expected == "boolean" and isinstance(value, str):
            hint = "布尔值请写 true 或 false（YAML 1.2 中 yes/no/on/off 只是文字）。"
        elif expected == "integer" and isinstance(value, float):
            hint = f"整数不要写小数点，例如 {int(value) if value.is_integer() else round(value)} 而不是 {_short(value)}。"
        elif expected == "string" and isinstance(value, (int, float, bool)):
            hint = "请给这个值加上引号，例如 \"0519-86000000\"、\"1.0\"，防止被当作数字或布尔值。"
    elif kind == "enum":
        options = "、".join(str(v) for v in error.validator_value)
        message = f"{field} 的值“{_short(value)}”不在允许范围内。"
        hint = f"可选值：{options}。"
    elif kind == "const":
        message = f"{field} 应当是“{error.validator_value}”，现在是“{_short(value)}”。"
    elif kind == "format":
        message = f"{field} 的日期“{_short(value)}”不存在或格式不对。"
        hint = "日期写成 YYYY-MM-DD，并确认这一天真实存在，例如 2020-09-01。"
    elif kind == "pattern" and error.schema.get("format") == "date":
        message = f"{field} 的日期“{_short(value)}”格式不对或年份超出范围。"
    elif kind == "pattern":
        message = f"{field} 的值“{_short(value)}”格式不对。"
    elif kind in ("minLength", "maxLength"):
        message = f"{field} 的长度不符合要求（{'至少' if kind == 'minLength' else '最多'} {error.validator_value} 个字）。"
    elif kind in ("minItems", "maxItems"):
        message = f"{field} 的项目数不符合要求（{'至少' if kind == 'minItems' else '最多'} {error.validator_value} 项）。"
    elif kind in ("minimum", "maximum"):
        message = f"{field} 的值 {_short(value)} {'小于最小值' if kind == 'minimum' else '大于最大值'} {error.validator_value}。"
    elif kind == "uniqueItems":
        message = f"{field} 中有重复的项目。"
        hint = "请删除重复项。"
    elif kind == "minProperties":
        message = f"{field} 至少要有 {error.validator_value} 项。"
    else:
        message = f"{field}：{error.message}"
    line, column = doc.position(pointer)
    return Problem(doc.path, line, column, ERROR, "schema", message, hint)


def _workflow_properties() -> dict:
    return common_definition("workflow")["properties"]


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "…"


def _pointers(schemas: Schemas, kind: str, wanted) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []

    def walk(schema, resolver, path, depth=0):
        schema, resolver = _follow(schema, resolver)
        if depth > 12:
            return
        if wanted(schema):
            found.append(path)
            return
        for name, sub in (schema.get("properties") or {}).items():
            walk(sub, resolver, path + (name,), depth + 1)
        for key in ("additionalProperties", "items"):
            if isinstance(schema.get(key), dict):
                walk(schema[key], resolver, path + ("*",), depth + 1)
        for sub in schema.get("allOf") or []:
            walk(sub, resolver, path, depth + 1)

    walk(schemas.schema_for(kind), schemas.resolver(kind), ())
    return sorted(set(found))


_LABEL_END = re.compile(r"[，。；：（(]")


def _own_label(schema) -> str:
    if not isinstance(schema, dict):
        return ""
    text = schema.get("title") or _LABEL_END.split(schema.get("description") or "", 1)[0]
    return text.strip()


def _follow(schema, resolver: Resolver) -> tuple[dict, Resolver]:
    """Follow a $ref chain through the registry; keywords beside a $ref win over the target's.
    Returns the schema and the resolver for the `$ref`s written in it."""
    for _ in range(10):
        if not isinstance(schema, dict) or "$ref" not in schema:
            break
        resolved = resolver.lookup(schema["$ref"])
        schema, resolver = {**resolved.contents, **{k: v for k, v in schema.items() if k != "$ref"}}, resolved.resolver
    return (schema if isinstance(schema, dict) else {}), resolver


def _child(schema: dict, resolver: Resolver, key) -> tuple[dict | None, Resolver]:
    """The schema of `key` (a property name; an index or '*' for any item or key) as written, or None."""
    schema, resolver = _follow(schema, resolver)
    if isinstance(key, int) or (key == "*" and "items" in schema):
        return schema.get("items"), resolver
    if key in (schema.get("properties") or {}):
        return schema["properties"][key], resolver
    for combinator in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(combinator) or []:
            found, where = _child(sub, resolver, key)
            if found is not None:
                return found, where
    extra = schema.get("additionalProperties")
    return (extra if isinstance(extra, dict) else None), resolver


def _steps(kind: str, path: tuple) -> list[tuple[dict | None, Resolver]]:
    schemas = active()
    schema, resolver, steps = schemas.schema_for(kind), schemas.resolver(kind), []
    for key in path:
        schema, resolver = _child(schema, resolver, key) if schema is not None else (None, resolver)
        steps.append((schema, resolver))
    return steps


def schema_steps(kind: str, path: tuple) -> list[dict | None]:
    """The schema of each step of a data path as written there (its own title or description
    beside a `$ref` not yet replaced by the target's), None where the schema has nothing for it.
    An index or '*' in the path stands for any item or key."""
    return [schema for schema, _ in _steps(kind, path)]


def field_labels(kind: str, path: tuple) -> list[str]:
    """Chinese labels for each step of a data path, from the schema's titles and descriptions.

    A key's label is its title, else its description up to the first comma or bracket, else
    the key itself; list indexes get ''.
    """
    labels = []
    for key, (schema, resolver) in zip(path, _steps(kind, path)):
        if isinstance(key, int):
            labels.append("")
            continue
        labels.append(_own_label(schema) or (schema is not None and _own_label(_follow(schema, resolver)[0]))
                      or _GENERIC_LABELS.get(str(key), str(key)))
    return labels


# For keys whose schema has neither title nor description.
_GENERIC_LABELS = {"id": "编号", "title": "标题", "name": "名称", "summary": "摘要", "tags": "标签"}


def shape(kind: str, path: tuple = ()) -> tuple[dict, dict[str, bool]]:
    """The schema of a data path with its `$ref`s followed, and its properties (name → required) in
    schema order, those of allOf branches included; an if/then's conditional requirements are not."""
    schema, resolver = (_steps(kind, path)[-1] if path else (schema_for(kind), active().resolver(kind)))
    if schema is None:
        return {}, {}
    schema, resolver = _follow(schema, resolver)
    if isinstance(schema.get("propertyNames"), dict):  # a mapping keyed by an enum, e.g. school kinds
        schema = {**schema, "propertyNames": _follow(schema["propertyNames"], resolver)[0]}
    found: dict[str, bool] = {}
    for part, _ in [(schema, resolver)] + [_follow(sub, resolver) for sub in schema.get("allOf") or []]:
        for name in part.get("properties") or {}:
            found[name] = found.get(name, False) or name in (part.get("required") or ())
    return schema, found
