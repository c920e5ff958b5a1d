"""Stored XSS: payloads in every editor field come out inert on every page that shows them."""
from __future__ import annotations

import io
from html.parser import HTMLParser

from sqlalchemy import select

from lms.authoring import bank, services
from lms.core.questions import QuestionData
from lms.courses.models import Course
from lms.extensions import db
from tests.helpers import EDITOR_COURSE, confirm_import, upload_bank, xlsx_rows

PAYLOADS = ('<script>alert(1)</script>', '<img src=x onerror=alert(1)>',
            '"><svg onload=alert(1)>', "' onmouseover='alert(1)", "javascript:alert(1)")
EVIL = " ".join(PAYLOADS)


class _Elements(HTMLParser):
    """Every element the browser would build, with its attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def _inert(page: str, where: str) -> None:
    """No element a payload could have made: no inline or foreign script, no event handler, no
    javascript: URL, no svg/iframe/object."""
    parser = _Elements()
    parser.feed(page)
    for tag, attrs in parser.found:
        assert tag not in ("svg", "iframe", "object", "embed"), (where, tag)
        if tag == "script":
            assert (attrs.get("src") or "").startswith("/static/"), (where, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on"), (where, tag, name)
            assert not (value or "").strip().lower().startswith("javascript:"), (where, tag)


def test_payloads_in_every_field_are_inert_for_members_and_editors(client_for, trainer, member,
                                                                   tree):
    web = client_for(trainer)
    web.post("/authoring/courses/new", data={
        "title": "课" + EVIL[:100], "summary": EVIL, "category": "理论", "credit_hours": "0.5",
        "audience": str(trainer.org_id), "slug": "xss"})
    course = db.session.scalar(select(Course).where(Course.slug == "xss"))
    web.post(f"/authoring/courses/{course.id}/lessons", data={"title": EVIL[:110],
                                                               "minutes": "3"})
    lesson = services.live_lessons(course)[0]
    body = "\n\n".join([*PAYLOADS, "[点我](javascript:alert(1))", "![x](javascript:alert(1))",
                        '<a href="javascript:alert(1)">a</a>', "<iframe src=//evil>"])
    web.post(f"/authoring/courses/{course.id}/lessons/{lesson.id}", data={
        "title": "<b>课</b>" + PAYLOADS[1], "minutes": "3", "body": body, "action": "save"})
    web.post(f"/authoring/courses/{course.id}/lessons/{lesson.id}/check", data={})
    check = bank.lesson_check(lesson)
    for kind, extra in (("single", {"correct": ["A"]}), ("multiple", {"correct": ["A", "B"]}),
                        ("truefalse", {"truefalse": "true"}),
                        ("fill", {"fill_answers": PAYLOADS[0] + "\n" + PAYLOADS[2]})):
        data = {"kind": kind, "stem": EVIL, "explanation": EVIL, "points": "1", **extra}
        if kind in ("single", "multiple"):
            data.update(option_a=PAYLOADS[0], option_b=PAYLOADS[1], option_c=PAYLOADS[2])
        response = web.post(f"/authoring/courses/{course.id}/quizzes/{check.id}/questions/new",
                            data=data)
        assert response.status_code == 302, kind
    # an imported bank carries payloads too, and so does its preview page
    xlsx = xlsx_rows([["题型", "题干", "选项A", "选项B", "正确答案", "解析"],
                       ["单选", EVIL, PAYLOADS[1], PAYLOADS[2], "A", EVIL]])
    preview = upload_bank(web, course, PAYLOADS[1] + ".xlsx", xlsx).get_data(as_text=True)
    _inert(preview, "import preview")
    confirm_import(web, course, preview)
    web.post(f"/authoring/courses/{course.id}/media",
             data={"file": (io.BytesIO(b"<svg onload=alert(1)>"), PAYLOADS[2] + ".png")},
             content_type="multipart/form-data")
    assert web.post(f"/authoring/courses/{course.id}/publish").status_code == 302
    db.session.refresh(course)
    assert course.status == "published"
    assert len(bank.live_questions(check)) == 4

    final = bank.final_quiz(course)
    editor_pages = {
        "index": "/authoring/",
        "course": f"/authoring/courses/{course.id}",
        "lesson": f"/authoring/courses/{course.id}/lessons/{lesson.id}",
        "check": f"/authoring/courses/{course.id}/quizzes/{check.id}",
        "final": f"/authoring/courses/{course.id}/quizzes/{final.id}",
        "question": f"/authoring/courses/{course.id}/quizzes/{check.id}/questions/"
                    f"{bank.live_questions(check)[0].id}",
        "lesson as member": f"/authoring/courses/{course.id}/lessons/{lesson.id}/as-member",
        "check as member": f"/authoring/courses/{course.id}/quizzes/{check.id}/as-member",
        "final as member": f"/authoring/courses/{course.id}/quizzes/{final.id}/as-member",
    }
    for where, url in editor_pages.items():
        response = web.get(url)
        assert response.status_code == 200, where
        _inert(response.get_data(as_text=True), where)
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    preview = web.post(f"/authoring/courses/{course.id}/lessons/{lesson.id}/preview?fragment=1",
                       data={"body": body}).get_data(as_text=True)
    _inert(preview, "preview fragment")
    assert "<iframe" not in preview

    reader = client_for(member)
    member_pages = {"catalogue": "/courses/", "course": "/courses/xss/",
                    "lesson": f"/courses/xss/lessons/{lesson.key}"}
    for where, url in member_pages.items():
        response = reader.get(url)
        assert response.status_code == 200, where
        page = response.get_data(as_text=True)
        _inert(page, where)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, where  # shown as text
    assert "<iframe" not in lesson.html and "<script" not in lesson.html


def test_question_texts_are_kept_as_written(trainer, make_course):
    """Escaping happens when pages render, not by mangling what trainers wrote."""
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    quiz = bank.final_quiz(course)
    saved = bank.save_question(trainer, quiz, None, QuestionData(
        key="", kind="truefalse", stem="a < b && c > d", answer=(True,), explanation="x<y"))
    assert (saved.stem, saved.explanation) == ("a < b && c > d", "x<y")
