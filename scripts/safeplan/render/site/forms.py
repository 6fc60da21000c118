"""A checklist's or drill's data → the paper form a school prints from its page (the PDF forms pack's sheet, as HTML).

A checklist prints as the forms pack's month grid, from the same labels (content/form_sheets.py); on screen, where
31 day columns do not fit a phone, the page shows the legend, the 打印 button and where the PDF is.
Raw HTML, every value escaped here. The school's name goes into the 学校 field when the page is opened
from that school's page (?school=…, filled by site-assets/theme/assets/javascripts/safeplan-forms.js);
the 打印 button prints only the form (stylesheets/safeplan.css, @media print).
"""

from __future__ import annotations

import html

from safeplan.content.form_sheets import DATE_HEAD, ITEM_HEAD, LEGEND, NUMBER_HEAD, PLACE_HEAD, SIGN_ROWS, periods, shape

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


def checklist_form(data: dict, frequency: str, downloads: str) -> list[str]:
    """The sheet of one period: 序号, the items, a column per day/week/month/term (or blank dates), the 检查人 and 复查人
    rows, the legend. `frequency` is its label (每日), `downloads` the relative link to the bundle downloads."""
    period, columns = periods(data.get("frequency"))
    blanks = "".join("<td></td>" for _ in columns)
    rows = [f"<tr><td>{index}</td><td>{esc(item.get('check'))}{'（重大）' if item.get('grade') == '重大' else ''}</td>{blanks}</tr>"
            for index, item in enumerate(data.get("items") or [], 1)]
    rows += [f'<tr class="sp-sign"><td></td><td>{esc(row)}</td>{blanks}</tr>' for row in SIGN_ROWS]
    heads = "".join(f"<th>{esc(column or DATE_HEAD)}</th>" for column in columns)
    number = f"　{esc(data['number'])}" if data.get("number") else ""
    return [
        '<div class="sp-screen-only sp-form-screen" markdown="1" data-search-exclude>',
        "",
        f"打印出来是一页{esc(frequency)}排查表：排查项目在左，{esc(columns[0] or DATE_HEAD.strip())}等 {len(columns)} 栏在上，"
        f"下方{'、'.join(esc(row) for row in SIGN_ROWS)}各一行；标准与依据见上表。{esc(LEGEND)}",
        "",
        f"各校印好校名的排查表（PDF，每张表后附说明页）见[汇编下载]({downloads})。",
        "",
        "</div>",
        "",
        print_button("打印排查表", "checklist"),
        "",
        f'<div class="sp-form sp-form--checklist sp-grid--{shape(columns) or "mid"} sp-print-only" data-search-exclude>',
        f'<p class="sp-form-title">{esc(data.get("title"))}</p>',
        f'<p class="sp-form-line"><span class="sp-blank" data-sp-school></span>　{esc(period)}　{esc(PLACE_HEAD)}：'
        f'<span class="sp-blank"></span>　{esc(frequency)}排查　排查人：{esc(data.get("role"))}{number}</p>',
        f'<table class="sp-grid"><thead><tr><th>{esc(NUMBER_HEAD)}</th><th>{esc(ITEM_HEAD)}</th>{heads}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table>',
        f'<p class="sp-form-note">{esc(LEGEND)}</p>',
        "</div>",
        "",
    ]


def printed_sheet(words) -> str:
    """What a checklist page prints, in one paragraph for the checklists' index: the columns by frequency and the legend."""
    def span(columns: tuple[str, ...]) -> str:
        if not columns[0]:
            return f"{len(columns)} 栏留填日期"
        return "、".join(columns) if len(columns) <= 2 else f"{columns[0]}至{columns[-1]}"
    spans = "；".join(f"{label}：{span(periods(value)[1])}" for value, label in words.frequencies.items())
    return esc(f"每张清单打印出来是一页横向 A4 排查表：{NUMBER_HEAD}、排查项目在左，检查周期在上（{spans}），"
               f"下方{'、'.join(SIGN_ROWS)}各一行，合格标准、隐患情形和依据见清单页面的排查项目表。{LEGEND}")


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
