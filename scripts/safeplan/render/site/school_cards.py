"""SchoolView's cards → the school page's section of emergency cards (internal edition), one box per card."""

from __future__ import annotations

from markupsafe import escape

from safeplan.render.site.markup import text
from safeplan.resolve.views import SchoolView

ANCHOR = "cards"


def cards_section(view: SchoolView, audience: str) -> list[str]:
    """Markdown lines for the school page: the school's cards grouped by plan, or nothing (public edition, no cards)."""
    if audience != "internal" or not view.cards:
        return []
    lines = [f"## 应急处置卡（{len(view.cards)} 张） {{ #{ANCHOR} data-search-exclude }}", "",
             "每个关键岗位一张：事发后先做什么、打给谁、去哪里、不能做什么。步骤与时限取自预案的先期处置步骤，"
             "姓名和号码按本校数据填写。打印版是 PDF 汇编旁的本校处置卡文件（A4 每页四张，沿虚线裁开）。", ""]
    plan = None
    for card in view.cards:
        if card.plan_id != plan:
            if plan is not None:
                lines += ["</div>", ""]
            plan = card.plan_id
            lines += [f"### {escape(card.plan_title)} {{ #{ANCHOR}-{plan} data-search-exclude }}", "",
                      '<div class="sp-cards" markdown="0">']
        lines.append(_card(card))
    lines += ["</div>", ""]
    return lines


def cards_link(view: SchoolView, audience: str, plan_id: str) -> str:
    """A link from the school's list of plans to the plan's cards on the page, named by the school's own posts
    (总指挥（园长）、带班教师); '' where the edition or the plan has no cards."""
    labels = [card.post_label for card in view.cards if card.plan_id == plan_id]
    return f"[{text('、'.join(labels))}](#{ANCHOR}-{plan_id})" if audience == "internal" and labels else ""


def _card(card) -> str:
    steps = "".join(f"<li><b>{escape(s.within)}</b>（{escape(s.who)}）{escape(s.action)}</li>" for s in card.steps)
    calls = "".join(f'<li>{escape(who)} <a href="tel:{escape(number)}">{escape(number)}</a></li>'
                    for who, number in card.calls)
    where = (f'<p class="sp-card-head">去哪里</p><p>{escape(card.building)}集合点：<b>{escape(card.assembly)}</b>。'
             f"{escape(card.go)}</p>" if card.assembly else
             f'<p class="sp-card-head">去哪里</p><p>{escape(card.go)}</p>' if card.go else "")
    dont = "".join(f"<li>{escape(item)}</li>" for item in card.dont)
    person = f'<p class="sp-card-person">责任人：{escape(card.person)}</p>' if card.person else ""
    return (f'<section class="sp-card"><p class="sp-card-post">{escape(card.post_label)}</p>{person}'
            f'<p class="sp-card-head">先做什么（事发后 10 分钟内）</p><ol>{steps}</ol>'
            f'<p class="sp-card-head">打给谁</p><ul class="sp-card-calls">{calls}</ul>{where}'
            f'<p class="sp-card-head">不能做什么</p><ul>{dont}</ul></section>')
