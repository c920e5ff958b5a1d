"""Enrolment, required-course assignments, lesson progress, course completion and the 学时 ledger."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.clock import utcnow
from lms.core.models import AppendOnlyError, IdMixin, append_only
from lms.extensions import db

ENROLLMENT_SOURCES = ("self", "assigned")
#: ledger categories (DOMAIN §6.4: 在线 / 集体学习·组织生活 / others entered by hand)
HOURS_CATEGORIES = ("online", "meeting", "manual")
#: where an entry came from; ``source_id`` names the course or meeting
HOURS_SOURCES = ("course", "meeting", "home_visit", "manual")


class Enrollment(IdMixin, db.Model):
    """A member taking a course: by choice, or because the course was assigned to their branch."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: "self" (enrolled on the course page or by starting a lesson) or "assigned"
    source: Mapped[str] = mapped_column(String(10), default="self")


class CourseAssignment(IdMixin, db.Model):
    """A course required of every member under ``org`` (its whole subtree), by a due date.

    Members who join the subtree later are covered too: who must take it is worked out from the
    tree when asked, never copied into per-member rows.
    """

    __tablename__ = "course_assignments"
    __table_args__ = (UniqueConstraint("course_id", "org_id"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: the last day (local calendar date) to complete the course
    due_on: Mapped[date]
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class MemberAssignment(IdMixin, db.Model):
    """A course required of one member by a due date: 补学 for a lesson they missed (a 党课 or
    主题党日 they were absent from). The branch view and 我的学习 count it with the branch's
    required courses."""

    __tablename__ = "member_assignments"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    due_on: Mapped[date]
    #: why, e.g. "补学：3月党课"
    reason: Mapped[str] = mapped_column(String(200), default="")
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class LessonProgress(IdMixin, db.Model):
    """One member's way through one lesson.

    ``reached_end_at``: the lesson's check was submitted, or "我读完了" was pressed on a lesson
    without a check. ``completed_at``: reached the end and passed the check (or has none).
    """

    __tablename__ = "lesson_progress"
    __table_args__ = (
        UniqueConstraint("user_id", "lesson_id"),
        #: a member's progress in one course (我的学习, completion checks)
        Index("ix_lesson_progress_user_course", "user_id", "course_id"),
        #: last study date per member (branch view) without touching the table rows
        Index("ix_lesson_progress_user_seen", "user_id", "last_seen_at"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    #: the lesson's course, kept here so a course's progress is one indexed query
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    reached_end_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class CourseCompletion(IdMixin, db.Model):
    """A passed course: every live lesson complete and the final quiz (if any) passed. Once."""

    __tablename__ = "course_completions"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Course.version at completion: a later edit never takes the credit back
    course_version: Mapped[int] = mapped_column(default=1)


class StudyHours(IdMixin, db.Model):
    """One line of a member's 学时 ledger. Append-only: the app inserts and never changes a row.

    Yearly totals are sums over these rows. ``(user, source, source_id)`` is unique, so a course
    (or a meeting) credits a member once even when two completions race; manual entries have no
    ``source_id`` (NULLs are distinct), so a secretary may add several.
    """

    __tablename__ = "study_hours"
    __table_args__ = (
        UniqueConstraint("user_id", "source", "source_id", name="uq_study_hours_once"),
        Index("ix_study_hours_user_year", "user_id", "year"),
        #: the whole year's ledger summed per member in one ordered, index-only pass (the
        #: county roll-up): no table row is read and no hash of 20,000 sums is built
        Index("ix_study_hours_year_user_hours", "year", "user_id", "hours"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: the calendar year (local time) the hours count for
    year: Mapped[int]
    category: Mapped[str] = mapped_column(String(10))
    hours: Mapped[float] = mapped_column(Numeric(6, 2, asdecimal=False))
    source: Mapped[str] = mapped_column(String(10))
    source_id: Mapped[int | None]
    reason: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the member's organisation path when the entry was made (the archive keeps history)
    org_path: Mapped[str] = mapped_column(String(255), default="", index=True)


class LedgerIsAppendOnly(AppendOnlyError):
    pass


append_only(StudyHours, LedgerIsAppendOnly, "study-hours entries are never changed or deleted")
