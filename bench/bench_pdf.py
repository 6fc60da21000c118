#!/usr/bin/env python3
"""Synthetic district → PDF build table (every edition): full build, no-change, one-school and template-edit rebuilds, raw WeasyPrint.

Runs the real CLI (`safeplan build --only pdf`) on a district made by make_district.py,
committed to a fresh git repository, and measures in the same run single-process raw
WeasyPrint on the HTML of one of its bundles (a reference document of the same length).
The CLI runs from a copy of the package, so the template-edit row can edit a template
without touching the working tree.

    .venv/bin/python bench/bench_pdf.py [--schools 200] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from make_district import make_district  # noqa: E402

PACKAGE = Path(__file__).resolve().parents[1] / "scripts" / "safeplan"
# forms pack cover only: a template edit that changes one edition of every school and nothing else
TEMPLATE_EDIT = ("forms.html.j2", '<p class="issuer">', '<p class="issuer">（模板已修改）')
GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
           "GIT_AUTHOR_DATE": "2026-09-01T08:00:00+08:00", "GIT_COMMITTER_DATE": "2026-09-01T08:00:00+08:00"}


class TreeSampler:
    """Samples memory and CPU time of a process and all its descendants from /proc.

    Workers are forked by a fork server, so rusage of waited-for children misses them.
    """

    TICKS = os.sysconf("SC_CLK_TCK")

    def __init__(self, pid: int):
        self.pid, self.peak_total, self.peak_single, self._stop = pid, 0, 0, threading.Event()
        self.cpu: dict[int, float] = {}  # pid → last seen user + system seconds
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            sizes = [rss for _, rss in self._tree(self.pid)]
            if sizes:
                self.peak_total = max(self.peak_total, sum(sizes))
                self.peak_single = max(self.peak_single, max(sizes))
            time.sleep(0.1)

    def _tree(self, pid: int):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            children = [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
                        for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            return
        self.cpu[pid] = (int(stat[11]) + int(stat[12])) / self.TICKS  # utime + stime
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        if found:
            yield pid, int(found.group(1)) * 1024
        for child in children:
            yield from self._tree(child)


def safeplan_build(root: Path, jobs: int, package: Path) -> dict:
    env = {**os.environ, "CI": "1", "PYTHONPATH": str(package.parent)}
    env.pop("SOURCE_DATE_EPOCH", None)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "safeplan.cli", "--root", str(root), "build", "--only", "pdf",
                                "--jobs", str(jobs)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    with TreeSampler(process.pid) as sampler:
        out, err = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"safeplan build failed ({process.returncode}):\n{out}\n{err}")
    rendered, laid_out = re.search(r"重新生成 (\d+) 份", out), re.search(r"重新排版 (\d+) 个文件", out)
    return {"wall": wall, "rendered": int(rendered.group(1)) if rendered else -1,
            "laid_out": int(laid_out.group(1)) if laid_out else -1, "cpu": sampler.cpu_seconds,
            "peak_total": sampler.peak_total, "peak_single": sampler.peak_single, "stdout": out}


def raw_weasyprint(root: Path) -> tuple[int, float, float]:
    """Single-process WeasyPrint on the HTML of the district's first bundle: (pages, wall s, CPU s)."""
    import weasyprint

    from safeplan.render.pdf.bundle_html import BundleMeta, bundle_html
    from safeplan.content.loader import load_library
    from safeplan.render.pdf.fonts import font_stacks, trimmed
    from safeplan.render.pdf.render_pdf import stack_faces
    from safeplan.resolve.views import resolve_school

    library, _ = load_library(root)
    school = sorted(library.schools, key=lambda s: s.id)[0]
    stacks = font_stacks(library.config)  # the same HTML as the build's, trimmed faces included
    meta = BundleMeta("2026-09-01", "0" * 10, "bench", fonts=stacks, trimmed=trimmed(stack_faces(stacks)))
    html = bundle_html(resolve_school(library, school), meta)
    started, cpu = time.perf_counter(), time.process_time()
    document = weasyprint.HTML(string=html).render()
    document.write_pdf()
    return len(document.pages), time.perf_counter() - started, time.process_time() - cpu


def _changed(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before.keys() | after.keys()
                  if before.get(name) != after.get(name) and not name.startswith("manifest"))


def _stamps(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Each file's (inode, size, mtime): a file re-linked or rewritten changes at least one."""
    return {p.name: (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "code" / "scripts" / "safeplan"  # beside its schemas, as in the repository
        shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(PACKAGE.parents[1] / "schemas", Path(tmp) / "code" / "schemas")
        root = make_district(args.schools, Path(tmp) / "district")
        for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench district"]):
            subprocess.run(["git", *command], cwd=root, check=True, env={**os.environ, **GIT_ENV})

        full = safeplan_build(root, args.jobs, package)
        manifest = json.loads((root / "build/pdf/manifest.json").read_text(encoding="utf-8"))["bundles"]
        files = [e for b in manifest for e in b.get("editions") or [b]]  # every edition is laid out and written
        pages = sum(e["pages"] for e in files)
        sizes = [b["bytes"] for b in manifest]
        per_page = {name: [e["bytes"] / e["pages"] for e in files if e.get("edition", "full") == name]
                     for name in dict.fromkeys(e.get("edition", "full") for e in files)}
        again = safeplan_build(root, args.jobs, package)

        school = sorted(root.glob("schools/*.yaml"))[len(manifest) // 2]
        text = school.read_text(encoding="utf-8")
        edited_text = re.sub(r"^address: (.+)$", r"address: \1（门牌已更新）", text, count=1, flags=re.M)
        assert edited_text != text, f"no address line in {school}"
        school.write_text(edited_text, encoding="utf-8")
        before = _stamps(root / "build/pdf")
        edited = safeplan_build(root, args.jobs, package)
        after = _stamps(root / "build/pdf")
        changed = _changed(before, after)

        template_name, old, new = TEMPLATE_EDIT
        template = package / "render/pdf/templates" / template_name
        assert old in template.read_text(encoding="utf-8"), f"{old} not in {template}"
        template.write_text(template.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        templated = safeplan_build(root, args.jobs, package)
        touched = _changed(after, _stamps(root / "build/pdf"))
        forms = sum(1 for e in files if e.get("edition") == "forms")
        raw_pages, raw_seconds, raw_cpu = raw_weasyprint(root)
        load = os.getloadavg()[1]

    ours = pages / full["wall"]
    raw = raw_pages / raw_seconds
    mb = 1024 * 1024
    rows = [
        ("full build: bundles", f"{len(manifest)}", ""),
        ("full build: wall", f"{full['wall']:.1f} s", ""),
        ("full build: pages (all editions), pages/s", f"{pages} pages, {ours:.1f} pages/s", ""),
        ("full build: CPU time, pages per CPU second", f"{full['cpu']:.0f} s, {pages / full['cpu']:.1f}", ""),
        ("full build: pages per school (4 editions)", f"{pages / len(manifest):.0f}", ""),
        ("full build: peak memory (process tree / largest process)",
         f"{full['peak_total'] / mb:.0f} MB / {full['peak_single'] / mb:.0f} MB", "flat"),
        ("size per bundle (mean / max)", f"{sum(sizes) / len(sizes) / mb:.2f} MB / {max(sizes) / mb:.2f} MB", ""),
        ("rebuild, nothing changed", f"{again['wall']:.1f} s, {again['rendered']} re-rendered", "0 re-rendered"),
        ("rebuild after editing one school", f"{edited['wall']:.1f} s, {edited['rendered']} re-rendered, "
         f"{edited['laid_out']} files laid out", "1 re-rendered, < 15 s"),
        (f"raw WeasyPrint, 1 process, same HTML ({raw_pages} pages)",
         f"{raw:.1f} pages/s ({raw_pages / raw_cpu:.1f} per CPU s)", ""),
        ("files rewritten by the one-school edit (others keep inode, size, mtime)",
         f"{len(changed)}: {' '.join(changed)[:60]}", "that school's editions only"),
        (f"rebuild after a template edit ({template_name}: forms cover)",
         f"{templated['wall']:.1f} s, {templated['laid_out']} files laid out, {len(touched)} rewritten",
         f"{forms} forms packs only, of {len(files)} files"),
        *((f"size per page, {name} edition (mean / max)", f"{sum(v) / len(v) / 1024:.1f} KB / {max(v) / 1024:.1f} KB",
           "≤ 25 KB") for name, v in per_page.items()),
        (f"ours with {args.jobs} jobs ÷ raw", f"{ours / raw:.2f}×", "≥ 1.8× with 2 jobs (2.0× is the limit on 2 cores)"),
        ("pages per CPU second: ours ÷ raw", f"{pages / full['cpu'] / (raw_pages / raw_cpu):.2f}×",
         "what 2 free cores would make of it: × 2"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"PDF bundles: {args.schools} schools, --jobs {args.jobs}, {os.cpu_count()} cores, "
          f"load average over the last 5 min {load:.1f} (other work on the machine skews wall times)")
    print(f"{'measure':<{width}}  {'result':<36}  target")
    for measure, result, target in rows:
        print(f"{measure:<{width}}  {result:<36}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
