"""Site test fixtures: a small real library in git, its real PDF bundle, built into a real MkDocs site, and a link checker.

Imported by tests/test_site.py (tests/conftest.py belongs to another part of the suite).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import posixpath
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import MINI, built_once, run_cli
from safeplan.checks import validate

SAFEPLAN = Path(sys.executable).with_name("safeplan")
HOSTILE_RULES = ("unsafe-html", "unsafe-link")  # what the hostile note below would fail


@lru_cache(maxsize=1)
def unguarded_safeplan(rules: tuple[str, ...] = HOSTILE_RULES) -> Path:
    """The safeplan command with `rules` (by default the two the hostile note fails) taken out of the rule registry.

    Safety rules cannot be switched off in safeplan.yaml; to prove a renderer or the public scan safe by itself,
    tests build hostile trees with this copy of the command (the rules are removed in its process only).
    """
    script = Path(tempfile.mkdtemp(prefix="safeplan-unguarded-")) / "safeplan"
    script.write_text(f"#!{sys.executable}\nimport sys\nfrom safeplan.checks import validate\n"
                      f"for rule_id in {tuple(rules)!r}:\n    del validate.RULES[rule_id]\n"
                      "from safeplan.cli import main\nsys.exit(main())\n", encoding="utf-8")
    script.chmod(0o755)
    return script
BUS_SCHOOL = "hutang-experimental-primary"  # has a micro fire station and gets a bundle
SMALL_SCHOOL = "small-village-primary"  # no micro fire station, no bundle
# 2029-07-15: fire documents (next review 2029-08-31) are due within 90 days, the gate plan (2029-06-30) is overdue
BUILD_EPOCH = int(datetime(2029, 7, 15, tzinfo=timezone.utc).timestamp())
BUILD_DAY = "2029-07-15"  # the day reviews are judged against (SAFEPLAN_TODAY); the clock otherwise
GIT_ENV = {
    "GIT_AUTHOR_NAME": "冯样例", "GIT_AUTHOR_EMAIL": "feng@example.invalid",
    "GIT_COMMITTER_NAME": "冯样例", "GIT_COMMITTER_EMAIL": "feng@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}

MICRO_FIRE_CHECKLIST = """\
id: micro-fire-kit
title: 微型消防站器材与值守月检表
frequency: monthly
role: 安全管理人员
areas: [微型消防站]
applies_to: {all_of: [security.micro_fire_station]}
summary: 建有微型消防站的学校每月检查一次器材、值守和一键式紧急报警联动。
status: approved
version: "1.0"
number: TEST-QD-90
approved_by: wj-safety-head
issued_on: "2026-09-01"
next_review: "2029-08-31"
revisions:
  - {version: "1.0", date: "2026-09-01", reason: risk_change, summary: 测试用清单首次编制。}
tags: [消防, 微型消防站]
references:
  plans: [fire]
items:
  - {check: 微型消防站灭火器、水带和防护服, standard: 数量与登记表一致，压力表在绿区, hazard: 器材缺失、失压或过期, grade: 一般}
  - {check: 微型消防站队员值守, standard: 排班表覆盖全天，队员 3 分钟内到场, hazard: 无人值守或到场超过 3 分钟, grade: 重大}
  - {check: 一键式紧急报警按钮, standard: 按下后公安指挥中心 1 分钟内回拨确认, hazard: 报警不通或无人回拨, grade: 重大}
"""

GATE_PLAN = """\
---
id: onsite-gate
title: 校门口暴力闯入现场处置方案
tier: 现场处置方案
level: school
category: 社会安全事件
applies_to: {}
summary: 不明人员持械冲击校门时，门卫按本方案报警、阻挡、疏导学生。
status: approved
version: "1.0"
number: TEST-XX-XC-90
approved_by: wj-safety-head
issued_on: "2026-09-01"
next_review: "2029-06-30"
revisions:
  - {version: "1.0", date: "2026-09-01", reason: risk_change, summary: 测试用方案首次编制。}
organisation:
  - {role: 现场指挥, who: "{{ school.organisation.security_captain.name }}", duties: 指挥门卫阻挡闯入人员，等候公安到场。}
procedure:
  - {within: 立即, who: 门卫值班保安, action: 按下一键式紧急报警按钮，关闭校门，拿起钢叉和防暴盾牌。}
  - {within: 1分钟内, who: 门卫值班保安, action: "电话报警 110，并报告安全办（{{ school.contacts.police.phone }} 为属地派出所）。"}
  - {within: 5分钟内, who: 班主任, action: 把学生带进教室，锁门、拉窗帘，清点人数。}
---

## 事故风险描述

{{ school.name }}校门口上下学时段人员密集，存在不明人员持械闯入的风险。

## 应急工作职责

保安队长{{ school.organisation.security_captain.name }}任现场指挥；值班保安负责报警和阻挡。

## 应急处置

1. 立即按下一键式紧急报警按钮，同时拨打 110。
2. 关闭校门，用钢叉隔离闯入人员，不单独追赶。
3. 广播通知各班就地锁门，等待解除通知。

## 注意事项

本现场处置方案每学期演练一次；演练时不得使用真实器械对人。
"""

HOSTILE_NOTE = """\
---
id: hostile
title: 含恶意代码的说明<img src=x onerror="window.__pwned=4">
status: approved
version: "1.0"
approved_by: wj-safety-head
issued_on: "2026-09-01"
next_review: "2029-08-31"
revisions:
  - {version: "1.0", date: "2026-09-01", reason: other, summary: 测试内容中的脚本不会执行。}
tags: ["<i>恶意</i>"]
---

## 说明

脚本测试段落。<script>window.__pwned = 1;</script>

<img src="x" onerror="window.__pwned = 2">

<iframe src="http://example.com/frame"></iframe>

<style>body { background: url(http://example.com/bg.png) }</style>

## 注意 {onclick="window.__pwned=3"}

[点我](javascript:window.__pwned=5) 和 <a href="../../../../etc/passwd">本机文件</a> 和 <b onmouseover="window.__pwned=6">加粗</b>
"""

def git(tree: Path, *args: str, date: str = "2026-09-01T08:00:00+08:00") -> None:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    subprocess.run(["git", *args], cwd=tree, env=env, check=True, capture_output=True)


def make_site_tree(base: Path) -> Path:
    """MINI plus a micro-fire-station checklist, an onsite plan and a hostile note, in git with one rename."""
    tree = base / "library"
    shutil.copytree(MINI, tree)
    (tree / "checklists" / "micro-fire-kit.yaml").write_text(MICRO_FIRE_CHECKLIST, encoding="utf-8")
    (tree / "plans" / "school" / "onsite").mkdir(parents=True)
    (tree / "plans" / "school" / "onsite" / "onsite-gate.md").write_text(GATE_PLAN, encoding="utf-8")
    (tree / "notes" / "hostile.md").write_text(HOSTILE_NOTE, encoding="utf-8")
    # the validator would refuse the hostile note: build this tree with unguarded_safeplan()
    (tree / ".gitignore").write_text("build/\n", encoding="utf-8")
    special = tree / "plans" / "school" / "special"
    (tree / "plans" / "school" / "fire.md").write_bytes((special / "fire.md").read_bytes())
    (special / "fire.md").unlink()
    git(tree, "init", "-q", "-b", "main")
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", "首次导入预案库")
    special.mkdir(exist_ok=True)
    git(tree, "mv", "plans/school/fire.md", "plans/school/special/fire.md", date="2026-09-02T09:00:00+08:00")
    git(tree, "commit", "-q", "-m", "把火灾预案移到专项预案目录", date="2026-09-02T09:00:00+08:00")
    return tree


def add_bundle(tree: Path, built: Path) -> dict:
    """The PDF renderer's output (build/pdf: the bundle and manifest.json) of the built tree, laid into tree."""
    shutil.copytree(built / "build" / "pdf", tree / "build" / "pdf", ignore=shutil.ignore_patterns(".*"))
    return bundle_entry(tree)


def bundle_entry(tree: Path, school: str = BUS_SCHOOL) -> dict:
    manifest = json.loads((tree / "build" / "pdf" / "manifest.json").read_text(encoding="utf-8"))
    return next(entry for entry in manifest["bundles"] if entry["school"] == school)


@contextlib.contextmanager
def unguarded(environment: dict, rules: tuple[str, ...] = HOSTILE_RULES):
    """This process with `environment` set and `rules` (by default the two the hostile note fails) out of
    the rule registry, until the end: unguarded_safeplan() without a new interpreter."""
    saved_rules, saved_environ = dict(validate.RULES), dict(os.environ)
    try:
        for rule_id in rules:
            del validate.RULES[rule_id]
        os.environ.update(environment)
        yield
    finally:
        validate.RULES.clear()
        validate.RULES.update(saved_rules)  # in their order: the listing and the config schema follow it
        os.environ.clear()
        os.environ.update(saved_environ)


def build_tree(tree: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`safeplan --root TREE build ARGS`, as an editor runs it (without the rules the hostile note fails):
    in this process, or through unguarded_safeplan() when env changes what Python imports."""
    environment = {"SOURCE_DATE_EPOCH": str(BUILD_EPOCH), "SAFEPLAN_TODAY": BUILD_DAY, "CI": "1", **(env or {})}
    argv = ["--root", str(tree), "build", *args]
    if "PYTHONPATH" in environment:
        return subprocess.run([str(unguarded_safeplan()), *argv], capture_output=True, text=True, timeout=600,
                              env={**os.environ, **environment})
    with unguarded(environment):
        return run_cli(*argv)


def build_site(tree: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`safeplan --root TREE build --only site ARGS` (see build_tree)."""
    return build_tree(tree, "--only", "site", *args, env=env)


def _make_built_tree(folder: Path) -> None:
    tree = make_site_tree(folder)
    for target in (["--only", "pdf", "--school", BUS_SCHOOL], ["--only", "site"]):
        result = build_tree(tree, *target)
        assert result.returncode == 0, result.stderr + result.stdout


@pytest.fixture(scope="session")
def built_tree(run_dir) -> Path:
    """The test library with the real PDF bundle of one school, built once for the test run (read only: copy it to change it)."""
    return built_once(run_dir, "site-tree", _make_built_tree) / "library"


def site_files(site: Path) -> dict[str, str]:
    """Relative path → sha256 of every file in a built site."""
    return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- link checking

class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, url)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key) and (key == "id" or tag == "a"):
                self.ids.add(attrs[key])
        for attribute in ("href", "src"):
            if attrs.get(attribute) is not None:
                self.links.append((tag, attribute, attrs[attribute]))


def parse_site(site: Path) -> dict[str, _Page]:
    pages = {}
    for path in sorted(site.rglob("*.html")):
        parser = _Page()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path.relative_to(site).as_posix()] = parser
    return pages


def check_links(site: Path) -> tuple[list[str], list[str]]:
    """(broken internal links and anchors, external resources) over every HTML page of the site."""
    pages = parse_site(site)
    broken, external = [], []
    for name, page in pages.items():
        base = posixpath.dirname(name)
        for tag, attribute, url in page.links:
            parts = urlsplit(url)
            if parts.scheme in ("mailto", "tel"):
                continue
            if parts.scheme or url.startswith("//"):
                # following a link is the reader's choice; loading anything from elsewhere is a request
                if not (tag == "a" and attribute == "href"):
                    external.append(f"{name}: <{tag} {attribute}={url}>")
                continue
            if parts.path.startswith("/"):  # 404.html links from the site root: it is served at any depth
                target = posixpath.normpath(unquote(parts.path).lstrip("/") or ".")
            else:
                target = posixpath.normpath(posixpath.join(base, unquote(parts.path))) if parts.path else name
            if target.startswith(".."):
                broken.append(f"{name}: {url} leaves the site")
                continue
            candidate = site / target
            if candidate.is_dir():
                target = posixpath.join(target, "index.html")
                candidate = site / target
            if not candidate.is_file():
                broken.append(f"{name}: {url} → {target} does not exist")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.endswith(".html") and fragment not in pages[target].ids:
                broken.append(f"{name}: {url} → no #{fragment} in {target}")
    return broken, external
