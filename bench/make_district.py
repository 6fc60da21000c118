#!/usr/bin/env python3
"""Repository library → a synthetic district of N schools, for benchmarks.

Copies the district's documents as they are and makes N schools by cycling
through the repository's sample schools, giving each copy its own id, name and
owners. The result validates whenever the repository does.

    python bench/make_district.py --schools 200 --out /tmp/district-200
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COPIED = ("district.yaml", "safeplan.yaml", "workflow.yaml", "mkdocs.yml", "plans", "checklists", "drills", "cards", "notes", "site-assets")


def make_district(schools: int, out: Path, source: Path = REPO) -> Path:
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in COPIED:
        path = source / name
        if path.is_dir():
            shutil.copytree(path, out / name)
        elif path.is_file():
            shutil.copy2(path, out / name)
    templates = sorted((source / "schools").glob("*.yaml"))
    if not templates:
        raise SystemExit(f"{source}/schools 中没有样例学校可以复制")
    (out / "schools").mkdir()
    width = len(str(schools))
    for index in range(schools):
        template = templates[index % len(templates)]
        text = template.read_text(encoding="utf-8")
        old_id = template.stem
        new_id = f"{old_id[: 60 - width]}-{index + 1:0{width}d}"
        text = re.sub(rf"^id: {re.escape(old_id)}$", f"id: {new_id}", text, count=1, flags=re.M)
        text = re.sub(r"^name: (.+)$", lambda m: f"name: {m.group(1)}（合成{index + 1}）", text, count=1, flags=re.M)
        # owner ids and handles must stay unique per school for CODEOWNERS
        text = re.sub(r"(id: |handle: \"?@)([a-z][a-z0-9-]*)(-principal|-safety)\b",
                      lambda m: f"{m.group(1)}{m.group(2)}-{index + 1}{m.group(3)}", text)
        (out / "schools" / f"{new_id}.yaml").write_text(text, encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    make_district(args.schools, args.out)
    print(f"{args.out}: {args.schools} 所学校")
    return 0


if __name__ == "__main__":
    sys.exit(main())
