"""Meeting fixtures: a course with a lesson to teach, and a meeting planned now in branch A."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.core.clock import utcnow
from lms.extensions import db


@pytest.fixture
def lesson(app):
    """A published course (2 credit hours) and its first lesson."""
    from lms.courses.models import Course, Lesson

    course = Course(slug="dangke", title="党课教材", summary="摘要", category="理论",
                    required=False, credit_hours=2, status="published")
    db.session.add(course)
    db.session.flush()
    first = Lesson(course_id=course.id, key="l1", position=1, title="第一课", minutes=5,
                   body="正文", html="<p>正文</p>")
    db.session.add(first)
    db.session.commit()
    return first


@pytest.fixture
def plan(tree):
    """``plan(actor, org=tree['a'], kind='lecture', start=-10 min, hours=2, **fields)``."""
    from lms.meetings import services

    def make(actor, org=None, kind: str = "lecture", start: timedelta = timedelta(minutes=-10),
             length: timedelta = timedelta(hours=1), hours: float = 2, **fields):
        begins = utcnow().replace(microsecond=0) + start
        data = services.MeetingData(kind=kind, title=fields.pop("title", "三月党课"),
                                    starts_at=begins, ends_at=begins + length, hours=hours,
                                    place=fields.pop("place", "渔船甲板"), **fields)
        return services.save_meeting(actor, org or tree["a"], data)

    return make
