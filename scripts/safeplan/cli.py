"""Command line → library calls. Thin: parse arguments, call one function, print, exit."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .problems import UsageError
from .report import EXIT_INTERNAL, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, describe, exit_code, exit_for, render


def find_root(start: Path) -> Path:
    """The content root: the nearest folder up from start that holds district.yaml or .git."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "district.yaml").exists() or (folder / ".git").exists():
            return folder
    return start


def _root(args) -> Path:
    root = Path(args.root).resolve() if args.root else find_root(Path.cwd())
    if not root.is_dir():
        raise UsageError(f"内容目录不存在：{root}")
    return root


def cmd_validate(args) -> int:
    from .library_check import check_library
    from .validate import rule_summaries

    if args.list_rules:
        for rule_id, severity, summary in rule_summaries():
            print(f"{rule_id}\t{severity}\t{summary}")
        return EXIT_OK
    library, problems = check_library(_root(args))
    files = len(library.documents) + len({p.path for p in problems if p.rule in ("load", "unknown-file")})
    sys.stdout.write(render(problems, files, args.format))
    return exit_code(problems, args.strict)


def _shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError("分片写成 K/N，例如 1/4") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError("分片 K/N 要求 1 ≤ K ≤ N")
    return k, n


def cmd_build(args) -> int:
    from .build import TARGETS, BuildOptions, build

    options = BuildOptions(
        root=_root(args), only=tuple(args.only) if args.only else TARGETS, schools=tuple(args.school or ()),
        jobs=args.jobs, shard=args.shard, audience=args.audience, strict=args.strict,
        progress=sys.stderr.isatty() and not os.environ.get("CI"),
    )
    result = build(options)
    blocking = exit_code(result.problems, args.strict)
    if result.problems:
        sys.stderr.write(render(result.problems, len({p.path for p in result.problems}), "text"))
    if blocking:
        print("safeplan: 内容有错误，未生成任何输出；上一次成功的输出保持不变。", file=sys.stderr)
        return blocking
    for note in result.notes:
        print(note)
    return EXIT_OK


def cmd_check(args) -> int:
    from .workflow import check_against

    problems, files = check_against(_root(args), args.base)
    sys.stdout.write(render(problems, files, args.format))
    return exit_code(problems)


def cmd_diff(args) -> int:
    from .compare import compare
    from .semdiff import render as render_diff, semantic_diff

    found = compare(_root(args), args.base, args.head or "")
    errors = [p for p in found.problems if p.severity == "error"]
    if errors:
        sys.stderr.write(render(errors, len({p.path for p in errors}), "text"))
        print("safeplan: 有文件无法读取，比较结果会不完整，因此没有输出；请先修正上面的问题。", file=sys.stderr)
        return EXIT_PROBLEMS
    diff = semantic_diff(found.base, found.head, found.pairs, args.base, found.base_sha, found.head_label)
    sys.stdout.write(render_diff(diff, args.format))
    return EXIT_OK


def cmd_history(args) -> int:
    import json

    from .history import document_log
    from .loader import load_library

    root = _root(args)
    library, _ = load_library(root)
    doc = next((d for d in library.documents if d.id == args.id), None)
    if doc is None:
        raise UsageError(f"找不到编号为“{args.id}”的文档。请检查编号（即文件名去掉 .md/.yaml）。")
    commits = document_log(root, doc.path)
    revisions = [r for r in doc.data.get("revisions") or [] if isinstance(r, dict)]
    if args.format == "json":
        payload = {"id": doc.id, "kind": doc.kind, "path": doc.path, "title": doc.title,
                   "revisions": revisions, "commits": [vars(c) for c in commits]}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{doc.title}（{doc.path}）")
    if revisions:
        print("修订记录：")
        for r in revisions:
            print(f"  {r.get('version')}  {r.get('date')}  {r.get('reason')}  {r.get('summary')}")
    print(f"git 历史（{len(commits)} 次提交，含改名前的路径）：" if commits else "git 历史：尚未提交。")
    for c in commits:
        print(f"  {c.date}  {c.sha[:10]}  {c.author}  {c.message}" + (f"  [{c.path}]" if c.path != doc.path else ""))
    return EXIT_OK


def cmd_serve(args) -> int:
    from .preview import serve

    return serve(_root(args), args.port, args.audience)


def cmd_codeowners(args) -> int:
    from .codeowners import stale, write
    from .loader import load_library

    root = _root(args)
    library, problems = load_library(root)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        sys.stderr.write(render(errors, len({p.path for p in errors}), "text"))
        print("safeplan: 有文件无法读取，负责人名单不完整，未生成 CODEOWNERS。", file=sys.stderr)
        return EXIT_PROBLEMS
    if args.check:
        problems = stale(library)
        sys.stdout.write(render(problems, 1, "text"))
        return exit_code(problems)
    path = write(library)
    print(f"已生成 {path.relative_to(root) if path.is_relative_to(root) else path}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="safeplan", description="校园安全预案库工具：校验、发布网站与各校 PDF 预案汇编。")
    parser.add_argument("--root", help="内容目录（默认：当前仓库）；所有输出写到 <root>/build/")
    parser.add_argument("--version", action="version", version=f"safeplan {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    validate = commands.add_parser("validate", help="校验全部内容文件")
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.add_argument("--strict", action="store_true", help="警告也视为失败")
    validate.add_argument("--list-rules", action="store_true", help="列出全部规则及默认严重程度")
    validate.set_defaults(handler=cmd_validate)

    build = commands.add_parser("build", help="生成网站（build/site）和各校 PDF 汇编（build/pdf）")
    build.add_argument("--only", action="append", choices=("site", "pdf"), help="只生成网站或只生成 PDF")
    build.add_argument("--school", action="append", metavar="ID", help="只生成这些学校的 PDF（可重复）")
    build.add_argument("--jobs", type=int, default=0, metavar="N", help="PDF 并行进程数（默认：每核一个）")
    build.add_argument("--shard", type=_shard, metavar="K/N", help="只生成第 K 份（共 N 份）学校的 PDF，用于多台 CI 机器")
    build.add_argument("--audience", choices=("internal", "public"), default="internal",
                       help="internal 内部版（默认）；public 公开版，隐去个人手机号等内部字段")
    build.add_argument("--strict", action="store_true", help="有警告也不生成")
    build.set_defaults(handler=cmd_build)

    check = commands.add_parser("check", help="按 workflow.yaml 检查相对基准分支的改动（状态、版本、审批人、引用、CODEOWNERS）")
    check.add_argument("--base", required=True, metavar="REF", help="基准分支或提交，例如 origin/main")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.set_defaults(handler=cmd_check)

    diff = commands.add_parser("diff", help="给审核人看的改动说明：字段、章节和受影响的学校")
    diff.add_argument("base", metavar="BASE", help="基准分支或提交，例如 origin/main")
    diff.add_argument("head", metavar="HEAD", nargs="?", help="要比较的版本（默认：当前工作区）")
    diff.add_argument("--format", choices=("text", "md", "json"), default="text", help="md 可直接贴到合并请求的评论中")
    diff.set_defaults(handler=cmd_diff)

    log = commands.add_parser("history", help="列出一个文档的修订记录和 git 历史（跟踪改名）")
    log.add_argument("id", metavar="ID", help="文档编号")
    log.add_argument("--format", choices=("text", "json"), default="text")
    log.set_defaults(handler=cmd_history)

    owners = commands.add_parser("codeowners", help="根据学校和区局的 owners 生成 .github/CODEOWNERS")
    owners.add_argument("--check", action="store_true", help="只检查已提交的文件是否过期，不写入")
    owners.set_defaults(handler=cmd_codeowners)

    preview = commands.add_parser("serve", help="在本机预览网站（http://127.0.0.1:8000/），内容文件改动后自动重新生成")
    preview.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
    preview.add_argument("--audience", choices=("internal", "public"), default="internal", help="预览内部版（默认）或公开版")
    preview.set_defaults(handler=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return EXIT_USAGE if exit.code not in (0, None) else EXIT_OK
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.handler(args)
    except Exception as error:  # report.py names the code; an editor never sees a traceback
        if exit_for(error) == EXIT_INTERNAL and os.environ.get("SAFEPLAN_DEBUG"):
            raise
        print(describe(error), file=sys.stderr)
        return exit_for(error)
    except KeyboardInterrupt as error:
        print(describe(error), file=sys.stderr)
        return exit_for(error)

if __name__ == "__main__":
    sys.exit(main())
