"""Hardening that spans the whole build: the build lock, atomic output, reproducibility, privacy."""

from __future__ import annotations

from conftest import run_cli
from safeplan.output import build_lock, staged_directory


def test_second_build_at_once_fails_clearly(tree):
    with build_lock(tree / "build"):
        result = run_cli("--root", str(tree), "build", "--only", "pdf")
    assert result.returncode == 1
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
