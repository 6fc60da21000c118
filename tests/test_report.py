"""Problems → the code hosts' formats: exact output for a fixed list, and the real CLI on a real tree."""

from __future__ import annotations

import hashlib
import json

from conftest import edit, run_cli
from safeplan.problems import Problem
from safeplan.report import render

PROBLEMS = [
    Problem("plans/school/special/fire.md", 7, 1, "error", "version-bump",
            "内容有修改，但版本号没有升高（原 1.0，现 1.0）。", "把 version 改为 \"1.1\"：并加修订记录。"),
    Problem("notes/a,b:c.md", 3, 5, "warning", "next-review", "复审日期已过 100%。\n第二行\r末尾", ""),
    Problem("notes/a,b:c.md", 9, 2, "warning", "next-review", "复审日期已过 100%。\n第二行\r末尾", ""),
]


def test_github_annotations_escape_data_and_properties():
    assert render(PROBLEMS, 2, "github") == (
        "::error file=plans/school/special/fire.md,line=7,col=1,title=version-bump::"
        "内容有修改，但版本号没有升高（原 1.0，现 1.0）。%0A提示：把 version 改为 \"1.1\"：并加修订记录。\n"
        "::warning file=notes/a%2Cb%3Ac.md,line=3,col=5,title=next-review::复审日期已过 100%25。%0A第二行%0D末尾\n"
        "::warning file=notes/a%2Cb%3Ac.md,line=9,col=2,title=next-review::复审日期已过 100%25。%0A第二行%0D末尾\n"
        "检查了 2 个文件：1 个错误，2 个警告。\n"
    )


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]


def test_gitlab_code_quality_report():
    report = json.loads(render(PROBLEMS, 2, "gitlab"))
    message = "复审日期已过 100%。 第二行\r末尾"
    assert report == [
        {"description": "内容有修改，但版本号没有升高（原 1.0，现 1.0）。 提示：把 version 改为 \"1.1\"：并加修订记录。",
         "check_name": "version-bump",
         "fingerprint": _fingerprint("plans/school/special/fire.md", "version-bump", PROBLEMS[0].message, "1"),
         "severity": "critical",
         "location": {"path": "plans/school/special/fire.md", "lines": {"begin": 7}}},
        {"description": message, "check_name": "next-review",
         "fingerprint": _fingerprint("notes/a,b:c.md", "next-review", PROBLEMS[1].message, "1"),
         "severity": "minor", "location": {"path": "notes/a,b:c.md", "lines": {"begin": 3}}},
        {"description": message, "check_name": "next-review",
         "fingerprint": _fingerprint("notes/a,b:c.md", "next-review", PROBLEMS[1].message, "2"),
         "severity": "minor", "location": {"path": "notes/a,b:c.md", "lines": {"begin": 9}}},
    ]


def test_gitlab_fingerprint_survives_moved_lines_and_tells_duplicates_apart():
    moved = [Problem(p.path, p.line + 4, p.column, p.severity, p.rule, p.message, p.hint) for p in PROBLEMS]
    before = [i["fingerprint"] for i in json.loads(render(PROBLEMS, 2, "gitlab"))]
    after = [i["fingerprint"] for i in json.loads(render(moved, 2, "gitlab"))]
    assert before == after and len(set(before)) == 3


def test_empty_reports():
    assert render([], 3, "github") == "检查了 3 个文件，没有发现问题。\n"
    assert render([], 3, "gitlab") == "[]\n"


def test_validate_on_a_real_tree_in_host_formats(tree):
    edit(tree / "schools/small-village-primary.yaml", "name: 操场中央", "name: 操场中央\n    bogus: 1")
    text = run_cli("validate", cwd=tree)
    github = run_cli("validate", "--format", "github", cwd=tree)
    gitlab = run_cli("validate", "--format", "gitlab", cwd=tree)
    assert text.returncode == github.returncode == gitlab.returncode == 1
    located, message = text.stdout.splitlines()[0].split(": error[", 1)
    path, line, column = located.split(":")
    rule, message = message.split("]: ", 1)
    assert github.stdout.splitlines()[0].startswith(
        f"::error file={path},line={line},col={column},title={rule}::{message}%0A提示：")
    assert github.stdout.splitlines()[-1] == text.stdout.splitlines()[-1]
    issue = json.loads(gitlab.stdout)[0]
    assert (issue["location"], issue["check_name"], issue["severity"]) == (
        {"path": path, "lines": {"begin": int(line)}}, rule, "critical")
    assert issue["description"].startswith(message + " 提示：")
