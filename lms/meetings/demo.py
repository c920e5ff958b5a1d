"""`python run.py --demo`: a year of meetings in the demo county, recorded as the real flow
would (planned, ticked, closed with the hours and 补学), so the meeting pages, 学习情况 and
我的学习 all show something.

渔港村 holds every 主题党日 and 支委会 up to this month and its quarterly 党课 — the second
quarter's on a fishing boat, reading a lesson of the 党课 course together; 稻香村 has missed
last month's and this month's 主题党日 (overdue); a 主题党日 is planned for next week; and
陈美玲 took a lesson to 林老根's home. 王小明 came home mid-year and missed the meetings before
July (and the boat's 党课, now his 补学). Idempotent: nothing is added when meetings exist.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Flask
from sqlalchemy import insert, select

from lms.auth.models import User
from lms.core.clock import utcnow
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.meetings import services
from lms.meetings.models import Attendance, Meeting
from lms.orgs.models import Organization
from lms.progress import years

SECRETARIES = {"LH-DW-YG": "13900000004", "LH-DW-DX": "13900000007"}
RECORDER = "13900000005"  # 陈美玲, 渔港村组织委员
#: who is away, and why (请假 with a reason); 林老根 is marked absent only when not visited
AWAY = {"13900000015": "在深圳务工", "13900000016": "年老行动不便"}


def _moment(day: date, hour: int) -> datetime:
    local = datetime(day.year, day.month, day.day, hour, tzinfo=years.zone())
    return local.astimezone(UTC).replace(tzinfo=None)


def _held(actor: User, org: Organization, kind: str, title: str, day: date, *, place: str,
          topics: str, hours: float, phones: dict[int, str], lesson_id: int | None = None,
          skip: set[int] = frozenset()) -> None:
    """A meeting planned, ticked (those in AWAY on leave, ``skip`` absent) and closed. A
    meeting of today starts at 9:00, or now when the demo is made before nine (a meeting can
    only be closed once it has begun)."""
    starts = min(_moment(day, 9), utcnow().replace(second=0, microsecond=0))
    meeting = services.save_meeting(actor, org, services.MeetingData(
        kind=kind, title=title, starts_at=starts, ends_at=starts + timedelta(hours=2),
        place=place, host=actor.name, minute_taker="陈美玲" if "YG" in org.code else actor.name,
        topics=topics, remarks="大家结合生产实际谈了体会。", decisions="按计划落实。",
        hours=hours, lesson_id=lesson_id,
        makeup_due_on=day + timedelta(days=30) if lesson_id else None))
    rows = []
    for line in services.roster(meeting, org):
        phone = phones.get(line.user_id, "")
        if phone in AWAY:
            rows.append({"status": "leave", "reason": AWAY[phone], "user_id": line.user_id})
        elif line.user_id in skip:
            rows.append({"status": "absent", "reason": "", "user_id": line.user_id})
        else:
            rows.append({"status": "present", "reason": "", "user_id": line.user_id})
    if rows:
        db.session.execute(insert(Attendance), [
            {**r, "meeting_id": meeting.id, "late": False, "method": "roster", "guest": False,
             "guest_org_name": "", "marked_by_id": actor.id, "marked_at": starts} for r in rows])
        db.session.commit()
    services.close_meeting(actor, meeting.id)


def add_meetings(app: Flask) -> None:
    if db.session.scalar(select(Meeting.id).limit(1)) is not None:
        return
    orgs = {o.code: o for o in db.session.scalars(select(Organization))}
    people = {u.phone: u for u in db.session.scalars(select(User))}
    if "LH-DW-YG" not in orgs or RECORDER not in people:
        return
    phones = {u.id: phone for phone, u in people.items()}
    #: 王小明 (预备党员) came home from the city mid-year: absent before July
    late_joiner = {people["13900000012"].id} if "13900000012" in people else set()
    lesson = db.session.execute(
        select(Lesson.id, Lesson.title).join(Course, Course.id == Lesson.course_id)
        .where(Course.slug.like("dangke%"), Lesson.archived.is_(False))
        .order_by(Lesson.position)).first()
    today = years.today()
    for code, phone in SECRETARIES.items():
        org, actor = orgs.get(code), people.get(phone)
        if org is None or actor is None:
            continue
        lagging = code == "LH-DW-DX"
        for month in range(1, today.month + 1):
            day = date(today.year, month, min(8, today.day if month == today.month else 8))
            if day > today:
                continue
            if not (lagging and month >= today.month - 1):
                _held(actor, org, "theme_day", f"{month}月主题党日", day,
                      place="村党群服务中心" if not lagging else "稻香村文化礼堂",
                      topics="学习党章，交纳党费，志愿清扫村道", hours=1, phones=phones,
                      skip=late_joiner if month < 7 else set())
            _held(actor, org, "committee", f"{month}月支委会", day, place="村部",
                  topics="研究本月工作", hours=0, phones=phones)
            if month % 3 == 2 and not lagging:
                on_boat = month == 5 and lesson is not None
                _held(actor, org, "lecture",
                      "渔船上的党课" if on_boat else f"第{(month + 1) // 3}季度党课", day,
                      place="渔港村 3 号渔船甲板" if on_boat else "村党群服务中心",
                      topics=lesson.title if on_boat else "学习惠民政策", hours=2, phones=phones,
                      lesson_id=lesson.id if on_boat else None,
                      skip=late_joiner if on_boat or month < 7 else set())
        if not lagging:
            next_week = utcnow() + timedelta(days=7)
            services.save_meeting(actor, org, services.MeetingData(
                kind="theme_day", title="下月主题党日：海上安全与党员责任区",
                starts_at=next_week, ends_at=next_week + timedelta(hours=2),
                place="渔港码头", host=actor.name, minute_taker="陈美玲",
                topics="海上安全教育；划分党员责任区", hours=2, allow_guests=True))
    elder, recorder = people.get("13900000016"), people.get(RECORDER)
    if elder is not None and recorder is not None:
        services.record_home_visit(recorder, elder, visited_on=today - timedelta(days=3),
                                   topic="上门读党课教材第一课，讲解医保新政", hours=1)


def register(bp) -> None:
    def _add(state):
        from lms.demo import on_demo

        on_demo(state.app, add_meetings)
    bp.record_once(_add)
