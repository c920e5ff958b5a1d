"""Submitting many lesson-check attempts of one member at once (the offline sync).

The rules are those of :func:`lms.quizzes.services.submit_attempt` — answers checked against the
attempt's own snapshot, claimed by ``UPDATE … WHERE state='in_progress'`` so only one request
grades, graded from the snapshot alone, the 错题本 updated — but in a fixed number of statements
whatever the number of attempts: one read of the attempts, one claiming UPDATE … RETURNING, one
read of their saved responses, one executemany each for responses, scores and the book. Instead
of one signal per attempt it sends ``lesson_checks_graded`` once. No commit: the caller (the sync
endpoint) commits the batch with its receipts.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update

from lms.core.errors import Conflict, DomainError, NotFound
from lms.core.i18n import N_
from lms.extensions import db
from lms.quizzes import signals, snapshot
from lms.quizzes.grading import mastery_met
from lms.quizzes.models import Attempt, Quiz, Response
from lms.quizzes.services import _grade, _typed_answers
from lms.quizzes.wrong_answers import record_many


def _passed(attempt: Attempt, right: int, score, total) -> tuple[bool, int]:
    """(passed, right answers needed) under the rules the attempt started with, as online."""
    rules = attempt.rules or {}
    if rules.get("mastery_required") is not None:
        return mastery_met(right, rules["mastery_required"]), rules["mastery_required"]
    passed = total > 0 and score * 100 >= rules.get("pass_percent", 60) * total
    return bool(passed), len(attempt.snapshot)


@dataclass(frozen=True)
class GradedCheck:
    attempt_id: int
    quiz_id: int
    lesson_id: int
    course_id: int
    passed: bool
    right: int
    questions: int
    needed: int
    #: True when it had been submitted before (online, another tab): nothing was graded now
    already: bool = False


def submit_checks(user, submissions: Mapping[int, Mapping[str, object]],
                  now: datetime) -> dict[int, GradedCheck | DomainError]:
    """Grade the member's lesson-check attempts ``{attempt_id: answers}``; per attempt, the
    result or the domain error that kept it from being graded (not the member's attempt, a
    final quiz or a timed check — those are submitted online —, answers that do not fit)."""
    ids = list(submissions)
    found = {attempt.id: (attempt, quiz) for attempt, quiz in db.session.execute(
        select(Attempt, Quiz).join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Attempt.id.in_(ids), Attempt.user_id == user.id))}
    out: dict[int, GradedCheck | DomainError] = {}
    answers: dict[int, dict] = {}
    for attempt_id in ids:
        if attempt_id not in found:
            out[attempt_id] = NotFound(N_("没有这次测验。"))
            continue
        attempt, quiz = found[attempt_id]
        if quiz.lesson_id is None or attempt.deadline is not None:
            out[attempt_id] = Conflict(N_("结业测验和限时测验要联网提交。"))
            continue
        if attempt.state != "in_progress":
            continue  # graded before: reported below with its stored result
        try:
            answers[attempt_id] = _typed_answers({e["key"]: e for e in attempt.snapshot},
                                                 submissions[attempt_id] or {})
        except DomainError as error:
            out[attempt_id] = error
    claimed = set(db.session.scalars(
        update(Attempt).where(Attempt.id.in_(list(answers)), Attempt.user_id == user.id,
                              Attempt.state == "in_progress")
        .values(state="submitted", submitted_at=now)
        .returning(Attempt.id).execution_options(synchronize_session=False))) if answers else set()
    saved: dict[int, dict] = {}
    if claimed:
        for row in db.session.execute(
                select(Response.id, Response.attempt_id, Response.question_key, Response.answer)
                .where(Response.attempt_id.in_(claimed))):
            saved.setdefault(row.attempt_id, {})[row.question_key] = row
    response_updates, response_inserts, scores, book, graded = [], [], [], [], []
    for attempt_id in ids:
        if attempt_id in out:
            continue
        attempt, quiz = found[attempt_id]
        if attempt_id not in claimed:
            out[attempt_id] = None  # read back below
            continue
        # as online: what the submission carries, else what was saved before (answered online
        # one by one before the signal went), else unanswered
        stored, rows_of = answers[attempt_id], saved.get(attempt_id, {})
        pairs = []
        for entry in attempt.snapshot:
            kept = rows_of.get(entry["key"])
            pairs.append((entry, stored[entry["key"]] if entry["key"] in stored
                          else (kept.answer or []) if kept is not None else []))
        score, total, results = _grade(attempt, pairs)
        for (entry, answer), (correct, points) in zip(pairs, results, strict=True):
            row = {"answer": answer, "saved_at": now, "correct": correct, "points": points,
                   "answer_text": snapshot.answer_text(entry, answer)}
            if entry["key"] in rows_of:
                response_updates.append({"id": rows_of[entry["key"]].id, **row})
            else:
                response_inserts.append({"attempt_id": attempt_id,
                                         "question_key": entry["key"], **row})
        right = sum(correct for correct, _ in results)
        passed, needed = _passed(attempt, right, score, total)
        scores.append({"id": attempt_id, "score": float(score), "max_score": float(total),
                       "passed": passed})
        book.append((quiz, [(e, c) for (e, _), (c, _) in zip(pairs, results, strict=True)]))
        check = GradedCheck(attempt_id, quiz.id, quiz.lesson_id, quiz.course_id, passed, right,
                            len(attempt.snapshot), needed)
        out[attempt_id] = check
        graded.append(check)
    if response_updates:
        db.session.execute(update(Response), response_updates)
    if response_inserts:
        db.session.execute(insert(Response), response_inserts)
    if scores:
        db.session.execute(update(Attempt), scores)
    record_many(user.id, book, now)
    earlier = [a for a in ids if a in out and out[a] is None]
    if earlier:
        right_of = dict(db.session.execute(
            select(Response.attempt_id, func.count(Response.id))
            .where(Response.attempt_id.in_(earlier), Response.correct.is_(True))
            .group_by(Response.attempt_id)).all())
        for attempt, quiz in db.session.execute(
                select(Attempt, Quiz).join(Quiz, Quiz.id == Attempt.quiz_id)
                .where(Attempt.id.in_(earlier))
                .execution_options(populate_existing=True)):
            right = right_of.get(attempt.id, 0)
            out[attempt.id] = GradedCheck(
                attempt.id, quiz.id, quiz.lesson_id, quiz.course_id, attempt.passed, right,
                len(attempt.snapshot), _passed(attempt, right, 0, 0)[1], already=True)
    if graded:
        db.session.flush()
        signals.lesson_checks_graded.send(None, user=user, checks=graded, now=now)
    return out
