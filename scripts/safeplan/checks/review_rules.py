"""Library → Problems about approval and review: who approved, when issued, when the next review falls due."""

from __future__ import annotations

from datetime import date

from safeplan.checks.validate import _at, _schema_clean, rule
from safeplan.content.model import REVIEWED, WORKFLOW_KINDS, Library
from safeplan.content.vocabulary import vocabulary
from safeplan.dates import today
from safeplan.problems import ERROR, WARNING


@rule("approval", ERROR, "现行文档有审批人、颁布日期、下次评审日期与对应的修订记录")
def check_approval(library: Library):
    approved = f"{vocabulary().status('approved')}（approved）"
    for doc in _schema_clean(library):
        if doc.kind not in WORKFLOW_KINDS or doc.data.get("status") != "approved":
            continue
        data = doc.data
        for key, label in (("approved_by", "审批人"), ("issued_on", "颁布日期"), ("next_review", "下次评审日期")):
            if not data.get(key):
                yield _at(doc, "/status", f"{approved}文档缺少{label}（{key}）。",
                          f"补上 {key}，或把 status 改回 draft。")
        if doc.kind == "plan" and not data.get("number"):
            yield _at(doc, "/status", "现行预案缺少预案编号（number）。", "按区局编号规则补上，例如 WJJY-XX-ZX-01。")
        approver = data.get("approved_by")
        if approver and approver not in library.owners(doc).people:
            yield _at(doc, "/approved_by", f"审批人“{approver}”不在有权审批的人员名单中。",
                      "审批人须是 district.yaml（区级文档）或本校学校文件中 owners 列出的编号。")
        revisions = data.get("revisions") or []
        if not revisions:
            yield _at(doc, "/status", "现行文档没有修订记录。", "在 revisions 中为当前版本加一条记录。")
        elif revisions[-1].get("version") != data.get("version"):
            yield _at(doc, f"/revisions/{len(revisions) - 1}/version",
                      f"最后一条修订记录的版本“{revisions[-1].get('version')}”与文档版本“{data.get('version')}”不一致。",
                      "每次升版都要在 revisions 末尾加一条同版本号的记录。")


def _date(text) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


@rule("review-interval", ERROR, "下次评审不晚于颁布后 3 年")
def check_review_interval(library: Library):
    for doc in _schema_clean(library):
        issued, review = _date(doc.data.get("issued_on")), _date(doc.data.get("next_review"))
        if not issued or not review:
            continue
        reviews = [_date(r.get("date")) for r in doc.data.get("revisions") or [] if r.get("reason") == REVIEWED]
        start = max([issued] + [day for day in reviews if day])  # a review restarts the 3-year period
        since = "颁布日期" if start == issued else f"最近一次复审（{start}）"
        try:
            limit = start.replace(year=start.year + 3)
        except ValueError:  # 29 February
            limit = start.replace(year=start.year + 3, day=28)
        if review > limit:
            yield _at(doc, "/next_review", f"下次评审日期 {review} 晚于{since}后 3 年（{limit}）。",
                      f"把 next_review 改为 {limit} 或更早。")
        elif review <= issued:
            yield _at(doc, "/next_review", f"下次评审日期 {review} 不晚于颁布日期 {issued}。", "下次评审日期应在颁布日期之后。")


@rule("review-overdue", WARNING, "下次评审日期未过（现行文档按期复审）")
def check_review_overdue(library: Library):
    day = today()
    for doc in _schema_clean(library):
        review = _date(doc.data.get("next_review"))
        if doc.kind not in WORKFLOW_KINDS or doc.data.get("status") != "approved" or not review or review >= day:
            continue
        yield _at(doc, "/next_review", f"下次评审日期 {review} 已过（今天是 {day}，超期 {(day - review).days} 天）。",
                  "请组织复审：内容不变时，把 next_review 改为新的评审日期，并在 revisions 末尾加一条 reason: reviewed 的记录"
                  "（版本号不变）；内容需要修改时，升版并加一条说明改动的修订记录。两种都需要负责人批准。")
