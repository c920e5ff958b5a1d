"""Reads behind the quiz pages: each a fixed number of queries whatever the bank or history size.

Attempt lists select columns, never the snapshot, so a member's long history stays cheap.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, case, func, select

from lms.auth.models import User
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.quizzes.models import Attempt, AttemptGrant, Question, Quiz, Response

#: columns of an attempt shown in lists (no snapshot)
SUMMARY_COLUMNS = (Attempt.id, Attempt.number, Attempt.state, Attempt.started_at,
                   Attempt.deadline, Attempt.submitted_at, Attempt.score, Attempt.max_score,
                   Attempt.passed)


def attempt_summaries(user_id: int, quiz_id: int) -> list:
    """The member's attempts at a quiz, oldest first, as light rows."""
    return list(db.session.execute(select(*SUMMARY_COLUMNS).where(
        Attempt.user_id == user_id, Attempt.quiz_id == quiz_id).order_by(Attempt.number)))


def percent(row) -> float:
    return 100.0 * row.score / row.max_score if row.max_score else 0.0


def quiz_result(rows, grading: str):
    """The attempt that decides the quiz's result under its grading method, or None.

    ``highest``: the best percentage (a pass beats a fail; the earlier of equals).
    ``last``: the latest submitted attempt.
    """
    done = [r for r in rows if r.state == "submitted"]
    if not done:
        return None
    if grading == "last":
        return max(done, key=lambda r: r.number)
    return max(done, key=lambda r: (r.passed, percent(r), -r.number))


@dataclass
class OwnAttempt:
    attempt: Attempt
    quiz: Quiz
    course: Course
    #: the lesson's key for a lesson check, else None
    lesson_key: str | None
    responses: dict[str, Response]


def own_attempt(user, attempt_id: int, *, with_responses: bool = True) -> OwnAttempt | None:
    """The member's own attempt with its quiz and course (None for anyone else's: 404)."""
    row = db.session.execute(
        select(Attempt, Quiz, Course, Lesson.key)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .outerjoin(Lesson, Lesson.id == Quiz.lesson_id)
        .where(Attempt.id == attempt_id, Attempt.user_id == user.id)).first()
    if row is None:
        return None
    responses = {}
    if with_responses:
        responses = {r.question_key: r for r in db.session.scalars(
            select(Response).where(Response.attempt_id == attempt_id))}
    return OwnAttempt(row[0], row[1], row[2], row[3], responses)


def in_progress_elsewhere(user_id: int, quiz_id: int, attempt_id: int) -> bool:
    """Whether another attempt at the same quiz is in progress (reviews wait for its submit)."""
    return db.session.scalar(select(func.count(Attempt.id)).where(
        Attempt.user_id == user_id, Attempt.quiz_id == quiz_id, Attempt.id != attempt_id,
        Attempt.state == "in_progress")) > 0


@dataclass
class CheckState:
    quiz: Quiz
    question_count: int
    #: the member's latest attempt (in progress or the last result), or None
    attempt: Attempt | None
    responses: dict[str, Response]


#: the lesson page asks these on every view, so they are built once (with parameters)
_LESSON_CHECK = (
    select(Quiz, select(func.count(Question.id))
           .where(Question.quiz_id == Quiz.id, Question.archived.is_(False)).scalar_subquery())
    .where(Quiz.lesson_id == bindparam("lesson_id"), Quiz.archived.is_(False)))
_LATEST_ATTEMPT = (select(Attempt)
                   .where(Attempt.user_id == bindparam("user_id"),
                          Attempt.quiz_id == bindparam("quiz_id"))
                   .order_by(Attempt.number.desc()).limit(1))
_RESPONSES = select(Response).where(Response.attempt_id == bindparam("attempt_id"))


def lesson_check(user, lesson_id: int) -> CheckState | None:
    """The lesson's live check with the member's latest attempt (three queries at most)."""
    row = db.session.execute(_LESSON_CHECK, {"lesson_id": lesson_id}).first()
    if row is None or not row[1]:
        return None
    quiz, count = row
    attempt = db.session.scalar(_LATEST_ATTEMPT, {"user_id": user.id, "quiz_id": quiz.id})
    responses = {}
    if attempt is not None:
        responses = {r.question_key: r for r in db.session.scalars(
            _RESPONSES, {"attempt_id": attempt.id})}
    return CheckState(quiz, count, attempt, responses)


def final_quiz(course_id: int) -> tuple[Quiz, int] | None:
    """The course's live final quiz and the size of its live bank."""
    live = and_(Question.quiz_id == Quiz.id, Question.archived.is_(False))
    row = db.session.execute(
        select(Quiz, select(func.count(Question.id)).where(live).scalar_subquery())
        .where(Quiz.course_id == course_id, Quiz.lesson_id.is_(None),
               Quiz.archived.is_(False))).first()
    if row is None or not row[1]:
        return None
    return row[0], row[1]


def passed_lesson_checks(user_id: int, course_id: int) -> set[int]:
    """Lesson ids of the course whose check the member has passed."""
    return set(db.session.scalars(
        select(Quiz.lesson_id).join(Attempt, Attempt.quiz_id == Quiz.id)
        .where(Quiz.course_id == course_id, Quiz.lesson_id.isnot(None),
               Attempt.user_id == user_id, Attempt.passed.is_(True)).distinct()))


# ---- trainer statistics -----------------------------------------------------------------------

def stats_courses(user) -> list[Course]:
    """Courses whose statistics ``user`` may see: their own, or every course for the admin."""
    stmt = select(Course).order_by(Course.title)
    if not user.is_admin:
        stmt = stmt.where(Course.owner_id == user.id)
    return list(db.session.scalars(stmt))


def stats_course(user, course_id: int) -> Course | None:
    stmt = select(Course).where(Course.id == course_id)
    if not user.is_admin:
        stmt = stmt.where(Course.owner_id == user.id)
    return db.session.scalar(stmt)


@dataclass
class QuestionStat:
    key: str
    stem: str
    kind: str
    archived: bool
    quiz_label: str
    presented: int
    answered: int
    correct: int
    #: the most common wrong answers as (answer in words, count), commonest first
    wrong: list

    @property
    def percent_correct(self) -> float | None:
        return 100.0 * self.correct / self.answered if self.answered else None


def question_stats(course: Course, top: int = 3) -> list[QuestionStat]:
    """Per question of the course: presented, answered, right, and the commonest wrong answers.

    Counts submitted attempts only. Three queries whatever the number of attempts.
    """
    questions = db.session.execute(
        select(Question, Lesson.title)
        .join(Quiz, Quiz.id == Question.quiz_id)
        .outerjoin(Lesson, Lesson.id == Quiz.lesson_id)
        .where(Question.course_id == course.id)
        .order_by(Question.archived, Quiz.lesson_id.is_(None), Lesson.position,
                  Question.position)).all()
    submitted = (select(Response.question_key.label("key"), Response.correct,
                        Response.answer_text)
                 .join(Attempt, Attempt.id == Response.attempt_id)
                 .join(Quiz, Quiz.id == Attempt.quiz_id)
                 .where(Quiz.course_id == course.id, Attempt.state == "submitted")
                 .subquery())
    answered = submitted.c.answer_text != ""
    totals = {row.key: row for row in db.session.execute(
        select(submitted.c.key, func.count().label("presented"),
               func.sum(case((answered, 1), else_=0)).label("answered"),
               func.sum(case((and_(answered, submitted.c.correct.is_(True)), 1),
                             else_=0)).label("correct"))
        .group_by(submitted.c.key))}
    wrong_counts = (select(submitted.c.key, submitted.c.answer_text,
                           func.count().label("n"))
                    .where(answered, submitted.c.correct.is_(False))
                    .group_by(submitted.c.key, submitted.c.answer_text).subquery())
    ranked = select(wrong_counts, func.row_number().over(
        partition_by=wrong_counts.c.key,
        order_by=(wrong_counts.c.n.desc(), wrong_counts.c.answer_text)).label("rank")).subquery()
    wrong: dict[str, list] = {}
    for row in db.session.execute(select(ranked).where(ranked.c.rank <= top)
                                  .order_by(ranked.c.key, ranked.c.rank)):
        wrong.setdefault(row.key, []).append((row.answer_text, row.n))
    stats = []
    for question, lesson_title in questions:
        total = totals.get(question.key)
        stats.append(QuestionStat(
            key=question.key, stem=question.stem, kind=question.kind,
            archived=question.archived, quiz_label=lesson_title or "",
            presented=total.presented if total else 0,
            answered=int(total.answered or 0) if total else 0,
            correct=int(total.correct or 0) if total else 0,
            wrong=wrong.get(question.key, [])))
    return stats


# ---- more attempts ----------------------------------------------------------------------------

def grants(user_id: int, quiz_id: int) -> list:
    """Attempts given to the member on top of the quiz's limit, oldest first, with the giver's
    name (one query)."""
    return list(db.session.execute(
        select(AttemptGrant.extra, AttemptGrant.reason, AttemptGrant.granted_at,
               User.name.label("granted_by"))
        .outerjoin(User, User.id == AttemptGrant.granted_by_id)
        .where(AttemptGrant.user_id == user_id, AttemptGrant.quiz_id == quiz_id)
        .order_by(AttemptGrant.granted_at, AttemptGrant.id)))


def exhausted_finals(user_id: int) -> list:
    """The member's final quizzes not passed with every allowed attempt used (one query):
    rows of (quiz_id, course_id, course title, used, allowed)."""
    given = (select(func.coalesce(func.sum(AttemptGrant.extra), 0))
             .where(AttemptGrant.user_id == user_id, AttemptGrant.quiz_id == Quiz.id)
             .scalar_subquery())
    used = func.count(Attempt.id)
    passed = func.max(case((Attempt.passed.is_(True), 1), else_=0))
    return list(db.session.execute(
        select(Quiz.id.label("quiz_id"), Course.id.label("course_id"),
               Course.title.label("title"), used.label("used"),
               (Quiz.max_attempts + given).label("allowed"))
        .join(Course, Course.id == Quiz.course_id)
        .join(Attempt, and_(Attempt.quiz_id == Quiz.id, Attempt.user_id == user_id))
        .where(Quiz.lesson_id.is_(None), Quiz.archived.is_(False), Quiz.max_attempts > 0)
        .group_by(Quiz.id, Course.id, Course.title, Quiz.max_attempts)
        .having(and_(used >= Quiz.max_attempts + given, passed == 0))
        .order_by(Course.title)))
