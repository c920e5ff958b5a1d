"""Progress for many lessons of one member at once (the offline sync), set-based.

The rules are those of :mod:`lms.progress.services` — reaching a lesson's end (its check
submitted, or 我读完了 on a lesson without one), completing it when its check is passed (or it
has none), completing the course and crediting its hours once when every live lesson is complete
and the final quiz is passed — in a fixed number of statements whatever the number of lessons
and courses. Nothing here commits: the grading transaction or the sync endpoint does.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import case, func, insert, select, update

from lms.auth.models import User
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.orgs.models import Organization
from lms.progress import signals, years
from lms.progress.models import (
    CourseCompletion,
    Enrollment,
    LessonProgress,
    StudyHours,
)
from lms.quizzes.models import Attempt, Quiz

#: session.info key: the ends collected by :func:`collected` while it is open
_COLLECTING = "progress_ends_collected"


@contextmanager
def collected(user, now: datetime) -> Iterator[list]:
    """Collect the ends that :func:`reach_ends` and the graded-checks receiver would write, and
    write them all at once when the block ends (so a sync batch of reads and checks writes its
    progress in one pass). Yields the list, to which a caller may add ``(lesson_id, course_id,
    complete)`` itself."""
    ends: list = []
    db.session.info[_COLLECTING] = ends
    try:
        yield ends
    finally:
        db.session.info.pop(_COLLECTING, None)
    reach_ends(user, ends, now)


def reach_ends(user, ends: Iterable[tuple[int, int, bool]], now: datetime) -> set[int]:
    """Record that the member reached the end of each ``(lesson_id, course_id, complete)``,
    completing the lesson where ``complete``; then complete what courses that finishes.
    Returns the ids of the courses completed now."""
    collecting = db.session.info.get(_COLLECTING)
    if collecting is not None:
        collecting.extend(ends)
        return set()
    wanted: dict[int, tuple[int, bool]] = {}
    for lesson_id, course_id, complete in ends:
        old = wanted.get(lesson_id)
        wanted[lesson_id] = (course_id, complete or bool(old and old[1]))
    if not wanted:
        return set()
    courses = {course_id for course_id, _ in wanted.values()}
    enrolled = set(db.session.scalars(select(Enrollment.course_id).where(
        Enrollment.user_id == user.id, Enrollment.course_id.in_(courses))))
    if courses - enrolled:
        db.session.execute(insert(Enrollment), [
            {"user_id": user.id, "course_id": c, "source": "self", "enrolled_at": now}
            for c in sorted(courses - enrolled)])
    rows = {r.lesson_id: r for r in db.session.execute(
        select(LessonProgress.id, LessonProgress.lesson_id, LessonProgress.reached_end_at,
               LessonProgress.completed_at)
        .where(LessonProgress.user_id == user.id, LessonProgress.lesson_id.in_(wanted)))}
    inserts, updates = [], []
    for lesson_id, (course_id, complete) in wanted.items():
        row = rows.get(lesson_id)
        if row is None:
            inserts.append({"user_id": user.id, "lesson_id": lesson_id, "course_id": course_id,
                            "first_seen_at": now, "last_seen_at": now, "reached_end_at": now,
                            "completed_at": now if complete else None})
        else:
            updates.append({"id": row.id, "last_seen_at": now,
                            "reached_end_at": row.reached_end_at or now,
                            "completed_at": row.completed_at or (now if complete else None)})
    if inserts:
        db.session.execute(insert(LessonProgress), inserts)
    if updates:
        db.session.execute(update(LessonProgress), updates)
    started = [r["lesson_id"] for r in inserts]
    newly = [r["lesson_id"] for r in inserts if r["completed_at"]] + [
        lesson_id for lesson_id, row in rows.items()
        if row.completed_at is None and wanted[lesson_id][1]]
    _tell(user, started if signals.lessons_started.receivers else [],
          newly if signals.lessons_completed.receivers else [])
    return complete_courses(user, courses, now)


def _tell(user, started: list[int], completed: list[int]) -> None:
    """Send ``lessons_started`` for the lessons first seen here and ``lessons_completed`` for
    those completed here, each once with every lesson (what ``services._progress`` and
    ``_reach_end`` send per lesson): two reads, only when someone listens."""
    ids = set(started) | set(completed)
    if not ids:
        return
    lessons = {lesson.id: lesson for lesson in db.session.scalars(
        select(Lesson).where(Lesson.id.in_(ids)))}
    rows = {row.lesson_id: row for row in db.session.scalars(select(LessonProgress).where(
        LessonProgress.user_id == user.id, LessonProgress.lesson_id.in_(ids)))}
    if started:
        signals.lessons_started.send(None, user_id=user.id, started=[
            (rows[lesson_id], lessons[lesson_id]) for lesson_id in started])
    if completed:
        signals.lessons_completed.send(None, user=_member(user), completed=[
            (rows[lesson_id], lessons[lesson_id]) for lesson_id in completed])


def _member(user) -> User:
    """The User itself for receivers (the sync passes a light snapshot of it)."""
    return user if isinstance(user, User) else db.session.get(User, user.id)


def complete_courses(user, course_ids: Iterable[int], now: datetime) -> set[int]:
    """:func:`lms.progress.services.try_complete_course` for several courses of one member:
    each completed (and its hours credited once) when every live lesson is complete and its
    final quiz, if any, passed. Returns the ids completed now."""
    course_ids = set(course_ids)
    if not course_ids:
        return set()
    # no lock as in try_complete_course: a completion or credit racing this one meets it on
    # their unique constraints, and the sync goes round again and finds it written
    done = (select(LessonProgress.id).where(
        LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user.id,
        LessonProgress.completed_at.isnot(None)).exists())
    final = (select(Quiz.id).where(Quiz.course_id == Course.id, Quiz.lesson_id.is_(None),
                                   Quiz.archived.is_(False)).limit(1).scalar_subquery())
    final_passed = (select(Attempt.id).join(Quiz, Quiz.id == Attempt.quiz_id).where(
        Quiz.course_id == Course.id, Quiz.lesson_id.is_(None), Quiz.archived.is_(False),
        Attempt.user_id == user.id, Attempt.state == "submitted",
        Attempt.passed.is_(True)).exists())
    lessons = (select(Lesson.course_id, func.count(Lesson.id).label("live"),
                      func.sum(case((done, 0), else_=1)).label("pending"))
               .where(Lesson.course_id.in_(course_ids), Lesson.archived.is_(False))
               .group_by(Lesson.course_id).subquery())
    completed_before = (select(CourseCompletion.id).where(
        CourseCompletion.user_id == user.id, CourseCompletion.course_id == Course.id).exists())
    org_path = select(Organization.path).where(
        Organization.id == (user.org_id or 0)).scalar_subquery()
    rows = db.session.execute(
        select(Course, func.coalesce(lessons.c.live, 0), func.coalesce(lessons.c.pending, 0),
               final, final_passed, org_path)
        .outerjoin(lessons, lessons.c.course_id == Course.id)
        .where(Course.id.in_(course_ids), ~completed_before)).all()
    completed = [(course, path) for course, live, pending, final_id, passed, path in rows
                 if not (pending or (final_id is None and not live)
                         or (final_id is not None and not passed))]
    if not completed:
        return set()
    db.session.execute(insert(CourseCompletion), [
        {"user_id": user.id, "course_id": course.id, "completed_at": now,
         "course_version": course.version} for course, _ in completed])
    credited = [{"user_id": user.id, "year": years.year_of(now), "category": "online",
                 "hours": float(course.credit_hours), "source": "course",
                 "source_id": course.id, "reason": course.title[:200], "recorded_at": now,
                 "org_path": path or "", "recorded_by_id": None}
                for course, path in completed if float(course.credit_hours or 0) > 0]
    if credited:
        db.session.execute(insert(StudyHours), credited)
    if signals.courses_completed.receivers:
        # read back for their ids (one read: an INSERT … RETURNING of several rows is sent row
        # by row wherever the returned order is not guaranteed)
        courses = {course.id: course for course, _ in completed}
        completions = db.session.scalars(select(CourseCompletion).where(
            CourseCompletion.user_id == user.id,
            CourseCompletion.course_id.in_(courses))).all()
        signals.courses_completed.send(None, user=_member(user), completed=[
            (completion, courses[completion.course_id]) for completion in completions])
    return {course.id for course, _ in completed}


def on_lesson_checks_graded(_sender, *, user, checks, now, **_):
    """Many lesson checks graded at once (lms.quizzes.batch): each submission means the member
    reached the lesson's end; a passed check (now or earlier) completes it."""
    checks = list(checks)
    if not checks:
        return
    failed = {c.quiz_id for c in checks if not c.passed}
    passed_before = set(db.session.scalars(select(Attempt.quiz_id).where(
        Attempt.user_id == user.id, Attempt.quiz_id.in_(failed), Attempt.state == "submitted",
        Attempt.passed.is_(True)).distinct())) if failed else set()
    reach_ends(user, [(c.lesson_id, c.course_id, c.passed or c.quiz_id in passed_before)
                      for c in checks], now)


def connect_signals() -> None:
    """Called by ``create_app``, with the other receivers."""
    from lms.quizzes import signals as quiz_signals

    quiz_signals.lesson_checks_graded.connect(on_lesson_checks_graded)
