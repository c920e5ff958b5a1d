"""In-person meetings (三会一课, 主题党日), who attended them, and lessons taken to a member's home.

A meeting is planned, ticked off, then closed (签发): closing credits the meeting's hours to
everyone present, once (``StudyHours`` with source ``meeting``). After that the attendance is
changed only through a correction with a reason, which the ledger follows with a reversing
entry.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.clock import utcnow
from lms.core.models import IdMixin
from lms.extensions import db

#: kinds of meeting, in the order the forms list them
KINDS = ("general", "committee", "group", "lecture", "theme_day", "other")
#: kinds that may name the course lesson they taught (read together)
TEACHING_KINDS = ("lecture", "theme_day")
STATES = ("planned", "closed")
ATTENDANCE = ("present", "leave", "absent")
METHODS = ("roster", "qr")


class Meeting(IdMixin, db.Model):
    """One meeting of a branch (or a 党小组's 党小组会): the minute-book fields of DOMAIN §2."""

    __tablename__ = "meetings"
    __table_args__ = (
        #: the branch page and the roll-up read one organisation's (or a subtree's) meetings
        #: of a period
        Index("ix_meetings_org_starts", "org_id", "starts_at"),
    )

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(120))
    #: planned start and end (naive UTC, like every stored moment)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(120), default="")
    host: Mapped[str] = mapped_column(String(60), default="")  # 主持人
    minute_taker: Mapped[str] = mapped_column(String(60), default="")  # 记录人
    topics: Mapped[str] = mapped_column(Text, default="")  # 议题
    remarks: Mapped[str] = mapped_column(Text, default="")  # 发言要点
    decisions: Mapped[str] = mapped_column(Text, default="")  # 决定
    dissent: Mapped[str] = mapped_column(Text, default="")  # 不同意见
    #: 学时 credited to everyone present (0–8, in half hours)
    hours: Mapped[float] = mapped_column(Numeric(4, 2, asdecimal=False), default=0)
    #: the course lesson a 党课 or 主题党日 read together; its course is 补学 for the absent
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id"))
    makeup_due_on: Mapped[date | None]
    #: members of other branches (流动党员 working here) may check in with the QR code
    allow_guests: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(10), default="planned")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    #: 应到 and 实到 when closed, kept up to date by corrections (the roll-up sums them)
    expected_count: Mapped[int] = mapped_column(default=0)
    present_count: Mapped[int] = mapped_column(default=0)

    @property
    def closed(self) -> bool:
        return self.state == "closed"


class Attendance(IdMixin, db.Model):
    """A person's mark on one meeting: 到 / 请假 (reason) / 缺席, 迟到 as a mark; one per person."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(10))
    late: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(120), default="")
    method: Mapped[str] = mapped_column(String(10), default="roster")
    #: a member of another branch who checked in (the record names their own branch)
    guest: Mapped[bool] = mapped_column(default=False)
    guest_org_name: Mapped[str] = mapped_column(String(80), default="")
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


class HomeVisit(IdMixin, db.Model):
    """送学上门: a lesson taken to an elderly or sick member's home (条例第二十三条)."""

    __tablename__ = "home_visits"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    visited_on: Mapped[date]
    topic: Mapped[str] = mapped_column(String(200))
    hours: Mapped[float] = mapped_column(Numeric(4, 2, asdecimal=False))
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
