"""The loader: UTF-8 only, located errors, YAML 1.2 typing, positions for every value."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeplan.content.loader import load_document, load_library
from safeplan.problems import ContentError


def load(tmp_path: Path, content: bytes | str, name: str = "x.yaml", kind: str = "school"):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return load_document(tmp_path, path, kind)


def error_of(tmp_path, content, name="x.yaml"):
    with pytest.raises(ContentError) as caught:
        load(tmp_path, content, name)
    return caught.value.problem


def test_positions_point_at_keys_and_items(tmp_path):
    doc = load(tmp_path, "id: a\nlist:\n  - one\n  - {k: v}\n")
    assert doc.positions["/id"] == (1, 1)
    assert doc.positions["/list"] == (2, 1)
    assert doc.positions["/list/1"] == (4, 5)
    assert doc.positions["/list/1/k"] == (4, 6)


def test_front_matter_positions_are_file_lines(tmp_path):
    doc = load(tmp_path, "---\nid: a\ntitle: 标题\n---\n\n## 总则\n\n正文\n", "a.md", "plan")
    assert doc.positions["/title"] == (3, 1)
    assert doc.body_line == 5
    assert [(s.title, s.line, s.text) for s in doc.sections] == [("总则", 6, "正文")]


def test_headings_inside_code_fences_are_not_sections(tmp_path):
    doc = load(tmp_path, "---\nid: a\n---\n## 甲\n```\n## 不是标题\n```\n### 乙\n", "a.md", "plan")
    assert [(s.level, s.title) for s in doc.sections] == [(2, "甲"), (3, "乙")]


def test_yaml_1_1_surprises_stay_text(tmp_path):
    doc = load(tmp_path, "a: yes\nb: off\nc: 0123\nd: 1:30\ne: 2020-09-01\nf: true\ng: 12\nh: 1.5\ni: ~\n")
    assert doc.data == {"a": "yes", "b": "off", "c": "0123", "d": "1:30", "e": "2020-09-01",
                        "f": True, "g": 12, "h": 1.5, "i": None}


def test_quoted_values_stay_text(tmp_path):
    assert load(tmp_path, 'a: "true"\nb: \'12\'\n').data == {"a": "true", "b": "12"}


def test_utf8_bom_is_accepted(tmp_path):
    assert load(tmp_path, b"\xef\xbb\xbfid: a\n").data == {"id": "a"}


def test_windows_line_endings_are_accepted(tmp_path):
    doc = load(tmp_path, "id: a\r\ntitle: b\r\n")
    assert doc.data == {"id": "a", "title": "b"} and doc.positions["/title"] == (2, 1)


def test_gbk_file_is_rejected_with_how_to_resave(tmp_path):
    problem = error_of(tmp_path, "id: a\ntitle: 火灾\n".encode("gbk"))
    assert (problem.line, problem.column) == (2, 8)
    assert "不是 UTF-8" in problem.message and "GBK" in problem.message
    assert "UTF-8" in problem.hint and "另存为" in problem.hint


def test_duplicate_key_names_both_lines(tmp_path):
    problem = error_of(tmp_path, "id: a\ntitle: x\ntitle: y\n")
    assert (problem.line, problem.column) == (3, 1)
    assert "“title”重复出现（第一次在第 2 行）" in problem.message


def test_duplicate_nested_key(tmp_path):
    problem = error_of(tmp_path, "a:\n  b: 1\n  b: 2\n")
    assert (problem.line, problem.column) == (3, 3)


def test_alias_is_refused(tmp_path):
    problem = error_of(tmp_path, "a: &x [1, 2]\nb: *x\n")
    assert (problem.line, problem.column) == (2, 4) and "别名" in problem.message


def test_alias_bomb_is_refused_quickly(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}]" for i in range(1, 10)]
    problem = error_of(tmp_path, "\n".join(lines) + "\n")
    assert problem.line == 2 and "别名" in problem.message


def test_deep_nesting_is_bounded(tmp_path):
    problem = error_of(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "嵌套层级" in problem.message


def test_tab_indentation_gets_a_tab_hint(tmp_path):
    problem = error_of(tmp_path, "a:\n\tb: 1\n")
    assert problem.line == 2 and "Tab" in problem.hint


def test_fullwidth_colon_after_key(tmp_path):
    problem = error_of(tmp_path, "id: a\ntitle：火灾\n")
    assert (problem.line, problem.column) == (2, 1) and "全角冒号" in problem.message


def test_control_character_is_located(tmp_path):
    problem = error_of(tmp_path, "id: a\ntitle: 火\x07灾\n")
    assert (problem.line, problem.column) == (2, 9) and "U+0007" in problem.message


def test_empty_and_binary_files(tmp_path):
    assert "空的" in error_of(tmp_path, "").message
    assert "空的" in error_of(tmp_path, "# 只有注释\n").message
    assert "二进制" in error_of(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00").message


def test_top_level_list_is_refused(tmp_path):
    assert "映射" in error_of(tmp_path, "- a\n- b\n").message


def test_python_tags_are_refused(tmp_path):
    problem = error_of(tmp_path, "a: !!python/object:os.system x\n")
    assert "标签" in problem.message


def test_markdown_without_front_matter(tmp_path):
    assert "第一行是 ---" in error_of(tmp_path, "# 标题\n", "a.md").message
    assert "结束行" in error_of(tmp_path, "---\nid: a\n", "a.md").message


def test_oversized_file_is_refused_without_reading(tmp_path):
    problem = error_of(tmp_path, b"a: " + b"x" * (3 * 1024 * 1024))
    assert "超过上限" in problem.message


def test_symlink_out_of_the_tree_is_refused(tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("id: a\n")
    root = tmp_path / "root"
    (root / "schools").mkdir(parents=True)
    (root / "schools" / "a.yaml").symlink_to(outside)
    _, problems = load_library(root)
    assert [p.message for p in problems] == ["文件是指向仓库之外的符号链接，出于安全考虑不予读取。"]


def test_library_reports_every_bad_file_and_keeps_the_good(tree):
    (tree / "schools" / "broken.yaml").write_text("id: [\n", encoding="utf-8")
    (tree / "checklists" / "notes.txt").write_text("x", encoding="utf-8")
    library, problems = load_library(tree)
    assert {p.path for p in problems} == {"schools/broken.yaml", "checklists/notes.txt"}
    assert len(library.schools) == 2
