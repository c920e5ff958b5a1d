"""In Chromium with the network really off (Playwright's set_offline): a saved course opens from
the phone, and a new release's worker replaces the old caches."""
from __future__ import annotations

import pytest

from lms.extensions import db
from tests.helpers import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.csrf]


def save(page, slug):
    page.goto(f"{page.base}/courses/{slug}/")
    page.click("#offline-save [data-action=save]")
    page.wait_for_function(
        "() => document.querySelector('#offline-save .offline-state').textContent"
        ".indexOf('已保存') === 0", timeout=20000)


def cache_names(page) -> list[str]:
    return page.evaluate("caches.keys()")


def test_a_saved_course_opens_with_the_network_off(phone_page, member, make_course,
                                                   outside_hosts):
    made = make_course(lessons=3, check=2, mastery=1, final=1, time_limit_minutes=20,
                       media=True, title="出海学习课")
    slug = made.course.slug
    db.session.commit()
    page = phone_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    browser_sign_in(page, member)
    save(page, slug)
    state = page.inner_text("#offline-save .offline-state")
    assert "本课程占用" in state
    assert page.is_visible("#offline-save [data-action=remove]")
    assert f"fieldside-saved-v1-m{member.id}-{slug}" in cache_names(page)

    page.context.set_offline(True)
    try:
        page.goto(f"{page.base}/courses/{slug}/lessons/l1")
        assert page.inner_text("h1") == "第1课"
        assert "第1题（single）题干" in page.inner_text("#check")
        assert page.evaluate("document.querySelector('.lesson-body img').naturalWidth") > 0
        page.goto(f"{page.base}/courses/{slug}/lessons/l3")
        assert page.inner_text("h1") == "第3课"
        # a page not saved: the phone says so and lists what it holds
        page.goto(f"{page.base}/courses/")
        assert "没有网络" in page.inner_text("h1")
        assert "出海学习课" in page.inner_text("#offline-saved-list")
    finally:
        page.context.set_offline(False)

    page.goto(page.base + "/study/")
    assert "已保存，可离线学习" in page.inner_text("main")
    page.goto(f"{page.base}/courses/{slug}/")
    page.click("#offline-save [data-action=remove]")
    assert "已从手机删除" in page.inner_text("#offline-save .offline-state")
    assert not any(name.startswith("fieldside-saved") for name in cache_names(page))
    assert errors == []
    assert outside_hosts(page.requested) == []


def test_a_new_release_replaces_the_old_caches_and_keeps_saved_courses(
        app, phone_page, member, make_course):
    made = make_course(lessons=1, final=1, time_limit_minutes=20)
    db.session.commit()
    page = phone_page
    browser_sign_in(page, member)
    save(page, made.course.slug)
    old = [n for n in cache_names(page) if n.startswith("fieldside-shell-")]
    assert len(old) == 1

    app.config["OFFLINE_RELEASE"] = "next"
    app.extensions.pop("fieldside_sw", None)
    page.evaluate("navigator.serviceWorker.getRegistration().then(function (r) { return r.update(); })")
    for _ in range(100):
        names = cache_names(page)
        shells = [n for n in names if n.startswith("fieldside-shell-")]
        if shells and old[0] not in shells:
            break
        page.wait_for_timeout(200)
    assert len(shells) == 1 and shells != old
    assert f"fieldside-saved-v1-m{member.id}-{made.course.slug}" in names
    page.context.set_offline(True)
    try:
        page.goto(f"{page.base}/courses/{made.course.slug}/lessons/l1")
        assert page.inner_text("h1") == "第1课"
    finally:
        page.context.set_offline(False)


def test_studied_at_sea_synced_on_shore_exactly_once(phone_page, member, make_course,
                                                    outside_hosts):
    from sqlalchemy import func, select

    from lms.progress.models import CourseCompletion, LessonProgress, StudyHours
    from lms.quizzes.models import Attempt

    made = make_course(lessons=2, check=1, hours=1)  # one single-choice question: 乙1 is right
    slug = made.course.slug
    db.session.commit()
    page = phone_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    browser_sign_in(page, member)
    save(page, slug)

    page.context.set_offline(True)
    try:
        page.goto(f"{page.base}/courses/{slug}/lessons/l1")
        for fieldset in page.query_selector_all("#check fieldset[data-key]"):
            labels = fieldset.query_selector_all("label")
            # the right option is "乙1", wherever the shuffle put it
            next(label for label in labels if "乙" in label.inner_text()).click()
        page.click("#check button:has-text('提交答案')")
        assert "已记下，联网后评分" in page.inner_text("#check")
        page.goto(f"{page.base}/courses/{slug}/lessons/l2")
        page.click("text=我读完了")
        assert "已记下，联网后上传" in page.inner_text("#progress-mark")
        queue = page.evaluate("window.localStorage.getItem('fieldside-outbox')")
        assert len(page.evaluate("FieldsideOutbox.pending()")) == 2
        # opened again at sea, the page remembers what is waiting
        page.goto(f"{page.base}/courses/{slug}/lessons/l1")
        assert "已记下，联网后评分" in page.inner_text("#check")
        db.session.rollback()
        assert db.session.scalar(select(func.count(LessonProgress.id))) == 0
    finally:
        page.context.set_offline(False)

    page.evaluate("FieldsideOutbox.flush()")
    page.wait_for_function("() => FieldsideOutbox.pending().length === 0", timeout=20000)
    page.wait_for_function(
        "() => document.querySelector('#check').textContent.indexOf('已评分') >= 0")
    assert "这一课学完了" in page.inner_text("#check")

    def records():
        db.session.rollback()
        return (db.session.scalar(select(func.count(LessonProgress.id)).where(
                    LessonProgress.completed_at.isnot(None))),
                db.session.scalar(select(func.count(Attempt.id)).where(
                    Attempt.state == "submitted", Attempt.passed.is_(True))),
                db.session.scalar(select(func.count(CourseCompletion.id))),
                db.session.scalar(select(func.count(StudyHours.id))))

    assert records() == (2, 1, 1, 1)
    # the same queue sent again (a resend after a lost answer) changes nothing
    page.evaluate("q => window.localStorage.setItem('fieldside-outbox', q)", queue)
    page.evaluate("FieldsideOutbox.flush()")
    page.wait_for_function("() => FieldsideOutbox.pending().length === 0", timeout=20000)
    assert records() == (2, 1, 1, 1)
    page.reload()
    assert "本课已完成" in page.inner_text("#check")
    assert errors == []
    assert outside_hosts(page.requested) == []


def test_a_shared_phone_keeps_each_members_records_to_themselves(phone_page, member, member_b,
                                                                make_course):
    from sqlalchemy import func, select

    from lms.progress.models import LessonProgress

    made = make_course(lessons=2, hours=1)
    slug = made.course.slug
    db.session.commit()
    page = phone_page
    browser_sign_in(page, member)
    save(page, slug)
    blocked = []
    # the signal is too weak for the upload to get through
    page.context.route("**/offline/sync", lambda route: (blocked.append(1), route.abort()))
    page.goto(f"{page.base}/courses/{slug}/lessons/l1")
    page.click("text=我读完了")
    assert "已记下" in page.inner_text("#progress-mark")

    page.click("footer button:has-text('退出登录')")
    assert "还有 1 条学习记录没有上传" in page.inner_text("footer [role=alert]")
    assert page.url.endswith("/lessons/l1")  # not signed out yet
    page.click("footer button:has-text('仍然退出')")
    page.wait_for_url("**/login")

    browser_sign_in(page, member_b)
    page.goto(f"{page.base}/courses/{slug}/lessons/l1")
    assert "已记下" not in page.inner_text("main") and page.is_visible("text=我读完了")
    assert page.evaluate("FieldsideOutbox.pending().length") == 0
    page.context.unroute("**/offline/sync")
    page.evaluate("FieldsideOutbox.flush()")
    page.wait_for_timeout(500)
    db.session.rollback()
    assert db.session.scalar(select(func.count(LessonProgress.id)).where(
        LessonProgress.completed_at.isnot(None))) == 0
    # the first member's saved course does not open for the second without signal
    page.context.set_offline(True)
    try:
        page.goto(f"{page.base}/courses/{slug}/lessons/l2")
        assert "没有网络" in page.inner_text("h1")
    finally:
        page.context.set_offline(False)

    page.goto(page.base + "/study/")
    page.click("footer button:has-text('退出登录')")
    page.wait_for_url("**/login")
    browser_sign_in(page, member)
    page.goto(f"{page.base}/courses/{slug}/lessons/l2")
    page.wait_for_function("() => FieldsideOutbox.pending().length === 0", timeout=20000)
    db.session.rollback()
    assert db.session.scalar(select(LessonProgress.user_id).where(
        LessonProgress.completed_at.isnot(None))) == member.id
    assert blocked


def test_without_a_service_worker_the_course_page_offers_the_printed_sheet(
        phone_page, member, make_course):
    made = make_course(lessons=1, check=2, mastery=1, final=1, time_limit_minutes=20, hours=1)
    db.session.commit()
    page = phone_page
    # as in iOS WeChat or an old X5 core: no service worker at all
    page.context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'serviceWorker', "
        "{ get: function () { return undefined; } });")
    browser_sign_in(page, member)
    page.goto(f"{page.base}/courses/{made.course.slug}/")
    box = page.inner_text("#offline-save")
    assert "这个浏览器不能离线保存" in box
    assert not page.is_visible("#offline-save [data-action=save]")
    page.click("#offline-save .offline-unsupported a")
    assert "第1题（single）题干" in page.inner_text("main")


def test_a_timed_check_is_not_queued_and_says_it_needs_the_network(phone_page, member,
                                                                   make_course):
    from sqlalchemy import func, select

    from lms.core.receipts import SyncReceipt

    made = make_course(lessons=1, check=2, mastery=1, hours=1)
    made.check.time_limit_minutes = 5
    db.session.commit()
    page = phone_page
    browser_sign_in(page, member)
    save(page, made.course.slug)  # the course is saved, but its timed check stays online
    page.goto(f"{page.base}/courses/{made.course.slug}/lessons/l1")
    page.click("text=开始本课测验")
    page.wait_for_load_state("load")
    assert page.is_visible("#check form[data-timed]")
    page.context.set_offline(True)
    try:
        page.click("#check button:has-text('提交答案')")
        assert "限时测验要联网才能交卷" in page.inner_text("#check")
        assert page.evaluate("FieldsideOutbox.pending().length") == 0
    finally:
        page.context.set_offline(False)
    page.click("#check button:has-text('提交答案')")  # online: the ordinary submit
    page.wait_for_load_state("load")
    db.session.rollback()
    assert db.session.scalar(select(func.count(SyncReceipt.id))) == 0
    assert "这次还差一点" in page.inner_text("#check")
