"""The demo county's meetings: a year of records, a 党课 on a fishing boat that taught a lesson
(补学 for those who missed it), one branch overdue, a home visit to 林老根; run twice, the same."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.demo import create_demo
from lms.extensions import db
from lms.meetings import oversight
from lms.meetings.models import HomeVisit, Meeting
from lms.orgs.models import Organization
from lms.progress.models import MemberAssignment, StudyHours


def test_demo_meetings(app):
    create_demo(app, echo=lambda *_a, **_k: None)
    count = db.session.scalar(select(func.count(Meeting.id)))
    assert count > 0
    boat = db.session.scalar(select(Meeting).where(Meeting.title == "渔船上的党课"))
    if boat is not None:  # the fifth month has come
        assert boat.lesson_id and boat.state == "closed"
        assert db.session.scalar(select(func.count(MemberAssignment.id))) >= 1
    assert db.session.scalar(select(func.count(HomeVisit.id))) == 1
    assert db.session.scalar(select(func.count(StudyHours.id)).where(
        StudyHours.source == "home_visit")) == 1
    lagging = db.session.scalar(select(Organization).where(Organization.code == "LH-DW-DX"))
    theme = next(s for s in oversight.branch_schedule(lagging) if s.kind == "theme_day")
    assert theme.state == "overdue"
    fishing = db.session.scalar(select(Organization).where(Organization.code == "LH-DW-YG"))
    theme = next(s for s in oversight.branch_schedule(fishing) if s.kind == "theme_day")
    assert theme.state == "done"
    create_demo(app, echo=lambda *_a, **_k: None)
    assert db.session.scalar(select(func.count(Meeting.id))) == count
