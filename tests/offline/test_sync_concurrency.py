"""Two tabs (or a resend racing the first try) sending the same queue at the same moment, against
a running server: every item is done once and every copy gets the same result. SQLite and
PostgreSQL (TEST_DATABASE_URL)."""
from __future__ import annotations

import json
import threading
import uuid

from sqlalchemy import func, select

from lms.core.receipts import SyncReceipt
from lms.extensions import db
from lms.offline.services import prepare_course
from lms.progress.models import CourseCompletion, LessonProgress, StudyHours
from lms.quizzes.models import Attempt
from tests.helpers import Browser, queued_answers


def test_the_same_queue_sent_eight_times_at_once_is_done_once(app, live_server, member,
                                                              make_course):
    made = make_course(lessons=3, check=2, mastery=1, check_on=(0, 1), hours=2)
    with app.test_request_context():
        prepare_course(member, made.course)
    items = []
    for attempt in db.session.scalars(select(Attempt).where(Attempt.user_id == member.id)):
        items.append({"id": uuid.uuid4().hex, "member": member.id, "kind": "check_answers",
                      "attempt": attempt.id,
                      "answers": queued_answers(attempt, right=True)})
    items.append({"id": uuid.uuid4().hex, "member": member.id, "kind": "lesson_read",
                  "lesson": made.lessons[2].id})
    db.session.commit()
    browsers = [Browser(live_server) for _ in range(8)]
    for browser in browsers:
        browser.login(member.phone)
    answers, start = [], threading.Barrier(len(browsers))

    def send(browser):
        start.wait()
        answers.append(browser.request("POST", "/offline/sync", json={"items": items},
                                       headers={"Accept": "application/json"}))

    threads = [threading.Thread(target=send, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [status for status, _ in answers] == [200] * len(browsers)
    results = [json.loads(body)["results"] for _, body in answers]
    fresh = [r for batch in results for r in batch if not r["replayed"]]
    assert len(fresh) == len(items)  # each item done by exactly one of the requests
    strip = [[{k: v for k, v in r.items() if k != "replayed"} for r in batch] for batch in results]
    assert all(batch == strip[0] for batch in strip) and all(r["ok"] for r in strip[0])
    db.session.rollback()
    assert db.session.scalar(select(func.count(SyncReceipt.id))) == len(items)
    assert db.session.scalar(select(func.count(Attempt.id)).where(
        Attempt.state == "submitted")) == 2
    assert db.session.scalar(select(func.count(LessonProgress.id)).where(
        LessonProgress.completed_at.isnot(None))) == 3
    assert db.session.scalar(select(func.count(CourseCompletion.id))) == 1
    assert db.session.scalar(select(func.count(StudyHours.id))) == 1

