"""On a phone-sized screen, with CSRF on: progress.js records the visit, "我读完了" completes
the lessons, and 我的学习 shows the credited hours."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.progress.models import LessonProgress

pytestmark = pytest.mark.browser


@pytest.fixture
def app(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app


def test_a_member_reads_a_course_and_sees_the_hours(phone_page, member, make_study_course,
                                                    outside_hosts):
    made = make_study_course(lessons=2, checks=(), final=False, credit=1.5, title="读完就算的课")
    slug = made.course.slug
    db.session.commit()
    page = phone_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page.base + "/login")
    page.fill("input[name=phone]", member.phone)
    page.fill("input[name=password]", "tea-garden-2026")
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    assert "我的学习" in page.inner_text("h1")

    page.goto(f"{page.base}/courses/{slug}/")
    page.click("text=加入我的学习")
    page.wait_for_load_state("load")
    page.click("text=下一课：")
    page.wait_for_load_state("load")
    with page.expect_response(lambda r: r.url.endswith("/seen")) as seen:
        page.reload()  # the visit is posted by progress.js once the page has loaded
    assert seen.value.status == 204
    db.session.rollback()
    assert db.session.scalar(select(LessonProgress.user_id)) == member.id

    for _ in made.lessons:
        page.click("text=我读完了")
        page.wait_for_load_state("load")
    assert "已完成" in page.content()

    page.goto(page.base + "/study/")
    text = page.inner_text("main")
    assert "已获 1.5 学时，年度目标 32 学时" in text and "还差 30.5 学时" in text
    page.goto(page.base + "/study/record")
    assert "读完就算的课" in page.inner_text("main")
    assert errors == []
    assert outside_hosts(page.requested) == []


def test_a_new_member_goes_from_an_unstarted_course_to_the_hours_by_the_next_buttons(
        phone_page, member, make_study_course):
    """Unstarted course → lessons → final → hours, clicking only the button each page offers."""
    made = make_study_course(lessons=2, checks=(0,), credit=2, title="一路往下点的课")
    db.session.commit()
    page = phone_page
    page.goto(page.base + "/login")
    page.fill("input[name=phone]", member.phone)
    page.fill("input[name=password]", "tea-garden-2026")
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.goto(f"{page.base}/courses/{made.course.slug}/")
    assert page.locator("text=进入结业测验").count() == 0
    page.click("a:has-text('开始学习')")
    page.wait_for_load_state("load")
    # lesson 1 has a one-question check: 乙 is right
    page.click("button:has-text('开始本课测验')")
    page.wait_for_load_state("load")
    page.click("#check label:has-text('乙')")
    page.click("#check button:has-text('提交答案')")
    page.wait_for_load_state("load")
    page.click("a:has-text('下一课：第2课')")
    page.wait_for_load_state("load")
    page.click("button:has-text('我读完了')")  # the last lesson: back to the course page
    page.wait_for_load_state("load")
    page.click("a:has-text('下一步：结业测验')")
    page.wait_for_load_state("load")
    page.click("button:has-text('开始答题')")
    page.wait_for_load_state("load")
    page.click("label:has-text('乙')")
    page.click("summary:has-text('交卷')")
    page.click("button:has-text('确定交卷')")
    page.wait_for_load_state("load")
    assert "已计入 2 学时" in page.inner_text("main")
    page.click("a:has-text('回到我的学习')")
    page.wait_for_load_state("load")
    assert "已获 2 学时" in page.inner_text("main")
