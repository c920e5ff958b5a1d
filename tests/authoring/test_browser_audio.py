"""Read-aloud on a phone without a Chinese voice, and a trainer recording a lesson's audio with
the microphone (Chromium's fake capture device gives MediaRecorder a real stream)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.courses.models import Lesson, MediaFile
from lms.extensions import db
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD
from tests.helpers import EDITOR_COURSE

pytestmark = pytest.mark.browser

#: the phone has voices, but none speaks Chinese (getVoices is the page's real API, overridden)
ENGLISH_ONLY = """(() => {
  const voice = {lang: "en-US", name: "English", voiceURI: "en", localService: true,
                 default: true};
  if (window.speechSynthesis) { window.speechSynthesis.getVoices = () => [voice]; }
  window.__played = 0;
  document.addEventListener("play", () => { window.__played += 1; }, true);
})();"""
NO_SPEECH = ("delete Window.prototype.speechSynthesis; delete window.speechSynthesis;"
             "delete window.SpeechSynthesisUtterance;")


@pytest.fixture(scope="module")
def microphone_browser(browser):
    """A second Chromium (from the same Playwright) whose microphone is a fake device (a
    beeping tone), allowed without a prompt."""
    second = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=CHROMIUM_ARGS + ["--use-fake-ui-for-media-stream",
                              "--use-fake-device-for-media-stream",
                              "--autoplay-policy=no-user-gesture-required"])
    yield second
    second.close()


def _page(browser, base, user, script: str | None = None):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    if script:
        context.add_init_script(script)
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=phone]", user.phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")
    return page


def _lesson_url(course) -> tuple[str, Lesson]:
    first = db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)
                               .order_by(Lesson.position)).first()
    return f"/courses/{course.slug}/lessons/{first.key}", first


def test_no_chinese_voice_says_so_instead_of_staying_silent(browser, live_server, trainer,
                                                           member, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer).course
    url, _lesson = _lesson_url(course)
    for script in (ENGLISH_ONLY, NO_SPEECH):
        page = _page(browser, live_server, member, script)
        page.goto(live_server + url)
        assert page.inner_text("#read-aloud") == "朗读本课"
        page.click("#read-aloud")
        page.wait_for_selector("#read-aloud-note:has-text('这部手机没有中文朗读功能')")
        # no recording for this lesson: the button does not stay on 停止朗读 in silence
        assert page.inner_text("#read-aloud") == "朗读本课"
        assert "录音" not in page.inner_text("#read-aloud-note")
        page.context.close()


def test_a_trainer_records_the_lesson_and_a_phone_without_a_voice_plays_it(
        microphone_browser, live_server, trainer, member, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer).course
    url, lesson = _lesson_url(course)
    page = _page(microphone_browser, live_server, trainer)
    page.goto(f"{live_server}/authoring/courses/{course.id}/lessons/{lesson.id}")
    assert page.is_visible("#recorder")
    page.click("#record-start")
    page.wait_for_selector("#record-start:has-text('停止录音')")
    assert "正在录音" in page.inner_text("#record-status")
    page.wait_for_timeout(2500)
    page.click("#record-start")
    page.wait_for_selector("#record-save", state="visible")
    with page.expect_navigation():
        page.click("#record-save")
    page.wait_for_load_state("load")
    assert "已保存录音" in page.inner_text("main")
    # the course is published: the recording is an unpublished change until 发布修改
    page.click("#changes button:has-text('发布修改')")
    assert "修改已发布" in page.inner_text("main")
    db.session.rollback()  # end the test's read transaction: see what the server wrote
    saved = db.session.get(Lesson, lesson.id)
    row = db.session.scalar(select(MediaFile).where(MediaFile.path == saved.audio))
    assert row is not None and row.content_type in ("audio/webm", "audio/ogg", "audio/mp4")
    # low bitrate: 2.5 s of speech-quality audio is a few KB, not hundreds
    assert 1000 < row.size < 40_000
    page.context.close()

    phone = _page(microphone_browser, live_server, member, ENGLISH_ONLY)
    phone.goto(live_server + url)
    assert phone.locator("#lesson-tools audio").count() == 1
    phone.click("#read-aloud")
    phone.wait_for_selector("#read-aloud-note:has-text('正在播放本课的录音')")
    assert "这部手机没有中文朗读功能" in phone.inner_text("#read-aloud-note")
    assert phone.evaluate("""() => new Promise(done => { let n = 0; const t = setInterval(() => {
        if (window.__played > 0 || ++n > 50) { clearInterval(t); done(window.__played); } }, 100);
        })""") > 0
    assert phone.inner_text("#read-aloud") == "停止朗读"
    phone.click("#read-aloud")
    assert phone.evaluate("document.querySelector('#lesson-tools audio').paused") is True
    assert phone.inner_text("#read-aloud") == "朗读本课"
    phone.context.close()
