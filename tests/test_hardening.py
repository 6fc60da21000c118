"""Hardening that spans the whole build: the build lock, atomic output, privacy.

Crash points are tested deterministically in test_atomic_output.py (a failure or kill at every step);
reproducibility in test_pdf.py and test_site.py, on builds their fixtures already made."""

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
import re  # noqa: E402
import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

import yaml  # noqa: E402

from conftest import edit  # noqa: E402
from safeplan.checks.privacy import is_id_card  # noqa: E402

EPOCH = "1788220800"  # SOURCE_DATE_EPOCH: 2026-09-01
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
ID_LIKE = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")


def build(tree: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli("--root", str(tree), "build", *args)


def leaky_tree(tree: Path) -> Path:
    """Make sure personal numbers reach the body of a plan (school data, in the bundles) and of a note
    (district data, on the site), so a redaction gap would show."""
    from test_site import CONTACTS_NOTE

    edit(tree / "plans/school/special/fire.md", "最近医院为",
         "校长手机 {{ school.organisation.principal.mobile }}，安全办电话 {{ school.organisation.safety_officer.office_phone | default('无') }}；最近医院为")
    (tree / "notes" / "bureau-contacts.md").write_text(CONTACTS_NOTE, encoding="utf-8")
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


def test_public_build_publishes_no_personal_numbers(tree, monkeypatch):
    monkeypatch.setenv("CI", "1")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    leaky_tree(tree)
    internal = build(tree, "--school", "small-village-primary")  # the control needs one bundle, not all
    assert internal.returncode == 0, internal.stderr
    numbers = personal_numbers(tree)
    leaked_internal = {path.suffix for path, text in output_texts(tree) if any(n in re.sub(r"\s+", "", text) for n in numbers)}
    assert {".pdf", ".html"} <= leaked_internal, f"the scan finds personal numbers in the internal build: {leaked_internal}"

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
