"""Text made for each school: assembly points by building, one reporting rule, words by kind of school."""

from __future__ import annotations

import html
import re

import pytest

from conftest import REPO, edit
from safeplan.checks.validate import validate
from safeplan.content.loader import load_library
from safeplan.content.school_words import in_words_of
from safeplan.content.vocabulary import vocabulary
from safeplan.resolve.views import resolve_school


@pytest.fixture(scope="module")
def repo_library():
    library, problems = load_library(REPO)
    assert not [p for p in problems if p.severity == "error"]
    return library


def resolved(library, school_id: str):
    return resolve_school(library, next(s for s in library.schools if s.id == school_id))


def full_text(applied) -> str:
    return repr(applied.data) + applied.body


# ---------------------------------------------------------------- assembly points by building

DORM_POINTS = {"lijia-senior-high": "生活区中心广场", "nanxiashu-special-education": "西侧感统花园",
               "henglin-complete-middle": "宿舍区南侧草坪", "jiaze-vocational-school": "田径场南半场"}


def test_every_boarding_sample_school_is_listed(repo_library):
    assert {s.id for s in repo_library.schools if s.data["facilities"]["boarding"]} == set(DORM_POINTS)


@pytest.mark.parametrize("school_id", sorted(DORM_POINTS))
def test_dorm_plan_names_the_dorms_assembly_point(repo_library, school_id):
    view = resolved(repo_library, school_id)
    plan = next(d for d in view.documents if d.id == "onsite-dorm-fire-night")
    text = full_text(plan)
    assert text.count(DORM_POINTS[school_id]) >= 2  # the step table and the headcount section
    school = view.data
    teaching_points = {p["name"] for p in school["assembly_points"]} - {DORM_POINTS[school_id]}
    assert [name for name in teaching_points if name in text] == []


def test_the_scan_for_other_points_finds_one(repo_library):
    """Control: the first assembly point, which the plan used to name, is found by the same scan."""
    view = resolved(repo_library, "lijia-senior-high")
    first = view.data["assembly_points"][0]["name"]
    assert first == "田径场北侧看台前"
    assert first in full_text(next(d for d in view.documents if d.id == "comprehensive"))  # the route table lists it


def _boarding_tree(tree):
    """The mini library with a boarding school whose dorm has its own assembly point, and a dorm plan."""
    school = tree / "schools" / "hutang-experimental-primary.yaml"
    edit(school, "boarding: false", "boarding: true")
    edit(school, "  - {id: playground-west,", "  - {id: dorm-yard, name: 宿舍楼北侧空地, capacity: 300}\n  - {id: playground-west,")
    edit(school, "  - {building: 食堂,", "  - {building: 宿舍楼, uses: [dorm], floors: 4, route: 两端楼梯下楼, assembly_point: dorm-yard}\n"
                                     "  - {building: 食堂,")
    text = school.read_text(encoding="utf-8")
    if "dorm_manager" not in text:
        edit(school, "  medical:", "  dorm_manager: {name: 宿样例, title: 宿管主任, mobile: \"13900099001\"}\n  medical:")
    plan = tree / "plans" / "school" / "special" / "fire.md"
    edit(plan, "applies_to: {}", "applies_to: {all_of: [facilities.boarding]}\nbuilding: dorm")
    return plan


def _errors(root, rule):
    library, problems = load_library(root)
    problems += validate(library)
    return [p for p in problems if p.rule == rule]


def test_a_plan_about_the_dorm_naming_the_dorms_point_passes(tree):
    plan = _boarding_tree(tree)
    edit(plan, "## 处置措施\n", '## 处置措施\n\n学生到{{ school | assembly_point_for("dorm") }}集合。\n')
    assert _errors(tree, "assembly-point-building") == []
    assert _errors(tree, "placeholders") == []


def test_a_plan_about_the_dorm_naming_a_teaching_point_is_refused_where_it_says_so(tree):
    plan = _boarding_tree(tree)
    edit(plan, "## 处置措施\n", "## 处置措施\n\n学生到田径场东侧草坪集合。\n")
    problems = _errors(tree, "assembly-point-building")
    assert len(problems) == 1
    line = plan.read_text(encoding="utf-8").split("\n").index("学生到田径场东侧草坪集合。") + 1
    assert (problems[0].path, problems[0].line, problems[0].column) == ("plans/school/special/fire.md", line, 4)
    assert "田径场东侧草坪" in problems[0].message and "宿舍楼北侧空地" in problems[0].message


def test_the_first_assembly_point_by_index_is_refused(tree):
    plan = tree / "plans" / "school" / "special" / "fire.md"
    edit(plan, "## 处置措施\n", "## 处置措施\n\n到{{ school.assembly_points[0].name }}集合。\n")
    problems = _errors(tree, "assembly-point-building")
    assert len(problems) == 1 and problems[0].column == 2 and "assembly_point_for" in problems[0].hint


def test_a_school_without_a_dorm_route_cannot_fill_the_dorm_point(tree):
    plan = _boarding_tree(tree)
    edit(tree / "schools" / "hutang-experimental-primary.yaml", "uses: [dorm]", "uses: [teaching]")
    edit(plan, "## 处置措施\n", '## 处置措施\n\n到{{ school | assembly_point_for("dorm") }}集合。\n')
    problems = _errors(tree, "placeholders")
    assert len(problems) == 1 and "dorm" in problems[0].message


def test_the_bundle_prints_no_floor_count_twice(repo_library):
    from safeplan.render.pdf.bundle_html import BundleMeta, bundle_html
    html = bundle_html(resolved(repo_library, "lijia-senior-high"), BundleMeta("2026-12-01", "abc", "0"))
    assert "男生公寓（8 层）" in html and "（8 层）（8 层）" not in html
    assert "游泳馆（1 层）" in html  # a name without its floors still gets them


# ---------------------------------------------------------------- one reporting rule

def _district_rule(tree):
    """The mini library with the repository's district-wide response rule."""
    text = (REPO / "district.yaml").read_text(encoding="utf-8")
    (tree / "district.yaml").write_text((tree / "district.yaml").read_text(encoding="utf-8")
                                        + text[text.index("\nresponse:"):], encoding="utf-8")
    return tree / "plans" / "school" / "special" / "fire.md"


def _line_of(path, needle: str) -> tuple[int, int]:
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(needle)


def _comply(plan):
    """Make the mini fire plan follow the rule: both authorities, and the rule itself printed."""
    edit(plan, "1 小时内书面报告区教育局，记录", "1 小时内书面报告区教育局和镇政府，记录")
    edit(plan, "1 小时内向区教育局书面报告事件经过、伤亡情况和已采取的措施；后续每 2 小时续报，直至处置结束。",
         "按全区统一规则报告：\n\n{{ school | reporting_rule }}")


def test_the_mini_fire_plan_contradicts_the_rule_in_three_places(tree):
    plan = _district_rule(tree)
    problems = sorted(_errors(tree, "reporting-rule"), key=lambda p: p.line)
    assert [(p.line, p.column) for p in problems] == [
        _line_of(plan, "duties: 拨打 119，1 小时内书面报告区教育局"), (problems[1].line, 1),
        _line_of(plan, "1 小时内向区教育局书面报告")]  # a YAML value at its field, the body exactly
    assert "漏了属地政府" in problems[0].message and "没有引用" in problems[1].message
    assert problems[1].line == _line_of(plan, "## 适用范围")[0] - 1  # the body's first line


def test_a_plan_that_follows_the_rule_passes_and_prints_it(tree):
    plan = _district_rule(tree)
    _comply(plan)
    assert _errors(tree, "reporting-rule") == []
    library, _ = load_library(tree)
    view = resolve_school(library, next(s for s in library.schools if s.id == "hutang-experimental-primary"))
    body = next(d for d in view.documents if d.id == "fire").body
    assert "1 小时内书面报告" in body and "区教育局安全科（0519-86000110）" in body
    assert "**首报**" in body and "**续报**" in body and "**终报**" in body and "受伤学生的姓名、班级" in body


@pytest.mark.parametrize("sentence, found", [
    ("Ⅲ级事件当日报告区教育局和镇政府。", "当日"),
    ("骨折的 1 个工作日内报区教育局和镇政府备案。", "1 个工作日内"),
    ("安全办主任 2 小时内向{{ school.contacts.town.name }}和区教育局报告。", "2 小时内"),
])
def test_a_longer_deadline_is_refused_where_it_is_written(tree, sentence, found):
    plan = _district_rule(tree)
    _comply(plan)
    edit(plan, "## 应急保障\n", f"## 应急保障\n\n{sentence}\n")
    problems = _errors(tree, "reporting-rule")
    assert len(problems) == 1
    line, column = _line_of(plan, sentence)
    assert (problems[0].line, problems[0].column) == (line, column + sentence.index(found))
    assert f"“{found}”" in problems[0].message and "reporting_rule" in problems[0].hint


@pytest.mark.parametrize("sentence", ["10 分钟内电话报告区教育局和镇政府，1 小时内书面报告。",
                                      "响应终止后 7 日内向区教育局和镇政府提交终报。",
                                      "停课须报区教育局同意后执行，当日通知家长。"])
def test_deadlines_that_agree_with_the_rule_pass(tree, sentence):
    plan = _district_rule(tree)
    _comply(plan)
    edit(plan, "## 应急保障\n", f"## 应急保障\n\n{sentence}\n")
    assert _errors(tree, "reporting-rule") == []


def test_a_level_outside_the_scale_is_refused_at_its_name(tree):
    plan = _district_rule(tree)
    _comply(plan)
    edit(plan, "organisation:\n", "response_levels:\n  - {level: Ⅱ级（较大）, trigger: 有人受伤送医。, actions: 启动本预案。}\norganisation:\n")
    problems = _errors(tree, "reporting-rule")
    assert len(problems) == 1 and (problems[0].line, problems[0].column) == _line_of(plan, "level: Ⅱ级（较大）")
    assert "Ⅱ级（严重）" in problems[0].hint


def test_every_school_plan_of_the_library_uses_the_scale(repo_library):
    names = [level["level"] for level in repo_library.district.data["response"]["levels"]]
    plans = [d for d in repo_library.of_kind("plan") if d.data.get("level") == "school"]
    used = {level["level"] for d in plans for level in d.data.get("response_levels") or []}
    assert used == set(names)
    assert all("reporting_rule" in d.body for d in plans if d.data["tier"] != "综合应急预案")
    assert len(plans) >= 22  # the check above is not vacuous: every school plan of the library


# ---------------------------------------------------------------- words of the kind of school

SCHOOL_WORDS = re.compile("班主任|学生|校长")


def _bundle_text(library, school_id: str) -> str:
    from safeplan.render.pdf.bundle_html import BundleMeta, bundle_html
    page = bundle_html(resolved(library, school_id), BundleMeta("2026-12-01", "abc", "0"))
    return html.unescape(re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S))


def school_words_used(text: str, library) -> list[str]:
    """班主任/学生/校长 outside titles of national rules (《…》 naming no document of the library) and words
    quoted on their own (“班主任”)."""
    terms = vocabulary().terms_for("幼儿园")
    titles = {doc.title for doc in library.documents}
    quoted = "|".join(re.escape(term) for term in terms)
    text = re.sub(r"《([^》]*)》", lambda m: m.group(0) if m.group(1) in titles else "", text)
    text = re.sub(rf"“(?:{quoted})”", "", text)
    return [text[max(0, m.start() - 8):m.end() + 8] for m in SCHOOL_WORDS.finditer(text)]


KINDERGARTENS = ("niutang-central-kindergarten", "xihu-experimental-kindergarten")
# School ways of doing things that read wrong for a kindergarten even in its words: children do not open a bus's
# emergency door, carry a school bag, sit at desks in classrooms (活动室), have lessons, bells, grades, exit slips, a 医务室
# (保健室) or ride bikes to school.
SCHOOL_WAYS = ("乘车幼儿会开应急门", "让每名乘车幼儿会开", "书包", "课桌下", "第一节课", "本节课", "拖堂", "下课铃",
               "低年级", "高年级", "离校条", "12 周岁", "关门上课", "正常上课", "操场上课", "管制刀具", "1.10 米", "教室", "课桌",
               "医务室", "上课", "下课", "节课", "课堂", "学生干部")


def _edition_texts(library, school_id: str) -> dict[str, str]:
    """Every printed product of the school (full and action editions, forms pack, cards sheet) as plain text, without
    the revision records (history, which quotes the words it replaced)."""
    from safeplan.render.pdf.bundle_html import BundleMeta
    from safeplan.render.pdf.editions import EDITIONS, edition_html
    view = resolved(library, school_id)
    pages = {e.name: edition_html(e, view, BundleMeta("2026-12-01", "abc", "0"), vocabulary()) for e in EDITIONS}
    return {name: html.unescape(re.sub(r"<style>.*?</style>|<article class=\"doc revisions\">.*?</article>|<[^>]+>", " ",
                                       page, flags=re.S))
            for name, page in pages.items() if page}


@pytest.mark.parametrize("school_id", KINDERGARTENS)
def test_every_printed_product_of_a_kindergarten_speaks_of_children(repo_library, school_id):
    texts = _edition_texts(repo_library, school_id)
    assert set(texts) == {"full", "action", "forms", "cards"}
    assert {name: school_words_used(text, repo_library) for name, text in texts.items()} == dict.fromkeys(texts, [])
    assert {name: [way for way in SCHOOL_WAYS if way in text] for name, text in texts.items()} == dict.fromkeys(texts, [])
    assert "带班教师" in texts["cards"] and "总指挥（园长）" in texts["cards"] and "保健医生" in texts["cards"]
    assert "园长：" in texts["forms"]
    assert {name: re.findall(r"\d{4}-\d{2}-\d{2}", text) for name, text in texts.items()} == dict.fromkeys(texts, [])
    assert re.search(r"日期\s+2026年12月1日", texts["forms"])  # the cover's date, given as 2026-12-01 (BundleMeta)
    if resolved(repo_library, school_id).data["facilities"]["school_bus"]:
        assert "把幼儿逐一抱离车厢" in texts["full"]  # the school-bus plan's drill, in the words of a kindergarten


def test_the_scans_find_school_words_and_ways_in_a_primary_schools_products(repo_library):
    """Control: the same scans over a primary school's products find what they must not find in a kindergarten's."""
    texts = _edition_texts(repo_library, "hutang-experimental-primary")
    assert all(school_words_used(text, repo_library) for text in texts.values())
    assert "班主任" in texts["cards"] and "校长：" in texts["forms"]  # a primary school's own post labels (posts_for)
    everything = "".join(texts.values())
    assert [way for way in SCHOOL_WAYS if way.replace("幼儿", "学生") not in everything] == []


@pytest.mark.parametrize("school_id", KINDERGARTENS)
def test_a_kindergartens_bundle_speaks_of_children_and_their_teachers(repo_library, school_id):
    text = _bundle_text(repo_library, school_id)
    assert school_words_used(text, repo_library) == []
    assert text.count("幼儿") > 300 and text.count("带班教师") > 50 and "园长" in text
    shown = "".join(d.body + repr({k: v for k, v in d.data.items() if k != "revisions"})
                    for d in resolved(repo_library, school_id).documents)
    assert "幼儿园使用本" not in shown and "幼儿园：“" not in shown  # no disclaimer; revision records keep history
    assert "1.30 米" in shown and "JGJ 39-2016" in shown
    assert "1.10 米" not in shown and "管制刀具" not in shown and "下课铃响后" not in shown


def test_the_word_scan_finds_school_words_in_a_primary_schools_bundle(repo_library):
    """Control: the same scan over a primary school's bundle finds the words it must not find in a kindergarten's."""
    found = school_words_used(_bundle_text(repo_library, "hutang-experimental-primary"), repo_library)
    assert len(found) > 300
    assert {word for word in ("班主任", "学生", "校长") if any(word in f for f in found)} == {"班主任", "学生", "校长"}
    shown = "".join(d.body + repr({k: v for k, v in d.data.items() if k != "revisions"})
                    for d in resolved(repo_library, "hutang-experimental-primary").documents)
    assert "1.10 米" in shown and "管制刀具" in shown and "下课铃响后" in shown and "1.30 米" not in shown


def test_titles_of_national_rules_and_quoted_words_are_kept():
    terms = vocabulary().terms_for("幼儿园")
    text = "按《中小学生守则》和“学生”的说法，学生由班主任交给校长，按《学生意外伤害专项应急预案》处置。"
    assert in_words_of(text, terms) == "按《中小学生守则》和“学生”的说法，幼儿由带班教师交给园长，按《幼儿意外伤害专项应急预案》处置。"
    assert in_words_of(text, vocabulary().terms_for("小学")) == text


def test_a_kindergarten_decree_is_signed_by_the_head_of_the_kindergarten(repo_library):
    text = _bundle_text(repo_library, "niutang-central-kindergarten")
    assert re.search(r"园长：孙样例（签字）", text)


# ---------------------------------------------------------------- special-education accommodations

def test_the_special_school_alarms_include_a_visual_means(repo_library):
    view = resolved(repo_library, "nanxiashu-special-education")
    by_id = {d.id: d for d in view.documents}
    signals = by_id["comprehensive"].body.split("**校园广播信号**")[1].split("4. 启动后")[0]
    assert "声光报警器同时闪烁" in signals and "红色指示灯" in signals and "本校 36 人" in signals
    assert "声光报警器闪烁报警" in by_id["fire"].body
    assert "振动唤醒器" in by_id["onsite-dorm-fire-night"].body and "逐床拍肩叫醒" in by_id["onsite-dorm-fire-night"].body
    assert "安抚物品" in by_id["violent-intrusion"].body


def test_schools_without_special_needs_get_no_accommodations(repo_library):
    """Control: the same texts for a school with no counts say nothing of flashing alarms."""
    view = resolved(repo_library, "lijia-senior-high")
    text = "".join(d.body for d in view.documents)
    assert "声光报警器" not in text and "振动唤醒器" not in text and "手势卡" not in text


# ---------------------------------------------------------------- the official form

def test_every_school_plan_number_carries_the_schools_code(repo_library):
    for school in repo_library.schools:
        plans = [d for d in resolved(repo_library, school.id).of_kind("plan")]
        assert plans and all(d.data["number"].startswith(f"WJJY-{school.data['code']}-") for d in plans), school.id
    numbers = {d.data["number"] for s in ("lijia-senior-high", "hutang-experimental-primary")
               for d in resolved(repo_library, s).of_kind("plan") if d.id == "fire"}
    assert numbers == {"WJJY-LJGZ-ZX-01", "WJJY-HTSX-ZX-01"}


@pytest.mark.parametrize("school_id", ["lijia-senior-high", "xueyan-hupan-teaching-point", "niutang-central-kindergarten"])
def test_the_mapping_table_lists_only_the_schools_own_plans_by_title(repo_library, school_id):
    view = resolved(repo_library, school_id)
    body = next(d for d in view.documents if d.id == "comprehensive").body
    table = body.split("**专项预案和现场处置方案对照**")[1].split("### ")[0]
    named = set(re.findall(r"《([^》]+)》", table))
    mine = {d.title for d in view.documents}
    assert named and named <= mine, named - mine
    every = {d.title for d in view.of_kind("plan") if d.data["tier"] != "综合应急预案"}
    assert every - named <= {"网络与信息安全事件专项应急预案"}  # a draft is in no bundle; the rest are all listed
    assert not re.search(r"`[a-z-]+`|[a-z]+-[a-z]+", table)  # no ids


def _document_ids(library):
    ids = sorted({d.id for d in library.documents if d.id and d.kind != "school"}, key=len, reverse=True)
    return re.compile(r"(?<![A-Za-z0-9_./<-])(" + "|".join(map(re.escape, ids)) + r")(?![A-Za-z0-9_-])")


def test_every_sample_schools_bundle_names_documents_by_title_and_floors_once(repo_library):
    """The printed text of every sample school's full edition, as rendered (templates included, not only content);
    revision records are history (comprehensive 1.3 tells how it replaced “mass-incidents” by titles)."""
    mention = _document_ids(repo_library)
    found = {}
    for school in repo_library.schools:
        text = _edition_texts(repo_library, school.id)["full"]
        found[school.id] = sorted(set(mention.findall(text))) + re.findall(r"（\d+ 层）（\d+ 层）", text)
    assert found == dict.fromkeys(found, []) and len(found) == 12


def test_the_id_and_floor_scans_find_what_they_look_for(repo_library):
    """Control for the scan above: an id written into plain text and a doubled floor count are found."""
    assert _document_ids(repo_library).findall("演练按 fire-drill 组织，见 onsite-nap-room。") == ["fire-drill", "onsite-nap-room"]
    assert re.findall(r"（\d+ 层）（\d+ 层）", "男生公寓（8 层）（8 层）") == ["（8 层）（8 层）"]


def test_a_school_without_a_canteen_sees_no_canteen_plan_in_its_table(repo_library):
    """Control for the table: the canteen row exists where there is a canteen, and only there."""
    def table(school_id):
        body = next(d for d in resolved(repo_library, school_id).documents if d.id == "comprehensive").body
        return body.split("**专项预案和现场处置方案对照**")[1].split("### ")[0]
    assert "食堂现场处置方案" in table("lijia-senior-high")
    assert "食堂现场处置方案" not in table("xueyan-hupan-teaching-point")


def test_the_bundle_prints_dates_the_official_way_and_the_decree_with_its_number(repo_library):
    text = _bundle_text(repo_library, "lijia-senior-high")
    decree = text.split("颁　布　令")[1].split("目　录")[0]
    assert "礼嘉样例高中安〔2026〕3号" in decree
    assert "经学校应急领导小组会议于2026年11月27日审定" in decree and "自2026年11月29日起施行" in decree
    assert not re.search(r"\d{4}-\d{2}-\d{2}", decree)
    revisions = text.split("文档修订记录")[-1]
    assert "2026年12月1日" in revisions and not re.search(r"\d{4}-\d{2}-\d{2}", revisions)
    assert "颁布日期：2026年9月1日" in text and "颁布日期：2026-09-01" not in text


def test_second_level_headings_are_numbered_with_parentheses(repo_library):
    from safeplan.render.pdf.bundle_html import BundleMeta, bundle_html
    page = bundle_html(resolved(repo_library, "lijia-senior-high"), BundleMeta("2026-12-01", "abc", "0"))
    assert "<h4>（一）叫醒与疏散</h4>" in page and "<h3>三、应急处置</h3>" in page
    assert not re.search(r"<h4>[一二三四五六七八九十]+、", page)


def test_a_second_level_heading_numbered_like_the_first_is_refused(tree):
    plan = tree / "plans" / "school" / "special" / "fire.md"
    edit(plan, "## 处置措施\n", "## 处置措施\n\n### 一、报警\n\n### （二）疏散\n")
    problems = _errors(tree, "heading-numbers")
    assert len(problems) == 1 and (problems[0].line, problems[0].column) == (_line_of(plan, "### 一、报警")[0], 5)
    assert "（一）" in problems[0].hint


def test_a_current_document_issued_in_the_future_is_refused(tree, monkeypatch):
    monkeypatch.setenv("SAFEPLAN_TODAY", "2026-12-02")
    drill = tree / "drills" / "fire-drill.md"
    edit(drill, 'issued_on: "2026-09-01"', 'issued_on: "2026-12-15"')
    problems = _errors(tree, "future-issue-date")
    assert len(problems) == 1 and problems[0].line == _line_of(drill, "issued_on:")[0]
    assert problems[0].severity == "error" and "2026年12月15日" in problems[0].message
    monkeypatch.setenv("SAFEPLAN_TODAY", "2026-12-15")
    assert _errors(tree, "future-issue-date") == []


def test_no_current_document_of_the_library_is_issued_after_today(monkeypatch):
    """The starter library as of the day the tests pin (conftest) and of this change: season-holidays 1.1 said
    2026-12-15 (corrected in 1.2)."""
    for day in ("2026-12-01", "2026-12-02"):
        monkeypatch.setenv("SAFEPLAN_TODAY", day)
        assert _errors(REPO, "future-issue-date") == []
    monkeypatch.setenv("SAFEPLAN_TODAY", "2026-08-31")  # control: before the library's first issue day the scan finds it
    assert ("checklists/season-holidays.yaml", 13) in [(p.path, p.line) for p in _errors(REPO, "future-issue-date")]


def test_a_document_id_in_printed_text_is_refused(tree):
    plan = tree / "plans" / "school" / "special" / "fire.md"
    edit(plan, "## 应急保障\n", "## 应急保障\n\n演练按 fire-drill 组织。\n")
    problems = _errors(tree, "printed-ids")
    assert len(problems) == 1 and (problems[0].line, problems[0].column) == _line_of(plan, "fire-drill 组织")
    assert "《火灾逃生与灭火演练指南》" in problems[0].hint


def test_the_title_instead_of_the_id_passes(tree):
    plan = tree / "plans" / "school" / "special" / "fire.md"
    edit(plan, "## 应急保障\n", "## 应急保障\n\n演练按《火灾逃生与灭火演练指南》组织。\n")
    assert _errors(tree, "printed-ids") == []


def test_first_editions_have_a_reason_of_their_own(repo_library):
    assert vocabulary().revision_reason("first_issue") == "首次发布"
    revisions = _bundle_text(repo_library, "niutang-central-kindergarten").split("文档修订记录")[-1]
    assert re.search(r"幼儿园午睡室现场处置方案\s+版本\s+日期\s+修订原因\s+修订内容\s+1\.0\s+2026年12月1日\s+首次发布", revisions)  # printed as its label, in the document's own table
    assert "first_issue" not in revisions and "law_change" not in revisions


def test_a_report_to_one_authority_is_refused_even_beside_a_follow_up_word(tree):
    """The words that mark a later report (复课, 终报 …) only excuse their own clause."""
    plan = _district_rule(tree)
    _comply(plan)
    sentence = "检查校舍后决定是否复课，1 小时内电话报告区教育局。"
    edit(plan, "## 应急保障\n", f"## 应急保障\n\n{sentence}\n")
    problems = _errors(tree, "reporting-rule")
    line, column = _line_of(plan, sentence)
    assert [(p.line, p.column) for p in problems] == [(line, column + sentence.index("1 小时内"))]
    assert "漏了属地政府" in problems[0].message
