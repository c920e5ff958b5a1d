"""Fixtures for the trainer's editor: a second trainer and a 宣传委员. Courses come from
``make_course(via="editor", owner=…)`` (tests/conftest.py), built through the services the way
the web editor builds one."""
from __future__ import annotations

import pytest


@pytest.fixture
def other_trainer(make_user, tree):
    return make_user("林讲师", org=tree["town"], roles=[("trainer", tree["town"])])


@pytest.fixture
def propaganda(make_user, tree):
    """宣传委员 of branch A: holds "author" there."""
    return make_user("宣传委员", org=tree["a"], roles=[("propaganda", tree["a"])])
