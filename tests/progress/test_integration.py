"""Through the quiz engine's own services: checks and the final quiz credit the hours once."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.extensions import db
from lms.progress import queries, services, years
from lms.progress.models import CourseCompletion, LessonProgress, StudyHours
from lms.quizzes import services as quizzes
from tests.helpers import answers_for


def _take(user, quiz, right: bool):
    attempt = quizzes.start_attempt(user, quiz.id).attempt
    answers = answers_for(attempt, right=len(attempt.snapshot) if right else 0)
    return quizzes.submit_attempt(user, attempt.id, answers)


def test_checks_and_final_quiz_through_the_quiz_engine(member, make_course):
    made = make_course(lessons=2, check=1, final=1, hours=1.5)
    services.mark_read(member, made.lessons[1])

    _take(member, made.checks[0], right=False)
    row = db.session.scalar(select(LessonProgress).where(
        LessonProgress.lesson_id == made.lessons[0].id))
    assert row.reached_end_at is not None and row.completed_at is None

    _take(member, made.checks[0], right=True)
    db.session.refresh(row)
    assert row.completed_at is not None
    assert db.session.scalar(select(func.count()).select_from(CourseCompletion)) == 0

    submitted = _take(member, made.final, right=True)
    assert submitted.attempt.passed
    again = quizzes.submit_attempt(member, submitted.attempt.id, {})  # a double click
    assert again.already
    assert db.session.scalar(select(func.count()).select_from(CourseCompletion)) == 1
    [entry] = db.session.scalars(select(StudyHours))
    assert (entry.user_id, entry.hours, entry.source) == (member.id, 1.5, "course")
    assert queries.standing(member, years.this_year()).hours == 1.5
    study = queries.my_study(member)
    assert study.in_progress == [] and len(study.results) == 3
