"""Command descriptions and Chinese-aware line wrapping → argparse help."""

from __future__ import annotations

import argparse
import re
import unicodedata

# What each command does, for `safeplan COMMAND --help` and README's generated reference: paragraphs of Markdown.
DESCRIPTIONS = {
    "validate": "校验全部内容文件，一次列出所有问题（`文件:行:列`、规则编号、中文说明和改法）。`--format github` 和 "
                "`--format gitlab` 把问题放到审核人看的地方（见“审核合并请求”）。规则和示例见“校验规则”。",
    "build": "先校验；有错误时什么也不写，上一次成功的输出保持不变。然后生成 PDF 汇编（`build/pdf`）与网站（`build/site`）。\n\n"
             "公开版（`--audience public`）在替换输出之前还要通过个人信息扫描，扫到手机号、身份证号或内部字段的值就失败"
             "（退出码 1），见“安全与隐私”。",
    "export": "先校验；有错误时不导出。把一所学校的汇编（`--edition full` 完整版，默认；`action` 应急处置版）写成 "
              "`build/docx/<学校编号>.docx`（应急处置版为 `.action.docx`）：与 PDF 出自同一份数据，标题为 Word 的标题样式"
              "（一级黑体、二级楷体，正文仿宋），表格为 Word 表格，页脚有页码，目录在 Word 中“更新域”即生成，学校可盖章、修改后备案。",
    "serve": "生成网站并在 `http://127.0.0.1:8000/` 预览；内容文件、`mkdocs.yml` 或 `site-assets/` 改动后自动重新生成（见“网站”）。",
    "check": "按 `workflow.yaml` 检查当前工作区相对 `REF` 的全部改动（见“审核流程”）。`--approvals FILE` 是代码托管平台上"
             "批准了本合并请求的账号列表（JSON 数组，例如 `[\"@wj-safety-head\", \"wj-safety-deputy\"]`，`@` 可省略，不区分大小写），"
             "由 CI 从平台的 API 取得（`safeplan approvals`）。文件不存在或格式不对时是用法错误（退出码 2），并说明哪里不对。",
    "audit": "核对主线（`HEAD` 的第一父提交链）的历史：每份现行文档现在的内容，是否就是批准它当前版本时（带着该版本修订记录、"
             "第一次处于现行状态的那次提交）的内容。之后没有升版就改了内容的文档逐个报出 `audit-silent-edit` 错误，写明批准该版本的"
             "提交和之后悄悄修改它的提交（合并进来的修改记在合并提交上），文件改名也能跟上，退出码 1。复审记录延后 "
             "`next_review` 不算悄悄修改。只用一次 `git log`，再按需读取文件内容，几十份文档、上百次提交不到 1 秒。",
    "diff": "给审核人看的改动说明：字段级改动（用 schema 中的中文名称）、章节增删改及行数、改动章节中删去和加入的句子、"
            "汇编会变化的学校及原因。不写 `HEAD` 时与当前工作区比较。有文件读不出来时不给改动说明，退出码为 1；"
            "`--format md` 这时输出一条列出这些错误的评论。",
    "history": "列出一个文档的修订记录和 git 提交历史，文件改过名也能接上。`--since 1.0` 给出该文档自 1.0 版以来（到当前工作区）"
               "的审核人改动说明，格式与 `safeplan diff` 相同；没有这个版本时退出码 2，并列出 git 历史中已有的版本。\n\n"
               "一个版本的内容指它被批准时的内容（主线上它第一次以该版本号处于现行状态的提交；从未批准的版本取带这个版本号的"
               "最后一次提交）。",
    "revert": "把文档恢复为旧版本的内容，但不改写历史：写出的文件是旧版本的字段和正文，版本号为当前版本的下一个小版本"
              "（1.1 → 1.2），状态保持当前状态，原有修订记录全部保留，末尾追加一条 "
              "`{version: \"1.2\", date: 今天, reason: other, summary: \"恢复为 1.0 版内容：<TEXT>\"}`。"
              "文件先写到临时文件再整体替换，不会只写一半。该文件有未提交的修改、编号或版本不存在时拒绝执行（退出码 2）。\n\n"
              "之后照常检查 `approved_by`、提交合并请求，由负责人批准（`safeplan check` 视之为一次修订发布）。",
    "codeowners": "根据 `district.yaml` 和各校文件中的 `owners` 生成托管平台读取的 CODEOWNERS；`--check` 只检查已提交的文件"
                  "是否过期。平台取自 `safeplan.yaml` 的 `host`（不填为 `github`），`--host` 可临时指定。各平台的写法见"
                  "“CODEOWNERS 的写法”。",
    "approvals": "在 CI 中从托管平台的 API 读取合并请求当前有效的批准人，写成 JSON 数组，供 `safeplan check --approvals FILE` 使用。"
                 "GitHub 取每人最新一次有效审核（后来的普通评论不撤销批准，被撤销 dismissed 的不算），Gitea 另外去掉被撤销和已过时"
                 "（stale）的批准，GitLab 取 `approved_by`。不是通过合并请求合入的提交批准人为空。\n\n"
                 "令牌和编号取自各平台 CI 设置的环境变量（见“托管平台设置”）；连不上平台、令牌无效时给出中文说明，"
                 "退出码 4（运行环境的问题），不写任何文件。",
}


class CjkHelpFormatter(argparse.HelpFormatter):
    """argparse's layout, wrapped by terminal columns: a Chinese character is two columns wide and may end a line."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return [line for paragraph in text.split("\n\n") for line in wrap(paragraph, width)]

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n\n".join("\n".join(indent + line for line in wrap(p, width - len(indent))) for p in text.split("\n\n"))


CLOSING = "，。、；：？！）」』”’》"


def wrap(text: str, width: int) -> list[str]:
    """Greedy lines of at most width columns; Latin words stay whole, closing punctuation never starts a line."""
    lines, line, used = [], "", 0
    for token in re.findall(r"\s+|[!-~]+|.", " ".join(text.split())):
        size = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in token)
        if line and used + size > width and not token.isspace() and token not in CLOSING:
            lines.append(line.rstrip())
            line, used = "", 0
        if line or not token.isspace():
            line, used = line + token, used + size
    return [*lines, line.rstrip()] if line.strip() else lines
