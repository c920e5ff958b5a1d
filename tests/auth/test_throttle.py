"""Wrong passwords are counted per phone number entered, whether or not an account has it
(issue 13 item 10, issue 14 finding 3): five lock the number, the page says until when in
Beijing time, and nothing in the answer tells a member's number from anyone else's."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from lms.audit.models import AuditLog
from lms.auth import throttle
from lms.auth.models import SignInThrottle
from lms.auth.services import (
    SIGN_IN_LOCKED,
    SignInFailed,
    SignInLocked,
    authenticate,
    lock_of,
)
from lms.core.clock import utcnow
from lms.extensions import db
from tests.helpers import PASSWORD, run_all

UNKNOWN = "13700000000"
FLASH = re.compile(r'<p class="flash flash-error"[^>]*>.*?</p>', re.S)


def fail(phone, password="wrong-password"):
    with pytest.raises(SignInFailed) as caught:
        authenticate(phone, password)
    return caught.value


def counts_afresh(phone):
    """Four more failures leave ``phone`` unlocked and the fifth locks it: a fresh count."""
    for _ in range(4):
        assert not isinstance(fail(phone), SignInLocked)
    assert isinstance(fail(phone), SignInLocked)
    return True


def post(client, phone, password="wrong-password"):
    response = client.post("/login", data={"phone": phone, "password": password})
    assert response.status_code == 200
    return response.get_data(as_text=True)


# ---- the service ------------------------------------------------------------------------------

def test_an_unknown_number_locks_like_a_members(member):
    with freeze_time("2026-03-01 08:00:00"):
        for _ in range(4):
            assert type(fail(member.phone)) is type(fail(UNKNOWN)) is SignInFailed
        known, unknown = fail(member.phone), fail(UNKNOWN)
        assert isinstance(known, SignInLocked) and isinstance(unknown, SignInLocked)
        assert known.until == unknown.until == utcnow() + timedelta(minutes=30)
        assert str(known) == str(unknown) == SIGN_IN_LOCKED
    lockouts = db.session.scalars(select(AuditLog.actor_label).where(
        AuditLog.action == "auth.lockout").order_by(AuditLog.id)).all()
    assert len(lockouts) == 2 and lockouts[1] == UNKNOWN


def test_the_table_keeps_no_phone_number(member):
    fail(member.phone)
    fail(UNKNOWN)
    keys = db.session.scalars(select(SignInThrottle.key)).all()
    assert sorted(keys) == sorted([throttle.key_of(member.phone), throttle.key_of(UNKNOWN)])
    assert not any(member.phone in key or UNKNOWN in key for key in keys)
    # keyed by the app's secret: another secret makes other keys
    from flask import current_app

    current_app.config["SECRET_KEY"], kept = "another", current_app.config["SECRET_KEY"]
    try:
        assert throttle.key_of(UNKNOWN) not in keys
    finally:
        current_app.config["SECRET_KEY"] = kept


def test_the_number_is_counted_however_it_is_typed(member):
    typed = ["+86 " + member.phone, member.phone[:3] + "-" + member.phone[3:], member.phone,
             "８６" + member.phone, member.phone]
    for text in typed:
        failure = fail(text)
    assert isinstance(failure, SignInLocked) and lock_of(member) is not None


def test_a_sign_in_starts_the_count_again(member):
    for _ in range(4):
        fail(member.phone)
    assert authenticate(member.phone, PASSWORD) == member
    assert db.session.scalar(select(func.count()).select_from(SignInThrottle)) == 0
    assert counts_afresh(member.phone)


def test_the_lock_lifts_and_the_count_starts_again(member):
    with freeze_time("2026-03-01 08:00:00") as clock:
        for _ in range(5):
            fail(member.phone)
        clock.tick(timedelta(minutes=10))
        # tries while locked neither count nor lengthen the lock
        for _ in range(10):
            assert fail(member.phone).until == utcnow() - timedelta(minutes=10) + \
                timedelta(minutes=30)
        clock.tick(timedelta(minutes=20, seconds=1))
        assert lock_of(member) is None
        assert counts_afresh(member.phone)


def test_the_window_runs_from_the_first_failure(member):
    with freeze_time("2026-03-01 08:00:00") as clock:
        for _ in range(4):
            fail(member.phone)
        clock.tick(timedelta(minutes=15, seconds=1))  # the window of those four has passed
        assert counts_afresh(member.phone)


def test_stale_rows_are_swept(member):
    with freeze_time("2026-03-01 08:00:00") as clock:
        for n in range(3):
            fail(f"1370000000{n}")
        for _ in range(5):
            fail(member.phone)
        clock.tick(timedelta(minutes=44))
        fail(UNKNOWN)  # sweeps nothing yet: 45 minutes (window and lock) have not passed
        assert db.session.scalar(select(func.count()).select_from(SignInThrottle)) == 4
        clock.tick(timedelta(minutes=2))
        fail("13800000000")
        left = set(db.session.scalars(select(SignInThrottle.key)))
    assert left == {throttle.key_of(UNKNOWN), throttle.key_of("13800000000")}


def test_the_secretarys_unlock_clears_the_number(secretary, member):
    from lms.orgs.services import unlock_account

    for _ in range(5):
        fail(member.phone)
    unlock_account(secretary, member)
    assert lock_of(member) is None
    assert counts_afresh(member.phone)


def _count_in_thread(app, phone):
    def job():
        with app.app_context():
            from lms.database import begin_write

            begin_write()
            result = throttle.count_failure(phone, utcnow())
            db.session.commit()
            return result
    return job


def test_concurrent_failures_lose_no_count(app):
    """Twenty workers failing on one number at the same moment (threads, each its own session
    and connection): every failure counts, on PostgreSQL as on SQLite."""
    app.config["LOCKOUT_THRESHOLD"] = 1000
    results = run_all([_count_in_thread(app, UNKNOWN) for _ in range(20)])
    assert not [r for r in results if isinstance(r, Exception)], results
    db.session.expire_all()
    assert db.session.scalar(select(SignInThrottle.failures)) == 20


def test_concurrent_failures_lock_once(app):
    app.config["LOCKOUT_THRESHOLD"] = 5
    results = run_all([_count_in_thread(app, UNKNOWN) for _ in range(12)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert [locked_now for _until, locked_now in results].count(True) == 1
    assert len({until for until, _ in results if until}) == 1
    assert sum(1 for until, _ in results if until is None) == 4


# ---- the page ---------------------------------------------------------------------------------

def test_the_page_says_locked_and_until_when_alike_for_any_number(client, member):
    with freeze_time("2026-03-01 08:08:00"):  # 16:08 in Beijing
        pages = {}
        for phone in (member.phone, UNKNOWN):
            for _ in range(4):
                assert "手机号或密码不正确" in post(client, phone)
            pages[phone] = post(client, phone)
            pages[phone + " again"] = post(client, phone, PASSWORD)
    expected = ('<p class="flash flash-error" role="alert">密码输错次数太多，这个手机号已暂时锁定，'
                '请于 16:38 后再试。急需登录请找本支部书记解除锁定。</p>')
    assert {FLASH.search(page).group(0) for page in pages.values()} == {expected}
    # the whole page is the same but for the number typed
    assert pages[member.phone].replace(member.phone, "N") == pages[UNKNOWN].replace(UNKNOWN, "N")


def test_a_lock_past_midnight_names_the_day(client, member):
    with freeze_time("2026-03-01 15:50:00"):  # 23:50 in Beijing: lifts at 00:20 on 2 March
        for _ in range(5):
            page = post(client, member.phone)
        assert "请于 3月2日 00:20 后再试" in FLASH.search(page).group(0)
        client.get("/lang/en")
        english = FLASH.search(post(client, member.phone)).group(0)
    assert "Mar 2 00:20" in english and not re.search(r"[\u4e00-\u9fff]", english)
