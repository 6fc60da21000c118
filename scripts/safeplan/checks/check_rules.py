"""The rules of `safeplan check` → their ids, severities and summaries, declared where the registry can see them.

review/workflow implements them; checks/rules registers them beside validate's, so the
registry needs nothing from a later stage.
"""

from __future__ import annotations

from safeplan.problems import ERROR, WARNING

# id → (default severity, Chinese summary[, the severities safeplan.yaml may choose]).
# Without the third item a rule allows only error (and its default): each workflow rule guards
# what may be published, so none can be switched off or lowered by the change it checks.
# The two unverified cases (approval-unverified, protected-file without --approvals) are
# warnings on a local run by design, decided by the CI variable, not by configuration.
RULES = {
    "workflow-file": (ERROR, "workflow.yaml 存在且符合其 Schema"),
    "workflow-transition": (ERROR, "状态转换是 workflow.yaml 允许的"),
    "version-bump": (ERROR, "现行文档的内容修改有更高的版本号和对应的修订记录"),
    "version-backwards": (ERROR, "版本号不倒退"),
    "revision-history": (ERROR, "已有的修订记录不被删除或改写"),
    "approver": (ERROR, "审批人是本校或区局的负责人（以合并基点上的名单为准）"),
    "host-approval": (ERROR, "审批人在代码托管平台上批准了本合并请求（--approvals）"),
    "self-approval": (ERROR, "合并请求的作者（--author）不能批准自己的改动"),
    "approval-unverified": (ERROR, "批准已由代码托管平台核实；没有 --approvals 时本地运行为警告，CI 中为错误"),
    "protected-file": (ERROR, "修改审核关卡自身的文件（safeplan.yaml、workflow.yaml、schemas/、scripts/、CI 配置等）须由区局负责人在平台上批准"),
    "school-changed": (ERROR, "已有文档的所属学校（school）不被改变"),
    "retired-revived": (ERROR, "废止的文档不被恢复"),
    "dangling-after-delete": (ERROR, "删除或改名的文档没有被其他文档引用"),
    "codeowners-stale": (ERROR, "托管平台读取的 CODEOWNERS 与负责人名单一致"),
    "record-deleted": (ERROR, "隐患、演练和信息报告记录不被删除（作废要写明原因）"),
    "hazard-reopened": (ERROR, "已销号或作废的隐患不被悄悄重新打开"),
    "retire-in-use": (WARNING, "废止的文档没有被现行文档引用、没有学校正在使用（否则列出它们）"),
}


def allowed_severities(rule_id: str) -> tuple[str, ...]:
    default, _, *allowed = RULES[rule_id]
    return tuple(allowed[0]) if allowed else tuple(dict.fromkeys((ERROR, default)))
