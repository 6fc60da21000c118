"""A checklist's or drill's data → the paper form a school prints from its page (the PDF bundle's form, as HTML).

Raw HTML, every value escaped here. The school's name goes into the 学校 field when the page is opened
from that school's page (?school=…, filled by site-assets/theme/assets/javascripts/safeplan-forms.js);
the 打印 button prints only the form (stylesheets/safeplan.css, @media print).
"""

from __future__ import annotations

import html

RESULT_BOXES = "☐合格<br>☐不合格"
FOLLOW_UP = "发现重大隐患立即报告安全办主任并采取临时防护措施；一般隐患当日登记，限期整改后复查销号。"


def esc(value) -> str:
    return html.escape(str(value if value is not None else ""))


def print_button(label: str, form: str) -> str:
    return (f'<p class="sp-screen-only" data-search-exclude><button type="button" class="md-button sp-print" '
            f'data-sp-print="{esc(form)}">{esc(label)}</button></p>')


def _head(rows: list[tuple[str, str, str, str]]) -> str:
    cells = "".join(f"<tr><th>{a}</th><td{' data-sp-school' if a == '学校' else ''}>{b}</td><th>{c}</th><td>{d}</td></tr>"
                    for a, b, c, d in rows)
    return f'<table class="sp-form-head">{cells}</table>'


def _number(data: dict) -> str:
    return f"编号 {esc(data.get('number') or '—')}，第 {esc(data.get('version'))} 版"


def checklist_form(data: dict) -> list[str]:
    """The 排查记录表: school, date, inspector, 排查部位, then each item with ☐合格/☐不合格, 隐患描述, 整改责任人, 签名."""
    rows = []
    for index, item in enumerate(data.get("items") or [], 1):
        what = f"<strong>{esc(item.get('check'))}</strong>"
        if item.get("standard"):
            what += f"<br>标准：{esc(item['standard'])}"
        what += f"<br>隐患：{esc(item.get('hazard'))}" + ("（重大隐患）" if item.get("grade") == "重大" else "")
        rows.append(f"<tr><td>{index}</td><td>{what}</td><td>{RESULT_BOXES}</td><td></td><td></td><td></td></tr>")
    return [
        print_button("打印排查记录表", "checklist"),
        "",
        '<div class="sp-form sp-form--checklist sp-print-only" data-search-exclude>',
        f'<p class="sp-form-title">{esc(data.get("title"))} · 排查记录表<span>{_number(data)}</span></p>',
        _head([("学校", "", "排查日期", "　　　年　　月　　日"), ("排查人", "", "排查部位", "")]),
        '<table class="sp-form-items"><thead><tr><th>序号</th><th>排查内容、合格标准与隐患情形</th><th>检查结果</th>'
        "<th>隐患描述</th><th>整改责任人</th><th>签名</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>",
        f'<p class="sp-form-note">{FOLLOW_UP}</p>',
        '<p class="sp-signoff">排查人（签名）：<span class="sp-blank"></span>　复查人：<span class="sp-blank"></span>'
        '　复查日期：<span class="sp-blank"></span>　安全办主任：<span class="sp-blank"></span></p>',
        "</div>",
        "",
    ]


def drill_record(data: dict) -> list[str]:
    """The 演练记录表: school, date, recorder, then one line per record field, then the sign-off."""
    rows = "".join(f"<tr><th>{esc(name)}</th><td></td></tr>" for name in data.get("record_fields") or [])
    return [
        print_button("打印演练记录表", "drill"),
        "",
        '<div class="sp-form sp-form--drill" data-search-exclude>',
        f'<p class="sp-form-title">{esc(data.get("title"))} · 演练记录表<span>{_number(data)}</span></p>',
        _head([("学校", "", "演练日期", "　　　年　　月　　日"), ("记录人", "", "演练地点", "")]),
        f'<table class="sp-form-items sp-form-items--record"><tbody>{rows}</tbody></table>',
        '<p class="sp-signoff">总指挥（签名）：<span class="sp-blank"></span>　记录人（签名）：<span class="sp-blank"></span>'
        '　日期：<span class="sp-blank"></span></p>',
        "</div>",
        "",
    ]
