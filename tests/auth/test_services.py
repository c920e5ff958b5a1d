from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from lms.audit.models import AuditLog
from lms.auth.passwords import password_problem
from lms.auth.services import (
    SIGN_IN_FAILED,
    SIGN_IN_LOCKED,
    SignInFailed,
    SignInLocked,
    authenticate,
    change_password,
    create_user,
    lock_of,
    normalize_phone,
)
from lms.core.clock import utcnow
from lms.core.errors import Conflict, NotAllowed, ValidationFailed
from lms.extensions import db
from tests.helpers import PASSWORD


def audit_actions():
    return [(a.action, a.ok) for a in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_right_password_signs_in_and_is_audited(member):
    assert authenticate(member.phone, PASSWORD, ip="10.0.0.1") == member
    row = db.session.scalars(select(AuditLog)).one()
    assert (row.action, row.ok, row.actor_id, row.ip) == ("auth.login", True, member.id, "10.0.0.1")


def test_unknown_number_and_wrong_password_say_the_same(member):
    with pytest.raises(SignInFailed) as unknown:
        authenticate("13700000000", PASSWORD)
    with pytest.raises(SignInFailed) as wrong:
        authenticate(member.phone, "not-the-password")
    assert str(unknown.value) == str(wrong.value) == SIGN_IN_FAILED
    assert audit_actions() == [("auth.login", False), ("auth.login", False)]


def test_five_failures_lock_the_account_for_thirty_minutes(member):
    with freeze_time("2026-03-01 08:00:00") as clock:
        for _ in range(5):
            with pytest.raises(SignInFailed):
                authenticate(member.phone, "wrong-password")
            clock.tick(timedelta(minutes=2))
        # the fifth failure came at 08:08
        assert lock_of(member) == utcnow() - timedelta(minutes=2) + timedelta(minutes=30)
        assert ("auth.lockout", True) in audit_actions()
        # the right password does not open a locked account
        with pytest.raises(SignInLocked) as locked:
            authenticate(member.phone, PASSWORD)
        assert locked.value.until == lock_of(member)
        clock.move_to("2026-03-01 08:37:59")
        with pytest.raises(SignInLocked):
            authenticate(member.phone, PASSWORD)
        clock.move_to("2026-03-01 08:38:01")
        assert authenticate(member.phone, PASSWORD) == member


def test_failures_spread_beyond_the_window_do_not_lock(member):
    with freeze_time("2026-03-01 08:00:00") as clock:
        for _ in range(8):
            with pytest.raises(SignInFailed):
                authenticate(member.phone, "wrong-password")
            clock.tick(timedelta(minutes=4))  # at most 4 failures fall in any 15 minutes
        assert lock_of(member) is None
        assert authenticate(member.phone, PASSWORD) == member


def test_lockout_is_counted_per_number_not_per_session(member, make_user):
    other = make_user("别人", org=None)
    for _ in range(4):
        with pytest.raises(SignInFailed):
            authenticate(member.phone, "wrong-password")
    with pytest.raises(SignInFailed):
        authenticate(other.phone, "wrong-password")
    assert lock_of(member) is None and lock_of(other) is None
    with pytest.raises(SignInLocked):
        authenticate(member.phone, "wrong-password")
    assert lock_of(member) is not None and lock_of(other) is None


@pytest.mark.parametrize("password, problem", [
    ("short7!", "至少 8 位"),
    ("12345678", "太常见"),
    ("Password1", "太常见"),
    ("woaini1314", "太常见"),
    ("田田田田田田田田田", "同一个字符"),
    ("x13912345678", "手机号"),
    ("y" * 129, "不能超过"),
    ("tide-and-net-42", None),
    ("渔船上的党课很好", None),
    ("z" * 63 + "q", None),  # 64 characters are allowed
])
def test_password_policy(password, problem):
    found = password_problem(password, "13912345678")
    assert (found is None) if problem is None else (problem in found)


def test_change_password_needs_the_current_one_and_rotates_the_session(member):
    token = member.session_token
    with pytest.raises(ValidationFailed, match="当前密码不正确"):
        change_password(member, "wrong", "a-new-password-1")
    with pytest.raises(ValidationFailed, match="太常见"):
        change_password(member, PASSWORD, "password123")
    change_password(member, PASSWORD, "a-new-password-1")
    assert member.session_token != token
    assert authenticate(member.phone, "a-new-password-1") == member
    assert ("auth.password_change", True) in audit_actions()


def test_create_user_checks_phone_and_duplicates(member):
    with pytest.raises(ValidationFailed, match="11 位"):
        create_user(phone="12345", name="某人", password="tide-and-net-42")
    with pytest.raises(Conflict):
        create_user(phone=member.phone, name="某人", password="tide-and-net-42")
    user, code = create_user(phone="+86 139-0000-8888", name="某人")
    assert user.phone == "13900008888" and user.must_change_password and len(code) == 10


@pytest.mark.parametrize("raw, phone", [
    ("13912345678", "13912345678"), ("+86 139 1234 5678", "13912345678"),
    ("１３９１２３４５６７８", "13912345678"), ("139-1234-5678", "13912345678"),
])
def test_normalize_phone(raw, phone):
    assert normalize_phone(raw) == phone


# ---- issue 14, findings 3-5 ------------------------------------------------------------------

@pytest.fixture
def hashes(monkeypatch):
    """Counts the password checks a sign-in makes (the real check still runs)."""
    from lms.auth import services

    calls = []
    real = services.verify_password

    def counted(password_hash, password):
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(services, "verify_password", counted)
    return calls


def _fail(phone, password="wrong-password"):
    with pytest.raises(SignInFailed) as caught:
        authenticate(phone, password)
    return str(caught.value)


def test_every_failure_costs_one_password_check(member, hashes):
    """A locked account answered without hashing (~23 ms against ~240 ms): five wrong tries and
    a timed sixth told whether a phone had an account. bench/sign_in_timing.py times it."""
    for _ in range(4):
        assert _fail(member.phone) == _fail("13700000000") == SIGN_IN_FAILED
    assert _fail(member.phone) == _fail("13700000000") == SIGN_IN_LOCKED
    hashes.clear()
    messages = [_fail(member.phone),            # locked
                _fail(member.phone, PASSWORD),  # locked, right password
                _fail("13700000000"),           # unknown, locked as well
                _fail("13700000001")]           # unknown, first try
    assert len(hashes) == 4
    assert messages == [SIGN_IN_LOCKED] * 3 + [SIGN_IN_FAILED]


def _reset(member, admin):
    from lms.orgs.services import reset_password

    return reset_password(admin, member)


def test_a_one_time_code_works_once(member, admin):
    code = _reset(member, admin)
    assert authenticate(member.phone, code) == member
    assert member.must_change_password
    assert _fail(member.phone, code) == SIGN_IN_FAILED  # spent
    # the session it opened chooses the new password without the spent code
    change_password(member, None, "a-new-password-1")
    assert not member.must_change_password and member.code_expires_at is None
    assert authenticate(member.phone, "a-new-password-1") == member


def test_a_one_time_code_expires_after_72_hours(member, admin):
    with freeze_time("2026-03-01 08:00:00") as clock:
        code = _reset(member, admin)
        clock.move_to("2026-03-04 07:59:59")
        assert authenticate(member.phone, code) == member
        code = _reset(member, admin)
        clock.move_to("2026-03-07 08:00:00")  # 72 hours after the second reset
        assert _fail(member.phone, code) == SIGN_IN_FAILED
        why = db.session.scalars(select(AuditLog.detail).order_by(AuditLog.id.desc())).first()
        assert "code_expired" in why


def test_new_accounts_get_an_expiring_code_too(app):
    with freeze_time("2026-03-01 08:00:00") as clock:
        user, code = create_user(phone="13900008888", name="某人")
        assert user.code_expires_at == utcnow() + timedelta(hours=72)
        clock.tick(timedelta(hours=73))
        assert _fail(user.phone, code) == SIGN_IN_FAILED


def test_guessing_the_current_password_counts_with_the_lockout(member):
    """A stolen session could guess the current password on 修改密码 without end."""
    token = member.session_token
    for _ in range(5):
        with pytest.raises(ValidationFailed, match="当前密码不正确"):
            change_password(member, "guess-" + "x" * 5, "a-new-password-1")
    assert lock_of(member) is not None
    assert member.session_token != token  # the guessing session is over
    with pytest.raises(NotAllowed):  # locked: even the right password changes nothing
        change_password(member, PASSWORD, "a-new-password-1")
    assert _fail(member.phone, PASSWORD) == SIGN_IN_LOCKED
    assert ("auth.lockout", True) in audit_actions()


def test_sign_in_failures_and_password_change_failures_share_one_count(member):
    for _ in range(3):
        _fail(member.phone)
    for _ in range(2):
        with pytest.raises(ValidationFailed):
            change_password(member, "not-it-at-all", "a-new-password-1")
    assert lock_of(member) is not None
