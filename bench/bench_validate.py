#!/usr/bin/env python3
"""Synthetic districts → validation throughput table (files/s) at 200 and 2,000 schools.

    .venv/bin/python bench/bench_validate.py [--sizes 200 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from make_district import make_district  # noqa: E402

from safeplan.content.loader import load_library  # noqa: E402
from safeplan.checks.validate import validate  # noqa: E402


def measure(schools: int, workdir: Path) -> tuple[int, float, float, int, float]:
    tree = make_district(schools, workdir / f"district-{schools}")
    started = time.perf_counter()
    library, problems = load_library(tree)
    loaded = time.perf_counter()
    problems += validate(library)
    finished = time.perf_counter()
    errors = sum(1 for p in problems if p.severity == "error")
    # memory in a second pass: tracemalloc slows Python down several times, so it must not touch the timing
    tracemalloc.start()
    validate(load_library(tree)[0])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return len(library.documents), loaded - started, finished - started, errors, peak / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000])
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            files, load_s, total_s, errors, peak = measure(size, Path(tmp))
            rows.append((size, files, load_s, total_s, files / total_s, total_s / size * 1000, errors, peak))
    print(f"{'schools':>8} {'files':>6} {'load s':>7} {'total s':>8} {'files/s':>8} {'ms/school':>10} {'errors':>6} {'peak MiB':>9}")
    for size, files, load_s, total_s, rate, per_school, errors, peak in rows:
        print(f"{size:>8} {files:>6} {load_s:>7.2f} {total_s:>8.2f} {rate:>8.0f} {per_school:>10.2f} {errors:>6} {peak:>9.1f}")
    if len(rows) > 1:
        (s0, *_, t0, _, _, _, _), (s1, *_, t1, _, _, _, _) = rows[0], rows[-1]
        print(f"scaling: {s1 / s0:.1f}× schools took {t1 / t0:.2f}× time (linear = {s1 / s0:.1f}×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
