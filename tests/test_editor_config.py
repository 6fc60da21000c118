"""The web editor's config.yml against the JSON Schemas, walked here on their own (not through the generator)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from safeplan.content.loader import load_library
from safeplan.content.vocabulary import vocabulary
from safeplan.render.site.admin_config import editor_config

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "schemas"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
KINDS = {"school": "school", "plan": "plan", "checklist": "checklist", "drill": "drill", "note": "note",
         "hazard": "hazard", "drill_record": "drill_record", "incident": "incident"}


def registry() -> Registry:
    return Registry().with_resources(
        (p.name, Resource.from_contents(json.loads(p.read_text(encoding="utf-8")), default_specification=DRAFT202012))
        for p in SCHEMAS.glob("*.schema.json"))


def follow(schema, resolver):
    while isinstance(schema, dict) and "$ref" in schema:
        found = resolver.lookup(schema["$ref"])
        schema, resolver = {**found.contents, **{k: v for k, v in schema.items() if k != "$ref"}}, found.resolver
    return schema, resolver


def properties(schema, resolver):
    """name → (schema, resolver, required) over the schema and its allOf branches (not if/then)."""
    schema, resolver = follow(schema, resolver)
    found = {}
    for part, where in [(schema, resolver)] + [follow(s, resolver) for s in schema.get("allOf", [])]:
        for name, sub in part.get("properties", {}).items():
            required = name in part.get("required", []) or (name in found and found[name][2])
            found[name] = (sub, where, required)
    return found


def walk(schema, resolver, form_fields, where, checked, optional_parent=False):
    """Every property has a form field with a Chinese label; required exactly when every document must have it:
    the schema requires it and it is not inside an optional object (Decap would demand it of an absent object)."""
    by_name = {f["name"]: f for f in form_fields}
    for name, (sub, sub_resolver, required) in properties(schema, resolver).items():
        path = f"{where}.{name}"
        assert name in by_name, f"{path}: no form field"
        form = by_name[name]
        assert CHINESE.search(form["label"]), f"{path}: label {form['label']!r} is not Chinese"
        assert form.get("required", True) is (required and not optional_parent), f"{path}: required should be {required}"
        assert form.get("widget"), f"{path}: no widget"
        checked.append(path)
        resolved, inner = follow(sub, sub_resolver)
        if resolved.get("type") == "array" and "fields" in form:
            walk(resolved["items"], inner, form["fields"], path + "[]", checked)
        elif "properties" in resolved:
            assert form["widget"] == "object", path
            walk(resolved, inner, form["fields"], path, checked, optional_parent or not required)
        if "pattern" in resolved and form["widget"] != "relation":  # a relation offers only existing ids
            pattern = form.get("pattern") or form.get("field", {}).get("pattern")
            assert pattern and pattern[0] == resolved["pattern"] and CHINESE.search(pattern[1]), f"{path}: pattern"


@pytest.fixture(scope="module")
def config():
    library, _ = load_library(REPO)
    return editor_config(library, vocabulary())


@pytest.mark.parametrize("kind", KINDS)
def test_every_property_has_a_labelled_widget_and_required_matches(config, kind):
    reg = registry()
    resolver = reg.resolver(base_uri=f"{kind}.schema.json")
    schema = reg.contents(f"{kind}.schema.json")
    expected = {"school": "学校", "drill_record": "演练记录", "hazard": "隐患", "incident": "信息报告"}
    collections = [c for c in config["collections"] if c["name"] == kind + "s" or c["name"].startswith(kind + "-")
                   or (kind == "school" and c["name"] == "schools")]
    assert collections, f"no collection for {kind}"
    for collection in collections:
        checked: list[str] = []
        walk(schema, resolver, collection["fields"], kind, checked)
        assert len(checked) >= len(properties(schema, resolver)), kind
    assert kind not in expected or any(expected[kind] in c["label"] for c in collections)


def test_a_phone_field_refuses_what_the_schema_refuses(config):
    """The form's own check: the principal's mobile carries the schema's pattern and Chinese message."""
    school = next(c for c in config["collections"] if c["name"] == "schools")
    organisation = next(f for f in school["fields"] if f["name"] == "organisation")
    principal = next(f for f in organisation["fields"] if f["name"] == "principal")
    mobile = next(f for f in principal["fields"] if f["name"] == "mobile")
    regex, message = mobile["pattern"]
    assert re.fullmatch(regex, "13900050001") and not re.search(regex, "1390005000１") and not re.search(regex, "电话13900")
    assert "电话号码" in message


def test_records_live_where_the_loader_finds_them_and_references_are_relations(config):
    library, _ = load_library(REPO)
    hazards = [c for c in config["collections"] if c["name"].startswith("hazard-")]
    assert len(hazards) == len(library.schools)
    assert all(re.fullmatch(r"records/[a-z0-9-]+/hazards", c["folder"]) and c["path"] == "{{year}}/{{slug}}" for c in hazards)
    plan = next(c for c in config["collections"] if c["name"] == "plans")
    assert plan["nested"]["depth"] == 3  # plans/school/special/<id>.md
    references = next(f for f in plan["fields"] if f["name"] == "references")
    checklists = next(f for f in references["fields"] if f["name"] == "checklists")
    assert checklists["widget"] == "relation" and checklists["collection"] == "checklists" and checklists["multiple"]
    assert config["publish_mode"] == "editorial_workflow" and config["backend"]["name"] == "github"


def test_field_order_follows_the_files():
    from safeplan.render.site.admin_config import key_orders
    from safeplan.content.model import Document

    docs = [Document("school", "a.yaml", {"id": 1, "name": 2, "town": 3}, {}),
            Document("school", "b.yaml", {"id": 1, "sample": 0, "name": 2, "kind": 4, "town": 3}, {})]
    assert key_orders(docs)[()] == ["id", "sample", "name", "kind", "town"]
