"""The schemas are read per run, not once per process: `safeplan serve` shows an edited label on its next rebuild."""

from __future__ import annotations

import json
import shutil

from safeplan.content import schemas
from safeplan.preview import rebuild


def test_serve_rebuild_shows_an_edited_schema_label(tree, tmp_path, monkeypatch):
    folder = tmp_path / "schemas"
    shutil.copytree(schemas.schema_dir(), folder)
    monkeypatch.setattr(schemas, "schema_dir", lambda: folder)
    monkeypatch.setenv("CI", "true")
    dashboard = tree / "build" / "docs" / "index.md"
    said: list[str] = []

    assert rebuild(tree, "internal", said.append), said
    assert "| 现行 |" in dashboard.read_text(encoding="utf-8")

    common = folder / "common.schema.json"
    data = json.loads(common.read_text(encoding="utf-8"))
    data["$defs"]["status"]["x-labels"]["approved"] = "现行有效"
    common.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")

    assert rebuild(tree, "internal", said.append), said
    text = dashboard.read_text(encoding="utf-8")
    assert "| 现行有效 |" in text and "| 现行 |" not in text
