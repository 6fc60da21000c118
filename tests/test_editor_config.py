"""The web editor's config.yml against the JSON Schemas, walked here on their own (not through the generator)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from safeplan.checks.structure_rules import REQUIRED_SECTIONS
from safeplan.content.loader import load_library
from safeplan.content.vocabulary import vocabulary
from safeplan.render.site.admin_config import editor_config

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "schemas"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
KINDS = {"district": "district", "school": "school", "plan": "plan", "checklist": "checklist", "drill": "drill", "note": "note",
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
    collections = [c for c in config["collections"] if c["name"] in (kind, kind + "s")
                   or c["name"].startswith((kind + "-", kind + "s-"))]  # hazard-<school>, plans-<folder>
    assert collections, f"no collection for {kind}"
    forms = [form["fields"] for c in collections for form in c.get("files", [c])]  # a file collection: one per file
    assert forms and all(forms)
    for form in forms:
        checked: list[str] = []
        walk(schema, resolver, form, kind, checked)
        assert len(checked) >= len(properties(schema, resolver)), kind
    assert kind not in expected or any(expected[kind] in c["label"] for c in collections)
    assert kind != "plan" or len(collections) == 5  # the four folders and the hidden whole


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
    assert plan["nested"]["depth"] == 3 and plan["hide"] and not plan["create"]  # the relations' target: every plan
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


def test_district_yaml_is_a_file_collection_of_the_district_form(config):
    district = next(c for c in config["collections"] if c["name"] == "district")
    assert "folder" not in district and [f["file"] for f in district["files"]] == ["district.yaml"]
    assert "extension" not in district  # with one, Decap 3.19 never loads a file collection's entry
    assert (REPO / district["files"][0]["file"]).is_file()  # Decap edits only files that exist
    names = [f["name"] for f in district["files"][0]["fields"]]
    assert names[:4] == ["id", "sample", "name", "office"]  # the file's key order
    organisation = next(f for f in district["files"][0]["fields"] if f["name"] == "organisation")
    mobile = next(f for f in next(f for f in organisation["fields"] if f["name"] == "director")["fields"] if f["name"] == "mobile")
    assert mobile["pattern"][0] == "^[0-9+()\\- ]{3,20}$" and "电话号码" in mobile["pattern"][1]


def new_entry_path(collection: dict, slug: str) -> str:
    """Where Decap writes a new entry of a folder collection: folder/slug.extension (no `path` set)."""
    assert "path" not in collection and "nested" not in collection
    return f"{collection['folder']}/{slug}.{collection['extension']}"


def test_a_new_plan_lands_in_its_tier_s_folder(config):
    """One creatable collection per folder of the library's layout, its level and tier preset; each existing
    plan sits in the folder of the collection whose presets it has, so a plan created there lands beside them."""
    library, _ = load_library(REPO)
    creatable = {c["folder"]: c for c in config["collections"] if c["name"].startswith("plans-")}
    assert set(creatable) == {"plans/district", "plans/school", "plans/school/special", "plans/school/onsite"}
    assert all(c["create"] and not c.get("hide") for c in creatable.values())
    presets = {folder: {f["name"]: f["default"] for f in c["fields"] if "default" in f and f["name"] in ("level", "tier")}
               for folder, c in creatable.items()}
    assert presets["plans/school/onsite"] == {"level": "school", "tier": "现场处置方案"}
    assert presets["plans/school/special"] == {"level": "school", "tier": "专项应急预案"}
    assert presets["plans/district"] == {"level": "district"}  # district plans of every tier share one folder
    for plan in library.of_kind("plan"):
        folder = plan.path.rsplit("/", 1)[0]
        assert folder in creatable, plan.path
        assert all(plan.data[name] == value for name, value in presets[folder].items()), plan.path
        assert new_entry_path(creatable[folder], plan.id) == plan.path
    for folder, collection in creatable.items():  # the body opens with the required chapters of a preset tier
        body = next(f for f in collection["fields"] if f["name"] == "body").get("default", "")
        tier = presets[folder].get("tier")
        assert re.findall(r"^## (.+)$", body, re.M) == (REQUIRED_SECTIONS[tier] if tier else []), folder
    # the control: the old single nested collection would have put a new school onsite plan in plans/
    nested = next(c for c in config["collections"] if c["name"] == "plans")
    assert f"{nested['folder']}/onsite-new.md" == "plans/onsite-new.md" != new_entry_path(creatable["plans/school/onsite"], "onsite-new")
    labels = [c["label"] for c in creatable.values()]
    assert len(set(labels)) == 4 and all(CHINESE.search(label) for label in labels)


def test_every_object_and_list_form_has_fields_as_decap_requires(config):
    """Decap refuses the whole config when an object has no fields (district.yaml's `external`, name → unit,
    takes the keys the file holds)."""
    def empty(form, where):
        for spec in form:
            if spec["widget"] == "object" or "fields" in spec:
                assert spec.get("fields"), f"{where}.{spec['name']}: no fields"
                empty(spec["fields"], f"{where}.{spec['name']}")
    for collection in config["collections"]:
        for form in collection.get("files", [collection]):
            empty(form["fields"], collection["name"])
    district = next(c for c in config["collections"] if c["name"] == "district")["files"][0]["fields"]
    external = next(f for f in district if f["name"] == "external")
    assert [f["name"] for f in external["fields"]][:2] == ["emergency_office", "public_security"]
