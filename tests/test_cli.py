"""The `safeplan` command: exact output and exit codes, in-process (run_cli) and, for the smoke tests,
through the installed console script (run_script)."""

from __future__ import annotations

import json

from conftest import edit, run_cli, run_script


def test_validate_clean_tree(tree):
    result = run_cli("--root", str(tree), "validate")
    assert (result.returncode, result.stdout, result.stderr) == (0, "检查了 8 个文件，没有发现问题。\n", "")


def test_validate_finds_the_root_from_the_working_directory(tree):
    result = run_cli("validate", cwd=tree / "plans")
    assert result.returncode == 0 and "8 个文件" in result.stdout


def test_validate_broken_file_exact_output(tree):
    edit(tree / "schools/small-village-primary.yaml", "kind: 小学", "kind: 中学")
    (tree / "checklists/fire-safety.yaml").write_bytes("id: fire-safety\ntitle: 消防\n".encode("gbk"))
    result = run_cli("--root", str(tree), "validate")
    assert result.returncode == 1
    assert result.stderr == ""
    assert result.stdout == (
        "checklists/fire-safety.yaml:2:8: error[load]: 文件不是 UTF-8 编码。文件看起来是 GBK/GB18030 编码。\n"
        "  提示：请用编辑器“另存为 UTF-8”（记事本：另存为 → 编码选 UTF-8；VS Code：右下角编码 → 通过编码保存 → UTF-8）。\n"
        "plans/school/special/fire.md:20:16: error[references]: 引用的文档“fire-safety”不存在。\n"
        "  提示：检查编号拼写；现有的排查清单编号见 checklists/ 目录下各文件的 id。\n"
        "schools/small-village-primary.yaml:5:1: error[schema]: kind 的值“中学”不在允许范围内。\n"
        "  提示：可选值：幼儿园、小学、初中、高中、九年一贯制、完全中学、特殊教育、职业学校。\n"
        "检查了 8 个文件：3 个错误，0 个警告。\n"
    )


def test_validate_json_is_the_same_as_data(tree):
    edit(tree / "schools/small-village-primary.yaml", "video_linked: true", "video_linked: false")
    result = run_cli("--root", str(tree), "validate", "--format", "json")
    assert result.returncode == 0
    payload = json.loads(result.stdout)
    assert payload["errors"] == 0 and payload["warnings"] == 1 and payload["files"] == 8
    assert payload["problems"] == [{
        "path": "schools/small-village-primary.yaml", "line": 10, "column": 120, "severity": "warning",
        "rule": "three-100", "message": "“三个100%”未达标：重要部位视频监控联网。",
        "hint": "落实后把此项改为 true；整改期间在隐患清单中登记。",
    }]


def test_strict_makes_warnings_fatal(tree):
    edit(tree / "schools/small-village-primary.yaml", "video_linked: true", "video_linked: false")
    assert run_cli("--root", str(tree), "validate").returncode == 0
    assert run_cli("--root", str(tree), "validate", "--strict").returncode == 1


def test_usage_errors_exit_2(tree):
    assert run_cli("--root", str(tree), "validate", "--format", "xml").returncode == 2
    unknown = run_script("frobnicate")  # the console script's own exit status
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr and "Traceback" not in unknown.stderr
    missing = run_cli("--root", str(tree / "nope"), "validate")
    assert missing.returncode == 2 and missing.stderr.startswith("safeplan: 内容目录不存在")


def test_list_rules_lists_validate_and_check_rules(tree):
    from safeplan.checks import validate
    from safeplan.review import workflow

    result = run_cli("validate", "--list-rules")
    lines = result.stdout.splitlines()
    assert (result.returncode, result.stderr, lines[0]) == (0, "", "规则\t默认\t可选\t说明")
    assert "schema\terror\terror\t文件符合 JSON Schema" in lines
    assert "three-100\twarning\terror,warning,off\t“三个100%”安防设施达标" in lines
    assert "id-card-number\terror\terror\t内容中不出现居民身份证号码（含全角、带空格、HTML 实体和 15 位的写法）" in lines
    assert "version-bump\terror\terror\t现行文档的内容修改有更高的版本号和对应的修订记录" in lines
    assert sorted(line.split("\t")[0] for line in lines[1:]) == sorted([*validate.RULES, *workflow.RULES])


def test_no_traceback_on_hostile_yaml(tree):
    (tree / "schools/bomb.yaml").write_text("a: &a [x, x]\nb: [*a, *a]\n", encoding="utf-8")
    result = run_script("--root", str(tree), "validate")
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert "schools/bomb.yaml:2:5: error[load]" in result.stdout


def test_readme_lists_the_exit_codes_of_report():
    """README's table of exit codes is report.py's EXIT_CODES, row by row."""
    import re

    from conftest import REPO
    from safeplan.report import EXIT_CODES

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", readme.split("| 退出码 | 含义 |", 1)[1].split("\n\n", 1)[0], re.M)
    assert [(int(code), meaning) for code, meaning in rows] == [(code, meaning) for code, _, meaning in EXIT_CODES]


# Minimal arguments each subcommand needs to parse; a new subcommand fails the test below until it is added here.
REQUIRED = {"validate": [], "build": [], "check": ["--base", "main"], "audit": [], "diff": ["main"], "history": ["x"],
            "revert": ["x", "1.0"], "codeowners": [], "approvals": ["--host", "github", "--output", "a.json"],
            "serve": [], "report": ["hazards", "--out", "r.xlsx"], "import": ["hazards", "f.xlsx", "--school", "x"],
            "export": ["docx", "--school", "x"], "edit": []}


def test_every_subcommand_takes_root_before_or_after_it():
    """The subcommand's own --root has no default, so it cannot overwrite the one given before the subcommand."""
    from safeplan.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert sorted(commands) == sorted(REQUIRED)
    for name, rest in REQUIRED.items():
        assert parser.parse_args(["--root", "before", name, *rest]).root == "before", name
        assert parser.parse_args([name, "--root", "after", *rest]).root == "after", name
        assert parser.parse_args(["--root", "before", name, "--root", "after", *rest]).root == "after", name
        assert parser.parse_args([name, *rest]).root is None, name


def test_root_after_the_subcommand_is_the_content_root(tree, tmp_path, monkeypatch, capsys):
    from safeplan import cli

    elsewhere = tmp_path / "elsewhere"  # no district.yaml and no .git above it: without --root nothing is found
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    expected = "检查了 8 个文件，没有发现问题。\n"
    for argv in (["--root", str(tree), "validate"], ["validate", "--root", str(tree)],
                 ["--root", str(elsewhere), "validate", "--root", str(tree)]):
        assert cli.main(argv) == 0, argv
        assert capsys.readouterr() == (expected, ""), argv
    assert cli.main(["validate"]) == 0  # the control: the empty folder really is a different library
    assert capsys.readouterr().out != expected
    assert cli.main(["validate", "--root", str(tree / "nope")]) == 2
    assert capsys.readouterr().err.startswith("safeplan: 内容目录不存在")


def test_root_after_the_subcommand_from_the_console_script(tree, tmp_path):
    result = run_script("validate", "--root", str(tree), "--format", "json", cwd=tmp_path)
    assert result.returncode == 0 and json.loads(result.stdout)["files"] == 8


def test_readme_command_reference_is_generated_from_the_parser():
    from conftest import REPO
    from safeplan import cli_reference

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert cli_reference.replaced(readme, cli_reference.current()) == readme, (
        "README.md 的命令参考与 safeplan --help 不一致：运行 .venv/bin/python -m safeplan.cli_reference 重新生成")


def test_command_reference_shows_every_option_and_notices_a_stale_readme(tmp_path):
    from conftest import REPO
    from safeplan import cli_reference
    from safeplan.cli import build_parser

    block = cli_reference.current()
    commands = next(a for a in build_parser()._actions if a.dest == "command").choices
    for name, sub in commands.items():
        assert f"### `safeplan {name}`\n\n{sub.description.split(chr(10))[0]}" in block, name
        for action in sub._actions:
            section = block.split(f"### `safeplan {name}`", 1)[1].split("### ", 1)[0]
            if "--help" not in action.option_strings:
                assert f"| `{(action.option_strings or [action.metavar])[0]}" in section, (name, action.dest)
    stale = tmp_path / "README.md"
    stale.write_text((REPO / "README.md").read_text(encoding="utf-8").replace("| `--strict` | 警告也视为失败 |", "| `--strict` | 旧说明 |"),
                     encoding="utf-8")
    assert cli_reference.main(["--check", "--readme", str(stale)]) == 1
    assert cli_reference.main(["--readme", str(stale)]) == 0
    assert cli_reference.main(["--check", "--readme", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == (REPO / "README.md").read_text(encoding="utf-8")


def test_help_wraps_chinese_by_terminal_columns():
    import unicodedata

    from safeplan.cli_help import wrap

    lines = wrap("校验全部内容文件，一次列出所有问题（`文件:行:列`、规则编号）。", 20)
    assert "".join(lines) == "校验全部内容文件，一次列出所有问题（`文件:行:列`、规则编号）。"
    columns = [sum(2 if unicodedata.east_asian_width(c) == "W" else 1 for c in line.rstrip("，。、）")) for line in lines]
    assert len(lines) == 3 and max(columns) <= 20, lines  # only closing marks may overhang the width
    assert not any(line[0] in "，。、）" for line in lines)
    assert wrap("use `--root DIR` here", 10) == ["use", "`--root", "DIR` here"]  # words stay whole


def test_every_help_page_fits_the_terminal():
    import unicodedata

    from safeplan.cli import build_parser

    parser = build_parser(width=60)
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name, sub in {"": parser, **commands}.items():
        page = sub.format_help().split("\n\n", 1)[1]  # argparse lays out the usage line itself
        assert sub.description[:12] in page, name
        for line in page.splitlines():
            fitted = line.rstrip("，。、；：）」”")
            assert sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in fitted) <= 60, (name, line)
