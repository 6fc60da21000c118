"""Library → Problems about a plan's structure: the sections GB/T 29639-2020 requires, in its order."""

from __future__ import annotations

from safeplan.checks.validate import _schema_clean, rule
from safeplan.content.model import Document, Library, heading_text
from safeplan.problems import ERROR, WARNING, Problem


# GB/T 29639-2020 first-level elements by tier, in order; second-level where the standard lists them.
REQUIRED_SECTIONS = {
    "综合应急预案": ["总则", "应急组织机构及职责", "应急响应", "后期处置", "应急保障"],
    "专项应急预案": ["适用范围", "应急组织机构及职责", "响应启动", "处置措施"],
    "现场处置方案": ["事故风险描述", "应急工作职责", "应急处置", "注意事项"],
}
REQUIRED_SUBSECTIONS = {
    "综合应急预案": {
        "总则": ["适用范围", "响应分级"],
        "应急响应": ["信息报告", "预警", "响应启动", "应急处置", "应急支援", "响应终止"],
        "应急保障": ["通信与信息保障", "应急队伍保障", "物资装备保障", "其他保障"],
    },
}


@rule("gbt29639-sections", ERROR, "预案包含 GB/T 29639-2020 要求的一级章节且顺序正确")
def check_sections(library: Library):
    for doc in _schema_clean(library):
        if doc.kind != "plan":
            continue
        required = REQUIRED_SECTIONS[doc.data["tier"]]
        top = [s for s in doc.sections if s.level == 2]
        titles = [heading_text(s.title) for s in top]
        missing = [name for name in required if name not in titles]
        if missing:
            yield Problem(doc.path, doc.body_line or 1, 1, ERROR, "",
                          f"{doc.data['tier']}缺少必需章节：{'、'.join(missing)}。",
                          "用二级标题补上这些章节，例如“## " + missing[0] + "”，顺序为：" + " → ".join(required) + "。")
            continue
        order = [titles.index(name) for name in required]
        if order != sorted(order):
            section = top[order[next(i for i in range(1, len(order)) if order[i] < order[i - 1])]]
            yield Problem(doc.path, section.line, 1, ERROR, "", "章节顺序与 GB/T 29639-2020 不一致。",
                          "顺序应为：" + " → ".join(required) + "。")
        for section in top:
            name = heading_text(section.title)
            if name in required and not _has_content(doc, section):
                yield Problem(doc.path, section.line, 1, ERROR, "", f"章节“{name}”没有内容。", "写明谁、在什么时限内、做什么。")


def _has_content(doc: Document, section) -> bool:
    index = doc.sections.index(section)
    for following in doc.sections[index:]:
        if following is not section and following.level <= section.level:
            break
        if following.text.strip():
            return True
    return False


@rule("gbt29639-subsections", WARNING, "综合预案包含 GB/T 29639-2020 列出的二级要素")
def check_subsections(library: Library):
    for doc in _schema_clean(library):
        if doc.kind != "plan":
            continue
        for parent, children in REQUIRED_SUBSECTIONS.get(doc.data["tier"], {}).items():
            index = next((i for i, s in enumerate(doc.sections) if s.level == 2 and heading_text(s.title) == parent), None)
            if index is None:
                continue
            below = []
            for section in doc.sections[index + 1:]:
                if section.level <= 2:
                    break
                below.append(heading_text(section.title))
            missing = [c for c in children if c not in below]
            if missing:
                yield Problem(doc.path, doc.sections[index].line, 1, ERROR, "",
                              f"“{parent}”下缺少要素：{'、'.join(missing)}。", "用三级标题（### ）补上。")
