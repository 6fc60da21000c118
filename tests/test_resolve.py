"""Resolve: which documents apply to a school and why, redaction by audience, the drill calendar."""

from __future__ import annotations

from conftest import edit
from safeplan.content.applicability import applies
from safeplan.content.loader import load_library
from safeplan.resolve.views import REDACTED, TEACHING_MONTHS, resolve_school

SCHOOL = {"kind": "小学", "facilities": {"school_bus": True, "boarding": False, "canteen": True}, "counts": {"boarders": 0}}


def test_applies_explains_the_match():
    assert applies({}, SCHOOL) == (True, "适用于全部学校")
    assert applies({"all_of": ["facilities.school_bus"]}, SCHOOL) == (True, "使用校车")
    assert applies({"all_of": ["facilities.boarding"]}, SCHOOL) == (False, "有学生住宿（寄宿制）：否")
    assert applies({"kinds": ["幼儿园"]}, SCHOOL) == (False, "学校类型不是幼儿园")
    assert applies({"any_of": ["facilities.boarding", "facilities.canteen"]}, SCHOOL) == (True, "有学生食堂")
    assert applies({"none_of": ["facilities.school_bus"]}, SCHOOL) == (False, "使用校车：是")


def view_of(tree, school_id, audience="internal"):
    library, problems = load_library(tree)
    assert problems == []
    return resolve_school(library, library.get("school", school_id), audience)


def test_facility_rule_holds_both_ways(tree):
    edit(tree / "checklists/fire-safety.yaml", "applies_to: {}", "applies_to: {all_of: [facilities.school_bus]}")
    with_bus = view_of(tree, "hutang-experimental-primary")
    without = view_of(tree, "small-village-primary")
    assert "fire-safety" in [a.id for a in with_bus.documents]
    assert "fire-safety" not in [a.id for a in without.documents]
    assert ("fire-safety", "使用校车：否") in [(d.id, why) for d, why in without.not_applied]


def test_drafts_are_not_published(tree):
    edit(tree / "checklists/fire-safety.yaml", "status: approved", "status: draft")
    assert "fire-safety" not in [a.id for a in view_of(tree, "small-village-primary").documents]


def test_placeholders_are_filled_with_the_school(tree):
    view = view_of(tree, "small-village-primary")
    [plan] = view.of_kind("plan")
    assert "武进区样例村小" in plan.body and "{{" not in plan.body
    assert plan.data["organisation"][0]["who"] == "甲样例（校长）"


def test_public_audience_redacts_mobiles_everywhere(tree):
    edit(tree / "plans/school/special/fire.md", "最近医院为", "校长手机 {{ school.organisation.principal.mobile }}；最近医院为")
    internal = view_of(tree, "small-village-primary")
    public = view_of(tree, "small-village-primary", "public")
    assert "13900009001" in internal.of_kind("plan")[0].body
    assert "13900009001" not in public.of_kind("plan")[0].body + str(public.data)
    assert public.data["organisation"]["principal"]["mobile"] == REDACTED
    assert public.data["contacts"]["police"]["phone"] == "0519-86300110"  # units stay public
    assert internal.fingerprint() != public.fingerprint()


def test_calendar_has_an_evacuation_drill_every_teaching_month(tree):
    edit(tree / "drills/fire-drill.md", "小学: 10", "小学: 5")
    earthquake = (tree / "drills/fire-drill.md").read_text(encoding="utf-8")
    earthquake = earthquake.replace("id: fire-drill", "id: quake-drill").replace("drill_type: 火灾逃生与灭火", "drill_type: 地震")
    (tree / "drills/quake-drill.md").write_text(earthquake, encoding="utf-8")
    view = view_of(tree, "small-village-primary")
    evacuation_months = sorted(d.month for d in view.calendar)
    assert len(evacuation_months) == 10 == len(set(evacuation_months))
    assert {int(m[5:]) for m in evacuation_months} == set(TEACHING_MONTHS)
    assert [d.drill_id for d in view.calendar][:2] == ["fire-drill", "quake-drill"]
