"""Cards + their plans + schools → Problems: every card says what its plan's first-steps table says, and fills.

A card lists row numbers of its plan's 先期处置步骤 table; the text and time limit of each step are read
from the plan, so card and plan cannot disagree on them. What can still go wrong is checked here: the
plan is missing, a row does not exist or belongs to another post, a post's row is left off its card, and,
for every school the plan and post apply to, a name or number that does not fill.
"""

from __future__ import annotations

import re
from functools import lru_cache

from safeplan.content.applicability import applies
from safeplan.content.model import Document, Library
from safeplan.content.schemas import schema_for
from safeplan.content.templating import PlaceholderError, fill, has_placeholders
from safeplan.content.vocabulary import vocabulary
from safeplan.problems import ERROR, Problem
from safeplan.checks.validate import _schema_clean, rule

_DEPUTY = re.compile(r"副(总指挥|校长|园长)")  # a deputy's row is not the head's: no card of its own
_PATHS = re.compile(r"\{\{\s*school\.(organisation\.[a-z_]+)")


@lru_cache(maxsize=1)
def _post_schema() -> dict:
    return schema_for("card")["$defs"]["post"]


def post_rule(post: str) -> dict:
    """The applies_to rule of a post (the schema's x-applies-to): no 宿管 card where nobody sleeps."""
    return _post_schema().get("x-applies-to", {}).get(post, {})


def post_person(post: str, school: dict) -> dict:
    """The school's person who holds (or leads) the post (the schema's x-person), {} for posts held by many."""
    key = _post_schema().get("x-person", {}).get(post)
    person = (school.get("organisation") or {}).get(key) if key else None
    return person if isinstance(person, dict) else {}


def post_applies(post: str, school: dict) -> bool:
    return applies(post_rule(post), school)[0]


def plan_applies(plan: Document, school: Document) -> bool:
    """A school plan applies to the school by its rule (the resolver's test, for data as written)."""
    data = plan.data
    return (data.get("level") == "school" and data.get("school") in (None, school.id)
            and applies(data.get("applies_to"), school.data)[0])


def _role_text(plan: Document, who: str) -> str:
    """A row's `who`, with the people behind any organisation group it names (灭火行动组 → 保安队长…)."""
    found = [who]
    for entry in plan.data.get("organisation") or []:
        role = str(entry.get("role", ""))
        if role and role in who:
            found.append(str(entry.get("who", "")))
    text = _DEPUTY.sub("", " ".join(found))
    return text + " " + " ".join(_PATHS.findall(text))


def row_posts(plan: Document, row: dict) -> set[str]:
    """The posts a first-steps row is for, by the words of the schema's x-roles."""
    text = _role_text(plan, str(row.get("who", "")))
    return {post for post, words in _post_schema()["x-roles"].items() if any(word in text for word in words)}


def post_steps(plan: Document, post: str) -> list[int]:
    """Row numbers (from 1) of the plan's first-steps table that are this post's."""
    return [number for number, row in enumerate(plan.data.get("procedure") or [], 1) if post in row_posts(plan, row)]


def _at(doc: Document, pointer: str, message: str, hint: str = "") -> Problem:
    line, column = doc.position(pointer)
    return Problem(doc.path, line, column, ERROR, "", message, hint)


@rule("card-plan", ERROR, "应急处置卡与所属预案的先期处置步骤一致：同样的步骤、时限和岗位")
def check_cards_against_plans(library: Library):
    posts = vocabulary().posts_for()
    for doc in _schema_clean(library):
        if doc.kind != "card":
            continue
        plan = library.get("plan", doc.data["plan"])
        if plan is None or plan.data.get("level") != "school" or not isinstance(plan.data.get("procedure"), list):
            yield _at(doc, "/plan", f"处置卡所属的预案“{doc.data['plan']}”不存在（或不是学校预案）。",
                      "填写 plans/school/ 下某个预案的 id，例如 fire。")
            continue
        rows = plan.data["procedure"]
        seen: dict[str, int] = {}
        for index, card in enumerate(doc.data["cards"]):
            post, where = card["post"], f"/cards/{index}"
            label = posts.get(post, post)
            if post in seen:
                yield _at(doc, f"{where}/post", f"岗位“{label}”已有一张卡（第 {seen[post] + 1} 张）。",
                          "同一岗位的步骤写在一张卡上，删除重复的卡。")
            seen.setdefault(post, index)
            own = post_steps(plan, post)
            for position, number in enumerate(card["steps"]):
                pointer = f"{where}/steps/{position}"
                if number > len(rows):
                    yield _at(doc, pointer, f"预案“{plan.title}”的先期处置步骤只有 {len(rows)} 行，没有第 {number} 行。",
                              f"写 1–{len(rows)} 之间、分给{label}的行号：{_numbers(own)}。")
                elif number not in own:
                    row = rows[number - 1]
                    yield _at(doc, pointer, f"第 {number} 行（{row['within']}，{row['who']}）不是{label}的步骤。",
                              f"预案中{label}的步骤是第 {_numbers(own)} 行；改预案的执行人，或把这一行放到对应岗位的卡上。")
            if card["steps"] != sorted(card["steps"]):
                yield _at(doc, f"{where}/steps", "步骤的行号没有按时间顺序（从小到大）排列。", "按预案表中的顺序写行号。")
            missing = [number for number in own if number not in card["steps"]]
            if missing:
                details = "；".join(f"第 {n} 行 {rows[n - 1]['within']} {rows[n - 1]['who']}" for n in missing)
                yield _at(doc, f"{where}/steps", f"预案分给{label}的步骤没有写在卡上：{details}。",
                          "把这些行号补进 steps，卡片上的步骤要与预案完全一致。")


def _numbers(numbers: list[int]) -> str:
    return "、".join(map(str, numbers)) or "（无）"


def fill_card(doc: Document, index: int, context: dict) -> tuple[dict, list[Problem]]:
    """One card's names, numbers and texts filled for one school; a placeholder that fails, or a number that
    comes out empty, is a problem located at the field that holds it."""
    card, problems = doc.data["cards"][index], []
    school = context.get("school") or {}
    name = school.get("short_name") or school.get("name") or ""

    def filled(value: str, pointer: str, is_number: bool = False) -> str:
        try:
            text = fill(value, context)
        except PlaceholderError as error:
            problems.append(_at(doc, pointer, f"{name}：{error.message}（{error.expression or value}）。",
                                "检查占位符的字段名，或在学校文件中补上这一项。"))
            return ""
        if is_number and (not text.strip() or has_placeholders(text)):
            problems.append(_at(doc, pointer, f"{name}：“{value}”填出来是空号码。",
                                "在学校文件中补上这个号码，或换一个本校有的联系人。"))
        return text

    where = f"/cards/{index}"
    result = dict(card)
    result["call"] = [{"who": filled(c["who"], f"{where}/call/{i}/who"),
                       "phone": filled(c["phone"], f"{where}/call/{i}/phone", is_number=True)}
                      for i, c in enumerate(card["call"])]
    result["dont"] = [filled(text, f"{where}/dont/{i}") for i, text in enumerate(card["dont"])]
    if "go" in card:
        result["go"] = filled(card["go"], f"{where}/go")
    return result, problems


@rule("card-fill", ERROR, "应急处置卡对适用的每所学校都能填出姓名和号码")
def check_cards_fill(library: Library):
    schools = [doc for doc in _schema_clean(library) if doc.kind == "school"]
    district = library.district.data if library.district else {}
    for doc in _schema_clean(library):
        plan = library.get("plan", doc.data["plan"]) if doc.kind == "card" else None
        if plan is None:
            continue
        reported: set[tuple[int, int, str]] = set()
        for school in schools:
            if not plan_applies(plan, school):
                continue
            context = {"school": school.data, "district": district}
            for index, card in enumerate(doc.data["cards"]):
                if not post_applies(card["post"], school.data):
                    continue
                for problem in fill_card(doc, index, context)[1]:
                    if (problem.line, problem.column, problem.message) not in reported:
                        reported.add((problem.line, problem.column, problem.message))
                        yield problem
