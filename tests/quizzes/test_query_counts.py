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


def statements_of(count_queries, client, method, url, **kw) -> list[str]:
    """The SQL a request ran, in order (tests/conftest.py's client runs it in an app context of
    its own, as in production, so nothing is cached from the test's session)."""
    with count_queries() as n:
        response = client.open(url, method=method, **kw)
    assert response.status_code in (200, 302, 303), (url, response.status_code)
    return n.statements


def test_the_quiz_days_writes_load_nothing_twice(client, login, member, make_course,
                                                  count_queries):
    """Start, each save and submit are what 20,000 members send in a county's 知识竞赛
    (bench/quiz_trip.py): the member is loaded once, a save is two statements besides, and
    neither start nor submit reads the attempt, the member or the lesson again after its commit
    to build the redirect (a final quiz's pages need no lookup).

    On SQLite a writer first ends the request's read snapshot (lms.database.begin_write), which
    loads the member once more; what follows is compared there."""
    quiz = make_course(final=5).final
    login(member)
    start = statements_of(count_queries, client, "POST", f"/quizzes/{quiz.id}/start")
    attempt = services.start_attempt(member, quiz.id).attempt
    answers = answers_for(attempt, right=3)
    key = attempt.snapshot[0]["key"]
    save = statements_of(count_queries, client, "POST", f"/quizzes/attempts/{attempt.id}/answer",
                         data=form_of({key: answers[key]}), headers=JSON)
    submit = statements_of(count_queries, client, "POST", f"/quizzes/attempts/{attempt.id}/submit",
                           data=form_of(answers))
    writing = {}
    for name, run in (("start", start), ("save", save), ("submit", submit)):
        if "BEGIN IMMEDIATE" in run:
            run = run[run.index("BEGIN IMMEDIATE") + 1:]
        assert sum(s.startswith("SELECT users.") for s in run) == 1, (name, run)
        assert not any("lessons.key" in s for s in run), (name, run)
        writing[name] = [s for s in run if not s.startswith(("SELECT users.", "BEGIN"))]
    assert len(writing["save"]) == 2, save
    assert writing["save"][0].startswith("SELECT attempts.state"), save
    assert writing["save"][1].startswith("UPDATE responses"), save
    assert writing["start"][-1].startswith("INSERT INTO responses"), start
    graded = next(i for i, s in enumerate(submit) if s.startswith("UPDATE responses"))
    assert not any(s.startswith("SELECT attempts.") for s in submit[graded:]), submit
