"""On a phone-sized screen, with CSRF on: progress.js records the visit, "我读完了" completes
the lessons, and 我的学习 shows the credited hours."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.progress.models import LessonProgress
from tests.helpers import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.csrf]


def test_a_member_reads_a_course_and_sees_the_hours(phone_page, member, make_course,
                                                    outside_hosts):
    made = make_course(lessons=2, hours=1.5, title="读完就算的课")
    slug = made.course.slug
    db.session.commit()
    page = phone_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    browser_sign_in(page, member)
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
        phone_page, member, make_course):
    """Unstarted course → lessons → final → hours, clicking only the button each page offers."""
    made = make_course(lessons=2, check=1, final=1, hours=2, title="一路往下点的课")
    db.session.commit()
    page = phone_page
    browser_sign_in(page, member)
    page.goto(f"{page.base}/courses/{made.course.slug}/")
    assert page.locator("text=进入结业测验").count() == 0
    page.click("a:has-text('开始学习')")
    page.wait_for_load_state("load")
    # lesson 1 has a one-question check: 乙1 is right
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


def test_tap_targets_the_name_and_the_size_follow_the_member(browser, live_server, member,
                                                             make_course):
    """44 px targets for the lesson list, language switch and breadcrumb; the member's name in
    the header; a size chosen on one phone is there on another after signing in."""
    made = make_course(lessons=3, title="点得准的课")
    db.session.commit()

    def phone():
        context = browser.new_context(viewport={"width": 360, "height": 740},
                                      device_scale_factor=2, is_mobile=True, has_touch=True)
        page = context.new_page()
        browser_sign_in(page, member, live_server)
        return context, page

    context, page = phone()
    assert member.name in page.inner_text("header")
    page.goto(f"{live_server}/courses/{made.course.slug}/lessons/l2")
    for selector in (".crumbs a", ".foot .lang a"):
        for box in [e.bounding_box() for e in page.query_selector_all(selector)]:
            assert box["height"] >= 44 and box["width"] >= 44, (selector, box)
    page.goto(f"{live_server}/courses/{made.course.slug}/")
    for box in [e.bounding_box() for e in page.query_selector_all(".outline a")]:
        assert box["height"] >= 44, box
    with page.expect_response(lambda r: r.url.endswith("/account/font-size")) as saved:
        page.click(".size-switch button[data-size=xlarge]")
    assert saved.value.status == 200
    context.close()

    context, page = phone()  # another phone: nothing in its storage
    assert "size-xlarge" in page.evaluate("document.documentElement.className")
    context.close()
