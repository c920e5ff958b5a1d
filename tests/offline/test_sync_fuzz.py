"""The sync endpoint fuzzed with Hypothesis over HTTP: queues sent in any order, in any split into
batches, with copies, junk and other members' items — never a 500, never a double credit, and
every item that was done once answers the same ever after."""
from __future__ import annotations

import itertools
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lms.core.receipts import SyncReceipt
from lms.extensions import db
from lms.offline.services import prepare_course
from lms.progress.models import CourseCompletion, LessonProgress, StudyHours
from lms.quizzes.models import Attempt, Response
from tests.helpers import queued_answers

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40),
                      st.floats(allow_nan=False), st.text(max_size=12))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8)

people = itertools.count(1)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_any_order_of_batches_credits_once_and_never_fails(app, client_for, make_user, tree,
                                                          make_course, data):
    user = make_user(f"渔民{next(people)}", org=tree["a1"])
    other = make_user(f"邻居{next(people)}", org=tree["b"])
    made = make_course(lessons=2, check=2, mastery=1, hours=1)
    with app.test_request_context():
        prepare_course(user, made.course)
    attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == user.id))
    right, wrong = queued_answers(attempt, right=True), queued_answers(attempt, right=False)

    def item(**body):
        return {"id": uuid.uuid4().hex, "member": user.id, **body}

    pool = [
        item(kind="check_answers", attempt=attempt.id, answers=right),
        item(kind="check_answers", attempt=attempt.id, answers=wrong),
        item(kind="lesson_read", lesson=made.lessons[1].id),
        item(kind="lesson_read", lesson=made.lessons[1].id),  # pressed twice offline
        item(kind="lesson_read", lesson=made.lessons[0].id),  # has a check: refused
        {**item(kind="lesson_read", lesson=made.lessons[1].id), "member": other.id},
        item(kind="check_answers", attempt=attempt.id, answers={"k": [1, 2]}),
        {"id": "短", "kind": "lesson_read", "lesson": made.lessons[1].id},
    ]
    junk = st.dictionaries(st.sampled_from(["id", "kind", "lesson", "attempt", "answers",
                                            "member"]), json_value, max_size=6)
    picks = st.one_of(st.sampled_from(pool), junk)
    batches = data.draw(st.lists(st.lists(picks, max_size=8), min_size=1, max_size=5))
    client = client_for(user)
    first_answer: dict[str, dict] = {}
    for batch in batches:
        payload = data.draw(st.sampled_from(["ok", "raw"])) == "raw" and data.draw(
            json_value) or {"items": batch}
        response = client.post("/offline/sync", json=payload)
        assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
        if response.status_code == 400:
            continue
        results = response.get_json()["results"]
        assert len(results) == len(payload["items"])
        for result in results:
            if result["ok"]:
                kept = first_answer.setdefault(result["id"], result)
                assert {k: v for k, v in result.items() if k != "replayed"} == \
                    {k: v for k, v in kept.items() if k != "replayed"}
        db.session.rollback()
        # never a double credit, whatever arrived
        assert db.session.scalar(select(func.count(StudyHours.id)).where(
            StudyHours.user_id == user.id)) <= 1
        assert db.session.scalar(select(func.count(CourseCompletion.id)).where(
            CourseCompletion.user_id == user.id)) <= 1
        assert db.session.scalar(select(func.count(Attempt.id)).where(
            Attempt.user_id == user.id)) == 1
        assert db.session.scalar(select(func.count(Response.id)).where(
            Response.attempt_id == attempt.id)) == len(attempt.snapshot)
        assert db.session.scalar(select(func.count(SyncReceipt.id)).where(
            SyncReceipt.user_id == user.id)) == len(first_answer)
        assert db.session.scalar(select(func.count(LessonProgress.id)).where(
            LessonProgress.user_id == other.id)) == 0
    # the check was graded by the first of its items to arrive, and only then
    graded = [r for r in first_answer.values() if r.get("kind") == "check_answers"
              and not r["already"]]
    assert len(graded) <= 1
