"""Writes for enrolment, lesson progress, completion and the 学时 ledger.

Rules:

* A lesson is complete when the member reached its end and passed its check, or reached its end
  when it has no check. Reaching the end is the check's submission (the check sits after the
  text) or "我读完了" on a lesson without a check.
* A course is complete when every live lesson is complete and its final quiz is passed (a course
  without a final quiz completes with its lessons). Whichever comes last triggers it.
* Completion writes one ledger entry (the course's credit hours, category online, the local year
  of completion) exactly once: completions of one member and course are serialised on their
  enrolment row, and unique constraints catch anything that slips past.

The functions named ``on_*`` are signal receivers: they run inside the quiz engine's grading
transaction and never commit. The others end in one commit.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import case, exists, func, insert, select
from sqlalchemy.exc import IntegrityError

from lms.audit.services import record
from lms.auth.models import User
from lms.core.clock import utcnow
from lms.core.errors import Conflict, NotFound, ValidationFailed
from lms.core.i18n import N_
from lms.courses.models import Course, Lesson
from lms.database import begin_write
from lms.extensions import db
from lms.orgs.access import authorize
from lms.orgs.models import Organization
from lms.progress import signals, years
from lms.progress.models import (
    CourseAssignment,
    CourseCompletion,
    Enrollment,
    LessonProgress,
    MemberAssignment,
    StudyHours,
)
from lms.quizzes.models import Attempt, Quiz

MANUAL_CATEGORIES = ("meeting", "manual")
MAX_MANUAL_HOURS = 100


# ---- small helpers -------------------------------------------------------------------------

def _insert_once(row) -> bool:
    """Add ``row`` in a savepoint; False when a unique constraint says it exists already."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return False
    return True


def _ensure_enrollment(user_id: int, course_id: int, source: str = "self") -> None:
    found = db.session.scalar(select(Enrollment.id).where(
        Enrollment.user_id == user_id, Enrollment.course_id == course_id))
    if found is None:
        _insert_once(Enrollment(user_id=user_id, course_id=course_id, source=source))


def _progress(user_id: int, lesson: Lesson) -> LessonProgress:
    """The member's row for ``lesson``, created on first touch."""
    stmt = select(LessonProgress).where(LessonProgress.user_id == user_id,
                                        LessonProgress.lesson_id == lesson.id)
    row = db.session.scalar(stmt)
    if row is None:
        now = utcnow()
        row = LessonProgress(user_id=user_id, lesson_id=lesson.id, course_id=lesson.course_id,
                             first_seen_at=now, last_seen_at=now)
        if _insert_once(row):
            signals.lesson_started.send(row, user_id=user_id, lesson=lesson)
        else:
            row = db.session.scalar(stmt)
    return row


def _live_check_id(lesson_id: int) -> int | None:
    return db.session.scalar(select(Quiz.id).where(
        Quiz.lesson_id == lesson_id, Quiz.archived.is_(False)))


def _has_passed(user_id: int, quiz_id: int, attempt: Attempt | None = None) -> bool:
    if (attempt is not None and attempt.passed and attempt.user_id == user_id
            and attempt.quiz_id == quiz_id):
        return True
    return bool(db.session.scalar(select(exists().where(
        Attempt.user_id == user_id, Attempt.quiz_id == quiz_id,
        Attempt.state == "submitted", Attempt.passed.is_(True)))))


def _reach_end(user_id: int, lesson: Lesson, *, check_passed: bool) -> LessonProgress:
    """Mark the end reached (and the lesson complete when ``check_passed``); no commit."""
    _ensure_enrollment(user_id, lesson.course_id)
    row = _progress(user_id, lesson)
    now = utcnow()
    row.last_seen_at = now
    if row.reached_end_at is None:
        row.reached_end_at = now
    newly = check_passed and row.completed_at is None
    if newly:
        row.completed_at = now
    db.session.flush()
    if newly:
        signals.lesson_completed.send(row, user=db.session.get(User, user_id), lesson=lesson)
    return row


def _lesson(lesson_id: int) -> Lesson:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFound(N_("没有这一课。"))
    return lesson


# ---- course completion ----------------------------------------------------------------------

def try_complete_course(user: User, course_id: int,
                        passed_final: Attempt | None = None) -> CourseCompletion | None:
    """Complete the course if every rule holds, crediting its hours once; no commit.

    Returns the new completion, or None (not yet complete, or completed before).
    """
    # serialise concurrent completions of one member's course (FOR UPDATE; SQLite already
    # has a single writer): the second one then sees what the first wrote. The lock is taken
    # on the enrolment, made first when missing
    enrolment = select(Enrollment.id).where(
        Enrollment.user_id == user.id, Enrollment.course_id == course_id).with_for_update()
    if db.session.scalar(enrolment) is None:
        _ensure_enrollment(user.id, course_id)
        db.session.scalar(enrolment)
    if db.session.scalar(select(CourseCompletion.id).where(
            CourseCompletion.user_id == user.id, CourseCompletion.course_id == course_id)):
        return None
    course = db.session.get(Course, course_id)
    done = (select(LessonProgress.id).where(
        LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user.id,
        LessonProgress.completed_at.isnot(None)).exists())
    live, pending = db.session.execute(
        select(func.count(Lesson.id),
               func.coalesce(func.sum(case((done, 0), else_=1)), 0))
        .where(Lesson.course_id == course_id, Lesson.archived.is_(False))).one()
    if pending:
        return None
    final_id = db.session.scalar(select(Quiz.id).where(
        Quiz.course_id == course_id, Quiz.lesson_id.is_(None), Quiz.archived.is_(False)))
    if final_id is None and not live:
        return None  # nothing to complete
    if final_id is not None and not _has_passed(user.id, final_id, passed_final):
        return None
    now = utcnow()
    completion = CourseCompletion(user_id=user.id, course_id=course_id, completed_at=now,
                                  course_version=course.version)
    if not _insert_once(completion):
        return None
    hours = float(course.credit_hours or 0)
    if hours > 0:
        _insert_once(StudyHours(
            user_id=user.id, year=years.year_of(now), category="online", hours=hours,
            source="course", source_id=course_id, reason=course.title[:200],
            recorded_at=now, org_path=_org_path(user.org_id)))
    signals.course_completed.send(completion, user=user, course=course)
    return completion


def _org_path(org_id: int | None) -> str:
    if org_id is None:
        return ""
    return db.session.scalar(select(Organization.path).where(Organization.id == org_id)) or ""


# ---- signal receivers (inside the grading transaction: never commit) -----------------------

def on_lesson_check_graded(quiz, *, user, lesson_id, passed, **_):
    """The check sits after the text: grading it means the member reached the end; the lesson
    is complete when this attempt or an earlier one passed."""
    lesson = _lesson(lesson_id)
    row = _reach_end(user.id, lesson, check_passed=passed or _has_passed(user.id, quiz.id))
    if row.completed_at is not None:
        try_complete_course(user, lesson.course_id)


def on_final_quiz_passed(quiz, *, user, course_id, attempt=None, **_):
    try_complete_course(user, course_id, passed_final=attempt)


def connect_signals() -> None:
    """Called by ``create_app`` (connecting twice is harmless: blinker keeps one of each)."""
    from lms.quizzes import signals

    signals.lesson_check_graded.connect(on_lesson_check_graded)
    signals.final_quiz_passed.connect(on_final_quiz_passed)


# ---- member actions -------------------------------------------------------------------------

def enroll(user: User, course: Course, source: str = "self") -> Enrollment:
    """Take a course (idempotent: enrolling twice keeps the first enrolment)."""
    begin_write()
    _ensure_enrollment(user.id, course.id, source)
    db.session.commit()
    return db.session.scalar(select(Enrollment).where(
        Enrollment.user_id == user.id, Enrollment.course_id == course.id))


def record_visit(user: User, lesson: Lesson) -> None:
    """The lesson page was opened (posted by progress.js): first/last seen; enrols implicitly.

    Seeing a lesson earns nothing by itself (proof of study, not clicks).
    """
    if lesson.archived:
        raise NotFound(N_("这一课已下线。"))
    begin_write()
    _ensure_enrollment(user.id, lesson.course_id)
    row = _progress(user.id, lesson)
    row.last_seen_at = utcnow()
    db.session.commit()


def mark_read(user: User, lesson: Lesson) -> LessonProgress:
    """"我读完了" on a lesson without a check: the lesson is complete (idempotent).

    Raises Conflict for a lesson with a check: only passing the check completes it.
    """
    if lesson.archived:
        raise NotFound(N_("这一课已下线。"))
    begin_write()
    if _live_check_id(lesson.id) is not None:
        db.session.rollback()
        raise Conflict(N_("这一课有随堂测验，答完并通过测验才算完成。"))
    row = _reach_end(user.id, lesson, check_passed=True)
    try_complete_course(user, lesson.course_id)
    db.session.commit()
    return row


# ---- secretaries ----------------------------------------------------------------------------

def course_open_to(course: Course, org: Organization) -> bool:
    if course.audience_org_id is None:
        return True
    audience = db.session.get(Organization, course.audience_org_id)
    return audience is not None and org.path.startswith(audience.path)


def assign_course(actor: User, course: Course, org: Organization, due_on: date,
                  ip: str = "") -> CourseAssignment:
    """Require ``course`` of everyone under ``org`` by ``due_on``; assigning again moves the date.

    Raises NotAllowed outside the actor's scope, ValidationFailed for a course the branch cannot
    see or a date in the past.
    """
    authorize(actor, "assign_courses", org)
    if course.status != "published" or not course_open_to(course, org):
        raise ValidationFailed(N_("这门课没有向这个党组织开放，不能布置为必修。"))
    if due_on < years.today():
        raise ValidationFailed(N_("截止日期不能早于今天。"))
    begin_write()
    assignment = db.session.scalar(select(CourseAssignment).where(
        CourseAssignment.course_id == course.id, CourseAssignment.org_id == org.id))
    previous = assignment.due_on.isoformat() if assignment else None
    if assignment is None:
        assignment = CourseAssignment(course_id=course.id, org_id=org.id, due_on=due_on,
                                      assigned_by_id=actor.id, assigned_at=utcnow())
        db.session.add(assignment)
    else:
        assignment.due_on, assignment.assigned_by_id = due_on, actor.id
    record("course.assign", actor=actor, target=f"{course.slug} → {org.code}", ip=ip,
           detail={"due_on": due_on.isoformat(), "previous": previous})
    db.session.commit()
    return assignment


def withdraw_assignment(actor: User, assignment: CourseAssignment, ip: str = "") -> None:
    org = db.session.get(Organization, assignment.org_id)
    authorize(actor, "assign_courses", org)
    course = db.session.get(Course, assignment.course_id)
    record("course.unassign", actor=actor, target=f"{course.slug} → {org.code}", ip=ip,
           detail={"due_on": assignment.due_on.isoformat()})
    db.session.delete(assignment)
    db.session.commit()


def record_manual_hours(actor: User, member: User, *, hours: float, category: str,
                        reason: str, occurred_on: date | None = None, year: int | None = None,
                        ip: str = "") -> StudyHours:
    """A secretary (``manage_members`` over the member) enters hours by hand, with a reason.

    The entry carries the date the study happened (``occurred_on``; the ledger shows it, and its
    year is the year credited): an entry for last December is dated last December. Given only
    a ``year``, the date is today, or 31 December of last year. The ledger is append-only, so a
    mistake is corrected by a negative entry with its reason; the year's total never goes
    below zero. Nobody enters hours for themselves.
    """
    org = db.session.get(Organization, member.org_id) if member.org_id else None
    if org is None:
        raise ValidationFailed(N_("这位党员不在任何党组织中，不能登记学时。"))
    authorize(actor, "manage_members", org)
    if actor.id == member.id:
        raise ValidationFailed(N_("不能给自己登记学时，请由上级组织登记。"))
    reason = (reason or "").strip()
    if len(reason) < 2 or len(reason) > 200:
        raise ValidationFailed(N_("请写明登记原因（2 到 200 个字），例如“3月党课，集中学习 2 小时”。"))
    if category not in MANUAL_CATEGORIES:
        raise ValidationFailed(N_("请选择学时类别。"))
    now_year, today = years.this_year(), years.today()
    if occurred_on is None:
        year = now_year if year is None else year
        occurred_on = today if year == now_year else date(year, 12, 31)
    year = occurred_on.year
    if year not in (now_year, now_year - 1):
        raise ValidationFailed(N_("只能登记 %(last)d 年或 %(this)d 年的学时。"),
                               last=now_year - 1, this=now_year)
    if occurred_on > today:
        raise ValidationFailed(N_("学习日期不能晚于今天。"))
    try:
        hours = round(float(hours), 2)
    except (TypeError, ValueError):
        raise ValidationFailed(N_("学时应是数字，例如 2 或 0.5。")) from None
    if hours == 0 or abs(hours) > MAX_MANUAL_HOURS or hours != hours:
        raise ValidationFailed(N_("学时应在 -%(max)s 到 %(max)s 之间且不为 0（负数用于更正）。"),
                               max=MAX_MANUAL_HOURS)
    begin_write()
    if hours < 0:
        total = db.session.scalar(select(func.coalesce(func.sum(StudyHours.hours), 0)).where(
            StudyHours.user_id == member.id, StudyHours.year == year))
        if float(total) + hours < 0:
            db.session.rollback()
            raise ValidationFailed(N_("更正后 %(year)d 年的学时会小于 0（现有 %(total)g）。"),
                                   year=year, total=float(total))
    entry = StudyHours(user_id=member.id, year=year, category=category, hours=hours,
                       source="manual", source_id=None, reason=reason, recorded_by_id=actor.id,
                       recorded_at=years.local_noon(occurred_on), org_path=org.path)
    db.session.add(entry)
    record("hours.manual", actor=actor, target=f"{member.phone} {member.name}", ip=ip,
           detail={"year": year, "date": occurred_on.isoformat(), "hours": hours,
                   "category": category, "reason": reason})
    db.session.commit()
    return entry


# ---- credits and 补学 for later domains (meetings) --------------------------------------------

def credit_once(members: list[tuple[int, str]], *, source: str, source_id: int, hours: float,
                year: int, category: str, reason: str, recorded_by_id: int | None) -> list[int]:
    """Credit ``hours`` to each (user id, org path) for ``source``/``source_id`` unless the
    ledger has an entry for it already; no commit. Returns the ids credited now.

    The caller serialises concurrent credits of one source (it holds the source's row lock, or
    SQLite's single writer); the unique constraint is the backstop. One read and one
    multi-row insert whatever the number of members.
    """
    if not members or hours <= 0:
        return []
    ids = [user_id for user_id, _path in members]
    have = set(db.session.scalars(select(StudyHours.user_id).where(
        StudyHours.source == source, StudyHours.source_id == source_id,
        StudyHours.user_id.in_(ids))))
    now = utcnow()
    rows = [{"user_id": user_id, "year": year, "category": category, "hours": hours,
             "source": source, "source_id": source_id, "reason": reason[:200],
             "recorded_by_id": recorded_by_id, "recorded_at": now, "org_path": path or ""}
            for user_id, path in members if user_id not in have]
    if rows:
        db.session.execute(insert(StudyHours), rows)
    return [row["user_id"] for row in rows]


def adjust_hours(member_id: int, *, hours: float, year: int, category: str, reason: str,
                 recorded_by_id: int | None, org_path: str) -> StudyHours:
    """An append-only correction (negative to reverse an earlier credit), with its reason; no
    commit and no check: the caller has authorised it and audits it."""
    entry = StudyHours(user_id=member_id, year=year, category=category, hours=hours,
                       source="manual", source_id=None, reason=reason[:200],
                       recorded_by_id=recorded_by_id, recorded_at=utcnow(), org_path=org_path)
    db.session.add(entry)
    return entry


def assign_course_to_members(actor: User | None, course_id: int, member_ids: list[int],
                             due_on: date, reason: str) -> int:
    """Require a course of single members by ``due_on`` (补学 for a missed lesson): shown in
    the branch view's required courses and in each member's 我的学习. A member who already has
    it keeps the earlier row; no commit. Returns how many were added."""
    if not member_ids:
        return 0
    have = set(db.session.scalars(select(MemberAssignment.user_id).where(
        MemberAssignment.course_id == course_id, MemberAssignment.user_id.in_(member_ids))))
    done = set(db.session.scalars(select(CourseCompletion.user_id).where(
        CourseCompletion.course_id == course_id, CourseCompletion.user_id.in_(member_ids))))
    now = utcnow()
    rows = [{"course_id": course_id, "user_id": user_id, "due_on": due_on,
             "reason": reason[:200], "assigned_by_id": actor.id if actor else None,
             "assigned_at": now}
            for user_id in dict.fromkeys(member_ids) if user_id not in have | done]
    if rows:
        db.session.execute(insert(MemberAssignment), rows)
    return len(rows)
