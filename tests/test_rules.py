"""Every validation rule, both ways, on a real content tree in a temp dir."""

from __future__ import annotations

import pytest

from conftest import edit
from safeplan.content.loader import load_library
from safeplan.checks.safety_rules import required_guards
from safeplan.checks.validate import validate

PLAN = "plans/school/special/fire.md"
DRILL = "drills/fire-drill.md"
SCHOOL = "schools/small-village-primary.yaml"
BIG_SCHOOL = "schools/hutang-experimental-primary.yaml"
CHECKLIST = "checklists/fire-safety.yaml"


def problems(tree, rule=None):
    library, found = load_library(tree)
    found = found + validate(library)
    return [p for p in found if rule is None or p.rule == rule]


def test_fixture_tree_is_clean(tree):
    assert problems(tree) == []


def test_rule_schema(tree):
    edit(tree / PLAN, "tier: 专项应急预案", "tier: 专项预案")
    [problem] = problems(tree, "schema")
    assert (problem.path, problem.line, problem.column) == (PLAN, 4, 1)
    assert problem.message == "tier 的值“专项预案”不在允许范围内。"
    assert "专项应急预案" in problem.hint


def test_rule_id_matches_filename(tree):
    (tree / CHECKLIST).rename(tree / "checklists/fire.yaml")
    edit(tree / PLAN, "  checklists: [fire-safety]\n", "")
    [problem] = problems(tree, "id-matches-filename")
    assert problem.path == "checklists/fire.yaml" and problem.line == 1


def test_rule_unique_id(tree):
    text = (tree / CHECKLIST).read_text(encoding="utf-8")
    (tree / "checklists" / "copy").mkdir()
    (tree / "checklists" / "copy" / "fire-safety.yaml").write_text(text, encoding="utf-8")
    [problem] = problems(tree, "unique-id")
    assert "已被 checklists/" in problem.message


def test_rule_references(tree):
    edit(tree / PLAN, "  drills: [fire-drill]", "  drills: [fire-drill, no-such-drill]")
    [problem] = problems(tree, "references")
    assert (problem.path, problem.line, problem.column) == (PLAN, 19, 24)
    assert problem.message == "引用的文档“no-such-drill”不存在。"


def test_rule_references_assembly_point(tree):
    edit(tree / SCHOOL, "assembly_point: yard", "assembly_point: gate")
    [problem] = problems(tree, "references")
    assert problem.path == SCHOOL and "集合点“gate”不存在" in problem.message


def test_rule_approval(tree):
    edit(tree / PLAN, "approved_by: wj-safety-head\n", "")
    [problem] = problems(tree, "approval")
    assert problem.message == "现行（approved）文档缺少审批人（approved_by）。"


def test_rule_approval_unknown_approver_and_revision(tree):
    edit(tree / PLAN, "approved_by: wj-safety-head", "approved_by: someone-else")
    edit(tree / PLAN, 'version: "1.0"\nnumber', 'version: "1.1"\nnumber')
    messages = [p.message for p in problems(tree, "approval")]
    assert "审批人“someone-else”不在有权审批的人员名单中。" in messages
    assert any("与文档版本“1.1”不一致" in m for m in messages)


def test_rule_approval_ignores_drafts(tree):
    edit(tree / PLAN, "status: approved", "status: draft")
    edit(tree / PLAN, "approved_by: wj-safety-head\n", "")
    assert problems(tree, "approval") == []


def test_rule_review_interval(tree):
    edit(tree / PLAN, 'next_review: "2029-08-31"', 'next_review: "2029-09-02"')
    [problem] = problems(tree, "review-interval")
    assert problem.message == "下次评审日期 2029-09-02 晚于颁布日期后 3 年（2029-09-01）。"
    assert problem.line == 14


def test_rule_review_overdue(tree, monkeypatch):
    monkeypatch.setenv("SAFEPLAN_TODAY", "2029-08-31")
    assert problems(tree, "review-overdue") == []
    monkeypatch.setenv("SAFEPLAN_TODAY", "2029-09-01")
    found = {p.path: p for p in problems(tree, "review-overdue")}
    assert (found[PLAN].line, found[PLAN].severity) == (14, "warning")
    assert found[PLAN].message == "下次评审日期 2029-08-31 已过（今天是 2029-09-01，超期 1 天）。"
    edit(tree / PLAN, "status: approved", "status: retired")
    assert PLAN not in {p.path for p in problems(tree, "review-overdue")}  # only approved documents fall due


def test_rule_drill_frequency(tree):
    edit(tree / DRILL, "幼儿园: 4", "幼儿园: 3")
    [problem] = problems(tree, "drill-frequency")
    assert problem.message == "幼儿园每学年疏散演练合计 3 次，低于最低要求 4 次。"


def test_rule_onsite_drill(tree):
    onsite = (tree / PLAN).read_text(encoding="utf-8")
    onsite = onsite.replace("id: fire", "id: onsite-x").replace("tier: 专项应急预案", "tier: 现场处置方案")
    onsite = onsite.replace("  drills: [fire-drill]\n", "")
    body = "\n## 事故风险描述\n\n甲。\n\n## 应急工作职责\n\n乙。\n\n## 应急处置\n\n丙。\n\n## 注意事项\n\n丁。\n"
    (tree / "plans/school/onsite-x.md").write_text(onsite.split("---\n", 2)[0] + "---\n" + onsite.split("---\n", 2)[1] + "---\n" + body, encoding="utf-8")
    [problem] = problems(tree, "onsite-drill")
    assert problem.severity == "warning" and problem.path == "plans/school/onsite-x.md"
    edit(tree / "plans/school/onsite-x.md", "  checklists: [fire-safety]", "  checklists: [fire-safety]\n  drills: [fire-drill]")
    assert problems(tree, "onsite-drill") == []


def test_rule_gbt29639_sections(tree):
    edit(tree / PLAN, "## 响应启动", "## 启动响应")
    [problem] = problems(tree, "gbt29639-sections")
    assert problem.message == "专项应急预案缺少必需章节：响应启动。"
    assert problem.line == 36  # the body's first line


def test_rule_gbt29639_sections_order_and_numbering(tree):
    text = (tree / PLAN).read_text(encoding="utf-8")
    text = text.replace("## 适用范围", "## 一、适用范围")
    head, body = text.split("## 应急组织机构及职责", 1)
    org, rest = body.split("## 响应启动", 1)
    (tree / PLAN).write_text(head + "## 响应启动" + rest + "\n## 应急组织机构及职责" + org, encoding="utf-8")
    [problem] = problems(tree, "gbt29639-sections")
    assert problem.message == "章节顺序与 GB/T 29639-2020 不一致。"


def test_rule_gbt29639_subsections(tree):
    comprehensive = (tree / PLAN).read_text(encoding="utf-8").replace("tier: 专项应急预案", "tier: 综合应急预案")
    front = comprehensive.split("---\n", 2)[1].replace("id: fire", "id: comprehensive")
    body = "".join(f"\n## {name}\n\n内容。\n" for name in ("总则", "应急组织机构及职责", "应急响应", "后期处置", "应急保障"))
    body = body.replace("## 总则\n\n内容。\n", "## 总则\n\n内容。\n\n### 适用范围\n\n甲。\n")
    (tree / "plans/school/comprehensive.md").write_text("---\n" + front + "---\n" + body, encoding="utf-8")
    found = {p.message for p in problems(tree, "gbt29639-subsections")}
    assert "“总则”下缺少要素：响应分级。" in found
    assert problems(tree, "gbt29639-sections") == []


def test_rule_applies_to_fields(tree):
    edit(tree / CHECKLIST, "applies_to: {}", "applies_to: {all_of: [facilities.bus]}")
    [problem] = problems(tree, "applies-to-fields")
    assert problem.message == "适用规则中的字段“facilities.bus”在学校文件中不存在。"
    assert problem.hint == "可用字段：facilities.school_bus" and (problem.line, problem.column) == (6, 23)


def test_rule_placeholders(tree):
    edit(tree / PLAN, "医疗救护组, who: \"{{ school.organisation.medical.name }}\"",
         "医疗救护组, who: \"{{ school.organisation.canteen_manager.name }}\"")
    [problem] = problems(tree, "placeholders")
    assert problem.message == "占位符无法填写：字段“canteen_manager”不存在（学校：small-village-primary）"
    assert (problem.line, problem.column) == (27, 19)


def test_rule_placeholders_in_body_and_limited_by_applies_to(tree):
    edit(tree / PLAN, "最近医院为", "食堂负责人{{ school.organisation.canteen_manager.name }}；最近医院为")
    [problem] = problems(tree, "placeholders")
    assert (problem.line, problem.column) == (63, 22) and "small-village-primary" in problem.message
    edit(tree / PLAN, "applies_to: {}", "applies_to: {all_of: [facilities.canteen]}")
    assert problems(tree, "placeholders") == []


def test_rule_placeholders_sandbox(tree):
    edit(tree / PLAN, "最近医院为", "{{ school.__class__.__mro__ }}最近医院为")
    [problem] = problems(tree, "placeholders")
    assert "占位符" in problem.message


def test_rule_guard_staffing(tree):
    edit(tree / SCHOOL, "full_time_guards: 1", "full_time_guards: 0")
    [problem] = problems(tree, "guard-staffing")
    assert problem.severity == "warning"
    assert problem.message == "师生共 69 人，至少应配专职保安员 1 名，现有 0 名。"


@pytest.mark.parametrize("people,guards", [(0, 1), (99, 1), (100, 2), (1000, 2), (1001, 3), (1500, 3), (1501, 4)])
def test_required_guards(people, guards):
    assert required_guards(people) == guards


def test_rule_three_100(tree):
    edit(tree / SCHOOL, "video_linked: true", "video_linked: false")
    [problem] = problems(tree, "three-100")
    assert problem.message == "“三个100%”未达标：重要部位视频监控联网。"


def test_rule_micro_fire_station(tree):
    edit(tree / SCHOOL, "nap_room: false", "nap_room: true")
    edit(tree / SCHOOL, "  security_captain:", "  dorm_manager: {name: 壬样例, title: 保育员, mobile: \"13900009009\"}\n  security_captain:")
    [problem] = problems(tree, "micro-fire-station")
    assert problem.severity == "warning" and problem.path == SCHOOL


def test_severity_is_configurable(tree):
    edit(tree / SCHOOL, "video_linked: true", "video_linked: false")
    edit(tree / "safeplan.yaml", "three-100: warning", "three-100: error")
    assert [p.severity for p in problems(tree, "three-100")] == ["error"]
    edit(tree / "safeplan.yaml", "three-100: error", "three-100: off")
    assert problems(tree, "three-100") == []


def test_bad_config_is_a_schema_problem(tree):
    edit(tree / "safeplan.yaml", "three-100: warning", "three-100: loud")
    [problem] = problems(tree, "schema")
    assert problem.path == "safeplan.yaml" and "three-100" in problem.message


@pytest.mark.parametrize("html", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<iframe src=//x></iframe>",
    "<b onclick=\"x()\">粗</b>", "<span style=\"x\">a</span>", "<iframe\nsrc=//x></iframe>", "<!-- 隐藏 -->",
    "<svg/onload=alert(1)>", "<object data=x></object>",
])
def test_rule_unsafe_html(tree, html):
    edit(tree / PLAN, "最近医院为", f"{html}最近医院为")
    [problem] = problems(tree, "unsafe-html")
    assert (problem.path, problem.line) == (PLAN, 63) and problem.message.startswith("不允许的 HTML")


def test_rule_unsafe_html_allows_plain_tags(tree):
    edit(tree / PLAN, "最近医院为", "<b>最近</b>医院为<br>")
    assert problems(tree, "unsafe-html") == []


@pytest.mark.parametrize("link,message", [
    ("[密码](../../etc/passwd)", "不能指向仓库之外"),
    ("[x](/etc/passwd)", "不能指向仓库之外"),
    ("![图](https://example.com/a.png)", "图片不能引用外部地址"),
    ("![图](../secret.png)", "不能指向仓库之外"),
    ("[x](file:///etc/passwd)", "不允许的链接协议：file:"),
    ("[x](javascript:alert(1))", "不允许的链接协议：javascript:"),
    ("<a href=\"javascript:alert(1)\">点</a>", "不允许的链接协议：javascript:"),
    ("[x](java&#115;cript:alert(1))", "不允许的链接协议：javascript:"),
    ("[x](java\tscript:alert(1))", "不允许的链接协议：javascript:"),
    ("[x](%2e%2e/%2e%2e/etc/passwd)", "不能指向仓库之外"),
    ("![图](assets/%252e%252e/x.png)", "不能指向仓库之外"),
    ("\n--8<-- \"/etc/passwd\"\n", "不能包含其他文件"),
])
def test_rule_unsafe_link(tree, link, message):
    edit(tree / PLAN, "最近医院为", f"{link}最近医院为")
    found = problems(tree, "unsafe-link")
    assert found and message in found[0].message and found[0].path == PLAN


def test_rule_unsafe_link_allows_web_links_and_anchors(tree):
    edit(tree / PLAN, "最近医院为", "[应急管理部](https://www.mem.gov.cn/)、[上文](#处置措施)、![图](assets/map.png)最近医院为")
    assert problems(tree, "unsafe-link") == []


def test_rule_id_card_number(tree):
    edit(tree / SCHOOL, "name: 甲样例, title: 校长", "name: 甲样例 11010519491231002X, title: 校长")
    [problem] = problems(tree, "id-card-number")
    assert problem.path == SCHOOL and problem.line == 16
    assert "身份证" in problem.message


@pytest.mark.parametrize("written", ["１１０１０５１９４９１２３１００２Ｘ", "110105 19491231 002X", "&#49;1010519491231002x",
                                     "110105491231002"])
def test_rule_id_card_number_in_disguise(tree, written):
    edit(tree / PLAN, "最近医院为", f"联系人证件 {written}，最近医院为")
    [problem] = problems(tree, "id-card-number")
    assert (problem.path, problem.line, problem.column) == (PLAN, 63, 23)


@pytest.mark.parametrize("written", ["13900001234", "１３９００００１２３４", "139-0000-1234", "139 0000 1234",
                                     "139\u200b0000\u200b1234", "**139**00001234", "&#49;3900001234",
                                     "[拨打](tel:+86-139-0000-1234)", "![值班手机 13900001234](assets/map.png)"])
def test_rule_free_text_mobile(tree, written):
    edit(tree / PLAN, "最近医院为", f"值班 {written}，最近医院为")
    [problem] = problems(tree, "free-text-mobile")
    assert (problem.path, problem.line) == (PLAN, 63)
    assert problem.column >= 20 and "139****1234" in problem.message and "占位符" in problem.hint


def test_rule_free_text_mobile_in_a_summary_and_a_unit_phone(tree):
    edit(tree / SCHOOL, 'phone: "0519-86300110"', 'phone: "13900001234"')
    edit(tree / PLAN, "summary: ", "summary: 值班手机 13900005678。")
    found = {(p.path, p.line): p.message for p in problems(tree, "free-text-mobile")}
    assert "单位电话字段" in found[(SCHOOL, 25)] and "正文或说明文字" in found[(PLAN, 8)], found


def test_rule_free_text_mobile_allows_people_and_landlines(tree):
    edit(tree / PLAN, "最近医院为", "校长手机 {{ school.organisation.principal.mobile }}，总机 0519-86300000，最近医院为")
    assert problems(tree, "free-text-mobile") == []


def test_rule_id_card_number_ignores_numbers_with_a_wrong_check_digit(tree):
    edit(tree / SCHOOL, "name: 甲样例, title: 校长", "name: 甲样例 110105194912310021, title: 校长")
    assert problems(tree, "id-card-number") == []


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n" + b"\0" * 24


def test_rule_asset_type(tree):
    (tree / "assets").mkdir()
    (tree / "assets" / "map.png").write_bytes(PNG_SIGNATURE)
    (tree / "assets" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 24)
    assert problems(tree, "asset-type") == []
    (tree / "assets" / "map.svg").write_text("<svg onload='alert(1)'/>", encoding="utf-8")
    (tree / "assets" / "photo.png").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 24)
    found = {p.path: p for p in problems(tree, "asset-type")}
    assert set(found) == {"assets/map.svg", "assets/photo.png"}
    assert "不是" in found["assets/map.svg"].message and "JPEG" in found["assets/photo.png"].message
    assert all((p.line, p.column) == (1, 1) and p.hint for p in found.values())


def test_rule_site_config(tree):
    from conftest import REPO

    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    (tree / "mkdocs.yml").write_text(text, encoding="utf-8")
    assert problems(tree, "site-config") == []
    (tree / "mkdocs.yml").write_text(text.replace("  - tags\n", "  - tags\n  - macros\n"), encoding="utf-8")
    [problem] = problems(tree, "site-config")
    line = text.split("  - tags\n")[0].count("\n") + 2
    assert (problem.path, problem.line, problem.column) == ("mkdocs.yml", line, 5)
    assert "macros" in problem.message and "search" in problem.hint
