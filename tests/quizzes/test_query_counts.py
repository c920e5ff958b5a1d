"""The lesson page (with its check), the quiz pages and submit run a fixed number of queries,
whatever the bank size or the number of past attempts."""
from __future__ import annotations

from lms.quizzes import services
from tests.helpers import answers_for, form_of

JSON = {"Accept": "application/json"}


def history(user, quiz, past: int, right: int = 0):
    for _ in range(past):
        attempt = services.start_attempt(user, quiz.id).attempt
        services.submit_attempt(user, attempt.id, answers_for(attempt, right=right))


def measure(client, count_queries, method, url, **kw):
    # warm up: the signed-in user's roles are cached on the user object after the first
    # request (tests share one session across requests; production loads them per request)
    client.get("/wrong-answers/")
    with count_queries() as n:
        response = client.open(url, method=method, **kw)
    assert response.status_code in (200, 302, 303), (url, response.status_code)
    return n[0]


def test_lesson_page_with_its_check(client, login, member, make_course, count_queries):
    small = make_course(check=2, final=10, draw=3)
    large = make_course(check=15, final=10, draw=3)
    history(member, large.check, past=6)
    login(member)
    counts = []
    for course in (small, large):
        url = f"/courses/{course.course.slug}/lessons/l1"
        services.start_attempt(member, course.check.id)
        counts.append(measure(client, count_queries, "GET", url))
    assert counts[0] == counts[1]
    # and the result after submitting
    after = []
    for course in (small, large):
        attempt = services.start_attempt(member, course.check.id).attempt
        services.submit_attempt(member, attempt.id, answers_for(attempt, right=0))
        after.append(measure(client, count_queries, "GET",
                             f"/courses/{course.course.slug}/lessons/l1"))
    assert after[0] == after[1]


def test_quiz_take_and_review_pages(client, login, member, make_course, count_queries):
    small = make_course(check=3, mastery=2, final=3, draw=2).final
    large = make_course(check=3, mastery=2, final=60, draw=30).final
    history(member, large, past=7)
    history(member, small, past=1)
    login(member)
    pages = {}
    for quiz in (small, large):
        current = services.start_attempt(member, quiz.id).attempt
        other = make_course(check=3, mastery=2, final=3 if quiz is small else 60,
                            draw=2 if quiz is small else 30)
        done = services.start_attempt(member, other.final.id).attempt
        services.submit_attempt(member, done.id)
        pages.setdefault("quiz", []).append(
            measure(client, count_queries, "GET", f"/quizzes/{quiz.id}"))
        pages.setdefault("take", []).append(
            measure(client, count_queries, "GET", f"/quizzes/attempts/{current.id}"))
        pages.setdefault("review", []).append(
            measure(client, count_queries, "GET", f"/quizzes/attempts/{done.id}/review"))
        pages.setdefault("book", []).append(
            measure(client, count_queries, "GET", "/wrong-answers/"))
    for name, (a, b) in pages.items():
        assert a == b, name


def test_submit_and_save(client, login, member, make_course, count_queries):
    small = make_course(final=3).final
    large = make_course(final=40).final
    history(member, small, past=1)
    history(member, large, past=5)
    login(member)
    saves, submits = [], []
    for quiz in (small, large):
        attempt = services.start_attempt(member, quiz.id).attempt
        answers = answers_for(attempt, right=0)
        key = attempt.snapshot[0]["key"]
        saves.append(measure(client, count_queries, "POST",
                             f"/quizzes/attempts/{attempt.id}/answer",
                             data=form_of({key: answers[key]}), headers=JSON))
        submits.append(measure(client, count_queries, "POST",
                               f"/quizzes/attempts/{attempt.id}/submit",
                               data=form_of(answers), headers=JSON))
    assert saves[0] == saves[1]
    assert submits[0] == submits[1]


def test_first_submit_of_a_lesson_check(client, login, member, make_course, count_queries):
    small = make_course(check=2, mastery=1)
    large = make_course(check=20, mastery=1)
    login(member)
    counts = []
    for course in (small, large):
        attempt = services.start_attempt(member, course.check.id).attempt
        counts.append(measure(client, count_queries, "POST",
                              f"/quizzes/attempts/{attempt.id}/submit",
                              data=form_of(answers_for(attempt, right=1))))
    assert counts[0] == counts[1]


def test_statistics_page(client, login, trainer, member, member_b, make_course, count_queries):
    small = make_course(check=3, mastery=2, final=2, draw=2, owner=trainer)
    large = make_course(check=3, mastery=2, final=30, draw=10, owner=trainer)
    for user in (member, member_b):
        history(user, large.final, past=3, right=4)
    login(trainer)
    counts = [measure(client, count_queries, "GET", f"/quizzes/stats/{c.course.id}")
              for c in (small, large)]
    assert counts[0] == counts[1]
