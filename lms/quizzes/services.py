"""Attempts: start, save answers as the member goes, submit once, grade on the server.

Services take the acting user and, where time matters, ``now`` (default: the clock; tests pass
their own or freeze it), never read ``request``, raise domain errors from ``lms.core.errors`` and
end in one commit. Each begins with :func:`lms.database.begin_write` because its reads decide its
writes.

Submitting is idempotent: ``UPDATE attempts SET state='submitted' … WHERE id=? AND
state='in_progress'`` decides which request grades; every other request sees rowcount 0 and
returns the result already written. Saving takes the attempt row (``FOR UPDATE`` on PostgreSQL,
the write lock on SQLite) and checks it is still in progress, so no answer lands after grading.
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from lms.audit.services import record as audit
from lms.auth.models import User
from lms.core.clock import utcnow
from lms.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from lms.core.hooks import provided
from lms.core.i18n import N_
from lms.courses.models import Course
from lms.courses.queries import visible_to
from lms.database import begin_write
from lms.extensions import db
from lms.orgs.access import can
from lms.orgs.models import Organization
from lms.quizzes import signals, snapshot
from lms.quizzes.grading import grade, mastery_met, normalize_response
from lms.quizzes.models import Attempt, AttemptGrant, Question, Quiz, Response
from lms.quizzes.wrong_answers import record_results

#: a submit this long after the deadline still counts its own answers (the request in flight
#: when the timer ran out); later, only what was saved before the deadline is graded
GRACE = timedelta(seconds=30)

_rng = random.SystemRandom()


@dataclass(frozen=True)
class Started:
    attempt: Attempt
    #: "created", "resumed" (one was in progress), or "finalised" (the one in progress had run
    #: out of time and was graded now; no new attempt was started)
    status: str
    #: read before the commit, so a view can build its redirect without loading the attempt
    #: (or its quiz) again: the commit expires them
    attempt_id: int
    quiz_id: int
    lesson_check: bool


@dataclass(frozen=True)
class Submitted:
    attempt: Attempt
    #: True when an earlier request had already submitted it: nothing was graded now
    already: bool
    #: True when it was finalised after deadline + grace with the answers saved in time
    late: bool
    #: as on Started: read before the commit
    attempt_id: int
    quiz_id: int
    lesson_check: bool


def live_quiz(user, quiz_id: int) -> tuple[Quiz, Course]:
    """The quiz and its course when both are live and the course is visible to ``user``."""
    row = db.session.execute(
        select(Quiz, Course).join(Course, Course.id == Quiz.course_id)
        .where(Quiz.id == quiz_id, Quiz.archived.is_(False),
               visible_to(user))).first()
    if row is None:
        raise NotFound(N_("没有这个测验。"))
    return row[0], row[1]


def is_expired(attempt: Attempt, now: datetime) -> bool:
    """Past deadline + grace: only a late finalisation is possible."""
    return attempt.deadline is not None and now > attempt.deadline + GRACE


def start_attempt(user, quiz_id: int, *, now: datetime | None = None,
                  rng: random.Random | None = None) -> Started:
    """Start an attempt, or return the one in progress.

    Draws ``quiz.draw`` questions (all for a lesson check) from the live bank, unseen ones
    first, shuffles their order and options, and stores the snapshot, the grading rules and the
    deadline. Raises NotFound, or Conflict when no attempts are left, a lesson check is already
    passed, or the quiz has no questions.
    """
    now = now or utcnow()
    rng = rng or _rng
    for _ in range(3):
        begin_write()
        quiz, _course = live_quiz(user, quiz_id)
        current = db.session.scalar(select(Attempt).where(
            Attempt.user_id == user.id, Attempt.quiz_id == quiz.id,
            Attempt.state == "in_progress"))
        if current is not None:
            if is_expired(current, now):
                try:
                    _claim_and_grade(user, current.id, None, now)
                except Exception:
                    db.session.rollback()
                    raise
                started = Started(current, "finalised", current.id, quiz.id,
                                  quiz.lesson_id is not None)
                db.session.commit()
                return started
            started = Started(current, "resumed", current.id, quiz.id, quiz.lesson_id is not None)
            db.session.rollback()
            return started
        used, last_number, any_passed = db.session.execute(
            select(func.count(Attempt.id), func.coalesce(func.max(Attempt.number), 0),
                   func.coalesce(func.max(case((Attempt.passed.is_(True), 1), else_=0)), 0))
            .where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)).one()
        if quiz.max_attempts and used >= quiz.max_attempts + granted_attempts(user.id, quiz.id):
            db.session.rollback()
            raise Conflict(N_("这个测验的次数已经用完了。请联系支部书记或本课程的讲师增加次数。"))
        if quiz.lesson_id is not None and any_passed:
            db.session.rollback()
            raise Conflict(N_("您已经通过了本课测验。"))
        if quiz.lesson_id is None and not quiz.open_before_lessons and provided(
                "lessons_left", 0, user=user, course_id=quiz.course_id):
            db.session.rollback()
            raise Conflict(N_("请先学完全部课文，再参加结业测验。"))
        bank = list(db.session.scalars(select(Question).where(
            Question.quiz_id == quiz.id, Question.archived.is_(False))
            .order_by(Question.position)))
        if not bank:
            db.session.rollback()
            raise Conflict(N_("这个测验还没有题目。"))
        seen = dict(db.session.execute(
            select(Response.question_key, func.count(Response.id))
            .join(Attempt, Attempt.id == Response.attempt_id)
            .where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)
            .group_by(Response.question_key)).all())
        count = 0 if quiz.lesson_id is not None else quiz.draw
        entries = [snapshot.present(q, rng) for q in snapshot.draw(bank, count, seen, rng)]
        attempt = Attempt(
            user_id=user.id, quiz_id=quiz.id, number=last_number + 1, state="in_progress",
            started_at=now, snapshot=entries,
            deadline=now + timedelta(minutes=quiz.time_limit_minutes)
            if quiz.time_limit_minutes else None,
            max_score=float(sum(Fraction(repr(e["points"])) for e in entries)),
            rules={"mastery_required": _mastery(quiz, entries), "pass_percent": quiz.pass_percent,
                   "multiple_scoring": quiz.multiple_scoring})
        db.session.add(attempt)
        try:
            db.session.flush()
            db.session.add_all([Response(attempt_id=attempt.id, question_key=e["key"],
                                         answer=[], saved_at=now) for e in entries])
            started = Started(attempt, "created", attempt.id, quiz.id,
                              quiz.lesson_id is not None)
            db.session.commit()
        except IntegrityError:
            # a concurrent start won (the partial unique index, or the attempt number): go
            # round again and return its attempt
            db.session.rollback()
            continue
        return started
    raise Conflict(N_("测验正在开始，请刷新页面。"))


def granted_attempts(user_id: int, quiz_id: int) -> int:
    """Attempts given on top of the quiz's own limit (one query)."""
    return db.session.scalar(select(func.coalesce(func.sum(AttemptGrant.extra), 0)).where(
        AttemptGrant.user_id == user_id, AttemptGrant.quiz_id == quiz_id))


#: at most this many more attempts at once, so a slip of the finger gives no unlimited quiz
MAX_GRANT = 3


def may_grant(actor, member: User, course: Course) -> bool:
    """The member's secretary (or anyone who assigns courses over their branch), the course's
    owner, and the administrator may give more attempts; nobody gives them to themselves."""
    if actor.id == member.id:
        return False
    if actor.is_admin or course.owner_id == actor.id:
        return True
    org = db.session.get(Organization, member.org_id) if member.org_id else None
    return org is not None and can(actor, "assign_courses", org)


def grant_attempts(actor, member: User, quiz_id: int, *, extra: int, reason: str,
                   ip: str = "") -> AttemptGrant:
    """Give ``member`` ``extra`` more attempts at a quiz whose attempts ran out; audited."""
    begin_write()
    row = db.session.execute(select(Quiz, Course).join(Course, Course.id == Quiz.course_id)
                             .where(Quiz.id == quiz_id, Quiz.archived.is_(False))).first()
    if row is None:
        db.session.rollback()
        raise NotFound(N_("没有这个测验。"))
    quiz, course = row
    target = f"user:{member.id} quiz:{quiz.id}"
    if not may_grant(actor, member, course):
        audit("quiz.grant_attempts", actor=actor, target=target, ok=False, ip=ip)
        db.session.commit()
        raise NotAllowed(N_("您不能给这位党员增加测验次数。"))
    reason = (reason or "").strip()
    if not 1 <= extra <= MAX_GRANT or not reason:
        db.session.rollback()
        raise ValidationFailed(N_("请填写增加的次数（1 到 3 次）和原因。"))
    grant = AttemptGrant(user_id=member.id, quiz_id=quiz.id, extra=extra, reason=reason[:200],
                         granted_by_id=actor.id, granted_at=utcnow())
    db.session.add(grant)
    audit("quiz.grant_attempts", actor=actor, target=target, ip=ip,
          detail={"extra": extra, "reason": reason[:200], "course": course.slug})
    db.session.commit()
    return grant


def _mastery(quiz: Quiz, entries: list) -> int | None:
    if quiz.lesson_id is None:
        return None
    return min(quiz.mastery_required or len(entries), len(entries))


def _typed_answers(entries: Mapping[str, dict], answers: Mapping[str, object]) -> dict:
    """Form values → stored lists; ValidationFailed names every foreign key or bad value."""
    foreign = sorted(k for k in answers if k not in entries)
    if foreign:
        raise ValidationFailed(N_("答案里有不属于这次测验的题目。"), foreign)
    stored, problems = {}, []
    for key, raw in answers.items():
        entry = entries[key]
        try:
            if isinstance(raw, (list, tuple)):
                raw = snapshot.form_value(entry["kind"], raw)
            stored[key] = snapshot.to_stored(
                entry["kind"], normalize_response(snapshot.as_question(entry), raw))
        except ValueError:
            problems.append(key)
    if problems:
        raise ValidationFailed(N_("有的答案格式不对，请重新选择后再保存。"), problems)
    return stored


def save_answers(user, attempt_id: int, answers: Mapping[str, object], *,
                 now: datetime | None = None) -> dict[str, list]:
    """Save the member's answers to questions of their attempt (usually one at a time).

    ``answers`` maps question keys to raw values (see ``grading.normalize_response``) or to a
    form's list of values for the question (``request.form.getlist``).
    Returns the stored answers by key. Raises NotFound (not this member's attempt), Conflict
    (already submitted, or past the deadline), ValidationFailed (a question not in the attempt,
    or a value that is no answer to its question: nothing is saved).
    """
    now = now or utcnow()
    begin_write()
    # Two statements, no ORM objects: a member saves ten times a quiz, so this is the busiest
    # write of a county's quiz day (bench/quiz_trip.py)
    attempt = db.session.execute(
        select(Attempt.state, Attempt.deadline, Attempt.snapshot)
        .where(Attempt.id == attempt_id, Attempt.user_id == user.id).with_for_update()).first()
    try:
        if attempt is None:
            raise NotFound(N_("没有这次测验。"))
        if attempt.state != "in_progress":
            raise Conflict(N_("这次测验已经交卷，答案不能再修改。"))
        if attempt.deadline is not None and now > attempt.deadline:
            raise Conflict(N_("答题时间已到，不能再保存答案。请交卷。"))
        stored = _typed_answers({e["key"]: e for e in attempt.snapshot}, answers)
    except Exception:
        db.session.rollback()
        raise
    if stored:
        db.session.execute(_SAVE_ANSWER, [
            {"attempt": attempt_id, "key": key, "answer": value, "saved_at": now}
            for key, value in stored.items()])
    db.session.commit()
    return stored


#: one response's answer, by its attempt and question key (executemany for several)
_SAVE_ANSWER = (update(Response.__table__)
                .where(Response.__table__.c.attempt_id == bindparam("attempt"),
                       Response.__table__.c.question_key == bindparam("key"))
                .values(answer=bindparam("answer"), saved_at=bindparam("saved_at")))


def submit_attempt(user, attempt_id: int, answers: Mapping[str, object] | None = None, *,
                   now: datetime | None = None) -> Submitted:
    """Submit and grade an attempt exactly once.

    ``answers`` (the answers on the submitted form) are saved first when the submit arrives
    before deadline + grace; after that they are ignored and the attempt is finalised with what
    was saved before the deadline. A second submit returns the first one's result with
    ``already=True``. Raises NotFound (not this member's attempt) and ValidationFailed (answers
    to questions not in the attempt: nothing changes).
    """
    now = now or utcnow()
    begin_write()
    try:
        outcome = _claim_and_grade(user, attempt_id, answers, now)
    except Exception:
        db.session.rollback()
        raise
    if outcome.already:
        db.session.rollback()
    else:
        db.session.commit()
    return outcome


def _claim_and_grade(user, attempt_id: int, answers, now: datetime) -> Submitted:
    claimed = db.session.execute(
        update(Attempt).where(Attempt.id == attempt_id, Attempt.user_id == user.id,
                              Attempt.state == "in_progress")
        .values(state="submitted", submitted_at=now)
        .execution_options(synchronize_session=False)).rowcount
    row = db.session.execute(
        select(Attempt, Quiz).join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Attempt.id == attempt_id, Attempt.user_id == user.id)
        .execution_options(populate_existing=True)).first()
    if row is None:
        raise NotFound(N_("没有这次测验。"))
    attempt, quiz = row
    late = attempt.deadline is not None and attempt.submitted_at is not None \
        and attempt.submitted_at > attempt.deadline + GRACE
    if claimed != 1:
        return Submitted(attempt, True, late, attempt_id, quiz.id, quiz.lesson_id is not None)
    entries = {e["key"]: e for e in attempt.snapshot}
    stored = _typed_answers(entries, answers) if answers and not late else {}
    saved = {r.question_key: r for r in db.session.execute(
        select(Response.id, Response.question_key, Response.answer, Response.saved_at)
        .where(Response.attempt_id == attempt.id))}
    graded = []
    for entry in attempt.snapshot:
        found = saved.get(entry["key"])
        if entry["key"] in stored:
            answer, saved_at = stored[entry["key"]], now
        elif found is not None and not (late and found.saved_at > attempt.deadline):
            answer, saved_at = found.answer or [], found.saved_at
        else:
            answer, saved_at = [], now
        graded.append((entry, found.id if found else None, answer, saved_at))
    score, total, results = _grade(attempt, [(e, a) for e, _, a, _ in graded])
    rows = [{"answer": answer, "saved_at": saved_at, "correct": correct, "points": points,
             "answer_text": snapshot.answer_text(entry, answer)}
            for (entry, _, answer, saved_at), (correct, points) in zip(graded, results,
                                                                      strict=True)]
    updates = [{"id": g[1], **r} for g, r in zip(graded, rows, strict=True) if g[1]]
    if updates:  # one executemany, whatever the number of questions
        db.session.execute(update(Response), updates)
    missing = [{"attempt_id": attempt.id, "question_key": g[0]["key"], **r}
               for g, r in zip(graded, rows, strict=True) if not g[1]]
    if missing:  # only for an attempt whose rows were never made (not through start)
        db.session.execute(insert(Response), missing)
    rules = attempt.rules or {}
    right = sum(correct for correct, _ in results)
    attempt.score, attempt.max_score = float(score), float(total)
    if rules.get("mastery_required") is not None:
        attempt.passed = mastery_met(right, rules["mastery_required"])
    else:
        attempt.passed = total > 0 and score * 100 >= rules.get("pass_percent", 60) * total
    record_results(user.id, quiz, [(e, c) for e, (c, _) in zip(
        attempt.snapshot, results, strict=True)], now)
    db.session.flush()
    if quiz.lesson_id is not None:
        signals.lesson_check_graded.send(quiz, user=user, lesson_id=quiz.lesson_id,
                                         attempt=attempt, passed=attempt.passed)
    else:
        signals.final_quiz_graded.send(quiz, user=user, course_id=quiz.course_id,
                                       attempt=attempt, passed=attempt.passed)
        if attempt.passed:
            signals.final_quiz_passed.send(quiz, user=user, course_id=quiz.course_id,
                                           attempt=attempt)
    return Submitted(attempt, False, late, attempt_id, quiz.id, quiz.lesson_id is not None)


def _grade(attempt: Attempt, answers: list[tuple[dict, list]]) -> tuple[Fraction, Fraction,
                                                                         list]:
    """Score from the snapshot and the stored answers only; nothing the client claimed.

    Returns (score, maximum, [(correct, points) per entry]).
    """
    scoring = (attempt.rules or {}).get("multiple_scoring") or "all_or_nothing"
    score = total = Fraction(0)
    results = []
    for entry, stored in answers:
        try:
            result = grade(snapshot.as_question(entry),
                           snapshot.from_stored(entry["kind"], stored), multiple_scoring=scoring)
            correct, points = result.correct, result.points
        except ValueError:  # a stored answer no longer fits (cannot happen through save)
            correct, points = False, 0.0
        results.append((correct, points))
        score += Fraction(repr(points))
        total += Fraction(repr(float(entry["points"])))
    return score, total, results
