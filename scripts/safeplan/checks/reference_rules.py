"""Library → Problems about identity and references: ids and file names, links between documents, applies_to fields."""

from __future__ import annotations

from safeplan.checks.validate import _at, _schema_clean, rule
from safeplan.content.applicability import rule_paths
from safeplan.content.model import FOLDERS, RECORD_KINDS, WORKFLOW_KINDS, Document, Library
from safeplan.content.schemas import school_field_labels
from safeplan.content.vocabulary import vocabulary
from safeplan.problems import ERROR


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
    seen: dict[tuple[str, str], Document] = {}
    for doc in library.documents:
        if not doc.id:
            continue
        key = (doc.path.split("/")[1], doc.id) if doc.kind in RECORD_KINDS else ("", doc.id)  # records: per school
        if key in seen:
            first = seen[key]
            yield _at(doc, "/id", f"编号“{doc.id}”已被 {first.path} 使用。", "每个文档的编号在全库中必须唯一，请换一个编号。")
        else:
            seen[key] = doc


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


@rule("applies-to-fields", ERROR, "适用规则只使用学校文件中真实存在的字段")
def check_applies_to(library: Library):
    known = school_field_labels()
    for doc in _schema_clean(library):
        for pointer, path in rule_paths(doc.data.get("applies_to")):
            if path not in known:
                close = [k for k in known if k.split(".")[-1] in path or path.split(".")[-1] in k]
                yield _at(doc, "/applies_to" + pointer, f"适用规则中的字段“{path}”在学校文件中不存在。",
                          "可用字段：" + "、".join(close or sorted(known)))
