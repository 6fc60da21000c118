"""Library → Problems about personal numbers: no ID card number anywhere, mobiles only in people's internal fields."""

from __future__ import annotations

from safeplan.checks.privacy import ID_CARD, MOBILE, column_in, field_in, find_numbers, mask, normalise
from safeplan.checks.validate import rule
from safeplan.content.model import Document, Library, iter_strings
from safeplan.content.schemas import internal_pointers, phone_pointers
from safeplan.problems import ERROR, Problem


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
