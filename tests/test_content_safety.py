"""One content-safety policy: validation reports exactly what the renderers' sanitizer removes,
control and bidi characters never enter parsed content, and the terminal never gets them raw."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, edit, run_cli
from safeplan.content.loader import load_library
from safeplan.report import as_text, printable
from safeplan.problems import ERROR, Problem
from safeplan.content.sanitize import _clean, _markdown, _parse, _signature, markdown_to_safe_html, removals
from safeplan.checks.validate import validate

PLAN = "plans/school/special/fire.md"
CHECKLIST = "checklists/fire-safety.yaml"

HOSTILE = {  # form → (text, rule, what the message says)
    "multi-line tag": ("<iframe\nsrc=//evil.example>\n</iframe>", "unsafe-html", "<iframe>"),
    "upper-case tag": ("<SCRIPT>alert(1)</SCRIPT>", "unsafe-html", "<script>"),
    "entity scheme": ("[点我](java&#115;cript:alert(1))", "unsafe-link", "javascript:"),
    "hex entity scheme": ('<a href="&#x6a;avascript:alert(1)">点</a>', "unsafe-link", "javascript:"),
    "tab in scheme": ("[点我](java\tscript:alert(1))", "unsafe-link", "javascript:"),
    "percent dots": ("[附件](%2e%2e/%2e%2e/etc/passwd)", "unsafe-link", "仓库之外"),
    "double percent dots": ("![图](assets/%252e%252e/x.png)", "unsafe-link", "仓库之外"),
    "event handler": ('<b onmouseover="alert(1)">粗</b>', "unsafe-html", "onmouseover"),
    "style": ('<b style="background:url(x)">粗</b>', "unsafe-html", "style"),
    "comment": ("<!-- 隐藏的内容 -->", "unsafe-html", "注释"),
    "processing instruction": ("<?php echo 1 ?>", "unsafe-html", "声明"),
    "cdata": ("<![CDATA[ 隐藏 ]]>", "unsafe-html", "声明"),
    "svg": ("<svg/onload=alert(1)>", "unsafe-html", "<svg>"),
    "reference link": ("[附件][1]\n\n[1]: ../../etc/passwd", "unsafe-link", "仓库之外"),
    "external image": ("![图](https://evil.example/a.png)", "unsafe-link", "外部地址"),
    "rcdata hiding": ("<title><img src=x onerror=alert(1)></title>", "unsafe-html", "<title>"),
    "noscript hiding": ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', "unsafe-html", "<noscript>"),
    "nested script": ("<scr<script>ipt>alert(1)</script>", "unsafe-html", "<script>"),
    "target attribute": ("<a href='https://x.cn' target=_blank>t</a>", "unsafe-html", "target"),
    "angle-bracket scheme": ("[x](<javascript:alert(1)>)", "unsafe-link", "javascript:"),
}
BENIGN = [
    "**加粗** *斜体* `代码 <b>` 和 <br> <sup>2</sup> <kbd>Ctrl</kbd>",
    "| 楼栋 | 路线 |\n|:---|---:|\n| 教学楼 | 东梯 |",
    "1. 第一\n2. 第二\n\n- 甲\n- 乙\n\n> 引用",
    "```python\nprint('<script>')\n```",
    "[应急管理部](https://www.mem.gov.cn/) [上文](#处置措施) [附件](notes/a.md) ![图](assets/map.png)",
    "[电话](tel:0519-12345678) 和 [邮件](mailto:a@example.cn)，a &lt; b &amp; c <https://www.mem.gov.cn/>",
]


@pytest.mark.parametrize("form", HOSTILE)
def test_validation_reports_what_the_renderer_removes_at_its_place(tree, form):
    text, rule, what = HOSTILE[form]
    edit(tree / PLAN, "最近医院为", f"最近医院为\n\n前文{text}\n\n")
    library, found = load_library(tree)
    reported = [p for p in found + validate(library) if p.rule == rule]
    assert reported and any(what in p.message for p in reported), reported
    assert all(p.path == PLAN and p.hint for p in reported), reported
    first = text.split("\n")[0]  # inside the construct, which starts right after 前文
    assert any((p.line, p.column) in [(65, c) for c in range(3, 3 + len(first))] for p in reported) or \
        form == "reference link" and reported[0].line == 67, reported
    assert removals(text), "validation found it through the sanitizer"
    raw, safe = _markdown(text), markdown_to_safe_html(text)
    assert _parse(raw).tags != _parse(safe).tags or _parse(raw).comments, "control: the sanitizer changes it"


@pytest.mark.parametrize("text", BENIGN)
def test_what_the_renderer_keeps_is_not_reported(text):
    assert removals(text) == ()
    assert markdown_to_safe_html(text)  # and renders


def test_a_hostile_yaml_value_is_reported_at_its_field(tree):
    edit(tree / CHECKLIST, "summary: ", 'summary: "<iframe\\nsrc=//x></iframe>" # ', 1)
    library, found = load_library(tree)
    [problem] = [p for p in found + validate(library) if p.rule == "unsafe-html"]
    assert (problem.path, problem.line, problem.column) == (CHECKLIST, 7, 1) and "<iframe>" in problem.message


_FRAGMENTS = st.sampled_from(["<", ">", "&", "[", "]", "(", ")", "!", "#", "`", "*", "-", "|", "\n", " ", ":", "/",
                              ".", "%2e", "a", "b", "img", "script", "href=", "src=", "on", "=", '"', "javascript",
                              "assets/", "http", "&#115;", "<!--", "-->", "1. ", "\n\n", "    ", "<?", "<!", "?>",
                              "[CDATA[", "DOCTYPE", "title", "noscript", "textarea", "style", "'", "`"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_FRAGMENTS, max_size=30).map("".join))
def test_no_removal_reported_means_the_sanitizer_changed_nothing(text):
    """The shortcut for text without markup, and the comparison itself, never hide a change."""
    raw, safe = _parse(_markdown(text)), _parse(_clean(_markdown(text)))
    changed = (Counter(_signature(*t) for t in raw.tags) - Counter(_signature(*t) for t in safe.tags)
               or raw.comments != safe.comments
               or "".join(raw.text).split() != "".join(safe.text).split())
    if not removals(text):
        assert not changed, text


def test_the_sample_library_has_nothing_the_sanitizer_removes():
    library, found = load_library(REPO)
    assert not [p for p in found + validate(library) if p.rule in ("unsafe-html", "unsafe-link")]


ESCAPES = ["\\u202e", "\\0", "\\e", "\\x1b[31m", "\\u2066", "\\x85", "\\x7f"]


@pytest.mark.parametrize("escape", ESCAPES)
def test_escaped_control_characters_in_values_are_located_errors(tree, escape):
    edit(tree / "schools/small-village-primary.yaml", "name: 武进区样例村小", f'name: "武进区样例村小{escape}"')
    _, found = load_library(tree)
    [problem] = [p for p in found if p.path == "schools/small-village-primary.yaml"]
    assert (problem.rule, problem.line, problem.column) == ("load", 4, 7)
    assert "值中含有不可见的控制字符" in problem.message and problem.hint


def test_escaped_control_characters_in_keys_and_front_matter_are_located_errors(tree):
    edit(tree / PLAN, "tier: 专项应急预案", 'tier: 专项应急预案\n"x\\u202ey": 1')
    edit(tree / CHECKLIST, "summary: ", '"summ\\eary": 1\nsummary: ')
    _, found = load_library(tree)
    by_path = {p.path: p for p in found}
    assert by_path[PLAN].line == 5 and "字段名中含有不可见的控制字符 U+202E" in by_path[PLAN].message
    assert by_path[CHECKLIST].line == 7 and "U+001B" in by_path[CHECKLIST].message


def test_the_terminal_report_escapes_control_characters(tree):
    hostile = "evil\x1b[31m\u202e.txt"
    (tree / "plans" / hostile).write_text("x", encoding="utf-8")
    _, found = load_library(tree)
    assert any(hostile in p.path for p in found), "control: the problem carries the raw escape"
    result = run_cli("--root", str(tree), "validate")
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "evil\\x1b[31m\\u202e.txt" in result.stdout
    problem = Problem("a\x00.md", 1, 1, ERROR, "load", "消息\x9b2J\u2067", "提示\r\n")
    assert as_text([problem], 1).startswith("a\\x00.md:1:1: error[load]: 消息\\x9b2J\\u2067\n  提示：提示\\x0d\\x0a\n")
    assert printable("正常文字\t") == "正常文字\\x09"
