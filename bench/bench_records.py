#!/usr/bin/env python3
"""A 200-school district with a year of records → validate and monthly-report times, with and without the records.

About 50 hazards and 12 drills per school by default (bench/make_records.py); prints one table.

    .venv/bin/python bench/bench_records.py [--schools 200] [--hazards 50]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from make_district import make_district  # noqa: E402
from make_records import make_records  # noqa: E402

from safeplan.checks.library_check import check_library  # noqa: E402
from safeplan.content.hazard_columns import hazard_columns  # noqa: E402
from safeplan.content.schemas import schema_for  # noqa: E402
from safeplan.render.records.workbook import report_workbook  # noqa: E402
from safeplan.resolve.records import Month, hazard_month  # noqa: E402


def timed(function):
    started = time.perf_counter()
    value = function()
    return value, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--hazards", type=int, default=50, help="hazards per school")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tree = make_district(args.schools, Path(tmp) / "district")
        shutil.rmtree(tree / "records", ignore_errors=True)
        (library, problems), plain = timed(lambda: check_library(tree))
        records = make_records(tree, hazards=args.hazards, until=date(2026, 11, 30))
        (library, problems), full = timed(lambda: check_library(tree))
        errors = sum(1 for p in problems if p.severity == "error")
        month = Month(2026, 11)
        months, tally = timed(lambda: [hazard_month(library, s, month, as_of=date(2026, 12, 1)) for s in library.schools])
        categories = schema_for("checklist")["properties"]["areas"]["items"]["enum"]
        workbook, write = timed(lambda: report_workbook(months, hazard_columns(), categories))
    print(f"{'measure':<42} {'value':>10}")
    rows = [
        ("schools", f"{args.schools}"), ("records (hazards, drills, incidents)", f"{records}"),
        ("validate without records, s", f"{plain:.2f}"), ("validate with records, s", f"{full:.2f}"),
        ("records' share of validate time", f"{(full - plain) / full:.0%}"), ("errors", f"{errors}"),
        ("monthly figures for every school, s", f"{tally:.2f}"), ("report workbook written, s", f"{write:.2f}"),
        ("report workbook size, KB", f"{len(workbook) / 1024:.0f}"),
    ]
    for name, value in rows:
        print(f"{name:<42} {value:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
