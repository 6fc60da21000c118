"""SchoolView → the printed products of one school: action edition, full edition and forms pack (HTML each)."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from safeplan.render.pdf import cards as card_pages
from safeplan.render.pdf.bundle_html import PARTS, BundleMeta, _css, _template, bundle_html, checklist_sheets, summary_sheet
from safeplan.resolve.editions import EDITIONS as SELECTIONS, edition_view
from safeplan.resolve.views import SchoolView, school_year
from safeplan.content.school_words import in_words_of
from safeplan.content.vocabulary import Vocabulary



@dataclass(frozen=True)
class Edition:
    name: str  # manifest key and file suffix
    label: str  # Chinese, on the cover, the site and the manifest
    suffix: str  # <school><suffix>.pdf
    purpose: str
    restart: bool = True  # printed page numbers start at 1 after the front matter (PageLabels follow them)


EDITIONS = (
    Edition("full", SELECTIONS["full"].label, "", "全部预案、清单、演练指南与通讯录，供存档和检查"),
    Edition("action", SELECTIONS["action"].label, ".action", "综合应急预案、现场处置方案（各以本校应急处置卡的先期处置开头）与通讯录，供日常放置和事发时使用"),
    Edition("forms", "表格本", ".forms", "按月排查表、月度隐患排查整改汇总表和演练记录表，打印后填写、归档", restart=False),
    Edition("cards", "应急处置卡（每页四张）", ".cards", "本校各岗位的应急处置卡，A4 纸每页四张 A6 卡片，沿虚线裁开随身携带",
            restart=False),
)
BY_NAME = {edition.name: edition for edition in EDITIONS}


def emergency_cards(view: SchoolView) -> tuple[tuple[str, str, Markup], ...]:
    """The school's emergency cards as bundle articles (anchor, title, html), first in both editions."""
    return tuple(article for article in [card_pages.bundle_cards(view, "cards")] if article)


def action_view(view: SchoolView, words: Vocabulary | None = None) -> SchoolView:
    """The view with only what the action edition shows (resolve/editions: the one selection of an edition)."""
    return edition_view(view, SELECTIONS["action"], words)


def edition_html(edition: Edition, view: SchoolView, meta: BundleMeta, words: Vocabulary) -> str | None:
    """An edition's HTML, or None when the school has nothing for it (no cards: no cards sheet)."""
    if edition.name == "cards":
        return card_pages.card_sheet_html(view, meta.fonts, meta.trimmed) if view.cards else None
    cards = emergency_cards(view)
    if edition.name == "action":  # its cards are the 4-up sheet beside it (the cards edition), each plan opens with them
        tiers = [tier for tier, anchor in words.tiers.items() if anchor in SELECTIONS["action"].plan_tiers]
        subtitle = "　".join(tiers + ["应急通讯录"])
        return bundle_html(action_view(view, words), meta, words, include=("plans", "directory"), label=edition.label,
                           subtitle=subtitle)
    if edition.name == "forms":
        return forms_html(view, meta, words, edition.label)
    return bundle_html(view, meta, words, include=PARTS, cards=cards)


def forms_html(view: SchoolView, meta: BundleMeta, words: Vocabulary, label: str) -> str:
    """The forms pack: each checklist as a one-page grid with its reference page, the monthly summary, drill records."""
    t = _template("forms.html.j2")
    school = view.data
    checklists = checklist_sheets(view, words, "form")
    summary_anchor, summary_title, summary = summary_sheet(view, "form-summary")
    drills = view.of_kind("drill")
    parts = [("按月排查表", [(anchor, doc.title) for anchor, doc, _ in checklists], [html for _, _, html in checklists]),
             ("隐患整改台账", [(summary_anchor, summary_title)], [summary]),
             ("演练记录表", [(f"record-{doc.id}", doc.title) for doc in drills],
              [Markup(t.drill_sheet(f"record-{doc.id}", doc, school)) for doc in drills])]
    toc, assembled = [], []
    for title, entries, sheets in (p for p in parts if p[2]):  # a part starts at its first sheet: no title page
        toc.append({"level": 1, "anchor": entries[0][0], "title": title})
        toc += [{"level": 2, "anchor": a, "title": entry_title} for a, entry_title in entries]
        assembled.append({"title": title, "sheets": sheets})
    year = school_year(view.district)
    return in_words_of(str(t.document({  # a kindergarten's forms in its own words, as its bundle
        "title": f"{school['name']}安全检查与演练表格", "label": label, "school": school, "meta": meta,
        "css": Markup(_css(meta.fonts, meta.trimmed)), "subject": f"{school['name']}的按月排查表、月度隐患排查整改汇总表与演练记录表",
        "version": f"{year}—{year + 1} 学年版 · {view.fingerprint()[:8]}", "toc": toc, "parts": assembled})), words.terms_for(school["kind"]))
