"""A published plan → the opening of its site page: who does what in the first ten minutes, by post, then the
district's response levels in one line.

The rows come from the builder the bundles use (resolve/cards.opening_rows, with the posts of the plan's approved
cards); the page is for no one school, so the posts carry every kind's word (班主任/带班教师) and no person's name,
and the levels name the school schema's roles (校长（园长）). Each school's filled cards are on its own page.
"""

from __future__ import annotations

from safeplan.content.reporting_text import levels_line, roles_school
from safeplan.render.site.index import Entry, SiteIndex
from safeplan.render.site.markup import text
from safeplan.resolve.cards import opening_rows
from safeplan.resolve.views import is_publishable

ANCHOR = "opening"
TITLE = "事发后 10 分钟内：谁做什么"


def plan_opening(index: SiteIndex, entry: Entry) -> list[str]:
    """Markdown lines the plan's page opens with; none for a plan without first steps (district plans)."""
    if entry.kind != "plan" or not entry.data.get("procedure"):
        return []
    order = list(index.words.posts)
    posts = sorted({card["post"] for doc in index.site.library.of_kind("card")
                    if is_publishable(doc) and doc.data.get("plan") == entry.doc.id for card in doc.data["cards"]},
                   key=order.index)
    lines = [f"## {TITLE} {{ #{ANCHOR} }}", ""]
    for label, _, steps in opening_rows(entry.doc, entry.data, posts, index.words.posts_for()):
        lines += [f"**{text(label)}**", ""]
        lines += [f"- **{text(step.within)}**　{text(step.action)}" for step in steps] + [""]
    if index.site.district.get("response"):
        lines += [f'<p class="sp-levels-line" markdown="1">{text(levels_line(index.site.district, roles_school()))}</p>', ""]
    return lines
