"""On a slow phone the page is drawn before its deferred scripts run: what those scripts add or
hide (the read-aloud button, the per-question save buttons, the print button) must not move the
page when they do (layout shift, what Lighthouse's CLS sums). Each deferred script is held back
so the first paint comes first; the browser's own layout-shift entries must add up to nothing.
Without scripts, the buttons that need them are not shown."""
from __future__ import annotations

import re
import time

import pytest

from lms.extensions import db
from lms.quizzes import services
from tests.helpers import browser_sign_in

pytestmark = pytest.mark.browser

#: the deferred scripts of a member's pages (app.js, in the head, is not deferred)
DEFERRED = re.compile(r"/static/js/(lesson|quiz|progress|outbox|offline)\.js")
#: before any page script: sum the layout shifts not caused by input; count print() calls
WATCH = """
window.__shift = 0;
window.__printed = 0;
window.print = function () { window.__printed += 1; };
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (entry) {
    if (!entry.hadRecentInput) { window.__shift += entry.value; }
  });
}).observe({type: "layout-shift", buffered: true});
"""
SETTLED = "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


@pytest.fixture
def course(make_course, member):
    """A lesson with its recording and a check in progress; the final quiz in progress."""
    made = make_course(lessons=2, check=2, final=3, media=True, open_before_lessons=True,
                       title="慢慢加载的课")
    services.start_attempt(member, made.check.id)
    final = services.start_attempt(member, made.final.id).attempt
    db.session.commit()
    return made, final.id


@pytest.fixture
def slow_page(course, phone_page, member):
    """Signed in (after ``course`` is written: SQLite takes one writer at a time), every
    deferred script held back 0.6 s, and WATCH in every page."""
    page = phone_page
    browser_sign_in(page, member)

    def late(route):
        time.sleep(0.6)  # the page is painted meanwhile
        route.continue_()

    page.context.route(DEFERRED, late)
    page.context.add_init_script(WATCH)
    return page


def shift_after_load(page, path: str) -> float:
    page.goto(page.base + path)  # "load" comes after the deferred scripts have run
    page.evaluate(SETTLED)
    # the page was painted (Chromium may post its first-contentful-paint entry a frame later
    # than two animation frames when no deferred script holds "load" back): fails after 5 s
    page.wait_for_function(
        "performance.getEntriesByName('first-contentful-paint').length === 1", timeout=5000)
    return page.evaluate("window.__shift")


def test_the_lesson_does_not_move_when_its_scripts_come(slow_page, course):
    made, _final = course
    page = slow_page
    path = f"/courses/{made.course.slug}/lessons/{made.lesson.key}"
    for size in ("standard", "xlarge"):
        page.goto(page.base + "/account")
        page.click(f".size-switch button[data-size={size}]")
        page.wait_for_load_state("networkidle")
        assert shift_after_load(page, path) == 0, size
        # lesson.js made the button (beside the recording); quiz.js took the save buttons
        assert page.is_visible("#read-slot #read-aloud")
        assert page.locator("#lesson-tools audio").count() == 1
        assert page.locator("#check button.save-one").count() == 2
        assert not page.is_visible("#check button.save-one")


def test_the_final_quiz_does_not_move_when_its_script_comes(slow_page, course):
    _made, final = course
    page = slow_page
    assert shift_after_load(page, f"/quizzes/attempts/{final}") == 0
    assert page.locator("button.save-one").count() == 3
    assert not page.is_visible("button.save-one")


@pytest.mark.parametrize("kind", ["sheet", "poster"])
def test_a_sheet_shows_its_print_button_at_once_and_it_prints(slow_page, course, kind):
    made, _final = course
    page = slow_page
    path = (f"/courses/{made.course.slug}/lessons/{made.lesson.key}/sheet" if kind == "sheet"
            else f"/courses/{made.course.slug}/poster")
    assert shift_after_load(page, path) == 0
    page.click("button[data-print]")
    assert page.evaluate("window.__printed") == 1


def test_without_scripts_the_buttons_that_need_them_are_not_shown(browser, live_server, member,
                                                                  course):
    made, final = course
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN",
                                  java_script_enabled=False)
    page = context.new_page()
    try:
        browser_sign_in(page, member, base=live_server)  # a plain form: no script needed
        lesson = f"{live_server}/courses/{made.course.slug}/lessons/{made.lesson.key}"
        page.goto(lesson)
        assert not page.is_visible("#read-slot")
        assert page.is_visible("#check button.save-one")  # saving one answer is a form post
        page.goto(f"{live_server}/quizzes/attempts/{final}")
        assert page.is_visible("button.save-one")
        page.goto(f"{lesson}/sheet")
        assert not page.is_visible("button[data-print]")
        page.goto(f"{live_server}/courses/{made.course.slug}/poster")
        assert not page.is_visible("button[data-print]")
    finally:
        context.close()
