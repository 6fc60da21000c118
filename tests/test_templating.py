"""Placeholders are data paths: every other construct is refused on the syntax tree, located,
before anything is rendered, in milliseconds and bounded memory."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from conftest import REPO, edit
from safeplan.content.loader import load_library
from safeplan.content.templating import compile_error, fill
from safeplan.checks.validate import validate

PLAN = "plans/school/special/fire.md"
BOMBS = {
    "ljust": "{{ school.name.ljust(1500000000)|length }}",
    "doubling macro": "{% macro d(s, n) %}{{ d(s ~ s, n) }}{% endmacro %}{{ d(school.name, 0) }}",
    "nested loops": "{% for a in school.assembly_points %}{% for b in school.assembly_points %}"
                    "{% for c in school.assembly_points %}{{ a.name }}{% endfor %}{% endfor %}{% endfor %}",
}


@pytest.mark.parametrize("name", BOMBS)
def test_exhausting_templates_are_refused_in_milliseconds(name):
    tracemalloc.start()
    started = time.perf_counter()
    error = compile_error("前文\n" + BOMBS[name])
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert error is not None and error.lineno == 2 and error.column == 1
    assert seconds < 0.05 and peak < 2 * 2**20, (seconds, peak)
    with pytest.raises(Exception, match="占位符中不允许使用"):
        fill(BOMBS[name], {"school": {"name": "x"}, "district": {}})


@pytest.mark.parametrize("name, what", [("ljust", "函数或方法调用"), ("doubling macro", "宏"), ("nested loops", "循环")])
def test_exhausting_templates_fail_validate_fast_in_a_small_address_space(tree, name, what):
    edit(tree / PLAN, "最近医院为", f"最近医院为\n\n- {BOMBS[name]}\n")
    exe = Path(sys.executable).with_name("safeplan")

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (768 * 2**20, 768 * 2**20))

    started = time.monotonic()
    result = subprocess.run([str(exe), "--root", str(tree), "validate"], capture_output=True, text=True,
                            timeout=60, preexec_fn=limit)
    assert time.monotonic() - started < 20
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"fire.md:65:3: error[placeholders]: 占位符中不允许使用{what}" in result.stdout, result.stdout


REFUSED = [  # (template, what the message names, column of the construct)
    ("{{ school.name.upper() }}", "函数或方法调用", 1),
    ("{{ 9 ** 9 ** 9 }}", "运算符 **", 1),
    ("{{ school.name * 3 }}", "运算符 *", 1),
    ("{{ school.counts.students + 1 }}", "运算符 +", 1),
    ("{{ school.name ~ school.name }}", "字符串拼接", 1),
    ("{% set x = school.name %}", "赋值 {% set %}", 1),
    ("{% set x %}a{% endset %}", "赋值 {% set %}", 1),
    ("{% include '/etc/passwd' %}", "包含文件", 1),
    ("{% import 'x' as y %}", "导入", 1),
    ("{% extends 'base' %}", "继承", 1),
    ("{% filter upper %}a{% endfilter %}", "{% filter %}", 1),
    ("{% with x = 1 %}{% endwith %}", "{% with %}", 1),
    ("{% call x() %}{% endcall %}", "{% call %}", 1),
    ("{{ school.name | upper }}", "过滤器 upper", 1),
    ("{{ school.name | center(100000) }}", "过滤器 center", 1),
    ("{{ school.notes | join(school.name) }}", "过滤器 join 的这种参数", 1),
    ("{{ school.name | default(999) }}", "过滤器 default 的这种参数", 1),
    ("{{ school | evacuation_rows('x') }}", "过滤器 evacuation_rows 的这种参数", 1),
    ("{{ school.__class__ }}", "以下划线开头的字段", 1),
    ("{{ school['_x'] }}", "这种下标", 1),
    ("{{ school.a[1:9] }}", "这种下标", 1),
    ("{{ range }}", "名称“range”", 1),
    ("{{ 'x' }}", "字面值", 1),
    ("{{ [1, 2] }}", "列表", 1),
    ("{{ school.a if school.b else school.c }}", "行内条件", 1),
    ("{% if school.name is sameas school %}x{% endif %}", "判断 is sameas", 1),
    ("{% if school.name | length %}x{% endif %}", "Filter", 1),
    ("前文 {{ school.name }} 后文 {{ lipsum(9) }}", "函数或方法调用", 25),
]


@pytest.mark.parametrize("template, what, column", REFUSED)
def test_every_other_construct_is_refused_with_its_place(template, what, column):
    error = compile_error(template)
    assert error is not None, template
    assert what in error.message and error.message.startswith("占位符中不允许使用"), error.message
    assert error.hint and error.lineno == 1 and error.column == column, (error.lineno, error.column)


SCHOOL = {
    "name": "样例小学", "notes": ["甲", "乙"], "counts": {"students": 100, "boarders": 0},
    "facilities": {"canteen": True, "boarding": False},
    "assembly_points": [{"id": "east", "name": "东操场", "capacity": 300}, {"id": "west", "name": "西草坪"}],
    "evacuation_routes": [{"building": "教学楼", "floors": 4, "route": "东梯", "assembly_point": "east"},
                          {"building": "食堂", "route": "南门", "assembly_point": "west"}],
}
ALLOWED = [
    ("{{ school.name }}", "样例小学"),
    ("{{ school.assembly_points[1].name }}", "西草坪"),
    ("{{ school['name'] }}", "样例小学"),
    ("{{ school.missing | default('无') }}", "无"),
    ("{{ school.notes | join('、') }}", "甲、乙"),
    ("{% if school.facilities.canteen and not school.facilities.boarding %}食堂{% else %}无{% endif %}", "食堂"),
    ("{% if school.counts.students > 50 %}大{% elif school.counts.boarders is defined %}中{% endif %}", "大"),
    ("{% if school.x is undefined or school.counts.boarders == 0 %}无寄宿{% endif %}", "无寄宿"),
    ("{% if '样例' in school.name %}是{% endif %}{# 注释 #}{% raw %}{{ 原文 }}{% endraw %}", "是{{ 原文 }}"),
    ("{{ school | evacuation_rows }}", "| 教学楼 | 4 | 东梯 | 东操场 |\n| 食堂 | — | 南门 | 西草坪 |"),
    ("{{ school | evacuation_steps }}", "   - 教学楼：东梯，到达东操场。\n   - 食堂：南门，到达西草坪。"),
    ("{{ school | assembly_points }}", "东操场（可容纳 300 人）；西草坪"),
]


@pytest.mark.parametrize("template, expected", ALLOWED)
def test_data_paths_filters_and_conditions_still_fill(template, expected):
    assert compile_error(template) is None
    assert fill(template, {"school": SCHOOL, "district": {}}) == expected


# The loops the sample plans used before the filters existed, rendered by a stock sandbox.
OLD_TABLE = ('{% for route in school.evacuation_routes %}| {{ route.building }} | {{ route.floors | default("—") }} | '
             '{{ route.route }} | {% for point in school.assembly_points %}{% if point.id == route.assembly_point %}'
             '{{ point.name }}{% endif %}{% endfor %} |\n{% endfor %}\n集合点：{% for point in school.assembly_points %}'
             '{{ point.name }}{% if point.capacity is defined %}（可容纳 {{ point.capacity }} 人）{% endif %}'
             '{% if not loop.last %}；{% endif %}{% endfor %}。')
NEW_TABLE = "{{ school | evacuation_rows }}\n\n集合点：{{ school | assembly_points }}。"
OLD_STEPS = ("不抢道：\n{%- for r in school.evacuation_routes %}\n   - {{ r.building }}：{{ r.route }}，到达"
             "{% for a in school.assembly_points if a.id == r.assembly_point %}{{ a.name }}{% endfor %}。\n"
             "{%- endfor %}\n2.")
NEW_STEPS = "不抢道：\n{{ school | evacuation_steps }}\n2."


def test_paths_reach_data_never_python_methods():
    context = {"school": {"items": "清单", "keys": ["甲"], "name": "样例小学"}, "district": {}}
    assert fill("{{ school.items }}{{ school.keys[0] }}{{ school.get | default('无') }}", context) == "清单甲无"
    for template in ("{{ school.name.upper }}", "{{ school.values }}", "{{ school.name[0] }}", "{{ school.keys[3] }}"):
        with pytest.raises(Exception, match="占位符无法填写"):
            fill(template, context)


def test_filters_render_what_the_old_loops_rendered_for_every_sample_school():
    library, _ = load_library(REPO)
    schools = library.schools
    assert len(schools) >= 12
    stock = ImmutableSandboxedEnvironment()
    for school in schools:
        context = {"school": school.data, "district": {}}
        for old, new in ((OLD_TABLE, NEW_TABLE), (OLD_STEPS, NEW_STEPS)):
            expected = stock.from_string(old).render(context)
            assert fill(new, context) == expected, school.id
            assert compile_error(old) is not None  # the old form is now refused


def test_validate_reports_a_refused_placeholder_once_at_its_place(tree):
    edit(tree / PLAN, "最近医院为", "{% for p in school.assembly_points %}{{ p.name }}{% endfor %}最近医院为")
    library, found = load_library(tree)
    placeholders = [p for p in found + validate(library) if p.rule == "placeholders"]
    assert len(placeholders) == 1, placeholders  # one problem, not one per school
    [problem] = placeholders
    assert (problem.line, problem.column) == (63, 17) and "循环" in problem.message and "evacuation_rows" in problem.hint


def test_a_refused_placeholder_in_a_yaml_value_points_into_the_value(tree):
    edit(tree / PLAN, 'who: "{{ school.organisation.medical.name }}"', 'who: "{{ school.organisation.medical.name() }}"')
    library, found = load_library(tree)
    [problem] = [p for p in found + validate(library) if p.rule == "placeholders"]
    assert problem.line == 27 and problem.column >= 19 and "调用" in problem.message
