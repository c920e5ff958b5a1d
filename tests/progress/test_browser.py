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
    page.click("text=加入学习")
    page.wait_for_load_state("load")
    page.click("text=继续学习")
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
