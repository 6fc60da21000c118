"""JSON Schemas + the library's folders + safeplan.yaml → Decap CMS's config.yml (the web editor's forms).

One collection per content kind (records: one per school and kind, under records/<school>/<kind>/<year>/;
plans: one per folder of the library's layout, so that a new plan lands in its tier's folder, its body opening
with the tier's required chapters; district.yaml:
a file collection),
one form field per schema property: Chinese label and hint from the schema, a widget by type, the schema's
required list and patterns as the form's own validation, and the order of keys the sample files use, so
that saving keeps a file's key order (Decap's YAML writer sorts top-level keys by the form's order).
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from safeplan.checks.structure_rules import REQUIRED_SECTIONS
from safeplan.content.model import KINDS, RECORD_FOLDERS, REFERENCE_KINDS, REVIEWED, WORKFLOW_KINDS, Library
from safeplan.content.schemas import common_definition, field_labels, schema_steps, shape
from safeplan.content.vocabulary import Vocabulary

EDITED_KINDS = ("school", *WORKFLOW_KINDS, *RECORD_FOLDERS.values())
COLLECTION_NAMES = {"school": "schools", **{kind: KINDS[kind][0] for kind in WORKFLOW_KINDS}}  # records: <kind>-<school>
LOCAL_BACKEND = "http://127.0.0.1:8081/api/v1"  # decap-server's own default port; `safeplan edit` passes its own
BACKENDS = {"github": "github", "gitlab": "gitlab", "gitea": "gitea"}
REPO_PLACEHOLDER = "OWNER/REPO"  # safeplan.yaml `repo:` names the real one
# Two form fields that are not the document's: the editor's reason and summary of a change to an approved
# document; site-assets/admin/safeplan-editor.js moves them into a revision record when the entry is saved.
CHANGE_REASON, CHANGE_SUMMARY = "edit_reason", "edit_summary"
LONG_TEXT = 120  # strings allowed to be longer than this get a multi-line box
MAX_DEPTH = 10
PRESET_FIELDS = ("level", "tier")  # a plan folder's own: what its documents share is the new plan's default
COMMON_DEFINITIONS = ("id", "date", "version", "phone", "field_path")  # the shared formats, each with its own words


def editor_config(library: Library, words: Vocabulary, local_backend: str = LOCAL_BACKEND) -> dict:
    """The whole config.yml as data."""
    config = library.config
    return {
        "backend": {"name": BACKENDS.get(str(config.get("host") or "github"), "github"),
                    "repo": str(config.get("repo") or REPO_PLACEHOLDER), "branch": "main",
                    "squash_merges": False, "cms_label_prefix": "safeplan/"},
        "local_backend": {"url": local_backend, "allowed_hosts": ["127.0.0.1", "localhost"]},
        "publish_mode": "editorial_workflow",
        "locale": "zh_Hans",
        "site_url": "/",
        "media_folder": "assets/images",
        "public_folder": "/assets/images",
        "slug": {"encoding": "ascii", "clean_accents": True},
        "collections": collections(library, words),
    }


def collections(library: Library, words: Vocabulary) -> list[dict]:
    found = []
    for kind in EDITED_KINDS:
        documents = library.of_kind(kind)
        form = fields(kind, key_orders(documents), words)
        extension = KINDS["record" if kind in RECORD_FOLDERS.values() else kind][1][0].lstrip(".")
        common = {"label": words.kind(kind), "label_singular": words.kind(kind), "extension": extension,
                  "format": "frontmatter" if extension == "md" else "yaml", "create": True,
                  "identifier_field": "id", "slug": "{{fields.id}}",
                  "summary": "{{fields." + ("title" if "title" in shape(kind)[1] else "name") + "}} · {{fields.id}}"}
        if kind in RECORD_FOLDERS.values():
            folder = next(name for name, k in RECORD_FOLDERS.items() if k == kind)
            for school in sorted(library.schools, key=lambda s: s.id):
                found.append({**common, "name": f"{kind}-{school.id}", "label": f"{words.kind(kind)}：{school.data.get('name', school.id)}",
                              "folder": f"{KINDS['record'][0]}/{school.id}/{folder}", "path": "{{year}}/{{slug}}",
                              "summary": "{{fields.id}}", "fields": form})
            continue
        folder = KINDS[kind][0]
        depth = max((len(PurePosixPath(d.path).parts) - 1 for d in documents), default=1)
        entry = {**common, "name": COLLECTION_NAMES[kind], "folder": folder, "fields": form}
        if depth > 1:  # plans/district, plans/school/special…: one collection over the nested folders
            entry["nested"] = {"depth": depth}
        if kind in WORKFLOW_KINDS:
            entry["fields"] = form + change_fields(words)
        if kind == "plan":
            found += plan_folders(entry, documents, words)
            continue
        found.append(entry)
    found.append(district_file(library, words))
    return found


def plan_folders(entry: dict, documents, words: Vocabulary) -> list[dict]:
    """One collection per folder plans live in (plans/district, plans/school, plans/school/special…), where new
    plans are created with the folder's level and tier preset; and the nested collection over all of them,
    hidden, as the target of relation widgets (a relation names one collection)."""
    by_folder: dict[str, list] = {}
    for doc in documents:
        by_folder.setdefault(str(PurePosixPath(doc.path).parent), []).append(doc)
    found = []
    for folder, docs in sorted(by_folder.items()):
        shared = {name: values.pop() for name in PRESET_FIELDS
                  if len(values := {d.data.get(name) for d in docs}) == 1 and None not in values}
        label = (words.kind("district") if shared.get("level") == "district" else words.kind("school")) + \
            (shared.get("tier") or words.kind("plan"))
        form = [{**spec, "default": shared[spec["name"]]} if spec["name"] in shared else spec for spec in entry["fields"]]
        if "tier" in shared:  # a new plan's body opens with the chapters its tier requires, in their order
            body = "\n".join(f"## {name}\n" for name in REQUIRED_SECTIONS[shared["tier"]])
            form = [{**spec, "default": body} if spec["name"] == "body" else spec for spec in form]
        found.append({**{k: v for k, v in entry.items() if k != "nested"}, "name": folder.replace("/", "-"),
                      "label": label, "label_singular": label, "folder": folder, "fields": form})
    return found + [{**entry, "create": False, "hide": True}]


def district_file(library: Library, words: Vocabulary) -> dict:
    """district.yaml as a file collection: one form, the district schema's fields in the file's key order."""
    path = KINDS["district"][0]
    form = fields("district", key_orders(library.of_kind("district")), words)
    return {"name": "district", "label": words.kind("district"), "format": "yaml",
            "files": [{"name": "district", "label": words.kind("district"), "file": path, "fields": form}]}


def change_fields(words: Vocabulary) -> list[dict]:
    reasons = [{"label": label, "value": value} for value, label in words.revision_reasons.items() if value != REVIEWED]
    return [
        {"name": CHANGE_REASON, "label": "本次修改的原因（现行文档必填）", "widget": "select", "options": reasons, "required": False,
         "hint": "修改现行（approved）文档时填写：保存时自动把版本号加 0.1，并追加一条修订记录。"},
        {"name": CHANGE_SUMMARY, "label": "本次修改的摘要（现行文档必填）", "widget": "text", "required": False,
         "hint": "写清改了什么、为什么改，会写进修订记录的摘要。"},
    ]


def key_orders(documents) -> dict[tuple, list[str]]:
    """Data path ('*' for any item) → keys in the order the files write them, merged over all files:
    a key first seen in a later file goes right after the key that precedes it there."""
    orders: dict[tuple, list[str]] = {}

    def walk(value, path):
        if isinstance(value, dict):
            merged = orders.setdefault(path, [])
            previous = None
            for key in value:
                if key not in merged:
                    merged.insert(merged.index(previous) + 1 if previous in merged else 0, key)
                previous = key
                walk(value[key], path + (key,))
        elif isinstance(value, list):
            for item in value:
                walk(item, path + ("*",))

    for doc in sorted(documents, key=lambda d: d.path):
        walk(doc.data, ())
    return orders


def fields(kind: str, orders: dict[tuple, list[str]], words: Vocabulary, path: tuple = ()) -> list[dict]:
    """The form fields of the object at `path`, in the files' key order, then the schema's."""
    _, properties = shape(kind, path)
    seen = [name for name in orders.get(path, []) if name in properties]
    form = [field(kind, orders, words, path + (name,), properties[name])
            for name in seen + [name for name in properties if name not in seen]]
    if not path and kind in ("plan", "drill", "note"):
        form.append({"name": "body", "label": "正文", "widget": "markdown", "required": False,
                     "hint": "Markdown 正文：章节标题用 ## 开头。"})
    return form


def field(kind: str, orders, words: Vocabulary, path: tuple, required: bool) -> dict:
    name = path[-1]
    schema, _ = shape(kind, path)
    written = schema_steps(kind, path)[-1] or {}
    spec: dict = {"name": name, "label": field_labels(kind, path)[-1] or name}
    hint = written.get("description") or schema.get("description") or ""
    if hint and hint.rstrip("。") != spec["label"]:
        spec["hint"] = hint
    if not required:
        spec["required"] = False
    spec.update(widget(kind, orders, words, path, schema))
    if not required and spec["widget"] == "object":
        optional_within(spec["fields"])
    return spec


def optional_within(form: list[dict]) -> None:
    """Decap checks the fields of an object that is absent too, so inside an optional object nothing is
    required in the form (a filled one is still checked against the schema by validate and the gate)."""
    for spec in form:
        spec["required"] = False
        if spec["widget"] == "object":
            optional_within(spec["fields"])


def widget(kind: str, orders, words: Vocabulary, path: tuple, schema: dict) -> dict:
    name = path[-1]
    types = schema.get("type")
    if "enum" in schema:
        return select(schema)
    if "const" in schema:
        return {"widget": "hidden", "default": schema["const"]}
    if types == "boolean":
        return {"widget": "boolean", "default": False}
    if types in ("integer", "number"):
        spec = {"widget": "number", "value_type": "int" if types == "integer" else "float"}
        spec.update({key: schema[bound] for key, bound in (("min", "minimum"), ("max", "maximum")) if bound in schema})
        return spec
    if types == "array":
        return array(kind, orders, words, path, schema)
    if types == "object" or "properties" in schema or "allOf" in schema:
        return mapping(kind, orders, words, path, schema)
    if schema.get("format") == "date":
        return {"widget": "datetime", "format": "YYYY-MM-DD", "date_format": "YYYY-MM-DD", "time_format": False,
                "picker_utc": True, **pattern(schema, schema_steps(kind, path)[-1])}
    target = relation_target(path)
    if target:
        return relation(target)
    long = "pattern" not in schema and schema.get("maxLength", LONG_TEXT + 1) > LONG_TEXT and name not in ("id", "title", "name")
    return {"widget": "text" if long else "string", **pattern(schema, schema_steps(kind, path)[-1])}


def select(schema: dict, multiple: bool = False) -> dict:
    labels = schema.get("x-labels") or {}
    spec = {"widget": "select", "options": [{"label": str(labels.get(v, v)), "value": v} for v in schema["enum"]]}
    return {**spec, "multiple": True} if multiple else spec


def pattern(schema: dict, written: dict | None = None) -> dict:
    """The schema's pattern as the form's check, with the schema's own words as the message: those of the
    common definition the field refers to (the phone's format), else the field's."""
    if "pattern" not in schema:
        return {}
    reference = (written or {}).get("$ref", "")
    name = reference.rsplit("/", 1)[-1]
    defined = common_definition(name) if "#/$defs/" in reference and name in COMMON_DEFINITIONS else {}
    message = defined.get("description") or schema.get("description") or f"格式应符合 {schema['pattern']}"
    return {"pattern": [schema["pattern"], message]}


def relation_target(path: tuple) -> str | None:
    """The collection an id field refers to: references.<folder> lists, and plan/checklist/drill/school fields."""
    if len(path) >= 2 and path[-2] == "references" and path[-1] in REFERENCE_KINDS:
        return COLLECTION_NAMES[REFERENCE_KINDS[path[-1]]]
    if len(path) == 1 and path[0] in COLLECTION_NAMES:
        return COLLECTION_NAMES[path[0]]
    return None


def relation(collection: str, multiple: bool = False) -> dict:
    spec = {"widget": "relation", "collection": collection, "value_field": "id",
            "search_fields": ["id", "title" if collection != "schools" else "name"],
            "display_fields": ["{{id}} {{title}}" if collection != "schools" else "{{id}} {{name}}"]}
    return {**spec, "multiple": True} if multiple else spec


def array(kind: str, orders, words: Vocabulary, path: tuple, schema: dict) -> dict:
    item_path = path + ("*",)
    items, properties = shape(kind, item_path)
    bounds = {key: schema[bound] for key, bound in (("min", "minItems"), ("max", "maxItems")) if bound in schema}
    target = relation_target(path)
    if target:
        return {**relation(target, multiple=True), **bounds}
    if "enum" in items:
        return {**select(items, multiple=True), **bounds}
    spec = {"widget": "list", "collapsed": True, **bounds}
    if properties and len(path) < MAX_DEPTH:
        spec["fields"] = fields(kind, orders, words, item_path)
        spec["summary"] = "{{fields." + next(iter(properties)) + "}}"
        return spec
    item = widget(kind, orders, words, item_path, items) if len(path) < MAX_DEPTH else {"widget": "string"}
    spec["field"] = {"name": "item", "label": field_labels(kind, item_path)[-1] or path[-1], **item}
    return spec


def mapping(kind: str, orders, words: Vocabulary, path: tuple, schema: dict) -> dict:
    keys = schema.get("propertyNames", {}).get("enum")
    if keys and isinstance(schema.get("additionalProperties"), dict):  # per_year: school kind → number
        value, _ = shape(kind, path + ("*",))
        return {"widget": "object", "fields": [
            {"name": key, "label": key, "required": False, **widget(kind, orders, words, path + ("*",), value)} for key in keys]}
    if isinstance(schema.get("additionalProperties"), dict) and not schema.get("properties"):  # name → unit
        # Decap has no form for keys of one's own choosing: the keys the files hold, each with the value's form;
        # none held, nothing to edit (a hidden field keeps whatever is there)
        held = orders.get(path, [])
        if not held:
            return {"widget": "hidden"}
        value, _ = shape(kind, path + ("*",))
        label = field_labels(kind, path)[-1]
        return {"widget": "object", "fields": [
            {"name": key, "label": f"{label}：{key}", "required": False, **widget(kind, orders, words, path + (key,), value)}
            for key in held]}
    return {"widget": "object", "fields": fields(kind, orders, words, path)}  # open: a school's officer sees every field


def config_text(config: dict) -> str:
    """config.yml as JSON text: JSON is YAML 1.2, so Decap reads it as it is, and nothing in it is ambiguous."""
    return "# 由 safeplan build 从 schemas/ 生成（render/site/admin_config.py），请勿手改。\n" + json.dumps(
        config, ensure_ascii=False, indent=1) + "\n"
