#!/usr/bin/env python3
"""Synthetic districts in git → time of `safeplan check` and `safeplan diff` at each size, and how they grow.

Three changes on a branch: one school's assembly point, a plan that applies to every
school (template), and the district's duty phone (district.yaml), which changes every
bundle. `diff` includes writing the pull-request comment. Each time is the best of
--repeat runs, as other work on the machine only ever adds time. The last rows give
the ratio of the largest size to the smallest: linear growth is the ratio of the sizes
(10 for 200 → 2000), less is better.

    .venv/bin/python bench/bench_workflow.py [--sizes 200 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from make_district import make_district  # noqa: E402

from safeplan.review import codeowners  # noqa: E402
from safeplan.review.compare import compare  # noqa: E402
from safeplan.diff_report import as_markdown  # noqa: E402
from safeplan.content.loader import load_library  # noqa: E402
from safeplan.review.semdiff import semantic_diff  # noqa: E402
from safeplan.review.workflow import check_against  # noqa: E402

ENV = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.invalid",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@example.invalid"}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=ENV)


def school_edit(root: Path) -> None:
    school = sorted((root / "schools").glob("*.yaml"))[0]
    text = school.read_text(encoding="utf-8")
    school.write_text(re.sub(r"(assembly_points:\n  - \{id: [a-z0-9-]+, name: )", r"\1新", text, count=1), encoding="utf-8")


def template_edit(root: Path) -> None:
    plan = root / "plans/school/special/fire.md"
    text = plan.read_text(encoding="utf-8").replace("\n## 处置措施\n", "\n## 处置措施\n\n（基准测试加的一行。）\n", 1)
    plan.write_text(text, encoding="utf-8")


def district_edit(root: Path) -> None:
    district = root / "district.yaml"
    text = district.read_text(encoding="utf-8")
    district.write_text(re.sub(r'(\n  phone: ")[0-9-]+"', r'\g<1>0519-86000999"', text, count=1), encoding="utf-8")


CHANGES = (("one school", school_edit), ("template", template_edit), ("district", district_edit))


def measure(root: Path, change, repeat: int) -> tuple[float, float, int]:
    git(root, "checkout", "-q", "-B", "change", "main")
    change(root)
    check_times, diff_times = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        check_against(root, "main")
        checked = time.perf_counter()
        found = compare(root, "main")
        diff = semantic_diff(found.base, found.head, found.pairs, "main", found.base_sha, found.head_label)
        as_markdown(diff)
        check_times.append(checked - started)
        diff_times.append(time.perf_counter() - checked)
    git(root, "checkout", "-q", "--", ".")
    return min(check_times), min(diff_times), len(diff.schools)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is shown")
    args = parser.parse_args(argv)
    print(f"{'schools':>8} {'change':<10} {'check s':>8} {'diff s':>7} {'affected':>9}", flush=True)
    times: dict[tuple[int, str], tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            root = make_district(size, Path(tmp) / f"district-{size}")
            git(root, "init", "-q", "-b", "main")
            codeowners.write(load_library(root)[0])
            git(root, "add", "-A")
            git(root, "commit", "-q", "-m", "bench")
            for name, change in CHANGES:
                check_s, diff_s, affected = measure(root, change, args.repeat)
                times[size, name] = check_s, diff_s
                print(f"{size:>8} {name:<10} {check_s:>8.2f} {diff_s:>7.2f} {affected:>9}", flush=True)
    small, large = min(args.sizes), max(args.sizes)
    if small != large:
        print(f"{large}/{small}: sizes ×{large / small:.0f}")
        for name, _ in CHANGES:
            (c0, d0), (c1, d1) = times[small, name], times[large, name]
            print(f"{'':>8} {name:<10} {c1 / c0:>7.1f}× {d1 / d0:>6.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
