#!/usr/bin/env python3
"""Repository and synthetic districts → site build time, overhead over plain MkDocs, search index size.

    .venv/bin/python bench/bench_site.py [--schools 200] [--runs 2]

For each library: `safeplan build --only site` and a plain `mkdocs build` of the same
generated Markdown, both as fresh processes (what a user or CI runs), and both again
in one warm process (render_site against mkdocs.commands.build). Targets: overhead
< 1.3× and a search index < 5 MB for 200 schools.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from make_district import make_district  # noqa: E402

from safeplan.build import BuildOptions, gather_provenance  # noqa: E402
from safeplan.content.loader import load_library  # noqa: E402
from safeplan.render.site.render_site import render_site, run_mkdocs  # noqa: E402
from safeplan.resolve.views import resolve_all, resolve_district  # noqa: E402
from safeplan.checks.validate import validate  # noqa: E402
from safeplan.content.vocabulary import vocabulary  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENV = {**os.environ, "CI": "1", "NO_MKDOCS_2_WARNING": "1"}


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=ENV, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{' '.join(command)} 失败：\n{result.stderr[-2000:]}")
    return time.perf_counter() - started


def best(runs: int, function) -> float:
    return min(function() for _ in range(runs))


def measure(name: str, root: Path, runs: int) -> dict:
    # fresh processes, as `make build` runs them
    cli = best(runs, lambda: timed([str(BIN / "safeplan"), "--root", str(root), "build", "--only", "site"], root))
    library, problems = load_library(root)
    config = library.site_config.folder / "mkdocs.yml"
    plain_cli = best(runs, lambda: timed([str(BIN / "mkdocs"), "build", "-q", "-f", str(config), "-d",
                                          str(root / "build" / "plain-site")], config.parent))

    # one warm process: the stages on their own
    started = time.perf_counter()
    problems += validate(library)
    views = resolve_all(library)
    district_docs = resolve_district(library)
    provenance = gather_provenance(library, views)
    prepare = time.perf_counter() - started
    notes: list[str] = []
    options = BuildOptions(root=root, only=("site",))
    render = best(runs, lambda: _clock(lambda: render_site(library, views, district_docs, options, notes, provenance, vocabulary())))
    previous = Path.cwd()
    os.chdir(config.parent)  # mkdocs.yml names the dictionary relative to where mkdocs runs
    try:
        plain = best(runs, lambda: _clock(lambda: run_mkdocs(library.site_config, root, root / "build" / "docs", root / "build" / "plain-site", provenance.epoch)))
    finally:
        os.chdir(previous)

    site = root / "build" / "site"
    pages = sum(1 for _ in site.rglob("index.html"))
    index = (site / "search" / "search_index.json").stat().st_size
    size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    shutil.rmtree(root / "build" / "plain-site", ignore_errors=True)
    return {"name": name, "schools": len(library.schools), "pages": pages, "cli": cli, "plain_cli": plain_cli,
            "prepare": prepare, "render": render, "plain": plain, "index": index, "site": size}


def _clock(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, nargs="+", default=[200])
    parser.add_argument("--runs", type=int, default=2, help="runs per measurement; the best is reported")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "repository"
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
        print("测量：仓库 …", file=sys.stderr, flush=True)
        rows.append(measure("repository", clone, args.runs))
        for count in args.schools:
            print(f"测量：{count} 所学校的合成学区 …", file=sys.stderr, flush=True)
            tree = make_district(count, Path(tmp) / f"district-{count}")
            rows.append(measure(f"district-{count}", tree, args.runs))

    print("fresh processes: safeplan build --only site vs mkdocs build of the same pages")
    print(f"{'library':<14} {'schools':>7} {'pages':>6} {'safeplan s':>10} {'mkdocs s':>9} {'ratio':>6}"
          f" {'index MB':>9} {'site MB':>8}")
    for r in rows:
        print(f"{r['name']:<14} {r['schools']:>7} {r['pages']:>6} {r['cli']:>10.2f} {r['plain_cli']:>9.2f}"
              f" {r['cli'] / r['plain_cli']:>5.2f}× {r['index'] / 2**20:>9.2f} {r['site'] / 2**20:>8.1f}")
    print()
    print("one warm process: load+validate+resolve, then render_site (pages + git history + mkdocs) vs mkdocs alone")
    print(f"{'library':<14} {'prepare s':>9} {'render_site s':>13} {'mkdocs s':>9} {'ratio':>6}")
    for r in rows:
        print(f"{r['name']:<14} {r['prepare']:>9.2f} {r['render']:>13.2f} {r['plain']:>9.2f} {r['render'] / r['plain']:>5.2f}×")
    print()
    print("targets: ratio < 1.30×; search index < 5 MB at 200 schools")
    return 0


if __name__ == "__main__":
    sys.exit(main())
