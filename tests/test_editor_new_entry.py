"""A new entry made in the web editor's form: saved on a new branch in its collection's folder, valid, through the gate."""

from __future__ import annotations

import re

from conftest import run_cli
from safeplan.checks.structure_rules import REQUIRED_SECTIONS
from safeplan.content.loader import load_library
from test_editor import branches, browser_page, git, library_repo, needs_decap, running_editor, wait_for_branch

NEW_PLAN = {"id": "flood", "title": "防汛专项应急预案", "tier": "专项应急预案", "level": "school", "category": "自然灾害",
            "applies_to": {}, "status": "draft", "version": "0.1",
            "organisation": [{"role": "总指挥", "who": "校长", "duties": "决定启动响应，统一指挥。"}],
            "procedure": [{"within": "立即", "who": "第一发现人", "action": "报告门卫室和安全办主任。"},
                          {"within": "10分钟内", "who": "总指挥", "action": "下达转移命令，组织学生撤离低洼处。"},
                          {"within": "1小时内", "who": "安全办主任", "action": "书面报告区教育局安全科。"}]}
NEW_PLAN_BODY = ("## 适用范围\n\n本校汛期暴雨、内涝和山洪。\n\n## 应急组织机构及职责\n\n见上表。\n\n"
                 "## 响应启动\n\n接到暴雨红色预警即启动。\n\n## 处置措施\n\n停课，转移低洼处的学生。")


def open_new(page, port: int, collection: str) -> None:
    page.goto(f"http://127.0.0.1:{port}/admin/")
    page.get_by_role("button", name="登录").click()
    page.goto(f"http://127.0.0.1:{port}/admin/#/collections/{collection}/new")
    page.reload()  # a hash change alone leaves the collection list on screen
    page.locator("[id^=id-field-]").first.wait_for(timeout=60000)


def choose(page, field: str, label: str) -> None:
    page.locator(f"[id^={field}-field-]").first.click()
    page.get_by_text(label, exact=True).last.click()


@needs_decap
def test_a_new_plan_made_in_the_form_lands_in_its_folder_on_a_new_branch(tmp_path):
    """A new entry's save (Decap asks for the entry and its branch before persistEntry) commits the new file in
    the collection's folder; the required applies_to left empty is written as {}; the draft passes validate and
    the gate with no approval."""
    repo = library_repo(tmp_path)
    outside: list[str] = []
    with running_editor(repo) as port, browser_page(outside) as page:
        open_new(page, port, "plans-school-special")
        page.locator("[id^=id-field-]").first.fill(NEW_PLAN["id"])
        page.locator("[id^=title-field-]").first.fill(NEW_PLAN["title"])
        choose(page, "category", NEW_PLAN["category"])
        choose(page, "status", "草稿")
        page.locator("[id^=version-field-]").first.fill(NEW_PLAN["version"])
        for name, button in (("organisation", "新增应急组织机构及职责"), ("procedure", "新增先期处置步骤")):
            for item in NEW_PLAN[name]:
                page.get_by_role("button", name=button).click()
                for key, value in item.items():  # the item just added is the last of its fields on the page
                    page.locator(f"[id^={key}-field-]").last.fill(value)
        page.locator("[aria-label='markdown field'] [role=switch]").click()  # the body as Markdown text
        page.wait_for_timeout(500)
        editor = page.locator("[data-slate-editor]").first
        assert re.findall(r"^## (.+)$", editor.inner_text(), re.M) == REQUIRED_SECTIONS["专项应急预案"]  # the preset
        editor.click()
        page.keyboard.press("Control+A")
        page.keyboard.type(NEW_PLAN_BODY)  # the chapters with their text
        page.get_by_role("button", name="保存").first.click()
        new = wait_for_branch(page, repo)
    assert outside == ["https://example.org/x"]
    assert new == ["cms/plans-school-special/flood"], branches(repo)
    assert git(repo, "diff", "--name-status", "main", new[0]).split() == ["A", "plans/school/special/flood.md"]
    assert git(repo, "status", "--porcelain") == ""  # main's working tree untouched
    git(repo, "checkout", "-q", new[0])
    after, problems = load_library(repo)
    plan = after.get("plan", "flood")
    assert not problems and plan.data == NEW_PLAN and plan.body.strip() == NEW_PLAN_BODY  # tier, level: the folder's
    assert run_cli("--root", str(repo), "validate").returncode == 0
    check = run_cli("--root", str(repo), "check", "--base", "main", "--author", "@editor")  # a draft: no approval
    assert check.returncode == 0 and "检查了 1 个文件" in check.stdout, check.stdout + check.stderr


NEW_NOTE = {"id": "flood-season", "title": "汛期安全提示", "status": "draft", "version": "0.1"}


@needs_decap
def test_a_new_note_made_in_the_form_lands_on_its_own_branch(tmp_path):
    """The same for the notes collection (no preset, no list): the new file alone, on cms/notes/<id>."""
    repo = library_repo(tmp_path)
    outside: list[str] = []
    with running_editor(repo) as port, browser_page(outside) as page:
        open_new(page, port, "notes")
        page.locator("[id^=id-field-]").first.fill(NEW_NOTE["id"])
        page.locator("[id^=title-field-]").first.fill(NEW_NOTE["title"])
        choose(page, "status", "草稿")
        page.locator("[id^=version-field-]").first.fill(NEW_NOTE["version"])
        page.get_by_role("button", name="保存").first.click()
        new = wait_for_branch(page, repo)
    assert outside == ["https://example.org/x"]
    assert new == ["cms/notes/flood-season"], branches(repo)
    assert git(repo, "diff", "--name-status", "main", new[0]).split() == ["A", "notes/flood-season.md"]
    git(repo, "checkout", "-q", new[0])
    after, problems = load_library(repo)
    assert not problems and after.get("note", "flood-season").data == NEW_NOTE
    assert run_cli("--root", str(repo), "validate").returncode == 0
    check = run_cli("--root", str(repo), "check", "--base", "main", "--author", "@editor")
    assert check.returncode == 0 and "检查了 1 个文件" in check.stdout, check.stdout + check.stderr
