"""Every schema ships valid and invalid examples; the examples are the tests.

An invalid example is named `<keyword>-<field>.<ext>`: it must fail with that JSON
Schema keyword at that field, so it fails for the reason its name states. The same examples
pass and fail in check-jsonschema, offline, as an independent client sees the schemas.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

import pytest

from safeplan.content.loader import load_document
from safeplan.content.schemas import SCHEMA_FILES, schema_dir, validator_for

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


# --- The same examples through an independent client, check-jsonschema, with no network ---

CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


def _offline(command: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    """Run with no network: in a fresh network namespace where unshare allows it, and always through
    a proxy on a closed port, so that any download fails instead of quietly succeeding."""
    if shutil.which("unshare") and subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0:
        command = ["unshare", "-rn", *command]
    closed = "http://127.0.0.1:9"
    env = {**os.environ, "HTTP_PROXY": closed, "HTTPS_PROXY": closed, "http_proxy": closed, "https_proxy": closed,
           "NO_PROXY": "", "no_proxy": "", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def _as_yaml(path: Path, folder: Path) -> Path:
    """check-jsonschema reads YAML and JSON, not Markdown: a Markdown document's front matter, as written."""
    if path.suffix != ".md":
        return path
    front = path.read_text(encoding="utf-8").split("---\n", 2)[1]
    target = folder / path.parent.name / f"{path.stem}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(front, encoding="utf-8")
    return target


def _check_jsonschema(schema: Path, files: list[Path], tmp_path: Path) -> dict:
    result = _offline([str(CHECK_JSONSCHEMA), "--no-cache", "--output-format", "json",
                       "--schemafile", str(schema), *map(str, files)], tmp_path)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"check-jsonschema did not validate (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    assert report["parse_errors"] == [], report["parse_errors"]
    return report


@pytest.mark.parametrize("kind", KINDS)
def test_check_jsonschema_accepts_valid_and_rejects_invalid_examples_offline(kind, tmp_path):
    valid = [_as_yaml(p, tmp_path) for p in sorted((EXAMPLES / kind / "valid").glob("*.*"))]
    invalid = [_as_yaml(p, tmp_path) for p in sorted((EXAMPLES / kind / "invalid").glob("*.*"))]
    report = _check_jsonschema(schema_dir() / SCHEMA_FILES[kind], valid + invalid, tmp_path)
    errors: dict[str, list[tuple[str, str]]] = {}
    for error in report["errors"]:
        errors.setdefault(Path(error["filename"]).name, []).append((error["path"], error["message"]))
    for path in valid:
        assert path.name not in errors, f"check-jsonschema rejects valid {path.name}: {errors.get(path.name)}"
    for path in invalid:
        field = path.stem.partition("-")[2]
        assert path.name in errors, f"check-jsonschema accepts invalid {path.name}"
        assert any(field in where or field in message for where, message in errors[path.name]), \
            f"{path.name}: expected an error at {field}, got {errors[path.name]}"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_the_offline_run_catches_a_schema_that_needs_the_network(tmp_path):
    """Control: with a served `$id` (as the schemas once had), check-jsonschema fetches common.schema.json
    online and passes, and the same run offline fails: the test above would catch that regression."""
    served = tmp_path / "served"
    shutil.copytree(schema_dir(), served, ignore=shutil.ignore_patterns("examples"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        moved = tmp_path / "elsewhere"
        moved.mkdir()  # beside no common.schema.json: only the network can supply it
        schema = json.loads((served / SCHEMA_FILES["plan"]).read_text(encoding="utf-8"))
        schema = {"$id": f"http://127.0.0.1:{server.server_port}/{SCHEMA_FILES['plan']}", **schema}
        (moved / "needs-network.schema.json").write_text(json.dumps(schema), encoding="utf-8")
        instance = [_as_yaml(path, tmp_path) for path in sorted((EXAMPLES / "plan" / "valid").glob("*.md"))]
        command = [str(CHECK_JSONSCHEMA), "--no-cache", "--schemafile", str(moved / "needs-network.schema.json"),
                   *map(str, instance)]
        online = subprocess.run(command, capture_output=True, text=True, timeout=120,
                                env={**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
                                     "XDG_CACHE_HOME": str(tmp_path / "cache-online")})
        assert online.returncode == 0, online.stdout + online.stderr
        offline = _offline(command, tmp_path)
        assert offline.returncode != 0
        assert "common.schema.json" in offline.stdout + offline.stderr
    finally:
        server.shutdown()

