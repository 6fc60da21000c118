"""Host approvals (a JSON list of handles), the pull request's author, owners at base → approval Problems.

git cannot say who approved a pull request; the code host can. Its CI job writes the handles
of the accounts that approved into a file (`safeplan check --approvals FILE`), so that
`approved_by` is proven by the host instead of typed by the author. Without that file (a local
run) an approval cannot be verified: a warning on a developer's machine, an error in CI.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from safeplan.content.model import Document
from safeplan.problems import ERROR, Problem

UNVERIFIED = "unverified"  # provisional severity: a warning locally, an error in CI (see workflow.check)
HINT_UNVERIFIED = ("本地运行时这只是提醒；CI 中必须用 --approvals 传入在代码托管平台上批准了本合并请求的账号"
                   "（JSON 列表），并用 --author 传入作者的账号，否则检查不通过。")


class ApprovalsFileError(Exception):
    """The approvals file is missing or malformed; the message (Chinese) names it and says what is wrong."""


def normalize(handle) -> str:
    """'@WJ-Safety-Head' and 'wj-safety-head' are the same account."""
    return handle.strip().removeprefix("@").lower() if isinstance(handle, str) else ""


def running_in_ci(environ=os.environ) -> bool:
    value = environ.get("CI", "")
    return bool(value) and value.strip().lower() not in ("false", "0")


def read_approvals(path: Path) -> frozenset[str]:
    """The handles in an approvals file: a JSON array of strings, a leading '@' optional."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ApprovalsFileError(f"找不到批准名单文件 {path}。") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ApprovalsFileError(f"无法读取批准名单文件 {path}：{error}。") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ApprovalsFileError(f"批准名单文件 {path} 不是合法的 JSON（第 {error.lineno} 行第 {error.colno} 列）。") from None
    if not isinstance(data, list):
        raise ApprovalsFileError(f"批准名单文件 {path} 应当是账号的 JSON 列表，例如 [\"@wj-safety-head\"]。")
    bad = [item for item in data if not isinstance(item, str) or not normalize(item)]
    if bad:
        raise ApprovalsFileError(f"批准名单文件 {path} 中有不是账号的项目：{json.dumps(bad[0], ensure_ascii=False)[:40]}。"
                                 "每一项都应当是账号文字，例如 \"@wj-safety-head\"。")
    return frozenset(normalize(item) for item in data)


@dataclass(frozen=True)
class Review:
    """What the host knows about the pull request."""

    approvals: frozenset[str] | None = None  # normalized handles that approved it; None: not given
    author: str = ""  # normalized handle of its author; "": not given
    ci: bool = False

    @classmethod
    def from_environment(cls, approvals: frozenset[str] | None = None, author: str = "") -> "Review":
        return cls(approvals, normalize(author), running_in_ci())


def _handle(owner: dict) -> str:
    return normalize(owner.get("handle"))


def _shown(owners: dict[str, dict]) -> str:
    return "、".join(f"{o_id}（{o.get('handle', '')}）" for o_id, o in owners.items()) or "（名单为空）"


def approver_problems(old: Document | None, new: Document, owners: dict[str, dict], where: str, scope: str,
                      step: str, review: Review) -> list[Problem]:
    """A transition into approved: approved_by is an owner at base, approved on the host, and not the author."""
    approver = new.data.get("approved_by")

    def at(pointer: str, severity: str, rule: str, message: str, hint: str) -> Problem:
        line, column = new.position(pointer)
        return Problem(new.path, line, column, severity, rule, message, hint)

    listed = "、".join(f"{o_id}（{o.get('name', '')}）" for o_id, o in owners.items()) or "（名单为空）"
    if not approver:
        return [at("/status", ERROR, "approver", f"“{step}”需要审批人，但没有填写 approved_by。",
                   f"填写有权审批的负责人编号（{where}）：{listed}。")]
    if approver not in owners:
        return [at("/approved_by", ERROR, "approver", f"审批人“{approver}”不是{scope}的负责人，无权{step.split('（')[0]}。",
                   f"{where}：{listed}。")]
    handle = _handle(owners[approver])
    others = {o_id: o for o_id, o in owners.items() if _handle(o) != review.author}
    if review.author and handle == review.author:
        return [at("/approved_by", ERROR, "self-approval",
                   f"审批人“{approver}”（@{handle}）就是本合并请求的作者，作者不能批准自己的改动。",
                   f"请{scope}的另一位负责人在代码托管平台上审核批准，并把 approved_by 改为他的编号：{_shown(others)}。")]
    if review.approvals is None:
        return [at("/approved_by", UNVERIFIED, "approval-unverified",
                   f"无法核实审批人“{approver}”（@{handle}）是否在代码托管平台上批准了本合并请求：没有提供批准名单（--approvals）。",
                   HINT_UNVERIFIED)]
    if handle not in review.approvals:
        approving = {o_id: o for o_id, o in others.items() if _handle(o) in review.approvals}
        stale = old is not None and old.data.get("approved_by") == approver
        message = (f"approved_by 仍是 {old.data.get('version')} 版的审批人“{approver}”，但 @{handle} 没有在代码托管平台上"
                   f"批准本合并请求；沿用的审批人不算批准，新版本要重新批准。" if stale else
                   f"审批人“{approver}”（@{handle}）没有在代码托管平台上批准本合并请求。")
        hint = (f"请 @{handle} 在平台上审核批准本合并请求，或把 approved_by 改为已在平台上批准的负责人："
                f"{_shown(approving) if approving else '（目前没有' + scope + '的负责人批准）'}。")
        return [at("/approved_by", ERROR, "host-approval", message, hint)]
    if not review.author:
        return [at("/approved_by", UNVERIFIED, "approval-unverified",
                   f"无法确认审批人“{approver}”（@{handle}）不是本合并请求的作者：没有提供 --author。", HINT_UNVERIFIED)]
    return []


def protected_file_problems(paths: list[str], district_owners: dict[str, dict], review: Review) -> list[Problem]:
    """A change to the gate's own files needs a district owner at base, not the author, to approve on the host."""
    handles = {_handle(o) for o in district_owners.values()} - {"", review.author}
    listed = "、".join(f"@{h}" for h in sorted(handles)) or "（合并基点上 district.yaml 没有负责人）"
    why = "这些文件决定检查规则、审核流程或发布方式，修改须由区局负责人把关（见 CODEOWNERS）。"
    if review.approvals is None:
        severity, rule = UNVERIFIED, "protected-file"
        message = "本合并请求修改了审核关卡自身的文件 {path}，需要区局负责人在代码托管平台上批准；没有提供批准名单（--approvals），无法核实。"
        hint = f"区局负责人：{listed}。{HINT_UNVERIFIED}"
    elif not handles & review.approvals:
        severity, rule = ERROR, "protected-file"
        message = "本合并请求修改了审核关卡自身的文件 {path}，但没有区局负责人（作者本人除外）在代码托管平台上批准。"
        hint = f"请 {listed} 中的一位在平台上审核批准本合并请求。{why}"
    elif not review.author:
        severity, rule = UNVERIFIED, "protected-file"
        message = "本合并请求修改了审核关卡自身的文件 {path}：没有提供 --author，无法确认批准的区局负责人不是作者。"
        hint = HINT_UNVERIFIED
    else:
        return []
    return [Problem(path, 1, 1, severity, rule, message.format(path=path), hint) for path in paths]
