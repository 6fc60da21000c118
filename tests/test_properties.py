"""Property-based tests: arbitrary input never crashes the loader or the validator, and every
property has an oracle: a generated defect is reported where it was made, valid input is clean."""

from __future__ import annotations

import json
import shutil
import tempfile
import unicodedata
from pathlib import Path

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import MINI, REPO
from safeplan.checks.library_check import check_tree

SCHOOL = "schools/small-village-primary.yaml"
PLAN = "plans/school/special/fire.md"
ANCHOR = "最近医院为"  # a phrase in PLAN's body where generated text goes
REQUIRED = json.loads((REPO / "schemas" / "school.schema.json").read_text(encoding="utf-8"))["required"]
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                    st.text(max_size=30), st.sampled_from(["yes", "no", "on", "1:30", "0123", "2020-02-30", "{{ x }}", "~"]))
values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)), max_leaves=20)
keys = st.sampled_from(["id", "name", "kind", "town", "counts", "facilities", "security", "organisation",
                        "contacts", "owners", "assembly_points", "evacuation_routes", "status", "version",
                        "applies_to", "references", "items", "tier", "title"])
# prose no rule objects to: Chinese and Latin letters, spaces and two marks; no digits, markup or line starts
prose = st.text(alphabet=st.sampled_from([chr(c) for c in range(0x4E00, 0x4E40)] + list("abcxyz ，。")), max_size=40)


def run(files: dict[str, bytes]):
    """Lay files over the minimal library, load and validate; return the problems."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "library"
        shutil.copytree(MINI, tree)
        for path, data in files.items():
            (tree / path).write_bytes(data)
        return check_tree(tree)


def parse(text):
    """libyaml, the parser the loader is built on (the pure-Python one refuses tabs inside plain scalars)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def line_count(data: bytes) -> int:
    """Lines a problem may point at: CR, LF and CRLF end a line; libyaml puts the end of a file without
    a final line break one line on."""
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return max(1, data.count(b"\n") + 2 * (not data.endswith(b"\n")))


def assert_located_error(problems, path: str, data: bytes, last_line: int | None = None):
    """At least one error in PATH, and every problem there points inside the lines given."""
    last_line = last_line or line_count(data)
    here = [p for p in problems if p.path == path]
    assert [p for p in here if p.severity == "error"], problems
    for problem in here:
        assert 1 <= problem.line <= last_line and problem.column >= 1 and problem.message and problem.hint, problem


def test_the_minimal_library_is_clean():
    assert run({}) == []


@FAST
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_as_a_school(data):
    # no byte string of this size is a complete school, so each is an error located inside the file
    assert_located_error(run({SCHOOL: data}), SCHOOL, data)


@FAST
@given(st.text(max_size=2000))
def test_arbitrary_text_as_front_matter(text):
    front = ("---\n" + text + "\n---\n").encode("utf-8")
    # arbitrary text never holds a plan's required fields: an error located in the front matter
    assert_located_error(run({PLAN: front + "\n## 适用范围\n\n正文\n".encode("utf-8")}), PLAN, front,
                         last_line=line_count(front))  # up to the closing ---


@FAST
@given(st.dictionaries(keys, values, max_size=10))
def test_arbitrary_yaml_structures_as_a_school(data):
    problems = run({SCHOOL: yaml.safe_dump(data, allow_unicode=True).encode("utf-8")})
    assert [p for p in problems if p.path == SCHOOL and p.severity == "error"], problems
    if any(p.path == SCHOOL and p.rule == "load" for p in problems):
        return  # refused while reading (a control character, say): the schema never sees it
    schema = [p.message for p in problems if p.path == SCHOOL and p.rule == "schema" and p.line == 1]
    for field in REQUIRED:
        if field not in data:  # each missing field is named, at the top of the file
            assert any(f"缺少必填字段“{field}”" in message for message in schema), (field, problems)


@FAST
@given(st.data())
def test_mutated_real_files(data):
    original = (MINI / SCHOOL).read_bytes()
    position = data.draw(st.integers(0, len(original)))
    cut = data.draw(st.integers(0, 40))
    insert = data.draw(st.binary(max_size=20) | st.sampled_from([b":", b"\n", b"  ", b"- ", b"{{", b"&a", b"*a", b"\t", b"\xe4"]))
    mutated = original[:position] + insert + original[position + cut:]
    problems = run({SCHOOL: mutated})
    try:
        same = parse(mutated.decode("utf-8")) == parse(original)
    except (UnicodeDecodeError, yaml.YAMLError):  # not text or not YAML: the file is refused, with a location
        assert_located_error(problems, SCHOOL, mutated)
        return
    if same:  # whitespace or a comment changed, no value: still clean
        assert problems == [], problems


def top_level_lines(text: str) -> list[int]:
    """1-based numbers of the lines that open a top-level key."""
    return [n for n, line in enumerate(text.splitlines(), 1) if line[:1].isalpha()]


@FAST
@given(st.data())
def test_a_duplicated_key_is_reported_at_its_second_line(data):
    lines = (MINI / SCHOOL).read_text(encoding="utf-8").splitlines(keepends=True)
    openers = top_level_lines("".join(lines))
    copied = data.draw(st.sampled_from(openers))
    key = lines[copied - 1].split(":")[0]
    # insert `key: …` before any top-level line (or at the end), as a new line of its own
    before = data.draw(st.sampled_from(openers + [len(lines) + 1]))
    inserted = f"{key}: {data.draw(prose) or 'x'}\n"
    mutated = "".join(lines[:before - 1] + [inserted] + lines[before - 1:])
    first, second = (before, copied + 1) if before <= copied else (copied, before)
    [problem] = run({SCHOOL: mutated.encode("utf-8")})
    assert (problem.path, problem.line, problem.column, problem.rule) == (SCHOOL, second, 1, "load"), problem
    assert problem.message == f"字段“{key}”重复出现（第一次在第 {first} 行）。", problem


def invisible(character: str) -> bool:
    """A control character or a bidirectional embedding, override or isolate: text that does not read as it is."""
    return (unicodedata.category(character) == "Cc" and character not in "\t\n\r"
            or unicodedata.bidirectional(character) in ("LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"))


@FAST
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_arbitrary_body_text(text):
    plan = (MINI / PLAN).read_text(encoding="utf-8")
    body = plan.replace(ANCHOR, text.replace("\x00", "") + ANCHOR)
    problems = run({PLAN: body.encode("utf-8")})
    read = body.replace("\r\n", "\n").replace("\r", "\n")  # the lines an editor sees
    hidden = next((index for index, character in enumerate(read) if invisible(character)), None)
    if hidden is not None:  # refused at the first invisible character, by line and column
        line, column = read.count("\n", 0, hidden) + 1, hidden - read.rfind("\n", 0, hidden)
        assert [(p.line, p.column, p.rule) for p in problems if p.path == PLAN] == [(line, column, "load")], problems
        assert f"U+{ord(read[hidden]):04X}" in next(p.message for p in problems if p.path == PLAN)
    # text in one plan's body breaks only that plan, where the file has lines; if the plan cannot be
    # read at all, the documents that reference it say so
    unreadable = any(p.path == PLAN and p.rule == "load" for p in problems)
    for problem in problems:
        if problem.path == PLAN:
            assert 1 <= problem.line <= line_count(body.encode("utf-8")) and problem.hint, problem
        else:
            assert unreadable and problem.rule == "references" and "“fire”" in problem.message, problems


@FAST
@given(st.lists(prose, min_size=1, max_size=5), st.data())
def test_a_mobile_in_body_text_is_reported_at_its_line_and_column(paragraph, data):
    """Plain prose is clean; the same prose with a mobile number in it is refused exactly there."""
    plan = (MINI / PLAN).read_text(encoding="utf-8")
    with_mobile = data.draw(st.booleans())
    if with_mobile:
        row = data.draw(st.integers(0, len(paragraph) - 1))
        mobile = data.draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
        paragraph[row] += f" {mobile} "
    body = plan.replace(ANCHOR, "\n".join(paragraph) + ANCHOR)
    assume(body.count(ANCHOR) == 1)
    problems = run({PLAN: body.encode("utf-8")})
    if not with_mobile:
        assert problems == [], problems
        return
    offset = body.index(f" {mobile} ") + 1
    line = body.count("\n", 0, offset) + 1
    column = offset - (body.rfind("\n", 0, offset) + 1) + 1
    [problem] = problems
    assert (problem.path, problem.line, problem.column, problem.rule) == (PLAN, line, column, "free-text-mobile"), problem
