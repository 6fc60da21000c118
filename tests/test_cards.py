"""Emergency cards (应急处置卡): the card-plan and card-fill rules, and the library's own cards."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO, edit

from safeplan.checks.cards import post_steps
from safeplan.resolve.cards import assembly_point
from safeplan.resolve.views import resolve_all, resolve_school
from safeplan.checks.library_check import check_library, check_tree
from safeplan.content.loader import load_library

CARD = """\
id: fire-cards
plan: fire
title: 火灾事故应急处置卡
status: review
version: "1.0"
revisions:
  - {version: "1.0", date: "2026-12-01", reason: other, summary: 首次发布。}
cards:
  - post: guard
    steps: [2, 4]
    call:
      - {who: 火警, phone: "119"}
      - {who: "{{ school.organisation.safety_officer.title }}{{ school.organisation.safety_officer.name }}", phone: "{{ school.organisation.safety_officer.mobile }}"}
    dont: [不用水扑救带电设备]
  - post: class_teacher
    steps: [5]
    call: [{who: 火警, phone: "119"}]
    building: teaching
    go: 带本班到集合点清点人数
    dont: [不乘电梯]
"""


def _with_card(tree: Path, text: str = CARD) -> Path:
    path = tree / "cards" / "fire-cards.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tree: Path, rule: str) -> list:
    return [p for p in check_tree(tree) if p.rule == rule]


def test_a_card_that_agrees_with_its_plan_passes(tree):
    _with_card(tree)
    assert [p for p in check_tree(tree) if p.severity == "error"] == []


def test_a_step_of_another_post_is_refused_where_it_is_written(tree):
    path = _with_card(tree)
    edit(path, "steps: [2, 4]", "steps: [2, 3, 4]")
    found = _problems(tree, "card-plan")
    assert [(p.path, p.line, p.column) for p in found] == [("cards/fire-cards.yaml", 10, 16)]
    assert "第 3 行（2分钟内，总指挥或副总指挥）不是保安/门卫的步骤" in found[0].message


def test_a_step_the_plan_gives_the_post_but_the_card_leaves_off_is_refused(tree):
    path = _with_card(tree)
    edit(path, "steps: [2, 4]", "steps: [2]")
    found = _problems(tree, "card-plan")
    assert [(p.line, p.column) for p in found] == [(10, 5)]
    assert "第 4 行 3分钟内 灭火行动组" in found[0].message


def test_a_row_the_plan_does_not_have_is_refused(tree):
    path = _with_card(tree)
    edit(path, "steps: [5]", "steps: [5, 9]")
    found = _problems(tree, "card-plan")
    assert [(p.line, p.column) for p in found] == [(16, 16)]
    assert "只有 6 行，没有第 9 行" in found[0].message


def test_a_card_whose_plan_does_not_exist_is_refused_at_its_plan(tree):
    path = _with_card(tree)
    edit(path, "plan: fire", "plan: fires")
    found = _problems(tree, "card-plan")
    assert [(p.path, p.line, p.column) for p in found] == [("cards/fire-cards.yaml", 2, 1)]
    assert "“fires”不存在" in found[0].message


def test_when_the_plan_moves_a_step_to_another_role_the_card_is_refused(tree):
    """The plan is the source: editing its table makes the card that no longer matches fail."""
    _with_card(tree)
    edit(tree / "plans/school/special/fire.md", "who: 班主任与任课教师", "who: 值日行政人员")
    found = _problems(tree, "card-plan")
    assert [(p.line, p.column) for p in found] == [(16, 13)]


def test_a_number_that_does_not_fill_is_refused_for_the_school(tree):
    path = _with_card(tree)
    edit(path, "safety_officer.mobile", "safety_officer.phone")
    found = _problems(tree, "card-fill")
    assert found and all((p.line, p.column) == (13, 110) for p in found)
    assert any("字段“phone”不存在" in p.message for p in found)


def test_a_post_that_does_not_apply_is_not_filled(tree):
    """A 宿管 card names the dorm manager, whom the mini library's day schools do not have: not filled, no problem;
    the same placeholder on a post every school has is refused (the control)."""
    path = _with_card(tree)
    edit(path, "safety_officer.mobile", "dorm_manager.mobile")
    assert _problems(tree, "card-fill")
    _with_card(tree, CARD.replace("  - post: guard\n    steps: [2, 4]", "  - post: dorm\n    steps: [2, 4]")
               .replace("safety_officer.mobile", "dorm_manager.mobile"))
    assert _problems(tree, "card-fill") == []


def test_the_library_cards_pass_and_each_covers_every_post_it_names():
    library, problems = check_library(REPO)
    assert [p for p in problems if p.rule.startswith("card")] == []
    cards = library.of_kind("card")
    planned = {doc.data["plan"] for doc in cards}
    assert {"comprehensive", "fire", "onsite-dorm-fire-night", "drowning", "food-poisoning", "school-bus-accident",
            "violent-intrusion", "earthquake"} <= planned
    for doc in cards:
        plan = library.get("plan", doc.data["plan"])
        for card in doc.data["cards"]:
            assert card["steps"] == post_steps(plan, card["post"]), (doc.id, card["post"])


def test_the_loader_reads_cards_as_their_own_kind(tree):
    _with_card(tree)
    library, _ = load_library(tree)
    assert [doc.id for doc in library.of_kind("card")] == ["fire-cards"]


# --- per-school resolution (resolve/cards.py) ---

CONTENT = ("district.yaml", "safeplan.yaml", "workflow.yaml", "mkdocs.yml", "schools", "plans", "checklists", "drills",
           "notes", "cards", "site-assets")


def approved_copy(target: Path) -> Path:
    """The repository's library with its cards approved, as the district's approver would approve them."""
    import shutil

    target.mkdir(parents=True, exist_ok=True)
    for name in CONTENT:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        elif source.exists():
            shutil.copy2(source, target / name)
    for path in sorted((target / "cards").glob("*.yaml")):
        if "status: approved" in path.read_text(encoding="utf-8"):
            continue
        edit(path, "status: review\n", 'status: approved\napproved_by: wj-safety-head\nissued_on: "2026-12-01"\n'
                                        'next_review: "2029-11-30"\n')
    return target


@pytest.fixture(scope="module")
def approved(tmp_path_factory) -> Path:
    return approved_copy(tmp_path_factory.mktemp("approved"))


def _views(root: Path):
    library, problems = check_library(root)
    assert [p for p in problems if p.severity == "error"] == []
    return library, resolve_all(library)


def test_cards_are_resolved_only_once_approved(tree):
    _with_card(tree)  # in review
    library, _ = load_library(tree)
    assert all(view.cards == [] for view in resolve_all(library))
    _with_card(tree, CARD.replace("status: review", 'status: approved\napproved_by: wj-safety-head\n'
                                  'issued_on: "2026-12-01"\nnext_review: "2029-11-30"'))
    library, _ = load_library(tree)
    assert {(view.id, card.post) for view in resolve_all(library) for card in view.cards} == {
        (school, post) for school in ("hutang-experimental-primary", "small-village-primary")
        for post in ("guard", "class_teacher")}


def test_every_school_gets_the_cards_of_its_plans_and_posts_filled(approved):
    library, views = _views(approved)
    assert len(views) == 12
    for view in views:
        facilities = view.data["facilities"]
        posts = {card.post for card in view.cards}
        if "dorm" in posts:  # no 宿管 card where nobody sleeps; every boarding school has its dorm card
            assert facilities["boarding"] or facilities["nap_room"], view.id
        assert ("dorm" in posts) >= bool(facilities["boarding"]), view.id
        assert ("driver" in posts) == ("bus_attendant" in posts) == bool(facilities["school_bus"]), view.id
        plans = {a.id: a for a in view.of_kind("plan")}
        assert {card.plan_id for card in view.cards} <= set(plans)
        assert "comprehensive" in {card.plan_id for card in view.cards}
        assert view.card_problems == []
        for card in view.cards:
            rows = plans[card.plan_id].data["procedure"]
            assert [vars(step) for step in card.steps] == \
                [{k: rows[n - 1][k] for k in ("within", "who", "action")} for n in
                 post_steps(library.get("plan", card.plan_id), card.post)]
            texts = [s.action for s in card.steps] + [w + n for w, n in card.calls] + card.dont + [card.go]
            assert not any("{{" in t or "{%" in t for t in texts), (view.id, card.plan_id, card.post)
            assert all(re.fullmatch(r"[0-9-]{3,20}", number) for _, number in card.calls), card.calls


def test_the_dorm_night_fire_cards_send_boarders_to_the_dorm_assembly_point(approved):
    _, views = _views(approved)
    dorm = {view.id: card.assembly for view in views for card in view.cards
            if card.plan_id == "onsite-dorm-fire-night" and card.post == "dorm"}
    assert dorm["lijia-senior-high"] == "生活区中心广场"
    assert dorm["nanxiashu-special-education"] == "西侧感统花园"
    assert set(dorm) == {view.id for view in views if view.data["facilities"]["boarding"]}


def test_assembly_point_reads_the_building_of_the_route():
    school = {"assembly_points": [{"id": "a", "name": "操场"}, {"id": "b", "name": "生活区广场"}],
              "evacuation_routes": [{"building": "致知楼", "assembly_point": "a", "uses": ["teaching"]},
                                    {"building": "男生公寓（8 层）", "assembly_point": "b", "uses": ["dorm"]}]}
    assert assembly_point(school, "dorm") == "生活区广场"
    assert assembly_point(school, "teaching") == "操场"
    assert assembly_point(school, "canteen") == ""
    assert assembly_point(school, "outdoor") == ""


def test_an_empty_number_or_leftover_placeholder_is_a_problem(tree):
    path = _with_card(tree, CARD.replace("status: review", 'status: approved\napproved_by: wj-safety-head\n'
                                         'issued_on: "2026-12-01"\nnext_review: "2029-11-30"'))
    library, _ = check_library(tree)
    school = library.get("school", "small-village-primary")
    assert resolve_school(library, school).card_problems == []  # control: the card as written fills
    edit(path, '"{{ school.organisation.safety_officer.mobile }}"',
         '"{{ school.organisation.safety_officer.office_phone | default(\'\') }}"')
    library, _ = load_library(tree)
    found = resolve_school(library, library.get("school", "small-village-primary")).card_problems
    assert any("空号码" in p.message and p.path == "cards/fire-cards.yaml" for p in found), found
    edit(tree / "schools/small-village-primary.yaml", "name: 武进区样例村小", "name: 武进区样例村小{{ 样例 }}")
    library, _ = load_library(tree)
    found = resolve_school(library, library.get("school", "small-village-primary")).card_problems
    assert any("未填写的占位符" in p.message for p in found), found


def test_a_building_without_a_route_is_a_warning_where_it_is_written(tree):
    approved = CARD.replace("status: review", 'status: approved\napproved_by: wj-safety-head\n'
                            'issued_on: "2026-12-01"\nnext_review: "2029-11-30"')
    _with_card(tree, approved)
    library, _ = load_library(tree)
    school = library.get("school", "small-village-primary")
    assert resolve_school(library, school).card_problems == []  # control: 教学楼 has its route
    _with_card(tree, approved.replace("building: teaching", "building: canteen"))
    library, _ = load_library(tree)
    found = resolve_school(library, library.get("school", "small-village-primary")).card_problems
    assert [(p.severity, p.line, p.column) for p in found] == [("warning", 21, 5)]
    assert "疏散路线中没有食堂" in found[0].message
