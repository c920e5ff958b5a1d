"""Progress fixtures: small courses in the database, and grading as the quiz engine does it
(an Attempt row, then the signals, inside one transaction)."""
from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from lms.core.clock import utcnow
from lms.database import begin_write
from lms.extensions import db

_slugs = itertools.count(1)


@pytest.fixture
def make_study_course(app):
    """``make_study_course(lessons=3, checks=(0,), final=True, credit=2)``: a published course;
    ``checks`` are the indexes of lessons with a one-question check."""
    from lms.courses.models import Course, Lesson
    from lms.quizzes.models import Question, Quiz

    def make(*, lessons: int = 3, checks=(0,), final: bool = True, credit: float = 2,
             audience=None, title: str | None = None):
        n = next(_slugs)
        course = Course(slug=f"study-{n}", title=title or f"学习课程{n}", summary="摘要",
                        category="理论", required=False, credit_hours=credit,
                        status="published", audience_org_id=audience.id if audience else None)
        db.session.add(course)
        db.session.flush()
        made = []
        for position in range(1, lessons + 1):
            lesson = Lesson(course_id=course.id, key=f"l{position}", position=position,
                            title=f"第{position}课", minutes=3, body="正文", html="<p>正文</p>")
            db.session.add(lesson)
            made.append(lesson)
        db.session.flush()

        def quiz(lesson_id, key):
            q = Quiz(course_id=course.id, lesson_id=lesson_id,
                     mastery_required=1 if lesson_id else None,
                     pass_percent=0 if lesson_id else 60, draw=0)
            db.session.add(q)
            db.session.flush()
            db.session.add(Question(course_id=course.id, quiz_id=q.id, key=key, position=1,
                                    kind="single", stem="哪一个对？", options=["甲", "乙"],
                                    answer=[1], explanation="乙对", points=1))
            return q

        check_quizzes = {i: quiz(made[i].id, f"c{n}-{i}") for i in checks}
        final_quiz = quiz(None, f"f{n}") if final else None
        db.session.commit()
        return SimpleNamespace(course=course, lessons=made, checks=check_quizzes,
                               final=final_quiz)

    return make


def _attempt(user, quiz, passed: bool, number: int | None = None):
    from sqlalchemy import func, select

    from lms.quizzes.models import Attempt

    if number is None:
        number = (db.session.scalar(select(func.max(Attempt.number)).where(
            Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)) or 0) + 1
    now = utcnow()
    attempt = Attempt(user_id=user.id, quiz_id=quiz.id, number=number, state="submitted",
                      started_at=now, submitted_at=now, score=1 if passed else 0, max_score=1,
                      passed=passed, snapshot=[])
    db.session.add(attempt)
    db.session.flush()
    return attempt


@pytest.fixture
def grade(app):
    """``grade.check(user, quiz, passed)`` and ``grade.final(user, quiz, passed)``: write a
    submitted attempt and send the signal in one transaction, as lms.quizzes grading does."""
    from lms.quizzes.signals import final_quiz_passed, lesson_check_graded

    def check(user, quiz, passed: bool = True):
        begin_write()
        attempt = _attempt(user, quiz, passed)
        lesson_check_graded.send(quiz, user=user, lesson_id=quiz.lesson_id, attempt=attempt,
                                 passed=passed)
        db.session.commit()
        return attempt

    def final(user, quiz, passed: bool = True):
        begin_write()
        attempt = _attempt(user, quiz, passed)
        if passed:
            final_quiz_passed.send(quiz, user=user, course_id=quiz.course_id, attempt=attempt)
        db.session.commit()
        return attempt

    return SimpleNamespace(check=check, final=final, attempt=_attempt)


@pytest.fixture
def finish_lessons(app, grade):
    """Complete every lesson of a made course for ``user`` (checks passed, others read)."""
    from lms.progress import services

    def finish(user, made, only=None):
        for i, lesson in enumerate(made.lessons):
            if only is not None and i not in only:
                continue
            if i in made.checks:
                grade.check(user, made.checks[i])
            else:
                services.mark_read(user, lesson)

    return finish
