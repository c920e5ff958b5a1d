"""Concurrency against a running server (threads and http.client): 50 submits of one attempt
grade it once; 200 members submitting at the same moment are each graded once; concurrent starts
leave one attempt in progress. Runs on SQLite and on PostgreSQL (TEST_DATABASE_URL)."""
from __future__ import annotations

import json
import threading
from collections import Counter
from fractions import Fraction

from sqlalchemy import func, select

from lms.extensions import db
from lms.quizzes import services, signals
from lms.quizzes.grading import grade, normalize_response
from lms.quizzes.models import Attempt, Response, WrongAnswer
from lms.quizzes.snapshot import as_question, form_value
from tests.helpers import Browser, answers_for, form_of, run_all


class Gradings:
    """Counts grading transactions through the signals (the server runs in this process)."""

    def __init__(self):
        self.calls = Counter()
        self.lock = threading.Lock()

    def __call__(self, quiz, **kwargs):
        with self.lock:
            self.calls[kwargs["attempt"].id] += 1

    def __enter__(self):
        signals.final_quiz_passed.connect(self)
        signals.lesson_check_graded.connect(self)
        return self

    def __exit__(self, *exc):
        signals.final_quiz_passed.disconnect(self)
        signals.lesson_check_graded.disconnect(self)


def offline_score(attempt) -> Fraction:
    """The score recomputed here from the snapshot and the answers the test sent."""
    total = Fraction(0)
    sent = SENT[attempt.id]
    for entry in attempt.snapshot:
        raw = sent.get(entry["key"])
        values = raw if isinstance(raw, list) else [raw]
        response = normalize_response(as_question(entry), form_value(entry["kind"], values))
        total += Fraction(repr(grade(as_question(entry), response).points))
    return total


SENT: dict[int, dict] = {}


def test_fifty_concurrent_submits_grade_one_attempt_once(app, live_server, member, make_course):
    quiz = make_course(final=6, draw=6, pass_percent=50).final
    attempt = services.start_attempt(member, quiz.id).attempt
    answers = answers_for(attempt, right=4)
    attempt_id, phone = attempt.id, member.phone
    db.session.commit()
    browser = Browser(live_server)
    browser.login(phone)
    path = f"/quizzes/attempts/{attempt_id}/submit"
    with Gradings() as gradings:
        results = run_all([lambda: browser.request("POST", path, form_of(answers),
                                                   {"Accept": "application/json"})
                           for _ in range(50)])
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: 49}
    bodies = [json.loads(payload) for _, payload in results]
    assert {(b["state"], b["score"], b["max_score"], b["passed"]) for b in bodies} == \
        {("submitted", 4.0, 6.0, True)}
    assert sum(not b["already_submitted"] for b in bodies) == 1
    assert gradings.calls == {attempt_id: 1}
    stored = db.session.get(Attempt, attempt_id)
    assert (stored.state, stored.score) == ("submitted", 4.0)
    assert db.session.scalar(select(func.count(Response.id)).where(
        Response.attempt_id == attempt_id)) == 6
    # a second grading would have counted each wrong answer twice
    assert set(db.session.scalars(select(WrongAnswer.wrong_count))) == {1}
    assert db.session.scalar(select(func.count(WrongAnswer.id))) == 2


def test_two_hundred_members_submitting_at_once_are_each_graded_once(app, live_server,
                                                                     make_user, tree,
                                                                     make_course):
    quiz = make_course(final=5, draw=4, pass_percent=50).final
    members, jobs = [], []
    for i in range(200):
        user = make_user(f"党员{i}", org=tree["a1"])
        attempt = services.start_attempt(user, quiz.id).attempt
        answers = answers_for(attempt, right=i % 5)
        SENT[attempt.id] = answers
        members.append((user.phone, attempt.id))
    db.session.commit()
    for phone, attempt_id in members:
        browser = Browser(live_server)
        browser.login(phone)
        path = f"/quizzes/attempts/{attempt_id}/submit"
        jobs.append(lambda b=browser, p=path, a=SENT[attempt_id]: b.request(
            "POST", p, form_of(a), {"Accept": "application/json"}))
    with Gradings() as gradings:
        results = run_all(jobs)
    assert not [r for r in results if isinstance(r, Exception)], results[:3]
    assert Counter(status for status, _ in results) == {200: 200}
    attempts = {a.id: a for a in db.session.scalars(select(Attempt))}
    assert len(attempts) == 200
    assert all(a.state == "submitted" for a in attempts.values())
    # none lost, none counted twice: each passed attempt signalled once, scores recomputed
    passed = {a.id for a in attempts.values() if a.passed}
    assert dict(gradings.calls) == dict.fromkeys(passed, 1)
    for (_, attempt_id), (_, payload) in zip(members, results, strict=True):
        expected = offline_score(attempts[attempt_id])
        assert Fraction(repr(attempts[attempt_id].score)) == expected
        assert json.loads(payload)["score"] == float(expected)
    assert sum(Fraction(repr(a.score)) for a in attempts.values()) == \
        sum(offline_score(a) for a in attempts.values())
    assert set(db.session.scalars(select(WrongAnswer.wrong_count))) <= {1}


def test_concurrent_starts_leave_one_attempt_in_progress(app, live_server, member,
                                                         make_course):
    quiz_id, phone = make_course(final=6, draw=3).final.id, member.phone
    db.session.commit()
    browser = Browser(live_server)
    browser.login(phone)
    results = run_all([lambda: browser.request("POST", f"/quizzes/{quiz_id}/start")
                       for _ in range(20)])
    assert all(status == 302 for status, _ in results), results
    rows = db.session.execute(select(Attempt.id, Attempt.state)).all()
    assert len(rows) == 1 and rows[0].state == "in_progress"
