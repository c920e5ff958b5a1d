"""Reads behind the meeting pages; each a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import String, and_, bindparam, case, func, literal, select, union_all
from sqlalchemy.orm import aliased

from lms.auth.models import User
from lms.core.clock import utcnow
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.meetings.models import Attendance, HomeVisit, Meeting
from lms.orgs.access import in_scope
from lms.orgs.models import Organization
from lms.progress import years

UPCOMING = 3
RECENT = 5


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    def utc(y):
        return datetime(y, 1, 1, tzinfo=years.zone()).astimezone(UTC).replace(tzinfo=None)
    return utc(year), utc(year + 1)


def meetings_in_scope(paths: list[str] | None, year: int):
    """The year's meetings under ``paths``, newest first, with their organisation's name."""
    start, end = _year_bounds(year)
    return db.session.execute(
        select(Meeting, Organization.name)
        .join(Organization, Organization.id == Meeting.org_id)
        .where(in_scope(Organization.path, paths), Meeting.starts_at >= start,
               Meeting.starts_at < end)
        .order_by(Meeting.starts_at.desc()).limit(500)).all()


def lesson_line(lesson_id: int):
    return db.session.execute(
        select(Course.slug, Course.title, Lesson.key, Lesson.title)
        .join(Course, Course.id == Lesson.course_id).where(Lesson.id == lesson_id)).first()


@dataclass
class BookRow:
    meeting_id: int
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    host: str
    minute_taker: str
    hours: float
    state: str
    expected: int
    present: int
    leave: int
    absent: int


def book_rows(org: Organization, year: int) -> list[BookRow]:
    """The organisation's meetings of ``year`` (its 党小组 too), oldest first, with 应到 / 实到
    / 请假 / 缺席 counted from the attendance (one query)."""
    start, end = _year_bounds(year)
    member = Attendance.guest.is_(False)

    def total(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = db.session.execute(
        select(Meeting.id, Meeting.kind, Meeting.title, Meeting.starts_at, Meeting.ends_at,
               Meeting.place, Meeting.host, Meeting.minute_taker, Meeting.hours, Meeting.state,
               total(member), total(and_(member, Attendance.status == "present")),
               total(and_(member, Attendance.status == "leave")),
               total(and_(member, Attendance.status == "absent")))
        .join(Organization, Organization.id == Meeting.org_id)
        .outerjoin(Attendance, Attendance.meeting_id == Meeting.id)
        .where(Organization.path.startswith(org.path), Meeting.starts_at >= start,
               Meeting.starts_at < end)
        .group_by(Meeting.id).order_by(Meeting.starts_at, Meeting.id)).all()
    return [BookRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], float(r[8] or 0), r[9],
                    int(r[10]), int(r[11]), int(r[12]), int(r[13])) for r in rows]


def recent_home_visits(paths: list[str] | None, limit: int = 20):
    return db.session.execute(
        select(HomeVisit, User.name)
        .join(User, User.id == HomeVisit.user_id)
        .join(Organization, Organization.id == User.org_id)
        .where(in_scope(Organization.path, paths))
        .order_by(HomeVisit.visited_on.desc(), HomeVisit.id.desc()).limit(limit)).all()


def _for_member():
    """My branch's next meetings (my node and those above it) and my recent attendance, in one
    statement built once (我的学习 runs it on every visit): rows of (which, id, kind, title,
    starts_at, place, topics, status, late, hours, state)."""
    user_id, org_id = bindparam("user_id"), bindparam("org_id")
    mine = aliased(Organization)
    above_me = (select(mine.id).where(mine.id == org_id,
                                      mine.path.startswith(Organization.path)).exists())
    upcoming = (select(literal("next").label("which"), Meeting.id, Meeting.kind, Meeting.title,
                       Meeting.starts_at, Meeting.place, Meeting.topics,
                       literal(None, String).label("status"), literal(False).label("late"),
                       Meeting.hours, Meeting.state)
                .join(Organization, Organization.id == Meeting.org_id)
                .where(above_me, Meeting.state == "planned",
                       Meeting.ends_at >= bindparam("now"))
                .order_by(Meeting.starts_at).limit(UPCOMING))
    recent = (select(literal("past").label("which"), Meeting.id, Meeting.kind, Meeting.title,
                     Meeting.starts_at, Meeting.place, Meeting.topics, Attendance.status,
                     Attendance.late, Meeting.hours, Meeting.state)
              .join(Meeting, Meeting.id == Attendance.meeting_id)
              .where(Attendance.user_id == user_id)
              .order_by(Meeting.starts_at.desc()).limit(RECENT))
    both = union_all(upcoming.subquery().select(), recent.subquery().select()).subquery()
    return select(both).order_by(both.c.which, both.c.starts_at)


_FOR_MEMBER = _for_member()


def for_member(user: User):
    """(upcoming, recent) for 我的学习: one query."""
    rows = db.session.execute(_FOR_MEMBER, {"user_id": user.id, "org_id": user.org_id,
                                            "now": utcnow()}).all()
    upcoming = [r for r in rows if r.which == "next"]
    recent = sorted((r for r in rows if r.which == "past"), key=lambda r: r.starts_at,
                    reverse=True)
    return upcoming, recent


def attended(user_id: int, year: int):
    """The year's meetings the member attended (closed ones, with their hours) and the lessons
    brought to their home, newest first: one query."""
    start, end = _year_bounds(year)
    meetings = (select(literal("meeting").label("what"), Meeting.starts_at.label("at"),
                       Meeting.kind, Meeting.title, Meeting.hours, Attendance.late)
                .join(Meeting, Meeting.id == Attendance.meeting_id)
                .where(Attendance.user_id == user_id, Attendance.status == "present",
                       Meeting.state == "closed", Meeting.starts_at >= start,
                       Meeting.starts_at < end))
    visits = (select(literal("home_visit").label("what"), HomeVisit.recorded_at.label("at"),
                     literal("home_visit").label("kind"), HomeVisit.topic, HomeVisit.hours,
                     literal(False).label("late"))
              .where(HomeVisit.user_id == user_id, HomeVisit.visited_on >= date(year, 1, 1),
                     HomeVisit.visited_on <= date(year, 12, 31)))
    both = union_all(meetings, visits).subquery()
    return db.session.execute(select(both).order_by(both.c.at.desc())).all()
