"""Reports fixtures: a course made and completed (a PDF's text is tests.helpers.pdf_text)."""
from __future__ import annotations

import pytest

from tests.meetings.conftest import plan  # noqa: F401 — meetings planned, for xAPI's tests


@pytest.fixture
def complete_course(make_course, grade, finish_lessons):
    """``complete_course(user, **spec)``: a course made by ``make_course`` (by default three
    lessons, a one-question check on the first and a final quiz) and completed by ``user``."""
    def complete(user, **spec):
        made = make_course(**{"lessons": 3, "check": 1, "final": 1, **spec})
        finish_lessons(user, made)
        if made.final is not None:
            grade.final(user, made.final)
        return made

    return complete
