"""Quiz fixtures: the shipped course packs imported, and ``make_course`` (tests/conftest.py) with
the final quiz open before the lessons are done: these tests are about attempts, not the order of
study (``open_before_lessons=False`` to wait for them). Answering an attempt is
tests/helpers.py's ``answers_for``/``form_of``."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_course(make_course):
    return partial(make_course, open_before_lessons=True)


@pytest.fixture
def real_courses(app):
    """The three shipped course packs, imported as `flask courses import` does."""
    from lms.authoring.pack_sync import import_folders

    return [o.course for o in import_folders([ROOT / "courses"])]
