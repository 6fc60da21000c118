"""`safeplan export docx` → one school's bundle as an editable Word file for 备案."""

from __future__ import annotations

import sys
from pathlib import Path

from safeplan.problems import ERROR, UsageError
from safeplan.report import EXIT_OK, EXIT_PROBLEMS, render

FORMATS = {"docx": "Word 文件（.docx）"}
DESCRIPTION = ("把一所学校的预案汇编写成可编辑的 Word 文件，供向区教育局备案、盖章和修改：封面、颁布令、目录（Word 域，"
               "打开时更新）、各文档（标题用 Word 的“标题 1/2/3”样式，表格是真正的 Word 表格，表头跨页重复），"
               "页脚“— N —”页码，A4，正文仿宋三号，一级标题黑体、二级标题楷体（字体名取自 safeplan.yaml 的 fonts，与 PDF 相同）。"
               "内容与 PDF 汇编相同。"
               "`--edition action` 只含颁布令、综合应急预案、现场处置方案和应急通讯录；`full`（默认）含全部内容。")


def register(command, root_of) -> None:
    """Add `export` to the CLI: `command(name, handler, summary, description, *parents)` makes a subparser."""
    from safeplan.cli import AUDIENCE
    from safeplan.resolve.editions import EDITIONS

    export = command("export", lambda args: _export(args, root_of(args)), "把一所学校的预案汇编导出为可编辑的 Word 文件（备案用）",
                     DESCRIPTION, AUDIENCE)
    export.add_argument("what", metavar="FORMAT", help="docx：Word 文件")
    export.add_argument("--school", metavar="ID", help="学校编号（必填）")
    export.add_argument("--edition", default="full", metavar="EDITION",
                        help="；".join(f"{name} {e.label}" for name, e in EDITIONS.items()) + "（默认 full）")
    export.add_argument("--out", metavar="FILE", help="写到这个文件（默认 build/docx/<学校编号>-<版本>.docx）")
    export.add_argument("--body-font", metavar="NAME",
                        help="正文字体名（默认取 safeplan.yaml 中 fonts 的 body 第一个字体，与 PDF 相同；装有方正字体的电脑可写 仿宋_GB2312）")


def _export(args, root: Path) -> int:
    from safeplan.checks.library_check import check_library
    from safeplan.render.docx.styles import Fonts
    from safeplan.render.docx.writer import docx_bundle
    from safeplan.render.output import write_bytes
    from safeplan import __version__
    from safeplan.build import gather_provenance
    from safeplan.render.pdf.bundle_html import BundleMeta
    from safeplan.render.pdf.fonts import font_stacks
    from safeplan.resolve.editions import EDITIONS
    from safeplan.resolve.views import resolve_school

    if args.what not in FORMATS:
        raise UsageError(f"不支持导出为“{args.what}”。可选：{'、'.join(f'{k}（{v}）' for k, v in FORMATS.items())}")
    edition = EDITIONS.get(args.edition)
    if edition is None:
        raise UsageError(f"没有“{args.edition}”这个版本。可选：{'、'.join(f'{n}（{e.label}）' for n, e in EDITIONS.items())}")
    if not args.school:
        raise UsageError("export docx 需要 --school ID：Word 文件按学校生成。")
    library, problems = check_library(root)
    errors = [p for p in problems if p.severity == ERROR]
    if errors:
        sys.stderr.write(render(errors, len({p.path for p in errors}), "text"))
        print("safeplan: 内容有错误，没有写出 Word 文件；请先修正上面的问题。", file=sys.stderr)
        return EXIT_PROBLEMS
    school = library.get("school", args.school)
    if school is None:
        raise UsageError(f"没有编号为“{args.school}”的学校。可选：{'、'.join(sorted(s.id for s in library.schools))}")
    view = resolve_school(library, school, args.audience)
    source = gather_provenance(library, [view]).sources[view.id]  # the PDF's cover says the same
    meta = BundleMeta(date=source.date, commit=source.commit, tool_version=__version__, fonts=font_stacks(library.config))
    out = Path(args.out) if args.out else root / "build" / "docx" / f"{school.id}-{edition.name}.docx"
    write_bytes(out, docx_bundle(view, meta, edition, Fonts.from_stacks(meta.fonts, args.body_font)))
    print(f"已写出 {out}：{school.data['name']}预案汇编（{edition.label}）Word 文件。在 Word 中打开时请选择更新域，以生成目录页码。")
    return EXIT_OK
