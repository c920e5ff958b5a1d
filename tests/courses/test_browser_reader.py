"""A member reads on a phone-sized screen (360×740): catalogue, course, lessons, prev/next,
read-aloud, print sheet; nothing overflows and nothing is fetched from another host."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.authoring.pack_sync import import_folders
from lms.courses.models import Lesson, MediaFile
from lms.extensions import db
from tests.helpers import browser_sign_in

from .conftest import SHIPPED

pytestmark = pytest.mark.browser

OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def font_px(page, selector: str) -> float:
    return page.evaluate(f"parseFloat(getComputedStyle(document.querySelector({selector!r}))"
                         ".fontSize)")


def loaded(page, selector: str, ms: int = 5000) -> bool:
    """Whether the image has loaded within ``ms`` (wait_for_function would need eval, which
    the CSP forbids)."""
    return page.evaluate("""([selector, ms]) => Promise.race([
        document.querySelector(selector).decode().then(() => true, () => false),
        new Promise(done => setTimeout(() => done(false), ms))])""", [selector, ms])




@pytest.fixture
def library(app, imported, media_pack):
    import_folders([media_pack])
    return imported


def test_a_member_reads_a_course_on_a_phone(phone_page, member, library, outside_hosts):
    page = phone_page
    browser_sign_in(page, member)
    page.goto(page.base + "/courses/")
    assert page.locator(".course-card").count() == 4
    assert page.locator(".course-card .tag-required").count() == 1
    assert page.evaluate(OVERFLOW) <= 0

    page.click("text=党课进田间、上渔船、入微群")
    page.wait_for_url(re.compile(r"/courses/dangke-tianjian/$"))
    assert page.locator(".outline li").count() == 6
    assert page.evaluate(OVERFLOW) <= 0

    page.click(".outline li:first-child a")
    page.wait_for_url(re.compile(r"/lessons/fields$"))
    assert font_px(page, "body") >= 18
    assert font_px(page, ".lesson-body") >= 18
    assert font_px(page, ".lesson-body p") >= 18
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.lesson-body p'))"
                         ".lineHeight)")
    assert line / font_px(page, ".lesson-body p") >= 1.5
    assert page.evaluate(OVERFLOW) <= 0

    page.click("a[rel=next]")
    page.wait_for_url(re.compile(r"/lessons/governance$"))
    assert page.inner_text("article h1") == "乡村治理：自治、法治、德治一起抓" or \
        "第 2 课，共 6 课" in page.inner_text("article header")
    page.click("a[rel=prev]")
    page.wait_for_url(re.compile(r"/lessons/fields$"))
    assert page.locator("a[rel=prev]").count() == 0
    assert outside_hosts(page.requested) == []


def test_no_lesson_overflows_a_phone_screen(phone_page, member, library, outside_hosts):
    page = phone_page
    browser_sign_in(page, member)
    lessons = db.session.execute(select(Lesson.key, Lesson.course_id)).all()
    slugs = {course.id: slug for slug, course in library.items()}
    slugs.update({lesson.course_id: "media-demo" for lesson in lessons
                  if lesson.course_id not in slugs})
    assert len(lessons) == 17 + 3
    for key, course_id in lessons:
        page.goto(f"{page.base}/courses/{slugs[course_id]}/lessons/{key}")
        assert page.evaluate(OVERFLOW) <= 0, key
    assert outside_hosts(page.requested) == []


def test_pictures_and_audio_load_from_this_server(phone_page, member, library, outside_hosts):
    page = phone_page
    browser_sign_in(page, member)
    page.goto(page.base + "/courses/media-demo/lessons/intro")
    image = page.locator(".lesson-body img").first
    image.scroll_into_view_if_needed()
    assert loaded(page, ".lesson-body img")
    assert image.evaluate("img => img.naturalWidth") == 2
    sha = db.session.scalar(select(MediaFile.sha256).where(MediaFile.path == "media/read.mp3"))
    assert page.locator("audio").get_attribute("src") == f"/media/{sha}.mp3"
    assert page.evaluate(OVERFLOW) <= 0
    assert outside_hosts(page.requested) == []


def test_read_aloud_speaks_or_says_the_phone_cannot(phone_page, member, library):
    page = phone_page
    browser_sign_in(page, member)
    url = page.base + "/courses/xinxing-nongmin/lessons/talent"
    page.goto(url)
    assert page.inner_text("#read-aloud") == "朗读本课"
    page.click("#read-aloud")
    assert page.inner_text("#read-aloud") in ("停止朗读", "朗读本课")  # may end at once
    page.context.add_init_script("delete Window.prototype.speechSynthesis;"
                                 "delete window.speechSynthesis;"
                                 "delete window.SpeechSynthesisUtterance;")
    page.goto(url)
    assert page.evaluate("'speechSynthesis' in window") is False
    page.click("#read-aloud")
    assert page.inner_text("#read-aloud-note") == "这部手机没有中文朗读功能。"
    assert page.inner_text("#read-aloud") == "朗读本课"
    assert page.is_visible(".lesson-body")


def test_the_print_sheet_keeps_the_lesson_and_drops_the_rest(phone_page, member, library):
    page = phone_page
    browser_sign_in(page, member)
    page.goto(page.base + "/courses/cungangbu-nengli/lessons/lead-goose")
    assert not page.is_visible(".share img")  # in the closed share box on screen
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    page.emulate_media(media="print")
    for hidden in (".top", ".foot", ".prev-next", ".tools", ".crumbs", ".share summary"):
        assert not page.is_visible(hidden), hidden
    assert page.is_visible(".lesson-body") and page.is_visible("article h1")
    assert page.is_visible(".share img")  # the QR code goes on the sheet
    assert loaded(page, ".share img")
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    page.emulate_media(media="screen")
    assert page.is_visible(".prev-next") and not page.is_visible(".share img")


def test_every_module_is_listed(phone_page, member, library):
    page = phone_page
    browser_sign_in(page, member)
    page.goto(page.base + "/courses/")
    links = page.eval_on_selector_all(".course-card h2 a", "as => as.map(a => a.pathname)")
    assert sorted(links) == sorted([f"/courses/{slug}/" for slug in SHIPPED] +
                                   ["/courses/media-demo/"])
