"""Every schema ships valid and invalid examples; the examples are the tests.

An invalid example is named `<keyword>-<field>.<ext>`: it must fail with that JSON
Schema keyword at that field, so it fails for the reason its name states.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from safeplan.loader import load_document
from safeplan.schemas import SCHEMA_FILES, schema_dir, validator_for

EXAMPLES = schema_dir() / "examples"
KINDS = sorted(k for k in SCHEMA_FILES if (EXAMPLES / k).is_dir())


def _examples(validity: str):
    return sorted((kind, path) for kind in KINDS for path in (EXAMPLES / kind / validity).glob("*.*"))


def _errors(kind: str, path: Path):
    doc = load_document(path.parent, path, kind)
    return list(validator_for(kind).iter_errors(doc.data))


def _flatten(errors):
    for error in errors:
        yield error
        yield from _flatten(error.context or [])


def test_every_schema_has_examples_both_ways():
    for kind in SCHEMA_FILES:
        assert list((EXAMPLES / kind / "valid").glob("*.*")), f"{kind} has no valid example"
        assert list((EXAMPLES / kind / "invalid").glob("*.*")), f"{kind} has no invalid example"


@pytest.mark.parametrize("kind,path", _examples("valid"), ids=lambda v: getattr(v, "name", v))
def test_valid_example_passes(kind, path):
    assert _errors(kind, path) == []


@pytest.mark.parametrize("kind,path", _examples("invalid"), ids=lambda v: getattr(v, "name", v))
def test_invalid_example_fails_for_its_stated_reason(kind, path):
    keyword, _, field = path.stem.partition("-")
    errors = list(_flatten(_errors(kind, path)))
    assert errors, f"{path.name} validated, but it should fail with {keyword}"
    reasons = [(e.validator, [str(p) for p in e.absolute_path], e.message) for e in errors]
    assert any(
        validator == keyword and (field in where or field in message)
        for validator, where, message in reasons
    ), f"{path.name}: expected {keyword} at {field}, got {reasons}"
