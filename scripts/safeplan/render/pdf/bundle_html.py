"""SchoolView → bundle HTML: cover, issue page, contents, plans, checklist forms, drills, directory."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from safeplan.content.model import HEADING_NUMBER, heading_text
from safeplan.render.pdf import cards as card_pages
from safeplan.dates import chinese_date
from safeplan.resolve.views import REDACTED, SchoolView, school_year
from safeplan.content.sanitize import markdown_to_safe_html
from safeplan.content.school_words import in_words_of
from safeplan.content.vocabulary import Vocabulary, vocabulary
from safeplan.render.pdf.fonts import DEFAULT_STACKS, with_fonts
from safeplan.content import form_sheets
from safeplan.render.pdf import forms

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_FILES = ("bundle.html.j2", "forms.html.j2", "bundle.css") + card_pages.TEMPLATE_FILES

SCHOOL_ROLES = {
    "principal": "总指挥（组长）", "party_secretary": "安全第一责任人", "deputy": "副总指挥（副组长）",
    "safety_officer": "信息联络、隐患排查", "logistics": "物资、水电与设施", "academic": "教学调整、班级联络",
    "student_affairs": "学生清点、家长联络", "medical": "现场救护", "security_captain": "门卫、警戒与疏导",
    "canteen_manager": "食堂与食品安全", "dorm_manager": "宿舍管理", "bus_manager": "校车安全",
    "lab_manager": "实验室与危化品", "psychologist": "心理疏导",
}
DISTRICT_ROLES = {"director": "应急领导小组组长", "deputy": "应急领导小组副组长",
                  "safety_head": "领导小组办公室主任", "duty_officer": "值班联络"}
SCHOOL_UNITS = {
    "police": "属地派出所", "fire": "消防救援站", "hospital": "最近医院", "bureau": "区教育局安全科",
    "town": "镇（街道）政府", "market_supervision": "市场监管所", "cdc": "疾病预防控制中心",
    "traffic_police": "交警中队", "elevator_maintenance": "电梯维保单位",
}
DISTRICT_UNITS = {"emergency_office": "应急管理", "public_security": "公安", "health": "卫生健康",
                  "weather": "气象", "market_supervision": "市场监管"}
AUDIENCES = {"internal": "内部版（含个人手机号，仅供本校应急工作使用）",
             "public": "公开版（已隐去个人手机号等内部信息）"}
# Where a plan's own tables go: after the first section with one of these titles.
INJECT_AFTER = {
    "organisation": ("应急组织机构及职责", "应急工作职责"),
    "levels": ("响应分级",),
    "procedure": ("应急处置", "处置措施", "响应启动"),
}
NUMERALS = "零一二三四五六七八九十"
PARTS = ("profile", "cards", "plans", "checklists", "drills", "directory", "revisions")  # in bundle order

_HEADING = re.compile(r"<h([1-6])(?:\s[^>]*)?>(.*?)</h\1>", re.S)
_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r"<a\b[^>]*>(.*?)</a>", re.S)
_IMAGE = re.compile(r"<img\b[^>]*>")


@dataclass(frozen=True)
class BundleMeta:
    """What a bundle says about its own making; identical inputs give identical bytes."""

    date: str  # YYYY-MM-DD, from SOURCE_DATE_EPOCH or the HEAD commit, never the clock
    commit: str
    tool_version: str
    fonts: tuple = DEFAULT_STACKS  # (role, families) from safeplan.yaml `fonts`
    trimmed: tuple = ()  # render/pdf/fonts.Trimmed: the big faces' small copies, named before them


@lru_cache(maxsize=2)
def _template(name: str = "bundle.html.j2"):
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                              trim_blocks=False, lstrip_blocks=False)
    environment.filters["cn_date"] = chinese_date  # 2026年11月29日 on every printed date
    environment.filters["record_space"] = forms.record_space
    environment.filters["record_fields"] = forms.record_fields
    return environment.get_template(name).module


@lru_cache(maxsize=4)
def _css(fonts: tuple = DEFAULT_STACKS, trimmed: tuple = ()) -> str:
    """Every edition's stylesheet: one sheet, so a blank form laid out for one edition is reused in the others."""
    return with_fonts((TEMPLATES / "bundle.css").read_text(encoding="utf-8") + card_pages.card_css(), fonts, trimmed)


def bundle_title(view: SchoolView, label: str = "") -> str:
    return f"{view.data['name']}安全应急预案汇编" + (f"（{label}）" if label else "")


def bundle_html(view: SchoolView, meta: BundleMeta, words: Vocabulary | None = None, *, include: tuple[str, ...] = PARTS,
                label: str = "", subtitle: str = "应急预案　隐患排查清单　应急演练　应急通讯录",
                cards: tuple[tuple[str, str, Markup], ...] = ()) -> str:
    """The bundle as one HTML document, ready for WeasyPrint; labels from `words` (the schemas' by default).

    `include` picks the parts (an edition: render/pdf/editions.py), `cards` are the emergency
    cards' articles, placed first; a part without articles is left out.
    """
    words = words or vocabulary()
    t = _template()
    school = view.data
    parts: list[tuple[str, str, list[tuple[str, str, Markup]]]] = []  # (key, title, [(anchor, title, html)])

    parts.append(("profile", "学校基本情况", [_article("profile", "学校概况与疏散路线", lambda a: t.profile(
        a, school, {p["id"]: p["name"] for p in school["assembly_points"]}))]))

    plans = [_article(f"plan-{doc.id}", doc.title, lambda a, doc=doc: t.plan(
        a, doc, _plan_sections(doc, opened=bool(view.openings.get(doc.id))), doc.data["organisation"], doc.data["procedure"],
        doc.data.get("response_levels") or [], _plan_contacts(view, doc), card_pages.plan_opening(view, doc)))
        for doc in view.of_kind("plan")]
    cards = cards or tuple(article for article in [card_pages.bundle_cards(view, "cards")] if article)
    parts.append(("cards", card_pages.CARDS_TITLE, list(cards)))
    parts.append(("plans", "应急预案", plans))

    sheets = checklist_sheets(view, words, "checklist")
    if sheets:  # the part opens on a portrait page listing its forms; each form is then its sheet and reference page
        index = _article("checklist-index", "排查表一览", lambda a: _template("forms.html.j2").checklist_index(
            a, sheets, words.frequency))
        parts.append(("checklists", "隐患排查清单", [index, *[(a, doc.title, html) for a, doc, html in sheets],
                                                   summary_sheet(view, "checklist-summary")]))

    kind = school["kind"]
    drills = [_article(f"drill-{doc.id}", doc.title, lambda a, doc=doc: t.drill(
        a, doc, _body_sections(doc.body), doc.data["per_year"].get(kind, 0), kind)) for doc in view.of_kind("drill")]
    if view.calendar:
        year = school_year(view.district)
        entries = [{"month_label": f"{d.month[:4]} 年 {int(d.month[5:])} 月", "title": d.title} for d in view.calendar]
        title = f"本校 {year}—{year + 1} 学年演练计划"
        drills.insert(0, _article("drill-calendar", title, lambda a: t.calendar(a, title, entries)))
    parts.append(("drills", "应急演练", drills))
    parts.append(("directory", "应急通讯录", _directory(view)))

    histories = [(doc.title, [{"version": r.get("version", ""), "date": r.get("date", ""), "summary": r.get("summary", ""),
                               "reason": words.revision_reason(r.get("reason", ""))} for r in doc.data["revisions"]])
                 for doc in view.documents if doc.data.get("revisions")]  # one table per document
    parts.append(("revisions", "附录", [_article("revisions", "文档修订记录", lambda a: t.revisions(a, histories))]))

    toc, assembled, number = [], [], 0
    for key, title, articles in parts:
        if not articles or key not in include:
            continue
        if title != "附录":
            number += 1
            title = f"第{_numeral(number)}部分　{title}"
        anchor = f"part-{len(assembled) + 1}"
        toc.append({"level": 1, "anchor": anchor, "title": title})
        toc += [{"level": 2, "anchor": a, "title": article_title} for a, article_title, _ in articles]
        assembled.append({"anchor": anchor, "title": title, "articles": [html for _, _, html in articles]})

    year = school_year(view.district)
    principal = school["organisation"]["principal"]["name"]
    bundle = {
        "title": bundle_title(view, label), "label": label, "subtitle": subtitle, "school": school, "meta": meta,
        "css": Markup(_css(meta.fonts, meta.trimmed)),
        "subject": f"{school['name']}的应急预案、隐患排查清单、演练指南与应急通讯录",
        "keywords": ["应急预案", "隐患排查", "应急演练", "应急通讯录", school["name"]],
        "version": f"{year}—{year + 1} 学年版 · {view.fingerprint()[:8]}",
        "audience_label": AUDIENCES.get(view.audience, view.audience),
        "district_name": view.district.get("name", "区教育局"), "principal": principal,
        "decree": school.get("decree"), "issued_on": (school.get("decree") or {}).get("issued_on") or meta.date,
        "contents_summary": _contents_summary(view, words), "toc": toc, "parts": assembled,
    }
    return in_words_of(str(t.document(bundle)), words.terms_for(school["kind"]))  # the template's own words too


def checklist_sheets(view: SchoolView, words: Vocabulary, prefix: str) -> list[tuple[str, object, Markup]]:
    """(anchor, checklist, html) of each checklist in frequency order: its one-page grid, then its reference page
    with the standards and legal basis; the same sheets in the full edition and the forms pack."""
    t, order = _template("forms.html.j2"), list(words.frequencies)
    return [(f"{prefix}-{doc.id}", doc, Markup(t.checklist_form(
        f"{prefix}-{doc.id}", doc, view.data, words.frequency(doc.data["frequency"]),
        forms.grid(doc.data["frequency"], len(doc.data["items"])), form_sheets.LEGEND, forms.NUMBER_SHARE)))
        for doc in sorted(view.of_kind("checklist"), key=lambda d: order.index(d.data["frequency"]))]


def summary_sheet(view: SchoolView, anchor: str) -> tuple[str, str, Markup]:
    """The monthly hazard summary (隐患排查整改台账) every checklist's findings go into."""
    return anchor, form_sheets.SUMMARY_TITLE, Markup(_template("forms.html.j2").summary_sheet(
        anchor, form_sheets.SUMMARY_TITLE, view.data, form_sheets.SUMMARY_ORIGINS, form_sheets.SUMMARY_COLUMNS, forms.SUMMARY_ROWS))


def _article(anchor: str, title: str, render) -> tuple[str, str, Markup]:
    return anchor, title, Markup(_number_headings(str(render(anchor))))


def _numeral(n: int) -> str:
    """1 → 一, 12 → 十二, 21 → 二十一 (enough for section numbers)."""
    if n <= 10:
        return NUMERALS[n]
    tens, ones = divmod(n, 10)
    return (NUMERALS[tens] if tens > 1 else "") + "十" + (NUMERALS[ones] if ones else "")


def _number_headings(html: str) -> str:
    """h3 → 一、 h4 → （一） h5 → 1. inside one article, unless the editor numbered them already."""
    counters = {3: 0, 4: 0, 5: 0}

    def number(match: re.Match) -> str:
        level, inner = int(match.group(1)), match.group(2)
        if level not in counters:
            return match.group(0)
        counters[level] += 1
        for deeper in range(level + 1, 6):
            counters[deeper] = 0
        if HEADING_NUMBER.match(_TAG.sub("", inner).strip()):
            return match.group(0)
        n = counters[level]
        prefix = {3: f"{_numeral(n)}、", 4: f"（{_numeral(n)}）", 5: f"{n}. "}[level]
        return f"<h{level}>{prefix}{inner}</h{level}>"

    return _HEADING.sub(number, html)


def _body_sections(body: str) -> list[dict]:
    """Markdown body → sections of safe HTML, headings moved below the document title (## → h3)."""
    html = markdown_to_safe_html(body)
    html = _LINK.sub(r"\1", html)  # links to other files or sites mean nothing on paper
    html = _IMAGE.sub("", html)  # nothing is fetched into a bundle
    sections, position = [{"title": "", "html": ""}], 0
    for match in _HEADING.finditer(html):
        sections[-1]["html"] += html[position:match.start()]
        level = min(max(int(match.group(1)), 2) + 1, 6)
        text = _TAG.sub("", match.group(2)).strip()
        title = heading_text(text)
        sections.append({"title": title, "html": f"<h{level}>{match.group(2)}</h{level}>"})
        position = match.end()
    sections[-1]["html"] += html[position:]
    for section in sections:
        section["html"] = Markup(section["html"])
        section["inject"] = None
    return [s for s in sections if s["title"] or s["html"].strip()]


def _plan_sections(doc, opened: bool = False) -> list[dict]:
    """The plan's body sections, marked where its own tables go. Organisation and levels open the plan (cards.py);
    the 10-minute steps go into the text only when no cards' opening already gives them, by post."""
    sections = _body_sections(doc.body)
    wanted = {"organisation": False, "levels": False, "procedure": not opened}
    for what, titles in INJECT_AFTER.items():
        if not wanted[what]:
            continue
        target = next((s for title in titles for s in sections if s["title"] == title and not s["inject"]), None)
        if target is None:  # the plan lacks the section: the table still goes in, at the end
            target = {"title": "", "html": Markup(""), "inject": None}
            sections.append(target)
        target["inject"] = what
    return sections


def _phone(person: dict) -> str:
    mobile = person.get("mobile")
    if mobile and mobile != REDACTED:
        return mobile
    return person.get("office_phone") or mobile or ""


def _plan_contacts(view: SchoolView, doc) -> list[tuple[str, str]]:
    """The numbers someone holding this one plan needs first."""
    organisation, contacts = view.data["organisation"], view.data["contacts"]
    found = [("报警", "110"), ("火警", "119"), ("急救", "120")]
    for key in ("principal", "safety_officer"):
        person = organisation[key]
        found.append((f"{person['title']}{person['name']}", _phone(person)))
    wanted = ["bureau", "town", "police"]
    rule = str(doc.data.get("applies_to") or {}) + doc.id
    if doc.data.get("category") == "公共卫生事件":
        wanted += ["cdc", "market_supervision"]
    if "school_bus" in rule or "bus" in doc.id:
        wanted.append("traffic_police")
    if "elevator" in rule:
        wanted.append("elevator_maintenance")
    for key in wanted:
        unit = contacts.get(key)
        if isinstance(unit, dict):
            found.append((unit["name"], unit["phone"]))
    return found


def _contents_summary(view: SchoolView, words: Vocabulary) -> str:
    counts = []
    for tier in words.tiers:
        n = sum(1 for d in view.of_kind("plan") if d.data.get("tier") == tier)
        if n:
            counts.append(f"{tier} {n} 项")
    for kind, label, unit in (("checklist", "隐患排查清单", "张"), ("drill", "演练指南", "份")):
        n = len(view.of_kind(kind))
        if n:
            counts.append(f"{label} {n} {unit}")
    extras = (["学年演练计划"] if view.calendar else []) + ["应急通讯录"]
    return "、".join(counts) + "，以及" + "和".join(extras)


def _directory(view: SchoolView) -> list[tuple[str, str, Markup]]:
    t = _template()
    school, district = view.data, view.district
    organisation = school["organisation"]
    people = [(SCHOOL_ROLES.get(key, key), organisation[key]) for key in SCHOOL_ROLES if key in organisation]
    people += [(key, person) for key, person in organisation.items() if key not in SCHOOL_ROLES]
    contacts = school["contacts"]
    units = [(SCHOOL_UNITS[key], contacts[key]) for key in SCHOOL_UNITS if key in contacts]
    articles = [_article("directory-school", "学校应急领导小组与联络单位", lambda a: t.directory(
        a, "学校应急领导小组与联络单位", people, units, contacts.get("internal") or []))]

    district_people = [(DISTRICT_ROLES.get(key, key), person)
                       for key, person in (district.get("organisation") or {}).items()]
    office = district.get("office") or {}
    district_units = ([("值班电话", office)] if office else []) + [
        (DISTRICT_UNITS.get(key, key), unit) for key, unit in sorted((district.get("external") or {}).items())]
    if district_people or district_units:
        title = f"{district.get('name', '区教育局')}与区级联动单位"
        articles.append(_article("directory-district", title, lambda a: t.directory(
            a, title, district_people, district_units, [])))
    return articles
