"""Library → Problems: the schema check and every rule no schema can express.

Rules are small functions registered with a stable id and a default severity;
`safeplan.yaml` at the content root may change a severity or switch a rule off,
within the severities the rule allows (safety rules cannot be switched off).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Callable, Iterator

from safeplan.content.applicability import applies, rule_paths
from safeplan.dates import today
from safeplan.content.model import FOLDERS, REVIEWED, WORKFLOW_KINDS, Document, Library, heading_text, iter_strings
from safeplan.checks.privacy import ID_CARD, MOBILE, column_in, field_in, find_numbers, mask, normalise
from safeplan.problems import ERROR, OFF, SEVERITIES, WARNING, Problem
from safeplan.content.sanitize import TAGS, removals
from safeplan.content.schemas import check_document, internal_pointers, phone_pointers, school_field_labels
from safeplan.content.templating import PlaceholderError, compile_error, fill, has_placeholders
from safeplan.content.vocabulary import vocabulary

Rule = Callable[[Library], Iterator[Problem]]
RULES: dict[str, tuple[str, str, Rule]] = {}  # id → (default severity, Chinese summary, function)
ALLOWED: dict[str, tuple[str, ...]] = {}  # id → the severities safeplan.yaml may choose for it


def rule(rule_id: str, severity: str, summary: str, allowed: tuple[str, ...] = SEVERITIES):
    def register(function: Rule) -> Rule:
        RULES[rule_id] = (severity, summary, function)
        ALLOWED[rule_id] = allowed
        return function
    return register


def severity_for(rule_id: str, default: str, allowed: tuple[str, ...], configured: dict) -> str:
    """The configured severity when the rule allows it, else its default (the schema reports the bad value)."""
    chosen = configured.get(rule_id, default) if isinstance(configured, dict) else default
    return chosen if chosen in allowed else default


def validate(library: Library, severities: dict[str, str] | None = None) -> list[Problem]:
    """Run every rule; apply configured severities; return problems sorted by place."""
    configured = library.config.get("rules")
    severities = {**(configured if isinstance(configured, dict) else {}), **(severities or {})}
    problems: list[Problem] = []
    for rule_id, (default, _, function) in RULES.items():
        severity = severity_for(rule_id, default, ALLOWED.get(rule_id, SEVERITIES), severities)
        if severity == OFF:
            continue
        problems.extend(replace(p, severity=severity, rule=rule_id) for p in function(library))
    return sorted(set(problems))


def _at(doc: Document, pointer: str, message: str, hint: str = "") -> Problem:
    line, column = doc.position(pointer)
    return Problem(doc.path, line, column, ERROR, "", message, hint)


def _schema_clean(library: Library) -> list[Document]:
    """Documents that passed their schema: later rules can trust their shape."""
    return [doc for doc in library.documents if not _schema_problems(doc)]


def _schema_problems(doc: Document) -> list[Problem]:
    if doc.schema_problems is None:
        doc.schema_problems = check_document(doc)
    return doc.schema_problems


# Error only: every later rule, the site and the PDFs trust a document's shape only once its schema
# passed, and safeplan.yaml itself is checked by it (a bad rule id or severity is a schema error).
@rule("schema", ERROR, "文件符合 JSON Schema", allowed=(ERROR,))
def check_schema(library: Library):
    for doc in library.documents:
        yield from _schema_problems(doc)


@rule("id-matches-filename", ERROR, "编号与文件名一致")
def check_id_filename(library: Library):
    for doc in _schema_clean(library):
        if doc.kind in ("district", "config"):
            continue
        stem = doc.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if doc.id != stem:
            yield _at(doc, "/id", f"编号“{doc.id}”与文件名“{stem}”不一致。",
                      f"把 id 改为 {stem}，或把文件改名为 {doc.id}{doc.path[doc.path.rfind('.'):]}。")


@rule("unique-id", ERROR, "编号在全库唯一")
def check_unique_ids(library: Library):
    seen: dict[str, Document] = {}
    for doc in library.documents:
        if not doc.id:
            continue
        if doc.id in seen:
            first = seen[doc.id]
            yield _at(doc, "/id", f"编号“{doc.id}”已被 {first.path} 使用。", "每个文档的编号在全库中必须唯一，请换一个编号。")
        else:
            seen[doc.id] = doc


@rule("references", ERROR, "引用的文档、集合点和审批人都存在")
def check_references(library: Library):
    ids = {(doc.kind, doc.id) for doc in library.documents}
    kinds = vocabulary().kinds
    for doc in _schema_clean(library):
        for kind, target, pointer in doc.references():
            if (kind, target) not in ids:
                yield _at(doc, pointer, f"引用的文档“{target}”不存在。",
                          f"检查编号拼写；现有的{kinds[kind]}编号见 {FOLDERS[kind]}/ 目录下各文件的 id。")
            elif target == doc.id and kind == doc.kind:
                yield _at(doc, pointer, "文档引用了自己。", "删除这条引用。")
        if doc.kind == "school":
            points = {p["id"] for p in doc.data["assembly_points"]}
            for index, route in enumerate(doc.data["evacuation_routes"]):
                if route["assembly_point"] not in points:
                    yield _at(doc, f"/evacuation_routes/{index}/assembly_point",
                              f"疏散路线指向的集合点“{route['assembly_point']}”不存在。",
                              "可用的集合点：" + "、".join(sorted(points)))
        school_id = doc.data.get("school")
        if doc.kind in WORKFLOW_KINDS and school_id and ("school", school_id) not in ids:
            yield _at(doc, "/school", f"所属学校“{school_id}”不存在。", "填写 schools/ 下某个学校文件的 id。")


@rule("approval", ERROR, "现行文档有审批人、颁布日期、下次评审日期与对应的修订记录")
def check_approval(library: Library):
    approved = f"{vocabulary().status('approved')}（approved）"
    for doc in _schema_clean(library):
        if doc.kind not in WORKFLOW_KINDS or doc.data.get("status") != "approved":
            continue
        data = doc.data
        for key, label in (("approved_by", "审批人"), ("issued_on", "颁布日期"), ("next_review", "下次评审日期")):
            if not data.get(key):
                yield _at(doc, "/status", f"{approved}文档缺少{label}（{key}）。",
                          f"补上 {key}，或把 status 改回 draft。")
        if doc.kind == "plan" and not data.get("number"):
            yield _at(doc, "/status", "现行预案缺少预案编号（number）。", "按区局编号规则补上，例如 WJJY-XX-ZX-01。")
        approver = data.get("approved_by")
        if approver and approver not in library.owners(doc).people:
            yield _at(doc, "/approved_by", f"审批人“{approver}”不在有权审批的人员名单中。",
                      "审批人须是 district.yaml（区级文档）或本校学校文件中 owners 列出的编号。")
        revisions = data.get("revisions") or []
        if not revisions:
            yield _at(doc, "/status", "现行文档没有修订记录。", "在 revisions 中为当前版本加一条记录。")
        elif revisions[-1].get("version") != data.get("version"):
            yield _at(doc, f"/revisions/{len(revisions) - 1}/version",
                      f"最后一条修订记录的版本“{revisions[-1].get('version')}”与文档版本“{data.get('version')}”不一致。",
                      "每次升版都要在 revisions 末尾加一条同版本号的记录。")


def _date(text) -> date | None:
    try:
        return date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


@rule("review-interval", ERROR, "下次评审不晚于颁布后 3 年")
def check_review_interval(library: Library):
    for doc in _schema_clean(library):
        issued, review = _date(doc.data.get("issued_on")), _date(doc.data.get("next_review"))
        if not issued or not review:
            continue
        reviews = [_date(r.get("date")) for r in doc.data.get("revisions") or [] if r.get("reason") == REVIEWED]
        start = max([issued] + [day for day in reviews if day])  # a review restarts the 3-year period
        since = "颁布日期" if start == issued else f"最近一次复审（{start}）"
        try:
            limit = start.replace(year=start.year + 3)
        except ValueError:  # 29 February
            limit = start.replace(year=start.year + 3, day=28)
        if review > limit:
            yield _at(doc, "/next_review", f"下次评审日期 {review} 晚于{since}后 3 年（{limit}）。",
                      f"把 next_review 改为 {limit} 或更早。")
        elif review <= issued:
            yield _at(doc, "/next_review", f"下次评审日期 {review} 不晚于颁布日期 {issued}。", "下次评审日期应在颁布日期之后。")


@rule("review-overdue", WARNING, "下次评审日期未过（现行文档按期复审）")
def check_review_overdue(library: Library):
    day = today()
    for doc in _schema_clean(library):
        review = _date(doc.data.get("next_review"))
        if doc.kind not in WORKFLOW_KINDS or doc.data.get("status") != "approved" or not review or review >= day:
            continue
        yield _at(doc, "/next_review", f"下次评审日期 {review} 已过（今天是 {day}，超期 {(day - review).days} 天）。",
                  "请组织复审：内容不变时，把 next_review 改为新的评审日期，并在 revisions 末尾加一条 reason: reviewed 的记录"
                  "（版本号不变）；内容需要修改时，升版并加一条说明改动的修订记录。两种都需要负责人批准。")


# Minimum evacuation drills per school year (MOE 2014 guide: monthly; kindergartens quarterly),
# counting the ten teaching months of a school year.
EVACUATION_MINIMUM = {"幼儿园": 4, "小学": 10, "初中": 10, "高中": 10, "九年一贯制": 10,
                      "完全中学": 10, "特殊教育": 10, "职业学校": 10}


@rule("drill-frequency", ERROR, "疏散演练次数达到各类学校的国家最低要求")
def check_drill_frequency(library: Library):
    drills = [d for d in _schema_clean(library) if d.kind == "drill" and d.data.get("status") == "approved"]
    if not drills:
        return
    evacuation = [d for d in drills if d.data.get("evacuation")]
    anchor = evacuation[0] if evacuation else drills[0]
    for kind, minimum in EVACUATION_MINIMUM.items():
        total = sum(d.data["per_year"].get(kind, 0) for d in evacuation)
        if total < minimum:
            names = "、".join(f"{d.id}（{d.data['per_year'].get(kind, 0)} 次）" for d in evacuation) or "无"
            yield _at(anchor, "/per_year", f"{kind}每学年疏散演练合计 {total} 次，低于最低要求 {minimum} 次。",
                      f"现有疏散演练：{names}。请提高 per_year 中“{kind}”的次数。")


@rule("onsite-drill", WARNING, "每个现场处置方案每半年至少演练一次")
def check_onsite_drills(library: Library):
    docs = _schema_clean(library)
    drills = {d.id: d for d in docs if d.kind == "drill"}
    for doc in docs:
        if doc.kind != "plan" or doc.data.get("tier") != "现场处置方案" or doc.data.get("status") != "approved":
            continue
        linked = [drills[i] for i in (doc.data.get("references") or {}).get("drills", []) if i in drills]
        linked += [d for d in drills.values() if doc.id in (d.data.get("references") or {}).get("plans", [])]
        if not any(min(d.data["per_year"].values()) >= 2 for d in linked):
            yield _at(doc, "/references", "现场处置方案没有关联每学年至少 2 次的演练指南。",
                      "在 references.drills 中关联一份演练指南，并保证其 per_year 各类学校都不少于 2 次。")


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


@rule("applies-to-fields", ERROR, "适用规则只使用学校文件中真实存在的字段")
def check_applies_to(library: Library):
    known = school_field_labels()
    for doc in _schema_clean(library):
        for pointer, path in rule_paths(doc.data.get("applies_to")):
            if path not in known:
                close = [k for k in known if k.split(".")[-1] in path or path.split(".")[-1] in k]
                yield _at(doc, "/applies_to" + pointer, f"适用规则中的字段“{path}”在学校文件中不存在。",
                          "可用字段：" + "、".join(close or sorted(known)))


def template_context(library: Library, school: Document | None) -> dict:
    district = library.district.data if library.district else {}
    return {"district": district, "school": school.data if school else {}}


@rule("placeholders", ERROR, "每个占位符对适用的每所学校都能填写")
def check_placeholders(library: Library):
    docs = _schema_clean(library)
    schools = [d for d in docs if d.kind == "school"]
    for doc in docs:
        if doc.kind not in WORKFLOW_KINDS:
            continue
        text = doc.body
        if not has_placeholders(text) and not has_placeholders(repr(doc.data)):
            continue
        targets: list[Document | None]
        if doc.data.get("level") == "district" or doc.kind == "note":
            targets = [None]
        else:
            targets = [s for s in schools if applies(doc.data.get("applies_to"), s.data)[0]
                       and doc.data.get("school") in (None, s.id)]
        reported: set[tuple[str, str]] = set()
        texts = []
        for pointer, value in [("", text)] + [(p, v) for p, v in iter_strings(doc.data) if has_placeholders(v)]:
            error = compile_error(value)
            if error:  # refused on its syntax, before anything is filled
                yield _template_problem(doc, pointer, error)
            else:
                texts.append((pointer, value))
        for school in targets:
            context = template_context(library, school)
            for pointer, value in texts:
                try:
                    fill(value, context)
                except PlaceholderError as error:
                    key = (pointer, error.message)
                    if key in reported:
                        continue
                    reported.add(key)
                    where = f"（学校：{school.id}）" if school else ""
                    if pointer:
                        line, column = doc.position(pointer)
                    else:
                        line, column = _find_in_body(doc, error, context)
                    yield Problem(doc.path, line, column, ERROR, "", error.message + where,
                                  "在该校文件中补上这个字段，或改用所有学校都有的字段；"
                                  "也可以用 applies_to 把本文档限定到有这项数据的学校。")


def _template_problem(doc: Document, pointer: str, error: PlaceholderError) -> Problem:
    """A template refused on its syntax, located at the construct inside the body or the value."""
    lineno, column = error.lineno or 1, error.column or 1
    if pointer:
        line, start = doc.position(pointer)
        line, column = line + lineno - 1, (start + column - 1 if lineno == 1 else column)
    else:
        line = doc.body_line + lineno - 1
    return Problem(doc.path, line, column, ERROR, "", error.message, error.hint)


def _find_in_body(doc: Document, error: PlaceholderError, context: dict) -> tuple[int, int]:
    lines = doc.body.split("\n")
    if error.expression:
        for index, line in enumerate(lines):
            if error.expression in line:
                return doc.body_line + index, line.index(error.expression) + 1
    if error.lineno:
        return doc.body_line + error.lineno - 1, 1
    for index, line in enumerate(lines):  # the first placeholder that fails on its own
        for match in re.finditer(r"\{\{.*?\}\}", line):
            try:
                fill(match.group(0), context)
            except PlaceholderError:
                return doc.body_line + index, match.start() + 1
    return doc.body_line or 1, 1


def required_guards(people: int) -> int:
    """Full-time guards by 《中小学幼儿园安全防范工作规范（试行）》: <100 → 1, <1000 → 2, +1 per 500 above."""
    if people < 100:
        return 1
    if people <= 1000:
        return 2
    return 2 + -(-(people - 1000) // 500)


@rule("guard-staffing", WARNING, "专职保安员人数达到配备标准")
def check_guards(library: Library):
    for doc in _schema_clean(library):
        if doc.kind != "school":
            continue
        people = doc.data["counts"]["students"] + doc.data["counts"]["staff"]
        need, have = required_guards(people), doc.data["security"]["full_time_guards"]
        if have < need:
            yield _at(doc, "/security/full_time_guards", f"师生共 {people} 人，至少应配专职保安员 {need} 名，现有 {have} 名。",
                      "按《中小学幼儿园安全防范工作规范（试行）》补足保安员后更新此数。")


@rule("three-100", WARNING, "“三个100%”安防设施达标")
def check_three_100(library: Library):
    labels = {"closed_management": "封闭式管理", "anti_collision_barriers": "硬质防冲撞设施",
              "one_button_alarm_linked": "一键式紧急报警与公安联网", "video_linked": "重要部位视频监控联网"}
    for doc in _schema_clean(library):
        if doc.kind != "school":
            continue
        for key, label in labels.items():
            if not doc.data["security"][key]:
                yield _at(doc, f"/security/{key}", f"“三个100%”未达标：{label}。", "落实后把此项改为 true；整改期间在隐患清单中登记。")


@rule("micro-fire-station", WARNING, "寄宿制学校和有午睡室的幼儿园建有微型消防站")
def check_micro_fire_station(library: Library):
    for doc in _schema_clean(library):
        if doc.kind != "school":
            continue
        facilities = doc.data["facilities"]
        if (facilities["boarding"] or facilities["nap_room"]) and not doc.data["security"].get("micro_fire_station"):
            yield _at(doc, "/security", "寄宿制学校或有午睡室的幼儿园应建微型消防站。",
                      "建成后在 security 中写 micro_fire_station: true。")


def _texts(doc: Document):
    """(line, column, text) of every piece of text a document shows: data values and body lines."""
    for pointer, value in iter_strings(doc.data):
        line, column = doc.position(pointer)
        yield line, column, value
    for index, line in enumerate(doc.body.split("\n")):
        yield doc.body_line + index, 1, line


def _sources(doc: Document):
    """(line, column, text, is_body) of every whole text a document shows: data values and the body."""
    for pointer, value in iter_strings(doc.data):
        line, column = doc.position(pointer)
        yield line, column, value, False
    if doc.body:
        yield doc.body_line, 1, doc.body, True


def _removal_problems(library: Library, kinds: tuple[str, ...]):
    """One problem per thing the renderers' sanitizer would remove, at its place in the source."""
    for doc in library.documents:
        for line, column, text, is_body in _sources(doc):
            searched_from: dict[str, int] = {}
            for removal in removals(text):
                if removal.kind not in kinds:
                    continue
                at = (line, column)  # a YAML value: its field (escapes make offsets in the value meaningless)
                if is_body:
                    at = _line_column(text, _locate(text, removal.needles, searched_from), line)
                yield removal, Problem(doc.path, *at, ERROR, "", "", "")


def _line_column(text: str, offset: int, first_line: int) -> tuple[int, int]:
    before = text[:offset]
    return first_line + before.count("\n"), offset - (before.rfind("\n") + 1) + 1


def _locate(text: str, needles: tuple[str, ...], searched_from: dict[str, int]) -> int:
    """Where the next occurrence of the first needle found is (case-insensitive), else 0."""
    lowered = text.lower()
    for needle in needles:
        if not needle:
            continue
        index = lowered.find(needle.lower(), searched_from.get(needle, 0))
        if index >= 0:
            searched_from[needle] = index + 1
            return index
    return 0


_HTML_HINT = ("正文请用 Markdown 书写（表格、列表、加粗）；网站和 PDF 只保留安全的 HTML，脚本、事件处理器、iframe、"
              "样式、注释等会被删除。允许的标签：" + "、".join(sorted(TAGS)) + "。")


# Safety rules: error only. A warning does not stop the build, so the content would be published.
@rule("unsafe-html", ERROR, "内容中没有会被网站和 PDF 删除的 HTML（脚本、事件处理器、iframe 等）", allowed=(ERROR,))
def check_html(library: Library):
    for removal, at in _removal_problems(library, ("tag", "attribute", "comment", "text")):
        message = {
            "tag": f"不允许的 HTML：<{removal.tag}> 标签会在网站和 PDF 中被删除。",
            "attribute": f"不允许的 HTML：<{removal.tag}> 的 {removal.attribute} 属性会被删除。",
            "comment": "不允许的 HTML：注释 <!-- … --> 或 <!…>、<?…?> 声明会在网站和 PDF 中被删除。",
            "text": f"不允许的 HTML：这段内容会在网站和 PDF 中被删除：{removal.value}",
        }[removal.kind]
        yield replace(at, message=message, hint=_HTML_HINT)


_SNIPPET = re.compile(r"^\s*(--8<--|;--8<--)|\{!\s*[^}]+!\}", re.M)


@rule("unsafe-link", ERROR, "链接和图片不指向仓库之外、不用危险协议，正文不使用文件包含", allowed=(ERROR,))
def check_links(library: Library):
    for doc in library.documents:
        for line, column, text, is_body in _sources(doc):
            for match in _SNIPPET.finditer(text):
                yield Problem(doc.path, *(_line_column(text, match.start(), line) if is_body else (line, column)), ERROR, "",
                              "正文不能包含其他文件（--8<-- 或 {! !}）。",
                              "请把需要的内容直接写进本文档，或用 references 关联其他文档。")
    for removal, at in _removal_problems(library, ("url",)):
        yield replace(at, message=removal.reason, hint=f"链接目标：{removal.value[:80]}（网站和 PDF 会删除这个地址）")


def _numbers(doc: Document, kind: str):
    """(pointer or None for the body, line, column, Number) of each personal number of one kind in a document."""
    for pointer, value in iter_strings(doc.data):
        for number in find_numbers(value):
            if number.kind == kind:
                line, column = doc.position(pointer)
                yield pointer, line, column, number
    for index, text in enumerate(doc.body.split("\n")):
        normalised = normalise(text)
        for number in find_numbers(normalised, normalised=True):
            if number.kind == kind:
                yield None, doc.body_line + index, column_in(text, number.start), number


@rule("id-card-number", ERROR, "内容中不出现居民身份证号码（含全角、带空格、HTML 实体和 15 位的写法）", allowed=(ERROR,))
def check_id_cards(library: Library):
    for doc in library.documents:
        for _, line, column, number in _numbers(doc, ID_CARD):
            yield Problem(doc.path, line, column, ERROR, "",
                          f"这里像是一个居民身份证号码（{mask(number.digits)}）；预案库不得保存身份证号。",
                          "请删除该号码。需要核验身份时，在校内台账中保存，不要写进本仓库。")


# Privacy rules: error only, as a public build would fail on the same number anyway.
@rule("free-text-mobile", ERROR, "手机号只写在人员的 mobile 等内部字段中，不写在正文、摘要和单位电话里", allowed=(ERROR,))
def check_free_text_mobiles(library: Library):
    for doc in library.documents:
        phones, internal = phone_pointers(doc.kind), internal_pointers(doc.kind)
        for pointer, line, column, number in _numbers(doc, MOBILE):
            if pointer is not None and field_in(pointer, phones) and field_in(pointer, internal):
                continue  # a person's own number, hidden from the public edition
            if pointer is not None and field_in(pointer, phones):
                message = f"单位电话字段里写的是手机号（{mask(number.digits)}）；单位电话在公开版中照常显示。"
            else:
                message = f"正文或说明文字中写有手机号（{mask(number.digits)}）；公开版无法隐去写在这里的号码。"
            yield Problem(doc.path, line, column, ERROR, "", message,
                          "个人手机请写进人员字段（学校文件 organisation.<岗位>.mobile），在预案中用占位符引用，"
                          "例如 {{ school.organisation.principal.mobile }}，公开版会自动显示为“（内部版可见）”；"
                          "单位请填写值班座机。示例中不要照抄真实号码。")


from safeplan.checks import site_checks  # noqa: E402,F401  registers the rules over mkdocs.yml, assets/ and site-assets/
from safeplan.checks import assembly  # noqa: E402,F401  registers the rule on assembly points by building
from safeplan.checks import reporting  # noqa: E402,F401  registers the rule on response levels and report deadlines
from safeplan.checks import official_form  # noqa: E402,F401  registers heading numbers, issue dates, printed ids
