"""Command line → library calls. Thin: parse arguments, call one function, print, exit."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

from safeplan import __version__
from safeplan.cli_help import DESCRIPTIONS, CjkHelpFormatter
from safeplan.problems import UsageError
from safeplan.report import EXIT_INTERNAL, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, FORMATS, describe, exit_code, exit_for, nothing_written, render

FORMAT_HELP = ("text：给人看（默认）；json：同样的内容给程序用（files、errors、warnings、problems）；"
               "github：GitHub Actions 的行内注释（Gitea 上只进日志）；gitlab：GitLab 代码质量报告（JSON）")


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
    from safeplan.checks.library_check import check_library
    from safeplan.checks.rules import listing

    if args.list_rules:
        print("规则\t默认\t可选\t说明")
        for row in listing():
            print("\t".join(row))
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
    from safeplan.build import TARGETS, BuildOptions, build

    options = BuildOptions(
        root=_root(args), only=tuple(args.only) if args.only else TARGETS, schools=tuple(args.school or ()),
        jobs=args.jobs, shard=args.shard, audience=args.audience, strict=args.strict, editor=not args.no_editor,
        progress=sys.stderr.isatty() and not os.environ.get("CI"),
    )
    result = build(options)
    blocking = exit_code(result.problems, args.strict)
    if result.problems:
        sys.stderr.write(render(result.problems, len({p.path for p in result.problems}), "text"))
    if blocking:
        print(nothing_written(blocking), file=sys.stderr)
        return blocking
    for note in result.notes:
        print(note)
    return EXIT_OK


def cmd_check(args) -> int:
    from safeplan.review.approvals import ApprovalsFileError, Review, read_approvals
    from safeplan.review.workflow import check_against

    try:
        approvals = read_approvals(Path(args.approvals)) if args.approvals else None
    except ApprovalsFileError as error:
        raise UsageError(f"{error}\n  提示：--approvals 要求一个 JSON 文件，内容是在代码托管平台上批准了本合并请求的账号列表，"
                         "例如 [\"@wj-safety-head\"]。") from None
    review = Review.from_environment(approvals, args.author or "")
    problems, files = check_against(_root(args), args.base, review)
    sys.stdout.write(render(problems, files, args.format))
    return exit_code(problems)


def cmd_audit(args) -> int:
    from safeplan.review.audit import audit

    problems, files = audit(_root(args))
    sys.stdout.write(render(problems, files, args.format))
    return exit_code(problems)


def cmd_diff(args) -> int:
    from safeplan.review.compare import compare
    from safeplan.diff_report import problems_markdown, render as render_diff
    from safeplan.review.semdiff import semantic_diff

    found = compare(_root(args), args.base, args.head or "")
    errors = [p for p in found.problems if p.severity == "error"]
    if errors:
        sys.stderr.write(render(errors, len({p.path for p in errors}), "text"))
        print("safeplan: 有文件无法读取，比较结果会不完整，因此没有给出改动说明；请先修正上面的问题。", file=sys.stderr)
        if args.format == "md":  # the comment says why instead of vanishing
            sys.stdout.write(problems_markdown(errors))
        return EXIT_PROBLEMS
    diff = semantic_diff(found.base, found.head, found.pairs, args.base, found.base_sha, found.head_label)
    sys.stdout.write(render_diff(diff, args.format))
    return EXIT_OK


def cmd_history(args) -> int:
    import json

    from safeplan.review.history import document_log

    root = _root(args)
    library, doc = _document(root, args.id)
    if args.since:
        return _history_since(root, library, doc, args.since, args.format)
    commits = document_log(root, doc.path)
    revisions = [r for r in doc.data.get("revisions") or [] if isinstance(r, dict)]
    if args.format == "json":
        payload = {"id": doc.id, "kind": doc.kind, "path": doc.path, "title": doc.title,
                   "revisions": revisions, "commits": [vars(c) for c in commits]}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{doc.title}（{doc.path}）")
    if revisions:
        from safeplan.content.vocabulary import vocabulary

        reasons = vocabulary().revision_reasons
        print("修订记录：")
        for r in revisions:
            reason = f"{reasons[r['reason']]}（{r['reason']}）" if r.get("reason") in reasons else r.get("reason")
            print(f"  {r.get('version')}  {r.get('date')}  {reason}  {r.get('summary')}")
    print(f"git 历史（{len(commits)} 次提交，含改名前的路径）：" if commits else "git 历史：尚未提交。")
    for c in commits:
        print(f"  {c.date}  {c.sha[:10]}  {c.author}  {c.message}" + (f"  [{c.path}]" if c.path != doc.path else ""))
    return EXIT_OK


def _document(root: Path, doc_id: str):
    from safeplan.content.loader import load_library

    library, _ = load_library(root)
    doc = next((d for d in library.documents if d.id == doc_id), None)
    if doc is None:
        raise UsageError(f"找不到编号为“{doc_id}”的文档。请检查编号（即文件名去掉 .md/.yaml）。")
    return library, doc


def _version(root: Path, doc, number: str):
    from safeplan.review.versions import listed, versions

    found = versions(root, doc)
    if number not in found:
        raise UsageError(f"{doc.path}：文档“{doc.id}”的 git 历史中没有 {number} 版。已提交的版本：{listed(found)}。")
    return found[number]


def _history_since(root: Path, library, doc, number: str, fmt: str) -> int:
    from safeplan.content.model import Library
    from safeplan.diff_report import render as render_diff
    from safeplan.review.semdiff import SemanticDiff, affected_schools, diff_document

    old = _version(root, doc, number)
    then = Library(root=root, documents=[old.doc if d is doc else d for d in library.documents])
    pairs = [(old.doc, doc)] if old.doc.source_sha != doc.source_sha else []
    diff = SemanticDiff(f"{number} 版（{old.commit.date}）", old.commit.sha, "工作区",
                        [diff_document(old.doc, doc)] if pairs else [], affected_schools(pairs, then, library),
                        len(library.schools))
    sys.stdout.write(render_diff(diff, fmt))
    return EXIT_OK


def cmd_revert(args) -> int:
    from safeplan.dates import today
    from safeplan.review.history import dirty
    from safeplan.render.output import write_text
    from safeplan.review.versions import RevertError, revert_text
    from safeplan.review.workflow import next_version

    root = _root(args)
    _, doc = _document(root, args.id)
    if dirty(root, doc.path):
        raise UsageError(f"{doc.path}：有尚未提交的修改；为了不丢失这些修改，没有恢复。\n"
                         "  提示：先提交（git commit）或撤销（git restore）这些修改，再运行 safeplan revert。")
    if args.version == doc.data.get("version"):
        raise UsageError(f"{doc.path}：文档“{doc.id}”现在就是 {args.version} 版，不需要恢复。")
    old = _version(root, doc, args.version)
    path = root / doc.path
    try:
        text = revert_text(doc, path.read_text(encoding="utf-8"), old, today().isoformat(), args.reason or "")
    except RevertError as error:
        raise UsageError(f"{doc.path}：{error}\n  提示：请手工把 {args.version} 版的内容复制回来，升版并加一条修订记录。") from None
    write_text(path, text)
    print(f"已把 {doc.path} 恢复为 {args.version} 版（提交 {old.commit.sha[:10]}）的内容，作为 {next_version(doc.data['version'])} 版；"
          "修订记录已追加一条。请检查 approved_by 等字段，提交后由负责人批准。")
    return EXIT_OK


def cmd_serve(args) -> int:
    from safeplan.preview import serve

    return serve(_root(args), args.port, args.audience)


def cmd_codeowners(args) -> int:
    from safeplan.review.codeowners import stale, write
    from safeplan.content.loader import load_library

    root = _root(args)
    library, problems = load_library(root)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        sys.stderr.write(render(errors, len({p.path for p in errors}), "text"))
        print("safeplan: 有文件无法读取，负责人名单不完整，未生成 CODEOWNERS。", file=sys.stderr)
        return EXIT_PROBLEMS
    if args.check:
        problems = stale(library, args.host)
        sys.stdout.write(render(problems, 1, "text"))
        return exit_code(problems)
    path = write(library, args.host)
    print(f"已生成 {path.relative_to(root) if path.is_relative_to(root) else path}")
    return EXIT_OK


def cmd_approvals(args) -> int:
    from safeplan.review.hosts import approvals_json, fetch
    from safeplan.render.output import write_text

    found = fetch(args.host, os.environ, args.commit)  # a HostError is the environment's (report.EXIT_FOR)
    write_text(Path(args.output), approvals_json(found))
    if args.author_output:
        write_text(Path(args.author_output), (found.author or "") + "\n")
    print(found.summary(args.commit))
    return EXIT_OK


def _shared(*flags: str, **options) -> argparse.ArgumentParser:
    """A parent parser: an option that several subcommands take with the same meaning."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(*flags, **options)
    return parent


ROOT_HELP = "内容目录（默认：当前仓库）；所有输出写到 <root>/build/"
# A subcommand's default would overwrite the value given before the subcommand, so it has none.
EVERY_COMMAND = _shared("--root", metavar="DIR", default=argparse.SUPPRESS, help=ROOT_HELP)
REPORT_FORMAT = _shared("--format", choices=FORMATS, default="text", help=FORMAT_HELP)
AUDIENCE = _shared("--audience", choices=("internal", "public"), default="internal",
                   help="internal 内部版（默认）；public 公开版，隐去个人手机号等内部字段")


def build_parser(width: int | None = None) -> argparse.ArgumentParser:
    """The whole command line; width fixes the help layout (the README reference is generated at a fixed width)."""
    from safeplan.review.hosts import HOSTS

    formatter = functools.partial(CjkHelpFormatter, width=width)
    parser = argparse.ArgumentParser(prog="safeplan", description="校园安全预案库工具：校验、发布网站与各校 PDF 预案汇编。",
                                     formatter_class=formatter)
    parser.add_argument("--root", metavar="DIR", help=ROOT_HELP)
    parser.add_argument("--version", action="version", version=f"safeplan {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler, summary: str, description: str, *parents: argparse.ArgumentParser):
        sub = commands.add_parser(name, help=summary, description=description, formatter_class=formatter,
                                  parents=[EVERY_COMMAND, *parents])
        sub.set_defaults(handler=handler)
        return sub

    validate = command("validate", cmd_validate, "校验全部内容文件", DESCRIPTIONS["validate"], REPORT_FORMAT)
    validate.add_argument("--strict", action="store_true", help="警告也视为失败")
    validate.add_argument("--list-rules", action="store_true",
                          help="列出 validate 和 check 的全部规则：编号、默认严重程度、可选的严重程度、说明")

    build = command("build", cmd_build, "生成网站（build/site）和各校 PDF 汇编（build/pdf）", DESCRIPTIONS["build"], AUDIENCE)
    build.add_argument("--only", action="append", choices=("site", "pdf"), help="只生成网站或只生成 PDF")
    build.add_argument("--school", action="append", metavar="ID", help="只生成这些学校的 PDF（可重复）")
    build.add_argument("--jobs", type=int, default=0, metavar="N", help="PDF 并行进程数（默认：每核一个）")
    build.add_argument("--shard", type=_shard, metavar="K/N", help="只生成第 K 份（共 N 份）学校的 PDF，用于多台 CI 机器")
    build.add_argument("--strict", action="store_true", help="有警告也不生成")
    build.add_argument("--no-editor", action="store_true", help="内部版网站不带网页编辑器 /admin/（不需要 Node.js）")

    check = command("check", cmd_check, "按 workflow.yaml 检查相对基准分支的改动（状态、版本、审批人、引用、CODEOWNERS）",
                    DESCRIPTIONS["check"], REPORT_FORMAT)
    check.add_argument("--base", required=True, metavar="REF", help="基准分支或提交，例如 origin/main")
    check.add_argument("--approvals", metavar="FILE",
                       help="JSON 文件：在代码托管平台上批准了本合并请求的账号列表（CI 从平台 API 取得）")
    check.add_argument("--author", metavar="HANDLE", help="合并请求作者的平台账号；作者不能批准自己的改动")

    command("audit", cmd_audit, "核对主线历史：每份现行文档的内容是否就是批准其当前版本时的内容", DESCRIPTIONS["audit"],
            REPORT_FORMAT)

    diff = command("diff", cmd_diff, "给审核人看的改动说明：字段、章节和受影响的学校", DESCRIPTIONS["diff"])
    diff.add_argument("base", metavar="BASE", help="基准分支或提交，例如 origin/main")
    diff.add_argument("head", metavar="HEAD", nargs="?", help="要比较的版本（默认：当前工作区）")
    diff.add_argument("--format", choices=("text", "md", "json"), default="text",
                      help="md 可直接贴到合并请求的评论中；json 给程序用")

    log = command("history", cmd_history, "列出一个文档的修订记录和 git 历史（跟踪改名）", DESCRIPTIONS["history"])
    log.add_argument("id", metavar="ID", help="文档编号")
    log.add_argument("--since", metavar="VERSION", help="给审核人看的改动说明：该文档自某一版本以来改了什么")
    log.add_argument("--format", choices=("text", "json", "md"), default="text", help="md 仅用于 --since")

    revert = command("revert", cmd_revert, "把文档恢复为某一旧版本的内容，作为新的更高版本（不改写历史）",
                     DESCRIPTIONS["revert"])
    revert.add_argument("id", metavar="ID", help="文档编号")
    revert.add_argument("version", metavar="VERSION", help="要恢复的旧版本号，例如 1.0")
    revert.add_argument("--reason", metavar="TEXT", help="恢复的原因，写进修订记录的摘要")

    owners = command("codeowners", cmd_codeowners, "根据学校和区局的 owners 生成托管平台读取的 CODEOWNERS",
                     DESCRIPTIONS["codeowners"])
    owners.add_argument("--check", action="store_true", help="只检查已提交的文件是否过期，不写入")
    owners.add_argument("--host", choices=HOSTS, help="托管平台（默认：safeplan.yaml 中的 host，未填为 github）；"
                        "github 写 .github/CODEOWNERS，gitlab 写 .gitlab/CODEOWNERS，gitea 写 .gitea/CODEOWNERS")

    approvals = command("approvals", cmd_approvals, "从托管平台的 API 读取合并请求的批准人，写成 check --approvals 用的 JSON 文件",
                        DESCRIPTIONS["approvals"])
    approvals.add_argument("--host", required=True, choices=HOSTS, help="托管平台")
    approvals.add_argument("--output", required=True, metavar="FILE", help="写入批准人名单（JSON 数组，例如 [\"@wj-safety-head\"]）")
    approvals.add_argument("--author-output", metavar="FILE", help="把合并请求作者的账号（@用户名）写入这个文件，供 check --author")
    approvals.add_argument("--commit", metavar="SHA", help="推送到 main 时：找出合入这个提交的合并请求，读取它的批准人")

    preview = command("serve", cmd_serve, "在本机预览网站（http://127.0.0.1:8000/），内容文件改动后自动重新生成",
                      DESCRIPTIONS["serve"], AUDIENCE)
    preview.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")

    from safeplan import cli_editor, cli_export, cli_records

    cli_records.register(command, _root)
    cli_export.register(command, _root)
    cli_editor.register(command, _root)
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
        if os.environ.get("SAFEPLAN_TODAY"):
            from safeplan.dates import today

            today()  # a malformed day is a usage error before any work starts
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
