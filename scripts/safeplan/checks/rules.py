"""validate's @rule rules + check_rules.RULES → one registry: ids, default and allowed severities, summaries.

The registry decides which severity safeplan.yaml may give each rule, and it is where the
rule ids of schemas/config.schema.json come from: `python -m safeplan.checks.rules` rewrites that
schema's `properties.rules` (and nothing else), so an unknown id or a forbidden severity in
safeplan.yaml is a schema error located at its key.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from safeplan.checks import check_rules, validate
from safeplan.problems import OFF, SEVERITIES, WARNING

REGENERATE = "python -m safeplan.checks.rules"
CONFIG_SCHEMA = "config.schema.json"


@dataclass(frozen=True)
class RuleInfo:
    id: str
    stage: str  # "validate" or "check": the command that reports it
    default: str
    allowed: tuple[str, ...]
    summary: str


def registry() -> dict[str, RuleInfo]:
    """Every rule of `validate` and `check`, in the order they are declared."""
    found = {rule_id: RuleInfo(rule_id, "validate", default, validate.ALLOWED.get(rule_id, SEVERITIES), summary)
             for rule_id, (default, summary, _) in validate.RULES.items()}
    for rule_id, (default, summary, *_) in check_rules.RULES.items():
        if rule_id in found:
            raise ValueError(f"rule id {rule_id} is registered by both validate and workflow")
        found[rule_id] = RuleInfo(rule_id, "check", default, check_rules.allowed_severities(rule_id), summary)
    return found


def severities(configured) -> dict[str, str]:
    """Rule id → severity under a `rules:` mapping: as configured where the rule allows it, else the default."""
    return {r.id: validate.severity_for(r.id, r.default, r.allowed, configured) for r in registry().values()}


def listing() -> list[tuple[str, str, str, str]]:
    """(id, default severity, allowed severities, summary) for `safeplan validate --list-rules`."""
    return [(r.id, r.default, ",".join(r.allowed), r.summary) for r in registry().values()]


# ---- the config schema's rule ids ---------------------------------------------------------------

def rules_schema() -> dict:
    """`properties.rules` of config.schema.json: one property per rule, its severities as an enum."""
    properties = {}
    for info in sorted(registry().values(), key=lambda r: r.id):
        limit = "" if OFF in info.allowed else "；不能关闭。" if WARNING in info.allowed else "；不能关闭，也不能降为 warning。"
        spec = {"title": info.id, "description": f"{info.summary}。默认 {info.default}{limit or '。'}"}
        spec.update({"const": info.allowed[0]} if len(info.allowed) == 1 else {"enum": list(info.allowed)})
        properties[info.id] = spec
    return {
        "type": "object",
        "description": f"规则编号 → 严重程度。编号和每条规则可选的严重程度由规则注册表生成（{REGENERATE}），"
                       "规则列表见 safeplan validate --list-rules。",
        "additionalProperties": False,
        "properties": properties,
    }


_RULES_KEY = re.compile(r'^([ \t]*)"rules":[ \t]*', re.M)


def with_generated_rules(text: str) -> str:
    """config.schema.json's text with `properties.rules` replaced by the generated one, the rest untouched."""
    schema = json.loads(text)
    match = _RULES_KEY.search(text)
    if match is None or "rules" not in schema.get("properties", {}):
        raise ValueError(f"{CONFIG_SCHEMA} has no properties.rules")
    _, end = json.JSONDecoder().raw_decode(text, match.end())
    indent = match.group(1)
    new = text[:match.end()] + _render(rules_schema(), indent) + text[end:]
    result = json.loads(new)
    schema["properties"]["rules"] = rules_schema()
    if result != schema:  # the key found was not properties.rules
        raise ValueError(f"could not locate properties.rules in {CONFIG_SCHEMA}")
    return new


def _render(block: dict, indent: str) -> str:
    """The block with one rule per line, so that a new rule is a one-line change."""
    inner = indent + "  "
    parts = [f"{inner}{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in block.items() if k != "properties"]
    rules = ",\n".join(f"{inner}  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in block["properties"].items())
    parts.append(f'{inner}"properties": {{\n{rules}\n{inner}}}')
    return "{\n" + ",\n".join(parts) + f"\n{indent}}}"


def main(argv: list[str] | None = None) -> int:
    """Rewrite properties.rules of the source checkout's schemas/config.schema.json."""
    from safeplan.content.schemas import schema_dir

    path = Path(argv[0]) if argv else schema_dir() / CONFIG_SCHEMA
    text = path.read_text(encoding="utf-8")
    new = with_generated_rules(text)
    if new != text:
        path.write_text(new, encoding="utf-8")
        print(f"已更新 {path}")
    else:
        print(f"{path} 已是最新")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
