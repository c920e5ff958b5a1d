"""Answer-leak crawl: while attempts are in progress, nothing the member can reach says what is
right — no explanations, accepted answers, correctness flags or scores — and ``?debug=1`` or
other unknown parameters change nothing."""
from __future__ import annotations

import io
import json
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

from sqlalchemy import select

from lms.extensions import db
from lms.quizzes import services
from lms.quizzes.models import Question, Quiz
from tests.helpers import answers_for, form_of, wrong_value

JSON = {"Accept": "application/json"}
SKIP = ("/logout", "/static/", "/media/", "qr.svg", "/lang/", "/s/")


def mark_secrets(course_id: int) -> None:
    """Give every question of the course findable explanations and fill-in answers."""
    for q in db.session.scalars(select(Question).where(Question.course_id == course_id)):
        q.explanation = f"EXPLAIN-{q.key}-SECRET"
        if q.kind == "fill":
            q.answer = [f"ANSWER-{q.key}-SECRET"]
    db.session.commit()


def crawl(client, seeds, limit=80):
    """GET every same-site page reachable from ``seeds`` (links and their ``?debug=1``)."""
    seen, queue, pages = set(), deque(seeds), {}
    while queue and len(pages) < limit:
        url = queue.popleft()
        if url in seen or any(s in url for s in SKIP):
            continue
        seen.add(url)
        for variant in (url, url + ("&" if "?" in url else "?") + "debug=1&show=answers"):
            response = client.get(variant)
            pages[variant] = response
            if response.status_code in (301, 302, 303):
                queue.append(urlsplit(response.location).path)
        if "html" not in pages[url].content_type:
            continue
        for href in re.findall(r'href="([^"#]+)', pages[url].get_data(as_text=True)):
            target = urlsplit(urljoin("http://localhost" + url, href))
            if target.netloc == "localhost":
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return pages


def body_text(response) -> str:
    """What a page says; a PDF (学时证明 from 学习档案) by the text in it."""
    if response.mimetype == "application/pdf":
        from pypdf import PdfReader

        return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    return response.get_data(as_text=True)


def same(response) -> str:
    """A page without what differs per request (CSRF tokens in forms and in the ``data-csrf``
    of script-driven parts, which are signed with the second they were made; the language
    links' ``next``)."""
    body = response.get_data(as_text=True)
    body = re.sub(r'name="csrf_token" value="[^"]*"', "", body)
    body = re.sub(r'data-csrf="[^"]*"', "", body)
    return re.sub(r"next=[^\"]*", "", body)


def assert_no_secrets(body: str, where: str, in_progress, marks: bool = True) -> None:
    """No marker, no explanation of a question in progress anywhere; and, on the pages of the
    attempts themselves (``marks``), no right/wrong marks or points at all."""
    assert "SECRET" not in body, where
    for attempt in in_progress:
        for entry in attempt.snapshot:
            assert entry["explanation"] not in body, where
    if not marks:
        return
    for word in ("is_correct", "解析：", "✓ 答对", "✗ 没答对", "得分 ", "is-right", "is-wrong"):
        assert word not in body, (where, word)


def test_nothing_reveals_the_answers_during_an_attempt(client, login, member, make_course):
    course = make_course(lessons=2, check=4, mastery=3, final=8, draw=4, max_attempts=0)
    mark_secrets(course.course.id)
    final, check = course.final, course.check
    # history: a submitted final attempt (review on) and 错题本 entries from it
    earlier = services.start_attempt(member, final.id).attempt
    services.submit_attempt(member, earlier.id, answers_for(earlier, right=1))
    # now: the lesson check and the final quiz both in progress, one answer saved in each
    current = services.start_attempt(member, final.id).attempt
    checking = services.start_attempt(member, check.id).attempt
    for attempt in (current, checking):
        entry = attempt.snapshot[0]
        services.save_answers(member, attempt.id, {entry["key"]: wrong_value(entry)})
    login(member)
    slug = course.course.slug
    seeds = ["/courses/", f"/courses/{slug}/", f"/courses/{slug}/lessons/l1",
             f"/courses/{slug}/lessons/l2", f"/quizzes/{final.id}", f"/quizzes/{check.id}",
             f"/quizzes/attempts/{current.id}", f"/quizzes/attempts/{checking.id}",
             f"/quizzes/attempts/{earlier.id}/review", "/wrong-answers/"]
    pages = crawl(client, seeds)
    assert len(pages) >= 20
    for url, response in pages.items():
        assert response.status_code in (200, 302, 303, 403), url
        attempt_page = url.startswith(("/courses/", "/quizzes/"))
        assert_no_secrets(body_text(response), url, [current, checking], marks=attempt_page)
    # unknown parameters change nothing on the quiz pages
    for url in seeds[2:]:
        plain, debug = pages[url], pages[url + "?debug=1&show=answers"]
        assert (plain.status_code, same(plain)) == (debug.status_code, same(debug)), url
    # the earlier attempt's review waits until the new attempt is submitted
    review = pages[f"/quizzes/attempts/{earlier.id}/review"].get_data(as_text=True)
    assert "交卷后才能查看" in review
    # only the saved answer is pre-selected: no other option carries `checked`
    take = pages[f"/quizzes/attempts/{current.id}"].get_data(as_text=True)
    first = current.snapshot[0]
    expected = {"single": 1, "truefalse": 1, "fill": 0}.get(first["kind"])
    assert take.count(" checked") == (len(wrong_value(first)) if expected is None else expected)
    # the review pages are 403 until submission, with or without parameters
    for attempt in (current, checking):
        for suffix in ("", "?debug=1", "?review=1&state=submitted"):
            assert client.get(f"/quizzes/attempts/{attempt.id}/review{suffix}").status_code == 403
    # the save endpoint's JSON holds the member's own answer and nothing else
    entry = current.snapshot[1]
    for url in (f"/quizzes/attempts/{current.id}/answer",
                f"/quizzes/attempts/{current.id}/answer?debug=1"):
        response = client.post(url, data=form_of({entry["key"]: wrong_value(entry)}),
                               headers=JSON)
        assert response.status_code == 200
        assert set(response.json) == {"saved", "saved_at"}
        assert_no_secrets(json.dumps(response.json, ensure_ascii=False), url,
                          [current, checking])
    # refusals say nothing either
    refused = client.post(f"/quizzes/attempts/{current.id}/answer",
                          data=form_of({"not-in-this-attempt": "1"}), headers=JSON)
    assert refused.status_code == 400
    assert_no_secrets(refused.get_data(as_text=True), "refusal", [current, checking])


def test_real_packs_leak_nothing_on_the_lesson_page(client, login, member, real_courses):
    from lms.courses.models import Lesson

    course = real_courses[0]
    check = db.session.scalars(select(Quiz).where(
        Quiz.course_id == course.id, Quiz.lesson_id.isnot(None))).first()
    attempt = services.start_attempt(member, check.id).attempt
    lesson_key = db.session.scalar(select(Lesson.key).where(Lesson.id == check.lesson_id))
    login(member)
    page = client.get(f"/courses/{course.slug}/lessons/{lesson_key}").get_data(as_text=True)
    assert all(entry["stem"] in page for entry in attempt.snapshot)
    for entry in attempt.snapshot:
        assert entry["explanation"] not in page
    assert " checked" not in page
