"""Hardening that spans the whole build: the build lock, atomic output, reproducibility, privacy."""

from __future__ import annotations

from conftest import run_cli
from safeplan.render.output import build_lock, staged_directory


def test_second_build_at_once_fails_clearly(tree):
    with build_lock(tree / "build"):
        result = run_cli("--root", str(tree), "build", "--only", "pdf")
    assert result.returncode == 4  # the environment, not the content
    assert "另一个构建正在使用" in result.stderr and "Traceback" not in result.stderr


def test_staged_directory_keeps_the_old_output_when_rendering_fails(tmp_path):
    final = tmp_path / "site"
    with staged_directory(final) as staging:
        (staging / "index.html").write_text("good", encoding="utf-8")
    try:
        with staged_directory(final) as staging:
            (staging / "index.html").write_text("half", encoding="utf-8")
            raise RuntimeError("killed")
    except RuntimeError:
        pass
    assert (final / "index.html").read_text(encoding="utf-8") == "good"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_interrupted_swap_is_completed_on_the_next_run(tmp_path):
    final = tmp_path / "site"
    previous = tmp_path / ".site.previous"
    previous.mkdir()
    (previous / "index.html").write_text("last good", encoding="utf-8")
    (tmp_path / ".site.staging-123").mkdir()  # a killed build's leftovers
    with staged_directory(final) as staging:
        assert (final / "index.html").read_text(encoding="utf-8") == "last good"
        (staging / "index.html").write_text("new", encoding="utf-8")
    assert (final / "index.html").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


# --- whole builds of a small library: privacy, reproducibility, kills -------------------------

import gzip  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import yaml  # noqa: E402

from conftest import edit  # noqa: E402
from safeplan.checks.privacy import is_id_card  # noqa: E402

EPOCH = {"SOURCE_DATE_EPOCH": "1788220800"}  # 2026-09-01
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
ID_LIKE = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")


def build(tree: Path, *args: str, env: dict | None = None, **popen) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("safeplan")
    return subprocess.run([str(exe), "--root", str(tree), "build", *args], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "CI": "1", **EPOCH, **(env or {})}, **popen)


def leaky_tree(tree: Path) -> Path:
    """Make sure personal numbers reach the body of a plan, so a redaction gap would show."""
    edit(tree / "plans/school/special/fire.md", "最近医院为",
         "校长手机 {{ school.organisation.principal.mobile }}，安全办电话 {{ school.organisation.safety_officer.office_phone | default('无') }}；最近医院为")
    return tree


def personal_numbers(tree: Path) -> set[str]:
    """People's own numbers; a unit's duty line that a person also answers stays public."""
    numbers, units = set(), set()
    for path in [tree / "district.yaml", *sorted((tree / "schools").glob("*.yaml"))]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for person in list(data["organisation"].values()):
            numbers |= {str(person[key]) for key in ("mobile", "office_phone") if key in person}
        for group in ("contacts", "external"):
            for unit in (data.get(group) or {}).values():
                units |= {str(u["phone"]) for u in (unit if isinstance(unit, list) else [unit])}
        units |= {str(data["office"]["phone"])} if "office" in data else set()
    return numbers - units


def output_texts(tree: Path):
    """(file, text) for every file of the built output, PDFs through pdftotext, gzip opened."""
    for path in sorted((tree / "build").rglob("*")):
        if not path.is_file() or "cache" in path.relative_to(tree / "build").parts or path.name == ".lock":
            continue
        if path.suffix == ".pdf":
            text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
        else:
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            text = data.decode("utf-8", "replace")
        yield path, text


def test_public_build_publishes_no_personal_numbers(tree):
    leaky_tree(tree)
    internal = build(tree)
    assert internal.returncode == 0, internal.stderr
    numbers = personal_numbers(tree)
    leaked_internal = {n for _, text in output_texts(tree) for n in numbers if n in text}
    assert leaked_internal, "the internal build shows personal numbers, so the scan can find them"

    public = build(tree, "--audience", "public")
    assert public.returncode == 0, public.stderr
    scanned = 0
    for path, text in output_texts(tree):
        scanned += 1
        compact = re.sub(r"\s+", "", text)
        assert not [n for n in numbers if n in text or n in compact], path
        assert not MOBILE.findall(compact), (path, MOBILE.findall(compact)[:3])
        assert not [m for m in ID_LIKE.findall(compact) if is_id_card(m)], path
    assert scanned > 20 and any(p.suffix == ".pdf" for p, _ in output_texts(tree))


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_builds_are_identical(tree, tmp_path):
    first = build(tree)
    assert first.returncode == 0, first.stderr
    site, pdf = digest(tree / "build" / "site"), digest(tree / "build" / "pdf")
    other = tmp_path / "again"
    subprocess.run(["cp", "-r", str(tree), str(other)], check=True)
    subprocess.run(["rm", "-rf", str(other / "build")], check=True)
    second = build(other)
    assert second.returncode == 0, second.stderr
    assert digest(other / "build" / "site") == site
    assert digest(other / "build" / "pdf") == pdf
    assert any(name.endswith(".pdf") for name in pdf) and "index.html" in site


def test_killed_builds_leave_the_last_good_output(tree):
    good = build(tree)
    assert good.returncode == 0, good.stderr
    edit(tree / "schools/small-village-primary.yaml", "name: 武进区样例村小", "name: 武进区样例村小（改）")
    exe = Path(sys.executable).with_name("safeplan")
    started = time.monotonic()
    full = build(tree)  # how long a rebuild takes, to pick kill points inside it
    duration = time.monotonic() - started
    assert full.returncode == 0
    edit(tree / "schools/small-village-primary.yaml", "（改）", "（再改）")
    rng = random.Random(7)
    for attempt in range(6):
        process = subprocess.Popen([str(exe), "--root", str(tree), "build"], start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env={**os.environ, "CI": "1", **EPOCH})
        time.sleep(rng.uniform(0.05, duration * 0.9))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        index = tree / "build" / "site" / "index.html"
        assert index.is_file(), f"attempt {attempt}: the site disappeared"
        manifest = json.loads((tree / "build" / "pdf" / "manifest.json").read_text(encoding="utf-8"))
        for bundle in manifest["bundles"]:
            data = (tree / "build" / "pdf" / bundle["file"]).read_bytes()
            assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF"), f"attempt {attempt}: torn PDF"
            check = subprocess.run(["qpdf", "--check", str(tree / "build" / "pdf" / bundle["file"])], capture_output=True)
            assert check.returncode == 0, f"attempt {attempt}: {bundle['file']} is damaged"
    final = build(tree)
    assert final.returncode == 0, final.stderr
    assert "（再改）" in (tree / "build" / "site" / "index.html").read_text(encoding="utf-8") or any(
        "（再改）" in p.read_text(encoding="utf-8") for p in (tree / "build" / "site").rglob("*.html"))
    leftovers = [p.name for p in (tree / "build").iterdir() if p.name.startswith(".") and p.name != ".lock"]
    assert leftovers == [], leftovers
