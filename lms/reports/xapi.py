"""Learning records out as xAPI 1.0.3 statements, through an outbox.

Every learning event becomes a statement with verbs from the ADL vocabulary: a lesson
*experienced* (first opened, online or in an offline sync) and *completed*, a lesson check or
final quiz *passed* or *failed*, a course *completed*, a meeting *attended* (at closing, guests
too, or later by a QR check-in or a correction; a correction away from present *voids* what was
said). The receivers below run inside the transaction that records the event and add the
statement to ``xapi_statements`` with its id fixed there, so it is queued together with the
event or not at all. ``flask xapi send`` (:mod:`lms.reports.xapi_send`)
delivers the queue.

The actor is an account on this platform's home page whose name is an opaque HMAC of the
member's id (never a phone number or a name). Nothing is queued, and nothing leaves the server,
unless ``XAPI_ENDPOINT`` is set.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import insert, select

from lms.core.clock import utcnow
from lms.extensions import db
from lms.reports.models import XapiStatement

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {name: ADL + name for name in ("experienced", "completed", "passed", "failed",
                                       "attended", "voided")}
ACTIVITY_TYPES = {
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "course": "http://adlnet.gov/expapi/activities/course",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "meeting": "http://adlnet.gov/expapi/activities/meeting",
}


def enabled() -> bool:
    return bool(current_app.config.get("XAPI_ENDPOINT"))


def home_page() -> str:
    return (current_app.config.get("XAPI_HOMEPAGE") or "https://fieldside.invalid").rstrip("/")


def account_name(user_id: int) -> str:
    """Stable and opaque: the same member is always the same account, and nobody can go back
    from it to the member without the key."""
    key = (current_app.config.get("XAPI_ACCOUNT_KEY") or current_app.config["SECRET_KEY"])
    return hmac.new(str(key).encode(), f"user:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]


def _timestamp(moment: datetime | None) -> str:
    moment = moment or utcnow()
    return moment.replace(tzinfo=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def activity(kind: str, path: str, name: str) -> dict:
    return {"objectType": "Activity", "id": f"{home_page()}/{path}",
            "definition": {"type": ACTIVITY_TYPES[kind], "name": {"zh-CN": name[:200]}}}


def statement(user_id: int, verb: str, obj: dict, *, at: datetime | None = None,
              result: dict | None = None) -> dict:
    """A complete statement with a new id (xAPI 1.0.3)."""
    out = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent",
                  "account": {"homePage": home_page(), "name": account_name(user_id)}},
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": obj,
        "timestamp": _timestamp(at),
        # xAPI allows context.platform only when the object is an Activity (not a voiding)
        "context": ({"platform": "Fieldside", "language": "zh-CN"}
                    if obj.get("objectType") == "Activity" else {"language": "zh-CN"}),
    }
    if result is not None:
        out["result"] = result
    return out


def queue(items: list[tuple[int, str, dict]]) -> None:
    """Add (user id, verb, statement) to the outbox in the current transaction."""
    if not items:
        return
    now = utcnow()
    db.session.execute(insert(XapiStatement), [
        {"statement_id": body["id"], "user_id": user_id, "verb": verb,
         "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
         "created_at": now, "attempts": 0, "last_error": ""}
        for user_id, verb, body in items])


# ---- what each event says ---------------------------------------------------------------------
#
# A single event (a lesson read online, a quiz graded, a meeting) looks up what its object needs
# by itself; a batch (the offline sync) looks it up for all of its lessons or checks in one
# query and queues all of its statements in one INSERT, so its cost does not grow with its size.

def _lesson_objects(lessons) -> dict[int, dict]:
    """``{lesson id: activity}`` for ``lessons``, their courses' slugs read in one query."""
    from lms.courses.models import Course

    lessons = list(lessons)
    if not lessons:
        return {}
    slugs = dict(db.session.execute(select(Course.id, Course.slug).where(
        Course.id.in_({lesson.course_id for lesson in lessons}))).all())
    return {lesson.id: activity("lesson", f"courses/{slugs[lesson.course_id]}/lessons/"
                                f"{lesson.key}", lesson.title) for lesson in lessons}


def _lesson_object(lesson) -> dict:
    return _lesson_objects([lesson])[lesson.id]


def _course_object(course) -> dict:
    return activity("course", f"courses/{course.slug}", course.title)


def _score(attempt) -> dict:
    top = float(attempt.max_score or 0)
    raw = float(attempt.score or 0)
    score = {"raw": raw, "min": 0, "max": top}
    if top > 0:
        score["scaled"] = round(min(1.0, max(0.0, raw / top)), 4)
    return {"score": score, "success": bool(attempt.passed), "completion": True}


def _assessment(slug: str, course_title: str, lesson_key: str | None,
                lesson_title: str | None) -> dict:
    """A final quiz (no lesson) or a lesson's check."""
    if lesson_key is None:
        return activity("assessment", f"courses/{slug}/final", f"{course_title} · 结业测验")
    return activity("assessment", f"courses/{slug}/lessons/{lesson_key}/check",
                    f"{lesson_title} · 随堂测验")


def _quiz_object(quiz) -> dict:
    from lms.courses.models import Course, Lesson

    course = db.session.get(Course, quiz.course_id)
    lesson = db.session.get(Lesson, quiz.lesson_id) if quiz.lesson_id is not None else None
    return _assessment(course.slug, course.title, lesson and lesson.key, lesson and lesson.title)


def on_lesson_started(row, *, user_id, lesson, **_):
    on_lessons_started(None, user_id=user_id, started=[(row, lesson)])


def on_lessons_started(_sender, *, user_id, started, **_):
    if enabled() and started:
        objects = _lesson_objects(lesson for _, lesson in started)
        queue([(user_id, "experienced", statement(user_id, "experienced", objects[lesson.id],
                                                  at=row.first_seen_at))
               for row, lesson in started])


def on_lesson_completed(row, *, user, lesson, **_):
    on_lessons_completed(None, user=user, completed=[(row, lesson)])


def on_lessons_completed(_sender, *, user, completed, **_):
    if enabled() and completed:
        objects = _lesson_objects(lesson for _, lesson in completed)
        queue([(user.id, "completed", statement(user.id, "completed", objects[lesson.id],
                                                at=row.completed_at,
                                                result={"completion": True}))
               for row, lesson in completed])


def on_course_completed(completion, *, user, course, **_):
    on_courses_completed(None, user=user, completed=[(completion, course)])


def on_courses_completed(_sender, *, user, completed, **_):
    if enabled() and completed:
        queue([(user.id, "completed", statement(user.id, "completed", _course_object(course),
                                                at=completion.completed_at,
                                                result={"completion": True}))
               for completion, course in completed])


def _graded(user_id: int, obj: dict, attempt) -> tuple[int, str, dict]:
    verb = "passed" if attempt.passed else "failed"
    return (user_id, verb, statement(user_id, verb, obj, at=attempt.submitted_at,
                                     result=_score(attempt)))


def on_quiz_graded(quiz, *, user, attempt, **_):
    """A lesson check or a final quiz graded online: passed or failed."""
    if enabled():
        queue([_graded(user.id, _quiz_object(quiz), attempt)])


def on_lesson_checks_graded(_sender, *, user, checks, **_):
    """The batch form: the attempts with their checks' lessons and courses in one query."""
    if not enabled():
        return
    from lms.courses.models import Course, Lesson
    from lms.quizzes.models import Attempt, Quiz

    fresh = [c.attempt_id for c in checks if not c.already]
    if not fresh:
        return
    rows = db.session.execute(
        select(Attempt, Course.slug, Course.title, Lesson.key, Lesson.title)
        .join(Quiz, Quiz.id == Attempt.quiz_id).join(Course, Course.id == Quiz.course_id)
        .outerjoin(Lesson, Lesson.id == Quiz.lesson_id)
        .where(Attempt.id.in_(fresh))).all()
    found = {row[0].id: row for row in rows}
    queue([_graded(user.id, _assessment(*found[a][1:]), found[a][0]) for a in fresh])


def _meeting_object(meeting) -> dict:
    return activity("meeting", f"meetings/{meeting.id}", meeting.title)


def on_meeting_closed(meeting, *, attended, **_):
    if not enabled() or not attended:
        return
    obj = _meeting_object(meeting)
    queue([(user_id, "attended", statement(user_id, "attended", obj, at=meeting.starts_at))
           for user_id in attended])


def on_attendance_changed(meeting, *, user_id, present, **_):
    """After closing: a member checked in or was corrected to present (attended), or was
    corrected away from present (the attended statements said of them are voided)."""
    if not enabled():
        return
    obj = _meeting_object(meeting)
    if present:
        queue([(user_id, "attended", statement(user_id, "attended", obj, at=meeting.starts_at))])
        return

    def said(verb: str, *where) -> list[dict]:
        return [json.loads(body) for body in db.session.scalars(select(XapiStatement.body).where(
            XapiStatement.user_id == user_id, XapiStatement.verb == verb, *where))]

    attended = said("attended", XapiStatement.body.contains(f'/meetings/{meeting.id}"'))
    voided = {body["object"]["id"] for body in said("voided")}
    queue([(user_id, "voided", statement(user_id, "voided",
                                         {"objectType": "StatementRef", "id": body["id"]}))
           for body in attended if body["object"]["id"] == obj["id"]
           and body["id"] not in voided])


def connect_signals() -> None:
    """Called by ``create_app``."""
    from lms.meetings import signals as meeting_signals
    from lms.progress import signals as progress_signals
    from lms.quizzes import signals as quiz_signals

    progress_signals.lesson_started.connect(on_lesson_started)
    progress_signals.lesson_completed.connect(on_lesson_completed)
    progress_signals.lessons_started.connect(on_lessons_started)
    progress_signals.lessons_completed.connect(on_lessons_completed)
    progress_signals.course_completed.connect(on_course_completed)
    progress_signals.courses_completed.connect(on_courses_completed)
    quiz_signals.lesson_check_graded.connect(on_quiz_graded)
    quiz_signals.final_quiz_graded.connect(on_quiz_graded)
    quiz_signals.lesson_checks_graded.connect(on_lesson_checks_graded)
    meeting_signals.meeting_closed.connect(on_meeting_closed)
    meeting_signals.attendance_changed.connect(on_attendance_changed)
