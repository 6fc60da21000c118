"""The reviewer's comment (`safeplan diff --format md`): content cannot act on GitHub, 2,000 schools fit, prose shows its sentences.

The hostile tests build a real repository and run the real comparison; each scan for
something that must be absent runs first on a comment rendered without escaping, to
show the scan finds it when it is there.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import MINI, REPO, edit, run_cli
from safeplan import diff_report
from safeplan.review import codeowners
from safeplan.review.compare import compare
from safeplan.diff_report import MARKER, as_markdown, as_text, problems_markdown
from safeplan.content.loader import load_library
from safeplan.problems import Problem
from safeplan.review.semdiff import DocumentDiff, FieldChange, Reason, SchoolImpact, SemanticDiff, Step, semantic_diff

FIRE = "plans/school/special/fire.md"
VILLAGE = "schools/small-village-primary.yaml"
GITHUB_LIMIT = 65536
HOSTILE = ("| 列 | 断 @everyone &#64;admins ![x](https://evil.example/p.png) [点这里](http://evil.example) "
           "<!-- 隐藏 --> <img src=x onerror=alert(1)> <b>粗</b> www.evil.example #1 GH-2 !3 ~安全 %里程碑 &4 `代码` *强调*")


@pytest.fixture(autouse=True)
def quiet_git(monkeypatch):
    for key, value in {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
                       "GIT_AUTHOR_NAME": "周样例", "GIT_AUTHOR_EMAIL": "zhou@example.invalid",
                       "GIT_COMMITTER_NAME": "周样例", "GIT_COMMITTER_EMAIL": "zhou@example.invalid"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CI", raising=False)


def git(root: Path, *args: str) -> None:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(MINI, root)
    shutil.copy(REPO / "workflow.yaml", root / "workflow.yaml")
    git(root, "init", "-q", "-b", "main")
    codeowners.write(load_library(root)[0])
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "初始内容")
    git(root, "checkout", "-q", "-b", "change")
    return root


def dangers(markdown: str) -> set[str]:
    """What GitHub would act on in a comment, besides the comment's own marker and tags."""
    assert markdown.startswith(MARKER + "\n")
    body = markdown[len(MARKER):]
    patterns = {
        "mention": r"@\w", "image": r"!\[", "link": r"(?<!\\)\]\(", "comment": r"<!--",
        "html": r"<(?!/?(?:details|summary)>|br>)[A-Za-z/!]", "bare url": r"https?://|www\.",
        "issue": r"(?<!&)#\d|GH-\d", "gitlab reference": r"[!%~]\w|&(?:amp;)?\d", "code": r"(?<!\\)`[^`]*代码", "decoded mention": r"&#64;",
    }
    found = {name for name, pattern in patterns.items() if re.search(pattern, body)}
    for line in body.split("\n"):  # a table row of ours has four pipes; a newline in content makes a line of its own
        if line.startswith("|") and len(re.findall(r"(?<!\\)\|", line)) != 4:
            found.add("table")
    return found


def rendered_dangers(markdown: str) -> set[str]:
    """What the comment becomes in GitHub's parser (raw HTML let through, as GitHub does before it sanitises)."""
    from html import unescape

    from cmarkgfm import github_flavored_markdown_to_html
    from cmarkgfm.cmark import Options

    html = github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    html = html.replace(MARKER, "", 1)
    ours = {"p", "h2", "h3", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "details", "summary", "strong",
            "br", "code"}
    tags = re.findall(r"<(/?)([A-Za-z][A-Za-z0-9]*)([^>]*)>", html)
    found = {"tag" for _, name, _ in tags if name.lower() not in ours}
    found |= {"link" for _, name, attributes in tags if name.lower() in ("a", "img") or "=" in attributes}
    found |= {"comment"} if "<!--" in html else set()
    text = unescape(re.sub(r"<[^>]+>", " ", html))  # GitHub looks for mentions and references in the text
    found |= {"mention"} if re.search(r"@\w", text) else set()
    found |= {"issue"} if re.search(r"#\d|GH-\d|[!%~&]\w", text) else set()
    cells = [unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<td>(.*?)</td>", html, flags=re.S)]
    rows = [line for line in markdown.split("\n") if line.startswith("|")]  # a row cut at a pipe loses the rest
    found |= {"table"} if sum("断" in cell for cell in cells) < sum("断" in row for row in rows) else set()
    return found


EVERY_DANGER = {"mention", "image", "link", "comment", "html", "bare url", "issue", "gitlab reference", "code",
                "decoded mention", "table"}


def hostile_change(root: Path) -> None:
    quoted = json.dumps(HOSTILE, ensure_ascii=False)
    edit(root / VILLAGE, "name: 武进区样例村小", f"name: {quoted}")
    edit(root / FIRE, "summary: 依据 GB/T 29639-2020 和区 2020 年安全工作要点首次编制。}", f"summary: {quoted}}}")
    edit(root / FIRE, "\n## 应急保障\n", f"\n## 应急保障 {HOSTILE}\n\n{HOSTILE}。\n")
    edit(root / FIRE, "先报 119，再报学校领导", f"先报 119，{HOSTILE}，再报学校领导")
    (root / "notes/hostile.md").write_text(
        f"---\nid: hostile\ntitle: {json.dumps(HOSTILE + chr(10) + '| 第二行 |', ensure_ascii=False)}\n"
        f"status: draft\nversion: \"0.1\"\n---\n\n## 说明\n\n{HOSTILE}\n", encoding="utf-8")


def comment(root: Path) -> str:
    found = compare(root, "main")
    return as_markdown(semantic_diff(found.base, found.head, found.pairs, "main", found.base_sha, found.head_label))


def test_hostile_content_cannot_act_in_the_comment(repo, monkeypatch):
    hostile_change(repo)
    escaped = comment(repo)
    with monkeypatch.context() as patched:  # the control: the same comment without escaping
        patched.setattr(diff_report, "inline", str)
        unescaped = comment(repo)
    assert dangers(unescaped) == EVERY_DANGER
    assert rendered_dangers(unescaped) == {"tag", "comment", "link", "mention", "issue", "table"}
    assert dangers(escaped) == rendered_dangers(escaped) == set()
    # the text is still all there for the reviewer, only inert
    assert "@&#8203;everyone" in escaped and "!\\[x\\](https:&#8203;//evil.example/p.png)" in escaped
    assert "&lt;!-- 隐藏 --&gt;" in escaped and "&lt;img src=x onerror=alert(1)&gt;" in escaped
    assert "\\| 列 \\| 断" in escaped and "&amp;#&#8203;64;admins" in escaped
    assert "!&#8203;3 \\~&#8203;安全 %&#8203;里程碑 &amp;&#8203;4" in escaped
    assert re.search(r"\n### 新增说明文档“\\\| 列 [^\n]* \\\| 第二行 \\\|”（notes/hostile.md）\n", escaped)
    for place in ("### 新增说明文档", "修订记录", "章节“应急保障 \\| 列 \\| 断 @&#8203;everyone",
                  "加入：1\\. \\*\\*报警\\*\\*：先报 119，\\| 列 \\| 断 @&#8203;everyone",
                  "学校信息修改：学校全称"):
        assert place in escaped, place
    cli = run_cli("diff", "main", "--format", "md", cwd=repo)
    assert (cli.returncode, cli.stdout) == (0, escaped)


def test_problems_comment_is_escaped():
    problem = Problem("notes/x.md", 3, 1, "error", "load", f"YAML 格式错误：{HOSTILE}", f"检查 {HOSTILE}")
    text = problems_markdown([problem])
    assert dangers(text) == rendered_dangers(text) == set()
    assert "notes/x.md:3:1（load）：YAML 格式错误：\\| 列 \\| 断 @&#8203;everyone" in text
    assert "<br>提示：检查 \\| 列 \\| 断 @&#8203;everyone" in text


def test_unreadable_content_shows_the_errors_in_the_comment(repo):
    edit(repo / VILLAGE, "name: 操场中央", "name: 操场中央\n    bogus: 1")
    text = run_cli("diff", "main", cwd=repo)
    md = run_cli("diff", "main", "--format", "md", cwd=repo)
    assert text.returncode == md.returncode == 1
    assert text.stdout == ""
    error = text.stderr.splitlines()[0]
    assert error.startswith(f"{VILLAGE}:13:10: error[load]: YAML 格式错误")
    assert md.stdout.startswith(f"{MARKER}\n## 预案库改动说明\n\n**有 1 个文件无法读取，无法给出改动说明。**")
    assert f"- {VILLAGE}:13:10（load）：YAML 格式错误" in md.stdout
    assert md.stderr == text.stderr


def test_changed_sentences_of_a_prose_section(repo):
    edit(repo / FIRE, "先报 119，再报学校领导", "先报 119，立即再报学校领导")
    edit(repo / FIRE, "\n## 应急保障\n", "\n## 应急保障\n\n夜间由值班人员负责。\n")
    found = compare(repo, "main")
    diff = semantic_diff(found.base, found.head, found.pairs)
    old = "1. **报警**：先报 119，再报学校领导和区教育局安全科（{{ school.contacts.bureau.phone }}）。"
    new = old.replace("再报", "立即再报")
    text = as_text(diff)
    assert f"  修改章节“处置措施”：+1 −1 行\n    − {old}\n    + {new}\n" in text
    assert "  修改章节“应急保障”：+1 −0 行\n    + 夜间由值班人员负责。\n" in text
    md = as_markdown(diff)
    assert f"- 修改章节“处置措施”：+1 −1 行\n  - 删去：{diff_report.inline(old)}\n  - 加入：{diff_report.inline(new)}\n" in md
    assert "  - 加入：夜间由值班人员负责。" in md


def test_sentences_split_at_chinese_punctuation_and_line_ends():
    from safeplan.review.semdiff import sentences

    assert sentences(["先报警。再疏散！有人受伤吗？报告；", "  第二行没有句号", ""]) == [
        "先报警。", "再疏散！", "有人受伤吗？", "报告；", "第二行没有句号"]


# ---- 2,000 schools -------------------------------------------------------------------------

def _fits(markdown: str) -> bool:
    """Under GitHub's comment limit, in characters and in the bytes it stores."""
    return len(markdown) < GITHUB_LIMIT and len(markdown.encode("utf-8")) <= 262144


def _balanced(markdown: str) -> bool:
    return all(markdown.count(f"<{tag}>") == markdown.count(f"</{tag}>") for tag in ("details", "summary"))


def _schools(count: int, reasons) -> list[SchoolImpact]:
    return [SchoolImpact(f"school-{i:04d}", f"武进区第{i}样例学校 @s{i}", reasons(i)) for i in range(count)]


def _diff(schools: list[SchoolImpact], documents: list[DocumentDiff] = ()) -> SemanticDiff:
    return SemanticDiff("main", "0" * 40, "工作区", list(documents), schools, 2000)


def test_one_group_of_2000_schools_stays_whole_and_says_how_many_are_left_out():
    md = as_markdown(_diff(_schools(2000, lambda i: [Reason("district-data")])))
    assert _fits(md) and _balanced(md) and dangers(md) == rendered_dangers(md) == set()
    assert md.count("<details>") == 1
    shown = md.count("（school-")
    assert 0 < shown < 2000 and f"；另有 {2000 - shown} 所未列出\n\n  </details>" in md
    assert md.endswith("</details>\n")


def test_every_group_is_kept_with_closed_tags():
    """Twenty groups of a hundred schools, and a few schools with reasons of their own."""
    reasons = lambda i: ([Reason("document-changed", "plan", f"第{i % 20}号预案", "适用于全部学校")] if i < 1990
                         else [Reason("school-data", fields=(f"第{i}项",))])
    md = as_markdown(_diff(_schools(2000, reasons)))
    assert _fits(md) and _balanced(md) and dangers(md) == set()
    assert all(f"第{n}号预案" in md for n in range(20)) and all(f"第{i}项" in md for i in range(1990, 2000))
    assert md.count("<details>") == 20 and "未列出" in md


def test_2000_groups_and_2000_changed_files_fit_and_say_what_is_left_out():
    schools = _schools(2000, lambda i: [Reason("school-data", fields=(f"应急集合点「点{i}」",))])
    documents = [DocumentDiff("school", s.id, s.name, f"schools/{s.id}.yaml", "modified",
                              fields=[FieldChange([Step("应急集合点", item="yard"), Step(f"集合点名称与位置 {n}")], "应急集合点", "/x", "changed",
                                                  "操场中央" * 5, "操场西侧" * 5) for n in range(60)])
                 for s in schools]
    md = as_markdown(_diff(schools, documents))
    assert _fits(md) and _balanced(md) and dangers(md) == set()
    files = re.search(r"……另有 (\d+) 个文件的改动未列出", md)
    groups = re.search(r"……另有 (\d+) 组（(\d+) 所学校）的原因未列出", md)
    assert files and groups
    assert md.count("\n### 修改学校") + int(files.group(1)) == 2000
    assert md.count("（1 所）") + int(groups.group(1)) == 2000 and groups.group(1) == groups.group(2)
    assert md.count("……另有 20 项字段改动未列出") == md.count("\n### 修改学校")


def test_a_long_rewrite_is_shown_shorter_and_leaves_room_for_the_schools():
    from safeplan.review.semdiff import ProseChange, SectionChange

    sections = [SectionChange(f"第{n}章", "changed", 50, 50, 50,
                              [ProseChange([f"原来的第{k}句，" + "甲" * 300 + "。"], [f"新的第{k}句。"]) for k in range(50)])
                for n in range(40)]
    document = DocumentDiff("plan", "fire", "火灾事故专项应急预案", "plans/fire.md", "modified", sections=sections)
    md = as_markdown(_diff(_schools(2000, lambda i: [Reason("document-changed", "plan", "火灾事故专项应急预案", "适用于全部学校")]), [document]))
    assert _fits(md) and _balanced(md) and dangers(md) == set()
    assert "### 修改应急预案“火灾事故专项应急预案”（plans/fire.md）" in md and "另有 10 个章节的改动未列出" in md
    assert md.count("句改动未列出") == 30 and "- **应急预案“火灾事故专项应急预案”修改（适用于全部学校）**（2000 所）" in md


@pytest.mark.parametrize("text, block", [("# 标题", "<h1>"), ("- 列表", "<ul>\n<li>列表"), ("+ 列表", "<ul>\n<li>列表"),
                                         ("1. 第一", "<ol>"), ("3) 第三", "<ol"), ("---", "<hr"), ("===", "<h1>")])
def test_content_at_the_start_of_a_line_starts_no_block(text, block, monkeypatch):
    """School names open a paragraph inside <details>; a file path opens a list item."""
    from cmarkgfm import github_flavored_markdown_to_html as html

    def comment(escape) -> str:
        return html(f"- {escape(text)}\n\n  前一段\n  {escape(text)}\n")

    assert block in comment(str)  # the control: unescaped, it would
    assert block not in comment(diff_report.inline) and text.split()[-1] in comment(diff_report.inline)


def test_a_long_rewritten_sentence_is_cut_around_its_difference():
    from safeplan.review.semdiff import ProseChange, SectionChange

    old, new = "甲" * 300 + "报告教导主任。" + "乙" * 300, "甲" * 300 + "报告分管副校长。" + "乙" * 300
    section = SectionChange("处置措施", "changed", 1, 1, 1, [ProseChange([old], [new])])
    md = as_markdown(_diff([], [DocumentDiff("plan", "fire", "火灾", "plans/fire.md", "modified", sections=[section])]))
    assert "  - 删去：…" + "甲" * 28 + "报告教导主任。" + "乙" * 29 + "…\n" in md
    assert "  - 加入：…" + "甲" * 28 + "报告分管副校长。" + "乙" * 29 + "…\n" in md
    assert f"    − {old}\n    + {new}\n" in as_text(_diff([], [DocumentDiff("plan", "fire", "火灾", "plans/fire.md",
                                                                          "modified", sections=[section])]))
