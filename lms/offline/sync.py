"""The sync endpoint's work: what a member did without signal, sent in batches, done once.

A batch (``{"items": [...]}``, at most :data:`lms.core.receipts.MAX_BATCH`) holds items made on
the phone by ``static/js/offline.js`` through the outbox, each with a client-generated ``id``,
the ``member`` it was made for, and one of:

* ``{"kind": "lesson_read", "lesson": <id>}`` — 我读完了 on a lesson without a check;
* ``{"kind": "check_answers", "attempt": <id>, "answers": {key: [values]}}`` — a lesson check
  answered on a saved page: the attempt was started on the server when the course was saved, so
  it is graded against the snapshot the member saw, whatever the trainer changed since.

Every item gets a result: ``ok`` with what happened, or ``ok: false`` with an ``error`` the page
can show; ``retry: true`` asks the phone to keep it (another member's item on a shared phone).
Set-based, so a full batch costs a fixed number of statements: the receipts of every id in one
query, the lessons in one, the attempts graded together (:mod:`lms.quizzes.batch`), the progress
written together (:mod:`lms.progress.batch`), the new receipts in one INSERT, one commit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from lms.core.clock import utcnow
from lms.core.errors import Conflict, DomainError
from lms.core.i18n import N_
from lms.core.receipts import keep_results, kept_results, read_batch, valid_client_id
from lms.courses.models import Course, Lesson
from lms.courses.queries import visible_to
from lms.database import begin_write
from lms.extensions import db
from lms.progress.batch import collected
from lms.quizzes.batch import submit_checks
from lms.quizzes.models import Quiz

KINDS = ("lesson_read", "check_answers")
#: an answer is a few choices or a short text; anything bigger is no answer
MAX_VALUES, MAX_TEXT, MAX_KEYS = 20, 500, 100

BAD_ID = N_("这条记录的编号不对，无法上传。")
OTHERS = N_("这条记录属于另一个账户，不能用当前账户上传。")
MALFORMED = N_("这条记录的内容不对，无法上传。")


def _fail(client_id, message: str, *, retry: bool = False) -> dict[str, Any]:
    result = {"id": client_id if isinstance(client_id, str) else None, "ok": False,
              "error": message}
    if retry:
        result["retry"] = True
    return result


def _as_id(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 \
        else None


def _answers(value) -> dict[str, list[str]] | None:
    """The posted answers as the lesson-check form would post them, or None when malformed."""
    if not isinstance(value, dict) or len(value) > MAX_KEYS:
        return None
    out = {}
    for key, raw in value.items():
        if not isinstance(key, str) or not 0 < len(key) <= 64:
            return None
        raw = [raw] if isinstance(raw, str) else raw
        if not isinstance(raw, list) or len(raw) > MAX_VALUES or not all(
                isinstance(v, str) and len(v) <= MAX_TEXT for v in raw):
            return None
        out[key] = raw
    return out


@dataclass(frozen=True)
class Actor:
    """What the batch needs of the member, read once: on SQLite ``begin_write`` ends the read
    transaction, which would expire the User and load it again."""

    id: int
    org_id: int | None
    is_admin: bool


def sync(user, payload, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Do each new item of ``payload`` once for ``user``; return a result per item, in order.

    Raises ValidationFailed for a batch that is not one (not a list of objects, or too many):
    the phone keeps it. Two requests racing with the same ids meet on the receipts' unique
    index; the loser rolls back and goes round again, and then replays the winner's results.
    """
    items = read_batch(payload)
    now = now or utcnow()
    user = Actor(user.id, user.org_id, bool(user.is_admin))
    for _ in range(3):
        begin_write()
        try:
            results, done = _run(user, items, now)
            keep_results(user.id, done)
            db.session.commit()
            return results
        except IntegrityError:
            db.session.rollback()
        except Exception:
            db.session.rollback()
            raise
    raise Conflict(N_("上传正忙，请稍后再试。"))


def _run(user, items: list[dict], now: datetime) -> tuple[list, list]:
    kept = kept_results([item.get("id") for item in items])
    results: list[dict | None] = [None] * len(items)
    first: dict[str, int] = {}
    reads: dict[int, int] = {}  # item index → lesson id
    checks: dict[int, tuple[int, dict]] = {}  # item index → (attempt id, answers)
    for i, item in enumerate(items):
        client_id = item.get("id")
        if not valid_client_id(client_id):
            results[i] = _fail(client_id, BAD_ID)
            continue
        if client_id in kept:
            found = kept[client_id]
            results[i] = (_fail(client_id, OTHERS) if found.user_id != user.id
                          else {**found.result, "id": client_id, "replayed": True})
            continue
        if client_id in first:
            continue  # a copy in the same batch: answered with the first one's result below
        first[client_id] = i
        member = item.get("member")
        if member is not None and str(member) != str(user.id):
            # a shared phone: kept for its own member, who sends it after signing in
            results[i] = _fail(client_id, OTHERS, retry=True)
            continue
        kind = item.get("kind")
        if kind == "lesson_read" and _as_id(item.get("lesson")):
            reads[i] = item["lesson"]
        elif kind == "check_answers" and _as_id(item.get("attempt")) \
                and _answers(item.get("answers", {})) is not None:
            checks[i] = (item["attempt"], _answers(item.get("answers", {})))
        else:
            results[i] = _fail(client_id, MALFORMED)
    with collected(user, now) as ends:  # the progress of reads and checks written at once
        answered = {**_read_lessons(user, reads, ends), **_grade_checks(user, checks, now)}
    done = []
    for i, result in answered.items():
        results[i] = {"id": items[i]["id"], **result}
        if result["ok"]:
            done.append((items[i]["id"], items[i]["kind"], result))
    for i, item in enumerate(items):
        if results[i] is None:  # a copy of an id seen earlier in this batch
            original = results[first[item["id"]]]
            results[i] = {**original, "replayed": original.get("ok", False)}
    for result in results:
        result.setdefault("replayed", False)
    return results, done


def _read_lessons(user, reads: dict[int, int], ends: list) -> dict[int, dict]:
    if not reads:
        return {}
    has_check = exists().where(Quiz.lesson_id == Lesson.id, Quiz.archived.is_(False))
    lessons = {row.id: row for row in db.session.execute(
        select(Lesson.id, Lesson.course_id, Lesson.archived, has_check.label("has_check"))
        .join(Course, Course.id == Lesson.course_id)
        .where(Lesson.id.in_(set(reads.values())), visible_to(user)))}
    out = {}
    for i, lesson_id in reads.items():
        row = lessons.get(lesson_id)
        if row is None:
            out[i] = {"ok": False, "error": N_("没有这一课。")}
        elif row.archived:
            out[i] = {"ok": False, "error": N_("这一课已下线，这条记录不再计入。")}
        elif row.has_check:
            out[i] = {"ok": False, "error": N_("这一课有随堂测验，答完并通过测验才算完成。")}
        else:
            out[i] = {"ok": True, "kind": "lesson_read", "lesson": lesson_id}
            ends.append((lesson_id, row.course_id, True))
    return out


def _grade_checks(user, checks: dict[int, tuple[int, dict]], now: datetime) -> dict[int, dict]:
    if not checks:
        return {}
    submissions: dict[int, dict] = {}
    for attempt_id, answers in checks.values():
        submissions.setdefault(attempt_id, answers)
    graded = submit_checks(user, submissions, now)
    out, seen = {}, set()
    for i, (attempt_id, _answers) in checks.items():
        result = graded[attempt_id]
        if isinstance(result, DomainError):
            out[i] = {"ok": False, "error": str(result)}
            continue
        out[i] = {"ok": True, "kind": "check_answers", "attempt": attempt_id,
                  "lesson": result.lesson_id, "passed": result.passed, "right": result.right,
                  "questions": result.questions, "needed": result.needed,
                  "already": result.already or attempt_id in seen}
        seen.add(attempt_id)
    return out
