"""A member on a phone-sized screen: the lesson check (answers saved as they go), the final quiz
with its confirm step, and the timer that hands the paper in. Nothing leaves the server."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from lms.core.clock import utcnow
from lms.database import begin_write
from lms.extensions import db
from lms.quizzes.models import Attempt, Response
from tests.helpers import browser_sign_in

pytestmark = pytest.mark.browser




def latest(user, quiz_id):
    db.session.commit()  # end this thread's read: see what the server wrote since
    return db.session.scalar(select(Attempt).where(
        Attempt.user_id == user.id, Attempt.quiz_id == quiz_id).order_by(Attempt.number.desc()))


def answer_right(page, entry):
    box = f"fieldset[data-key='{entry['key']}']"
    if entry["kind"] == "fill":
        page.fill(f"{box} input[type=text]", entry["answer"][0])
        page.press(f"{box} input[type=text]", "Tab")  # change event: saved at once
    elif entry["kind"] == "truefalse":
        page.check(f"{box} input[value={'true' if entry['answer'][0] else 'false'}]")
    else:
        for index in entry["answer"]:
            page.check(f"{box} input[value='{index}']")
    page.wait_for_function(
        "k => { const s = document.querySelector(\"fieldset[data-key='\" + k + \"'] .save-status\");"
        " return s && s.textContent.indexOf('已保存') >= 0; }", arg=entry["key"])


def test_from_lesson_to_credited_hours_on_a_phone(phone_page, member, make_course, outside_hosts):
    course = make_course(check=3, mastery=2, final=5, draw=4)
    slug, check_id, final_id = course.course.slug, course.check.id, course.final.id
    db.session.commit()
    page = phone_page
    browser_sign_in(page, member)
    page.goto(f"{page.base}/courses/{slug}/lessons/l1")
    page.click("button:has-text('开始本课测验')")
    page.wait_for_selector("form.quiz-form")
    attempt = latest(member, check_id)
    for entry in attempt.snapshot:
        answer_right(page, entry)
    # saved on the server as they were given: a reload shows them
    db.session.commit()
    assert all(db.session.scalars(select(Response.answer).where(
        Response.attempt_id == attempt.id)))
    page.reload()
    assert page.locator("form.quiz-form input:checked").count() >= 2
    assert not page.is_visible("button.save-one")  # JS saves: no per-question buttons
    page.click("form.quiz-form button.primary")
    page.wait_for_selector("text=本课已完成")

    page.goto(f"{page.base}/quizzes/{final_id}")
    page.click("button:has-text('开始答题')")
    page.wait_for_selector("#quiz-form")
    attempt = latest(member, final_id)
    for entry in attempt.snapshot:
        answer_right(page, entry)
    page.click("details.confirm summary")
    assert "交卷后答案不能再修改" in page.inner_text("details.confirm")
    page.click("button:has-text('确定交卷')")
    page.wait_for_selector("text=4 / 4")
    assert "解析" in page.inner_text("main")
    # the lesson is complete and the final quiz passed: the course's 2 学时 are on 我的学习
    page.goto(f"{page.base}/study/")
    assert "已获 2 学时" in page.inner_text("main")
    assert outside_hosts(page.requested) == []


def test_the_timer_hands_the_paper_in(phone_page, member, make_course):
    quiz_id = make_course(final=3, draw=3, time_limit_minutes=5).final.id
    db.session.commit()
    page = phone_page
    browser_sign_in(page, member)
    page.goto(f"{page.base}/quizzes/{quiz_id}")
    page.click("button:has-text('开始答题')")
    page.wait_for_selector("#quiz-form")
    attempt = latest(member, quiz_id)
    answer_right(page, attempt.snapshot[0])
    attempt_id = attempt.id
    db.session.commit()  # end the read, then write as a writer (the server wrote since)
    begin_write()
    db.session.execute(update(Attempt).where(Attempt.id == attempt_id)
                       .values(deadline=utcnow() + timedelta(seconds=3)))
    db.session.commit()
    page.reload()
    page.wait_for_url("**/review", timeout=15000)
    assert "1 / 3" in page.inner_text("main")
    assert latest(member, quiz_id).state == "submitted"
