"""A trainer builds a course in the browser; a member then finds it on a phone."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.courses.models import Course
from lms.extensions import db
from lms.quizzes.formats import write_xlsx
from tests.helpers import EDITOR_COURSE, browser_sign_in, sample_questions

pytestmark = pytest.mark.browser



def test_trainer_writes_imports_publishes_and_a_member_reads(browser, live_server, trainer,
                                                            member, tmp_path, outside_hosts):
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    page = context.new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    browser_sign_in(page, trainer, live_server)
    page.click("nav >> text=课程编写")
    page.click("text=新建课程")
    page.fill("input[name=title]", "渔船上的党课")
    page.fill("textarea[name=summary]", "出海也能学习。")
    page.select_option("select[name=category]", "实用技术")
    page.check("input[name=required]")
    page.fill("input[name=credit_hours]", "0.5")
    page.fill("input[name=slug]", "boat-course")
    page.click("main button[type=submit]")
    assert "已创建草稿课程" in page.inner_text("main")

    page.fill("details input[name=title]", "出海前的安全课")
    page.fill("details input[name=minutes]", "4")
    page.click("details button[type=submit]")
    page.fill("textarea[name=body]", "# 安全第一\n\n出海前穿好**救生衣**。")
    page.click("#preview-button")  # the script fetches the server's preview in place
    page.wait_for_selector("#preview strong")
    assert page.inner_text("#preview strong") == "救生衣"
    page.click("button[value=save]")
    assert "已保存" in page.inner_text("main")

    page.click("text=添加随堂测验")
    page.click("text=添加题目")
    page.select_option("select[name=kind]", "fill")  # only the chosen kind's answer fields show
    assert page.is_visible("textarea[name=fill_answers]") and page.is_hidden("input[name=option_a]")
    page.select_option("select[name=kind]", "single")
    assert page.is_visible("input[name=option_a]") and page.is_hidden("textarea[name=fill_answers]")
    assert page.is_hidden("input[name=truefalse]")
    page.fill("textarea[name=stem]", "出海前要穿什么？")
    page.fill("input[name=option_a]", "救生衣")
    page.fill("input[name=option_b]", "拖鞋")
    # 单选: the right option is a radio button, so a second tick replaces the first
    assert page.get_attribute("input[name=correct][value=A]", "type") == "radio"
    page.check("input[name=correct][value=B]")
    page.check("input[name=correct][value=A]")
    assert not page.is_checked("input[name=correct][value=B]")
    page.fill("textarea[name=explanation]", "救生衣能保命。")
    page.click("main button[type=submit]")
    assert "题目已保存" in page.inner_text("main")

    bank_file = tmp_path / "题库.xlsx"
    bank_file.write_bytes(write_xlsx(sample_questions("boat")))
    page.click("text=渔船上的党课")
    page.click("text=导入题库")
    page.set_input_files("input[name=file]", str(bank_file))
    page.select_option("select[name=target]", "final")
    page.click("text=上传并预览")
    assert "可导入的题（4）" in page.inner_text("main")
    page.click("text=确认导入 4 题")
    assert "已导入 4 道新题" in page.inner_text("main")

    page.click("text=渔船上的党课")
    page.click("#publish button:has-text('发布')")
    assert "已发布" in page.inner_text("main")
    db.session.rollback()  # end the test's own read snapshot: the server wrote since
    course = db.session.scalar(select(Course).where(Course.slug == "boat-course"))
    assert (course.status, course.version) == ("published", 2)
    assert outside_hosts(requested) == []
    context.close()

    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                has_touch=True, locale="zh-CN")
    reader = phone.new_page()
    browser_sign_in(reader, member, live_server)
    reader.goto(live_server + "/courses/")
    reader.click("text=渔船上的党课")
    reader.click("text=出海前的安全课")
    assert "救生衣" in reader.inner_text("#lesson-body")
    phone.close()


def test_an_edit_to_a_published_lesson_reaches_members_when_it_is_published(
        browser, live_server, trainer, member, make_course):
    """Issue 13, item 11: the trainer edits a published lesson; the member keeps reading the
    published text until the trainer presses 发布修改."""
    made = make_course(**EDITOR_COURSE, owner=trainer, title="田间课程")
    course, lesson = made.course, made.lesson
    desk = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    editor = desk.new_page()
    browser_sign_in(editor, trainer, live_server)
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                has_touch=True, locale="zh-CN")
    reader = phone.new_page()
    browser_sign_in(reader, member, live_server)
    lesson_url = f"{live_server}/courses/{course.slug}/lessons/{lesson.key}"

    editor.goto(f"{live_server}/authoring/courses/{course.id}/lessons/{lesson.id}")
    assert not editor.is_visible("#changes")
    editor.fill("textarea[name=body]", "## 新的一课\n\n出海前穿好**救生衣**。")
    editor.click("button[value=save]")
    assert "未发布的修改" in editor.inner_text("main")
    assert editor.is_visible("#changes >> text=有未发布的修改")

    reader.goto(lesson_url)
    assert "田间地头" in reader.inner_text("#lesson-body")
    assert "救生衣" not in reader.inner_text("#lesson-body")

    editor.click("#changes >> text=预览")
    editor.click(f"main >> text={lesson.title}")
    assert "救生衣" in editor.inner_text("#lesson-body")  # the draft, as a member would get it
    editor.goto(f"{live_server}/authoring/courses/{course.id}")
    editor.click("#changes button:has-text('发布修改')")
    assert "修改已发布" in editor.inner_text("main")
    assert not editor.is_visible("#changes")

    reader.reload()
    assert "救生衣" in reader.inner_text("#lesson-body")
    assert "田间地头" not in reader.inner_text("#lesson-body")
    desk.close()
    phone.close()
