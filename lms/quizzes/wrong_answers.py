"""The 错题本 (wrong-answer book): questions a member got wrong, to practise until mastered.

A question enters the book when an attempt grades it wrong (unanswered counts as wrong), keyed by
(member, course, question key) and holding the latest presented version. A right answer — in
practice or in a later attempt — adds one to its streak; :data:`STREAK_TO_LEAVE` right in a row
and it leaves the book. A wrong answer puts it back with the streak at 0.

Practice is closed for a question while it sits in one of the member's attempts in progress, and
for questions of a lesson check the member has not passed yet: otherwise the book would hand out
the answers of the very check or quiz being taken.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from lms.core.clock import utcnow
from lms.core.errors import Conflict, NotFound, ValidationFailed
from lms.core.i18n import N_
from lms.courses.models import Course
from lms.database import begin_write
from lms.extensions import db
from lms.quizzes import snapshot
from lms.quizzes.grading import grade, normalize_response
from lms.quizzes.models import Attempt, Quiz, WrongAnswer

#: right answers in a row that take a question out of the book
STREAK_TO_LEAVE = 2


def record_results(user_id: int, quiz: Quiz, results: Iterable[tuple[dict, bool]],
                   now: datetime) -> None:
    """Update the book from one graded attempt (inside the grading transaction; no commit).

    ``results`` pairs each presented snapshot entry with whether it was answered right. One
    read, then at most one INSERT and one UPDATE (each an executemany), whatever the size.
    """
    record_many(user_id, [(quiz, results)], now)


def record_many(user_id: int, graded: Iterable[tuple[Quiz, Iterable[tuple[dict, bool]]]],
                now: datetime) -> None:
    """:func:`record_results` for several graded attempts of one member at once (offline
    sync): still one read, at most one INSERT and one UPDATE, in the order given."""
    graded = [(quiz, list(results)) for quiz, results in graded]
    pairs = {(quiz.course_id, entry["key"]) for quiz, results in graded for entry, _ in results}
    if not pairs:
        return
    existing = {(r.course_id, r.question_key): r._asdict() for r in db.session.execute(
        select(WrongAnswer.id, WrongAnswer.course_id, WrongAnswer.question_key,
               WrongAnswer.streak, WrongAnswer.wrong_count, WrongAnswer.resolved_at,
               WrongAnswer.last_wrong_at)
        .where(WrongAnswer.user_id == user_id,
               WrongAnswer.course_id.in_({c for c, _ in pairs}),
               WrongAnswer.question_key.in_({k for _, k in pairs})))
        if (r.course_id, r.question_key) in pairs}
    inserts, updates = {}, {}
    for quiz, results in graded:
        for entry, correct in results:
            pair = (quiz.course_id, entry["key"])
            row = existing.get(pair)
            if row is None:
                if pair in inserts:  # a second attempt in the same batch: fold into the new row
                    new = inserts[pair]
                    new.update(question=entry, quiz_id=quiz.id, updated_at=now)
                    if correct:
                        new["streak"] += 1
                        if new["streak"] >= STREAK_TO_LEAVE:
                            new["resolved_at"] = now
                    else:
                        new.update(streak=0, wrong_count=new["wrong_count"] + 1,
                                   last_wrong_at=now, resolved_at=None)
                elif not correct:
                    inserts[pair] = {"user_id": user_id, "course_id": quiz.course_id,
                                     "quiz_id": quiz.id, "question_key": entry["key"],
                                     "question": entry, "streak": 0, "wrong_count": 1,
                                     "last_wrong_at": now, "updated_at": now,
                                     "resolved_at": None}
                continue
            if correct and row["resolved_at"] is not None:
                continue  # already out of the book: a right answer changes nothing
            if correct:
                row["streak"] += 1
                if row["streak"] >= STREAK_TO_LEAVE:
                    row["resolved_at"] = now
            else:
                row.update(streak=0, wrong_count=row["wrong_count"] + 1, last_wrong_at=now,
                           resolved_at=None)
            updates[pair] = {"id": row["id"], "question": entry, "quiz_id": quiz.id,
                             "updated_at": now, "streak": row["streak"],
                             "wrong_count": row["wrong_count"],
                             "last_wrong_at": row["last_wrong_at"],
                             "resolved_at": row["resolved_at"]}
    if inserts:
        db.session.execute(insert(WrongAnswer), list(inserts.values()))
    if updates:
        db.session.execute(update(WrongAnswer), list(updates.values()))


def _count_right(row: WrongAnswer, now: datetime) -> None:
    row.streak += 1
    if row.streak >= STREAK_TO_LEAVE:
        row.resolved_at = now


@dataclass(frozen=True)
class BookEntry:
    row: WrongAnswer
    course_title: str
    #: the source quiz's review setting: show the right answer and explanation after checking
    review: bool
    #: why practice is closed for now ("in_attempt", "check_not_passed"), or ""
    locked: str


def book(user) -> list[BookEntry]:
    """The member's open book, newest mistakes first (three queries whatever its size)."""
    rows = db.session.execute(
        select(WrongAnswer, Course.title, Quiz.review, Quiz.lesson_id)
        .join(Course, Course.id == WrongAnswer.course_id)
        .join(Quiz, Quiz.id == WrongAnswer.quiz_id)
        .where(WrongAnswer.user_id == user.id, WrongAnswer.resolved_at.is_(None))
        .order_by(WrongAnswer.last_wrong_at.desc(), WrongAnswer.id.desc())).all()
    if not rows:
        return []
    busy, passed = _locks(user.id, {r[0].quiz_id for r in rows if r[3] is not None})
    entries = []
    for row, title, review, lesson_id in rows:
        locked = ""
        if (row.course_id, row.question_key) in busy:
            locked = "in_attempt"
        elif lesson_id is not None and row.quiz_id not in passed:
            locked = "check_not_passed"
        entries.append(BookEntry(row, title, bool(review), locked))
    return entries


def _locks(user_id: int, check_ids: set[int]) -> tuple[set, set]:
    """(course id, key) pairs in the member's attempts in progress; lesson checks they passed."""
    busy = set()
    for course_id, entries in db.session.execute(
            select(Quiz.course_id, Attempt.snapshot).join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(Attempt.user_id == user_id, Attempt.state == "in_progress")):
        busy.update((course_id, e["key"]) for e in entries)
    passed = set()
    if check_ids:
        passed = set(db.session.scalars(select(Attempt.quiz_id).where(
            Attempt.user_id == user_id, Attempt.passed.is_(True),
            Attempt.quiz_id.in_(sorted(check_ids))).distinct()))
    return busy, passed


@dataclass(frozen=True)
class Practised:
    entry: dict
    correct: bool
    #: True when this answer took the question out of the book
    resolved: bool
    streak: int
    review: bool


def practise(user, entry_id: int, raw: object, *, now: datetime | None = None) -> Practised:
    """Check one practice answer at once and move the streak.

    Raises NotFound (not this member's entry), Conflict (already out of the book, or practice
    closed for now: see the module docstring), ValidationFailed (not an answer to the question).
    """
    now = now or utcnow()
    begin_write()
    try:
        found = db.session.execute(
            select(WrongAnswer, Quiz.review, Quiz.lesson_id)
            .join(Quiz, Quiz.id == WrongAnswer.quiz_id)
            .where(WrongAnswer.id == entry_id, WrongAnswer.user_id == user.id)).first()
        if found is None:
            raise NotFound(N_("错题本里没有这道题。"))
        row, review, lesson_id = found
        if row.resolved_at is not None:
            raise Conflict(N_("这道题已经掌握，移出了错题本。"))
        busy, passed = _locks(user.id, {row.quiz_id} if lesson_id is not None else set())
        if (row.course_id, row.question_key) in busy:
            raise Conflict(N_("这道题在您正在做的测验里，交卷后再练习。"))
        if lesson_id is not None and row.quiz_id not in passed:
            raise Conflict(N_("通过本课测验后才能练习这道题。"))
        entry = row.question
        try:
            if isinstance(raw, (list, tuple)):
                raw = snapshot.form_value(entry["kind"], raw)
            response = normalize_response(snapshot.as_question(entry), raw)
        except ValueError as error:
            raise ValidationFailed(N_("答案格式不对，请重新选择。")) from error
        correct = grade(snapshot.as_question(entry), response).correct
    except Exception:
        db.session.rollback()
        raise
    if correct:
        _count_right(row, now)
    else:
        row.streak, row.last_wrong_at = 0, now
        row.wrong_count += 1
    row.updated_at = now
    outcome = Practised(entry=entry, correct=correct, resolved=row.resolved_at is not None,
                        streak=row.streak, review=bool(review))
    db.session.commit()
    return outcome

