"""Property-based tests: arbitrary input never crashes the loader or the validator."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINI
from safeplan.library_check import check_tree

SCHOOL = "schools/small-village-primary.yaml"
PLAN = "plans/school/special/fire.md"
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                    st.text(max_size=30), st.sampled_from(["yes", "no", "on", "1:30", "0123", "2020-02-30", "{{ x }}", "~"]))
values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)), max_leaves=20)
keys = st.sampled_from(["id", "name", "kind", "town", "counts", "facilities", "security", "organisation",
                        "contacts", "owners", "assembly_points", "evacuation_routes", "status", "version",
                        "applies_to", "references", "items", "tier", "title"])


def run(files: dict[str, bytes]):
    """Lay files over the minimal library, load and validate; return the problems."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "library"
        shutil.copytree(MINI, tree)
        for path, data in files.items():
            (tree / path).write_bytes(data)
        return check_tree(tree)


@FAST
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_as_a_school(data):
    for problem in run({SCHOOL: data}):
        assert problem.line >= 1 and problem.column >= 1 and problem.message


@FAST
@given(st.text(max_size=2000))
def test_arbitrary_text_as_front_matter(text):
    run({PLAN: ("---\n" + text + "\n---\n\n## 适用范围\n\n正文\n").encode("utf-8")})


@FAST
@given(st.dictionaries(keys, values, max_size=10))
def test_arbitrary_yaml_structures_as_a_school(data):
    run({SCHOOL: yaml.safe_dump(data, allow_unicode=True).encode("utf-8")})


@FAST
@given(st.data())
def test_mutated_real_files(data):
    original = (MINI / SCHOOL).read_bytes()
    position = data.draw(st.integers(0, len(original)))
    cut = data.draw(st.integers(0, 40))
    insert = data.draw(st.binary(max_size=20) | st.sampled_from([b":", b"\n", b"  ", b"- ", b"{{", b"&a", b"*a", b"\t", b"\xe4"]))
    run({SCHOOL: original[:position] + insert + original[position + cut:]})


@FAST
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_arbitrary_body_text(text):
    plan = (MINI / PLAN).read_text(encoding="utf-8")
    run({PLAN: plan.replace("最近医院为", text.replace("\x00", "") + "最近医院为").encode("utf-8")})
