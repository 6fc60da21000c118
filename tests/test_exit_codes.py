"""Renderers return problems instead of raising, and report.EXIT_FOR alone turns problems and exceptions
into exit codes: missing fonts are the environment's (4), a ValueError inside a build is a bug (3)."""

from __future__ import annotations

import pytest

from safeplan import cli
from safeplan.build import BuildOptions, build
from safeplan.problems import ERROR, Problem
from safeplan.render.pdf import render_pdf
from safeplan.report import EXIT_ENVIRONMENT, EXIT_INTERNAL, EXIT_OK, EXIT_PROBLEMS, exit_code, exit_for


def problem(rule: str, severity: str = ERROR) -> Problem:
    return Problem("build/pdf", 1, 1, severity, rule, "消息", "提示")


def test_problems_pick_their_exit_code_from_the_table():
    assert exit_code([]) == EXIT_OK
    assert exit_code([problem("schema")]) == EXIT_PROBLEMS
    assert exit_code([problem("schema"), problem("fonts-missing")]) == EXIT_ENVIRONMENT
    assert exit_code([problem("fonts-missing", "warning")]) == EXIT_OK
    assert exit_code([problem("fonts-missing", "warning")], strict=True) == EXIT_ENVIRONMENT


def test_missing_fonts_are_a_problem_in_the_build_result_not_an_exception(tree, monkeypatch):
    monkeypatch.setattr(render_pdf, "FACES", (("Safeplan Nonexistent Serif", "regular"),))
    monkeypatch.setenv("CI", "true")
    render_pdf.bundle_faces.cache_clear()
    try:
        result = build(BuildOptions(root=tree, only=("pdf",), jobs=1))
    finally:
        render_pdf.bundle_faces.cache_clear()
    assert [p.rule for p in result.problems if p.severity == ERROR] == ["fonts-missing"]
    assert exit_code(result.problems) == EXIT_ENVIRONMENT
    assert result.written == [] and not (tree / "build" / "pdf").exists()
    assert not isinstance(render_pdf.FontsMissing("x"), ValueError)
    assert exit_for(render_pdf.FontsMissing("x")) == EXIT_ENVIRONMENT


@pytest.mark.parametrize("bug", [ValueError("bad value"), KeyError("key")])
def test_a_value_error_inside_a_build_is_an_internal_error_in_chinese(tree, monkeypatch, capsys, bug):
    import safeplan.build

    def broken(library, views):
        raise bug
    monkeypatch.setattr(safeplan.build, "gather_provenance", broken)
    monkeypatch.delenv("SAFEPLAN_DEBUG", raising=False)
    assert cli.main(["--root", str(tree), "build", "--only", "site"]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "内部错误" in err and "工具的缺陷" in err and type(bug).__name__ in err
