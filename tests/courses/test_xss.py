"""Stored XSS through a course pack: payloads in every field a pack carries are inert on the
catalogue, course and lesson pages, for every kind of reader, and no page loads from another host.
"""
from __future__ import annotations

import pytest
from markupsafe import escape
from sqlalchemy import select

from lms.authoring.pack_sync import import_folders
from lms.courses.models import Course, Lesson, MediaFile
from lms.extensions import db
from tests.helpers import png

from .conftest import (
    dump,
    lesson_text,
    media_pack_files,
    question,
    unsafe_markup,
    write_files,
)

#: raw payloads (none may appear in a page as written; their escaped text may)
SCRIPT = '<script>alert("t")</script>'
ONERROR = '<img src=x onerror=alert("s")>'
BREAKER = '" autofocus onfocus="alert(1)'
SINGLE = "' onmouseover='alert(2)"
SVG = "<svg/onload=alert(3)>"
COMMENT = "<!-- x --><b>粗</b>"
FILE_NAME = 'x" onerror="alert(4)<img src=y>.png'  # a media file with a payload for a name
#: (SINGLE may stay as written inside a double-quoted attribute, where it is plain text;
#: ``unsafe_markup`` checks it did not make an attribute of its own)
RAW = [SCRIPT, ONERROR, BREAKER, SVG, COMMENT, "<img src=y>", 'onerror="alert(4)']

BODY = f"""\
# {SCRIPT}

正文里的 {ONERROR} 和 {SVG} 和 {COMMENT}

[点我](javascript:alert(5)) [再点](JAVASCRIPT:alert(6)) [还点](<javascript:alert(7)>)

<a href="javascript:alert(8)">raw link</a> <a href=x onclick=alert(9)>x</a>

![外站](https://evil.example/track.png) ![外站2](//evil.example/t.png)

![数据](data:image/png;base64,iVBORw0KGgo=)

![{BREAKER}](media/boat.png "{SINGLE}")

![文件名](media/x%22%20onerror%3D%22alert(4)%3Cimg%20src%3Dy%3E.png)
"""


def xss_files() -> dict[str, str | bytes]:
    files = media_pack_files()
    course = {"title": f"课{SCRIPT}{BREAKER}", "summary": f"简介{ONERROR}{SINGLE}{SVG}{COMMENT}",
              "category": "实用技术", "required": True, "credit_hours": 0.5, "audience": "all",
              "lessons": ["lessons/intro.md", "lessons/second.md", "lessons/third.md"],
              "final_quiz": "quizzes/final.yaml"}
    files["course.yaml"] = dump(course)
    files["lessons/intro.md"] = lesson_text(
        {"id": "intro", "title": f"第一课{SCRIPT}", "minutes": 3, "audio": "media/read.mp3",
         "check": {"mastery": "1 of 1", "questions": [
             question("intro-q1", stem=f"题干{ONERROR}{BREAKER}",
                      options=[f"甲{SCRIPT}", f"乙{SINGLE}", f"丙{SVG}"],
                      explanation=f"解析{COMMENT}")]}},
        BODY)
    files["lessons/second.md"] = lesson_text(
        {"id": "second", "title": f"第二课{ONERROR}{BREAKER}", "minutes": 4}, "第二课。\n")
    files["media/" + FILE_NAME] = png(3, 1)
    return files


@pytest.fixture
def poisoned(app, tmp_path):
    (outcome,) = import_folders([write_files(tmp_path / "packs" / "media-demo", xss_files())])
    return outcome.course


PAGES = ["/courses/", "/courses/?q=课", "/courses/?category=实用技术", "/courses/media-demo/",
         "/courses/media-demo/lessons/intro", "/courses/media-demo/lessons/second",
         "/courses/media-demo/lessons/third"]


def assert_inert(html: str, where: str) -> None:
    assert unsafe_markup(html) == [], where
    for raw in RAW:
        assert raw not in html, (where, raw)
    assert "evil.example" not in html, where


@pytest.mark.parametrize("who", ["member", "member_b", "trainer", "admin"])
def test_payloads_in_a_pack_are_inert_on_every_page_for_every_reader(request, client_for,
                                                                     poisoned, who):
    client = client_for(request.getfixturevalue(who))
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.get_data(as_text=True), url)
    html = client.get("/courses/media-demo/").get_data(as_text=True)
    assert str(escape(f"课{SCRIPT}{BREAKER}")) in html  # shown, as text
    html = client.get("/courses/media-demo/lessons/intro").get_data(as_text=True)
    assert str(escape(f"第一课{SCRIPT}")) in html


def test_the_payload_named_media_file_is_served_under_its_hash(client_for, member, poisoned):
    media = db.session.scalar(select(MediaFile).where(MediaFile.path == "media/" + FILE_NAME))
    html = client_for(member).get("/courses/media-demo/lessons/intro").get_data(as_text=True)
    assert f'<img src="/media/{media.sha256}.png" alt="文件名" loading="lazy">' in html


def test_a_search_for_a_payload_is_echoed_as_text(client_for, member, poisoned):
    html = client_for(member).get("/courses/", query_string={"q": BREAKER + SCRIPT}) \
        .get_data(as_text=True)
    assert_inert(html, "search")
    assert f'value="{escape((BREAKER + SCRIPT)[:50])}"' in html  # the query is cut at 50


def test_the_stored_lesson_html_is_clean(poisoned):
    for lesson in db.session.scalars(select(Lesson).where(Lesson.course_id == poisoned.id)):
        assert unsafe_markup(lesson.html) == []
        assert "evil.example" not in lesson.html and "data:" not in lesson.html
    assert db.session.scalar(select(Course.title)) == f"课{SCRIPT}{BREAKER}"  # stored as written
