"""The sync endpoint: each queued item done once, a result for every item, and the same cost for
a batch of 10 or 100."""
from __future__ import annotations

import itertools
import uuid

import pytest
from sqlalchemy import func, select

from lms.core.receipts import MAX_BATCH, SyncReceipt
from lms.extensions import db
from lms.offline import sync
from lms.offline.services import prepare_course
from lms.progress.models import CourseCompletion, LessonProgress, StudyHours
from lms.quizzes.models import Attempt, Question, Response
from tests.helpers import queued_answers

_ids = itertools.count(1)


def cid() -> str:
    return f"t{next(_ids):04d}-{uuid.uuid4().hex[:12]}"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def saved(app, user, made):
    """Save the course as the phone would (the checks' attempts started on the server)."""
    with app.test_request_context():
        prepare_course(user, made.course)
    return {a.quiz_id: a for a in db.session.scalars(select(Attempt).where(
        Attempt.user_id == user.id, Attempt.state == "in_progress",
        Attempt.quiz_id.in_([q.id for q in made.checks.values()])))}


def answer_items(user, attempts, right=True):
    """A check_answers item per attempt, answering every question right (or wrong)."""
    items = []
    for attempt in attempts:
        items.append({"id": cid(), "member": user.id, "kind": "check_answers",
                      "attempt": attempt.id, "answers": queued_answers(attempt, right)})
    return items


def read_item(user, lesson):
    return {"id": cid(), "member": user.id, "kind": "lesson_read", "lesson": lesson.id}


def test_a_course_studied_offline_is_credited_once_and_a_resent_queue_changes_nothing(
        app, member, make_course):
    made = make_course(lessons=3, check=2, mastery=1, check_on=(0, 1), media=True, hours=2)
    attempts = saved(app, member, made)
    items = answer_items(member, attempts.values()) + [read_item(member, made.lessons[2])]
    results = sync.sync(member, {"items": items})
    assert [r["ok"] for r in results] == [True, True, True]
    assert all(r["passed"] for r in results[:2]) and not any(r["replayed"] for r in results)
    assert count(LessonProgress, LessonProgress.completed_at.isnot(None)) == 3
    assert count(CourseCompletion) == 1
    assert db.session.scalar(select(func.sum(StudyHours.hours))) == 2
    assert count(Attempt, Attempt.state == "submitted", Attempt.passed.is_(True)) == 2

    again = sync.sync(member, {"items": items})
    assert [r["replayed"] for r in again] == [True, True, True]
    assert [{k: v for k, v in r.items() if k != "replayed"} for r in again] == \
        [{k: v for k, v in r.items() if k != "replayed"} for r in results]
    assert count(CourseCompletion) == 1 and count(StudyHours) == 1
    assert count(SyncReceipt) == 3


def test_offline_grading_credits_exactly_what_online_grading_does(
        app, member, member_b, make_course):
    """The same answers, online one by one and offline in a batch, leave the same records."""
    from lms.progress import services as progress
    from lms.quizzes import services as quizzes

    made = make_course(lessons=3, check=2, mastery=1, check_on=(0, 1), media=True, hours=1.5)
    online = saved(app, member, made)
    for item in answer_items(member, online.values()):
        quizzes.submit_attempt(member, item["attempt"], item["answers"])
    progress.mark_read(member, made.lessons[2])
    offline = saved(app, member_b, made)
    sync.sync(member_b, {"items": answer_items(member_b, offline.values())
                         + [read_item(member_b, made.lessons[2])]})

    def records(user):
        return (
            sorted((r.lesson_id, r.reached_end_at is not None, r.completed_at is not None)
                   for r in db.session.scalars(select(LessonProgress).where(
                       LessonProgress.user_id == user.id))),
            sorted((a.quiz_id, a.state, a.score, a.max_score, a.passed) for a in
                   db.session.scalars(select(Attempt).where(Attempt.user_id == user.id))),
            sorted((r.question_key, r.correct, r.points, r.answer_text) for r in
                   db.session.scalars(select(Response).join(Attempt).where(
                       Attempt.user_id == user.id))),
            [(h.hours, h.source, h.source_id, h.category) for h in db.session.scalars(
                select(StudyHours).where(StudyHours.user_id == user.id))])

    assert records(member) == records(member_b)
    assert records(member)[3] == [(1.5, "course", made.course.id, "online")]
    # the 结业证书 (reports) is issued from the completion either way
    from lms.reports.models import Certificate

    assert sorted(c.user_id for c in db.session.scalars(select(Certificate))) == \
        sorted([member.id, member_b.id])


def test_a_check_is_graded_against_the_questions_the_member_saw(app, member, make_course):
    made = make_course(lessons=1, check=2, mastery=1, media=True, hours=1)
    attempt = saved(app, member, made)[made.checks[0].id]
    items = answer_items(member, [attempt])
    # the trainer changes the right answer after the member saved the course
    for question in db.session.scalars(select(Question)):
        question.options, question.answer = ["丙", "丁"], [0]
    db.session.commit()
    [result] = sync.sync(member, {"items": items})
    assert result["ok"] and result["passed"] and result["right"] == 2


def test_failed_check_shows_its_marks_and_a_retry_is_possible_online(app, member,
                                                                       make_course):
    made = make_course(lessons=1, check=2, mastery=1, media=True, hours=1)
    attempt = saved(app, member, made)[made.checks[0].id]
    [result] = sync.sync(member, {"items": answer_items(member, [attempt], right=False)})
    assert result["ok"] and not result["passed"] and result["right"] == 0
    assert result["needed"] == 1 and result["questions"] == 2
    progress = db.session.scalar(select(LessonProgress))
    assert progress.reached_end_at is not None and progress.completed_at is None


def test_bad_items_each_get_a_result_and_nothing_is_credited(app, member, member_b,
                                                               make_course):
    made = make_course(lessons=3, check=2, mastery=1, media=True, hours=1)
    attempt = saved(app, member, made)[made.checks[0].id]
    other = saved(app, member_b, made)[made.checks[0].id]
    made.lessons[1].archived = True
    db.session.commit()
    items = [
        read_item(member, made.lessons[1]),                       # archived since
        read_item(member, made.lessons[0]),                       # has a check
        {"id": "bad id!", "kind": "lesson_read", "lesson": made.lessons[2].id},
        {"id": cid(), "kind": "lesson_read", "lesson": "x"},
        {"id": cid(), "kind": "dance"},
        {"id": cid(), "kind": "check_answers", "attempt": other.id, "answers": {}},  # not hers
        {"id": cid(), "kind": "check_answers", "attempt": attempt.id,
         "answers": {"nope": ["1"]}},                             # not a question of it
        {"id": cid(), "kind": "check_answers", "attempt": attempt.id,
         "answers": {"k": [{"x": 1}]}},
        {**read_item(member, made.lessons[2]), "member": member_b.id},  # another member's
    ]
    results = sync.sync(member, {"items": items})
    assert len(results) == len(items) and not any(r["ok"] for r in results)
    assert all(r["error"] for r in results)
    assert [r.get("retry", False) for r in results] == [False] * 8 + [True]
    assert count(LessonProgress) == 0 and count(SyncReceipt) == 0
    assert count(Attempt, Attempt.state == "submitted") == 0


def test_an_id_already_used_by_another_member_is_refused(app, member, member_b,
                                                          make_course):
    made = make_course(lessons=1, media=True, hours=1)
    item = read_item(member, made.lessons[0])
    assert sync.sync(member, {"items": [item]})[0]["ok"]
    [result] = sync.sync(member_b, {"items": [{**item, "member": member_b.id}]})
    assert not result["ok"] and "另一个账户" in result["error"] and "retry" not in result
    assert count(LessonProgress) == 1


def test_copies_in_one_batch_and_two_ids_for_one_attempt_grade_once(app, member,
                                                                     make_course):
    made = make_course(lessons=2, check=2, mastery=1, media=True, hours=1)
    attempt = saved(app, member, made)[made.checks[0].id]
    [answered] = answer_items(member, [attempt])
    twice = {**answered, "id": cid()}
    read = read_item(member, made.lessons[1])
    results = sync.sync(member, {"items": [answered, read, answered, twice, read]})
    assert [r["ok"] for r in results] == [True] * 5
    assert [r["replayed"] for r in results] == [False, False, True, False, True]
    assert results[3]["already"] and results[3]["passed"]
    assert count(Attempt, Attempt.state == "submitted") == 1
    assert count(LessonProgress) == 2


def test_an_attempt_submitted_online_meanwhile_reports_its_result(app, member,
                                                                  make_course):
    from lms.quizzes import services as quizzes

    made = make_course(lessons=1, check=2, mastery=1, media=True, hours=1)
    attempt = saved(app, member, made)[made.checks[0].id]
    [item] = answer_items(member, [attempt], right=False)
    quizzes.submit_attempt(member, attempt.id, answer_items(member, [attempt])[0]["answers"])
    [result] = sync.sync(member, {"items": [item]})
    assert result["ok"] and result["already"] and result["passed"] and result["right"] == 2


@pytest.mark.parametrize("payload", [None, [], {"items": "x"}, {"items": [1]},
                                     {"items": [{}] * (MAX_BATCH + 1)}])
def test_a_malformed_or_oversized_batch_is_refused_whole(client_for, member, payload):
    response = client_for(member).post("/offline/sync", json=payload)
    assert response.status_code == 400 and response.get_json()["error"]


def test_a_huge_body_is_refused_unread(client_for, member):
    response = client_for(member).post("/offline/sync", data=b"{" + b" " * 600_000 + b"}",
                                       content_type="application/json")
    assert response.status_code == 413


def test_sync_over_http_translates_errors_and_needs_a_member(client_for, member,
                                                             make_course):
    made = make_course(lessons=1, check=2, mastery=1, media=True, hours=1)
    body = {"items": [read_item(member, made.lessons[0])]}
    response = client_for(member).post("/offline/sync", json=body)
    [result] = response.get_json()["results"]
    assert response.status_code == 200 and "随堂测验" in result["error"]
    assert response.headers["Cache-Control"] == "no-store"
    assert client_for(None).post("/offline/sync", json=body).status_code in (302, 401)


def _full_and_small_batch(app, make_user, tree, make_course, count_queries):
    """Sync a batch of one course (10 items) and one of ten (100 items), each course ten lessons
    with a two-question check passed on the first five and the other five read; returns
    ``((items, statements), (items, statements))`` of the small and the full batch."""
    def run(n_courses):
        user = make_user("渔民", org=tree["a1"])
        items = []
        for _ in range(n_courses):
            made = make_course(lessons=10, check=2, mastery=1, check_on=range(5), hours=1)
            items += answer_items(user, saved(app, user, made).values())
            items += [read_item(user, lesson) for lesson in made.lessons[5:]]
        db.session.commit()
        with count_queries() as n:
            results = sync.sync(user, {"items": items})
        assert all(r["ok"] for r in results)
        return len(items), n[0]

    return run(1), run(10)


def test_a_full_batch_costs_the_same_statements_as_a_small_one(app, make_user, tree,
                                                               make_course, count_queries):
    """Set-based: the statements a batch runs do not grow with its items."""
    small, big = _full_and_small_batch(app, make_user, tree, make_course, count_queries)
    assert (small[0], big[0]) == (10, 100)
    assert big[1] == small[1]
    assert count(StudyHours) == 11


def test_with_an_lrs_a_full_batch_still_costs_the_same_statements(app, make_user, tree,
                                                                  make_course, count_queries):
    """With ``XAPI_ENDPOINT`` set the batch also queues its xAPI statements — experienced and
    completed for every lesson, passed for every check, completed for every course — and still
    in statements that do not grow with its items."""
    from lms.reports.models import XapiStatement

    app.config.update(XAPI_ENDPOINT="http://127.0.0.1:9/xAPI")
    small, big = _full_and_small_batch(app, make_user, tree, make_course, count_queries)
    assert (small[0], big[0]) == (10, 100)
    assert big[1] == small[1]
    said = dict(db.session.execute(select(XapiStatement.verb, func.count())
                                   .group_by(XapiStatement.verb)).all())
    # 11 courses of 10 lessons (5 with a check): per course 10 + 10 + 1 completed, 5 passed
    assert said == {"experienced": 110, "completed": 110 + 11, "passed": 55}


def test_every_receiver_of_a_course_completion_also_takes_the_batch_form(app):
    """The sync completes lessons and courses set-based and sends ``lessons_started``,
    ``lessons_completed`` and ``courses_completed`` once instead of the signal per lesson or
    course: a receiver of the one must take the other too."""
    from lms.progress import signals

    def modules(signal):
        return {getattr(fn, "__module__", None) for fn in signal.receivers_for(None)}

    assert modules(signals.course_completed) <= modules(signals.courses_completed)
    assert modules(signals.lesson_started) <= modules(signals.lessons_started)
    assert modules(signals.lesson_completed) <= modules(signals.lessons_completed)
    assert modules(signals.course_completed)  # the 结业证书 at least
