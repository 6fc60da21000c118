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

    def pages() -> str:
        return "".join(page.read_text(encoding="utf-8") for page in sorted((tree / "build" / "docs").rglob("*.md")))

    assert rebuild(tree, "internal", said.append), said
    assert "| [现行](" in dashboard.read_text(encoding="utf-8")  # the status column, linking its list
    assert "校长姓名" in pages() and "园长兼校长姓名" not in pages()  # a template's placeholder, from the school schema

    edit_schema(folder / "common.schema.json", lambda data: data["$defs"]["status"]["x-labels"].update(approved="现行有效"))
    edit_schema(folder / "school.schema.json", lambda data: data["properties"]["organisation"]["properties"]["principal"]
                .update(description="园长兼校长，应急领导小组组长、总指挥。"))

    assert rebuild(tree, "internal", said.append), said
    text = dashboard.read_text(encoding="utf-8")
    assert "| [现行有效](" in text and "| [现行](" not in text
    assert "园长兼校长姓名" in pages()


def edit_schema(path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
