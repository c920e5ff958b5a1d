"""On a phone, with CSRF on: wrong passwords typed into the sign-in form lock the number on the
fifth, and the page says so with the time (Beijing) the lock lifts, the same for a number
without an account."""
from __future__ import annotations

import re
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from lms.auth import throttle
from lms.auth.models import SignInThrottle
from lms.core.clock import utcnow
from lms.extensions import db
from tests.helpers import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.csrf]


def lifts_pattern(phone):
    """What the page says of ``phone``'s lock, from the lock's stored end (a date before the
    time only when it lifts on another day than today, Beijing time)."""
    db.session.rollback()
    until = throttle.locked_until(phone, utcnow()).replace(tzinfo=UTC)
    hhmm = until.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    return rf"这个手机号已暂时锁定，请于 (\d+月\d+日 )?{hhmm} 后再试"


def type_password(page, phone, password):
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")
    return page.inner_text(".flash-error")


def test_five_wrong_passwords_lock_the_number_and_say_until_when(phone_page, member):
    page = phone_page
    page.goto(page.base + "/login")
    said = [type_password(page, member.phone, f"wrong-{n}-password") for n in range(5)]
    assert all("手机号或密码不正确" in text for text in said[:4])
    assert re.search(lifts_pattern(member.phone), said[4]), said[4]
    # the right password now changes nothing, and says the same
    assert type_password(page, member.phone, PASSWORD) == said[4]
    assert page.url.endswith("/login")

    # a number nobody has reads the same after as many tries
    other = [type_password(page, "13700000000", "wrong-password") for _ in range(5)]
    assert other[:4] == said[:4] and re.search(lifts_pattern("13700000000"), other[4])
    assert db.session.scalar(select(func.count()).select_from(SignInThrottle).where(
        SignInThrottle.locked_until.is_not(None))) == 2
