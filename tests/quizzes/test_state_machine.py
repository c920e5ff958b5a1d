"""A Hypothesis state machine over start, answer, submit and timeout with an injected clock.

Invariants: at most one attempt in progress per member and quiz; 0 ≤ score ≤ max; a submitted
attempt (its state, score, result, snapshot and responses) never changes afterwards.
"""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from lms.core.errors import Conflict, ValidationFailed
from lms.extensions import db
from lms.quizzes import services
from lms.quizzes.models import Attempt, Response
from tests.helpers import right_value, wrong_value

LIMIT = 5  #: minutes


def test_attempt_lifecycle_state_machine(make_course, make_user, tree):
    quiz = make_course(final=6, draw=3, max_attempts=4, time_limit_minutes=LIMIT, pass_percent=60, multiple_scoring="partial").final
    quiz_id = quiz.id
    people = itertools.count(1)

    class Lifecycle(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.user = make_user(f"学员{next(people)}", org=tree["a1"])
            self.now = datetime(2026, 5, 4, 8, 0, 0)
            self.frozen: dict[int, tuple] = {}

        def _current(self):
            return db.session.scalar(select(Attempt).where(
                Attempt.user_id == self.user.id, Attempt.quiz_id == quiz_id,
                Attempt.state == "in_progress"))

        def _any(self, pick):
            ids = db.session.scalars(select(Attempt.id).where(
                Attempt.user_id == self.user.id).order_by(Attempt.id)).all()
            return ids[pick % len(ids)] if ids else None

        @rule()
        def start(self):
            try:
                started = services.start_attempt(self.user, quiz_id, now=self.now)
            except Conflict:
                used = db.session.scalar(select(db.func.count(Attempt.id)).where(
                    Attempt.user_id == self.user.id))
                assert used >= 4  # the only reason a start is refused here
                return
            assert started.status in ("created", "resumed", "finalised")

        @rule(pick=st.integers(0, 10), how=st.sampled_from(["right", "wrong", "garbage",
                                                            "foreign"]))
        def answer(self, pick, how):
            attempt = self._current()
            if attempt is None:
                return
            entry = attempt.snapshot[pick % len(attempt.snapshot)]
            values = {"right": {entry["key"]: right_value(entry)},
                      "wrong": {entry["key"]: wrong_value(entry)},
                      "garbage": {entry["key"]: ["x", "y"]},
                      "foreign": {"not-a-question": "1"}}[how]
            try:
                services.save_answers(self.user, attempt.id, values, now=self.now)
            except Conflict:
                assert self.now > attempt.deadline
            except ValidationFailed:
                assert how in ("garbage", "foreign")
            else:
                assert how in ("right", "wrong") and self.now <= attempt.deadline

        @rule(pick=st.integers(0, 10), with_answers=st.booleans())
        def submit(self, pick, with_answers):
            attempt_id = self._any(pick)
            if attempt_id is None:
                return
            attempt = db.session.get(Attempt, attempt_id)
            answers = {e["key"]: right_value(e) for e in attempt.snapshot} \
                if with_answers else None
            was = attempt.state
            outcome = services.submit_attempt(self.user, attempt_id, answers, now=self.now)
            assert outcome.already == (was == "submitted")
            assert outcome.attempt.state == "submitted"

        @rule()
        def timeout(self):
            self.now += timedelta(minutes=LIMIT, seconds=31)

        @rule(seconds=st.integers(1, 120))
        def tick(self, seconds):
            self.now += timedelta(seconds=seconds)

        @invariant()
        def at_most_one_in_progress(self):
            count = db.session.scalar(select(db.func.count(Attempt.id)).where(
                Attempt.user_id == self.user.id, Attempt.quiz_id == quiz_id,
                Attempt.state == "in_progress"))
            assert count <= 1

        @invariant()
        def scores_in_range_and_submitted_attempts_frozen(self):
            db.session.expire_all()
            for attempt in db.session.scalars(select(Attempt).where(
                    Attempt.user_id == self.user.id, Attempt.state == "submitted")):
                assert 0 <= attempt.score <= attempt.max_score
                responses = sorted(
                    (r.question_key, repr(r.answer), r.correct, r.points)
                    for r in db.session.scalars(select(Response).where(
                        Response.attempt_id == attempt.id)))
                seen = (attempt.score, attempt.max_score, attempt.passed,
                        attempt.submitted_at, repr(attempt.snapshot), tuple(responses))
                assert self.frozen.setdefault(attempt.id, seen) == seen

    run_state_machine_as_test(Lifecycle, settings=settings(
        max_examples=30, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow]))
