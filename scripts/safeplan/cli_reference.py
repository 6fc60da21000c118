"""argparse parser → the Markdown command reference between two markers in README.md."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

BEGIN = "<!-- 命令参考：由 python -m safeplan.cli_reference 生成，请勿手改 -->"
END = "<!-- 命令参考结束 -->"
WIDTH = 100  # fixed, so the usage lines do not depend on the terminal that generated them
README = Path(__file__).resolve().parents[2] / "README.md"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")


def _invocation(action: argparse.Action) -> str:
    if not action.option_strings:
        return action.metavar or action.dest
    if action.nargs == 0:
        return ", ".join(action.option_strings)
    choices = "{" + ",".join(map(str, action.choices)) + "}" if action.choices else None
    value = action.metavar or choices or action.dest.upper()
    return ", ".join(f"{flag} {value}" for flag in action.option_strings)


def _subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def _command(name: str, parser: argparse.ArgumentParser) -> list[str]:
    lines = [f"### `safeplan {name}`", "", *(f"{p}\n" for p in (parser.description or "").split("\n\n")),
             "```text", parser.format_usage().rstrip(), "```", "", "| 参数 | 说明 |", "|---|---|"]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        required = "（必填）" if action.required and action.option_strings else ""
        lines.append(f"| `{_invocation(action)}` | {_cell(action.help or '')}{required} |")
    return [*lines, ""]


def reference(parser: argparse.ArgumentParser) -> str:
    """The generated block, markers included."""
    commands = _subcommands(parser)
    summaries = {choice.dest: choice.help for choice in commands._choices_actions}
    lines = [BEGIN, "", "```text", parser.format_usage().rstrip(), "```", "", "| 命令 | 说明 |", "|---|---|"]
    lines += [f"| [`{name}`](#safeplan-{name}) | {_cell(summaries[name])} |" for name in commands.choices]
    lines.append("")
    for name, sub in commands.choices.items():
        lines += _command(name, sub)
    return "\n".join([*lines, END])


def replaced(readme: str, block: str) -> str:
    """README's text with the block between the markers replaced."""
    if readme.count(BEGIN) != 1 or readme.count(END) != 1 or readme.index(BEGIN) > readme.index(END):
        raise ValueError(f"README.md 中应各有一处 {BEGIN} 和 {END}，且前者在前")
    head, rest = readme.split(BEGIN, 1)
    return head + block + rest.split(END, 1)[1]


def current() -> str:
    from safeplan.cli import build_parser

    return reference(build_parser(width=WIDTH))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m safeplan.cli_reference",
                                     description="根据 safeplan 的 --help 重新生成 README.md 中的命令参考。")
    parser.add_argument("--check", action="store_true", help="只检查 README.md 是否与生成的一致，不写入")
    parser.add_argument("--readme", type=Path, default=README, help="README.md 的路径（默认：本仓库的）")
    args = parser.parse_args(argv)
    text = args.readme.read_text(encoding="utf-8")
    try:
        new = replaced(text, current())
    except ValueError as error:
        print(f"safeplan: {error}", file=sys.stderr)
        return 1
    if args.check:
        if new != text:
            print(f"{args.readme}：命令参考已过期。\n  提示：运行 python -m safeplan.cli_reference 重新生成。", file=sys.stderr)
            return 1
        return 0
    if new != text:
        from safeplan.render.output import write_text

        write_text(args.readme, new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
