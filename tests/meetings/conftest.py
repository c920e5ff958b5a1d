"""Meeting fixtures: a lesson to teach, and a meeting planned now in branch A."""
from __future__ import annotations

from datetime import timedelta

import pytest

from lms.core.clock import utcnow


@pytest.fixture
def lesson(make_course):
    """The first lesson of a published course (2 credit hours)."""
    return make_course(title="党课教材").lesson


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
