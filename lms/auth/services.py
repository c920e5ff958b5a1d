"""Signing in, lockout, passwords and accounts. Services take the actor and commit once."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from lms.audit.services import record
from lms.auth import throttle
from lms.auth.models import FONT_SIZES, MEMBER_STATUSES, User, new_session_token
from lms.auth.passwords import hash_password, one_time_code, password_problem, verify_password
from lms.core.clock import utcnow
from lms.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from lms.core.i18n import N_
from lms.database import begin_write
from lms.extensions import db

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
#: one message for an unknown number, a wrong password and a locked account: no enumeration
SIGN_IN_FAILED = N_("手机号或密码不正确。连续输错 5 次，这个手机号会锁定 30 分钟。")
#: a hash to check against when the number is unknown, so both paths take the same time
_DUMMY_HASH: dict[str, str] = {}


#: what the sign-in page says once the number entered is locked (``time``: when it lifts, local)
SIGN_IN_LOCKED = N_("密码输错次数太多，这个手机号已暂时锁定，请于 %(time)s 后再试。"
                    "急需登录请找本支部书记解除锁定。")


class SignInFailed(Exception):
    pass


class SignInLocked(SignInFailed):
    """The number entered is locked until ``until`` (naive UTC)."""

    def __init__(self, until: datetime):
        super().__init__(SIGN_IN_LOCKED)
        self.until = until


def normalize_phone(raw: str) -> str:
    """Digits only, without a +86 prefix; full-width digits folded."""
    digits = "".join(ch for ch in (raw or "") if ch.isdigit())
    digits = digits.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def valid_phone(phone: str) -> bool:
    return bool(PHONE_RE.match(phone))


def get_user_by_phone(phone: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone == normalize_phone(phone)))


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASH:
        _DUMMY_HASH[method] = hash_password(new_session_token())
    return _DUMMY_HASH[method]


def _count_failure(user: User | None, phone: str, now, ip: str, why: str) -> datetime | None:
    """Count one failed proof of a password (sign-in or 修改密码) against ``phone`` (the number
    entered; the account's on 修改密码); returns when the number's lock lifts, or None. The
    failure that sets the lock is audited as ``auth.lockout``, for any number alike."""
    begin_write()
    until, locked_now = throttle.count_failure(phone, now)
    if locked_now:
        record("auth.lockout", actor=user, ok=True, ip=ip,
               actor_label=None if user else phone[:11],
               detail={"minutes": current_app.config["LOCKOUT_MINUTES"], "after": why})
    return until


def lock_of(user: User, now=None) -> datetime | None:
    """When the lock on ``user``'s number lifts, or None when it is not locked."""
    return throttle.locked_until(user.phone, now or utcnow())


def code_expired(user: User, now=None) -> bool:
    """A one-time code past its time (a code without a time counts as expired)."""
    return user.must_change_password and (
        user.code_expires_at is None or user.code_expires_at <= (now or utcnow()))


def issue_one_time_code(user: User) -> str:
    """Make ``user``'s password a fresh one-time code (returned, to be shown once): it works
    for one sign-in within ``ONE_TIME_CODE_HOURS`` and then a new password must be chosen.
    The caller audits and commits."""
    code = one_time_code()
    user.password_hash = hash_password(code)
    user.must_change_password = True
    user.code_expires_at = utcnow() + timedelta(
        hours=current_app.config["ONE_TIME_CODE_HOURS"])
    return code


def authenticate(phone: str, password: str, ip: str = "") -> User:
    """Check a sign-in; count failures per number entered (``auth.throttle``) and lock it after
    too many.

    Raises :class:`SignInLocked` (with the time the lock lifts) once the number is locked,
    whether or not an account has it, and :class:`SignInFailed` with :data:`SIGN_IN_FAILED` for
    an unknown number, a wrong password, a disabled account and an expired one-time code alike.
    Every outcome is audited, and every failure costs the same: one password hash, one count,
    one audit row, one commit, so that timing tells no kind of failure from another.

    A one-time code works once: signing in with it spends it (the session that used it is the
    only way left to choose the new password).
    """
    now = utcnow()
    phone = normalize_phone(phone)
    user = db.session.scalar(select(User).where(User.phone == phone).with_for_update()) \
        if valid_phone(phone) else None
    until = throttle.locked_until(phone, now)
    checked = user.password_hash if user is not None else _dummy_hash()
    right = verify_password(checked, password)
    why = ("unknown" if user is None else "locked" if until else "password" if not right
           else "disabled" if not user.active else "code_expired" if code_expired(user, now)
           else None)
    begin_write()  # SQLite: the write lock only now, not while hashing
    if why is None and user.password_hash != checked:
        why = "password"  # a one-time code spent by another sign-in meanwhile (SQLite)
    if why is not None:
        record("auth.login", actor=user, ok=False, ip=ip,
               actor_label=None if user else phone[:11], detail={"why": why})
        until = _count_failure(user, phone, now, ip, "login")
        db.session.commit()
        raise SignInLocked(until) if until else SignInFailed(SIGN_IN_FAILED)
    throttle.clear(phone)
    user.last_login_at = now
    if user.must_change_password:
        # spent: nobody signs in with this code again, not even its owner
        user.password_hash = hash_password(new_session_token())
        user.code_expires_at = None
    record("auth.login", actor=user, ok=True, ip=ip,
           detail={"one_time_code": True} if user.must_change_password else None)
    db.session.commit()
    return user


def end_session(user: User, ip: str = "") -> None:
    """Sign out: a new session token makes every cookie issued before it useless."""
    user.session_token = new_session_token()
    record("auth.logout", actor=user, ip=ip)
    db.session.commit()


def change_password(user: User, current: str | None, new: str, ip: str = "") -> None:
    """The user changes their own password.

    After signing in with a one-time code (``must_change_password``) the code is spent and the
    session is the proof, so ``current`` is not asked for. Otherwise a wrong ``current`` counts
    against the sign-in lockout: the fifth within the window locks the account and ends every
    session, the one guessing included.
    """
    now = utcnow()
    if not user.must_change_password:
        locked = lock_of(user, now)
        right = verify_password(user.password_hash, current or "")
        if locked:
            record("auth.password_change", actor=user, ok=False, ip=ip,
                   detail={"why": "locked"})
            db.session.commit()
            raise NotAllowed(N_("账户已锁定，请稍后再试。"))
        if not right:
            begin_write()
            # the account's row first, as a sign-in takes it, then the count: no deadlock
            db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
            record("auth.password_change", actor=user, ok=False, ip=ip)
            if _count_failure(user, user.phone, now, ip, "password_change"):
                user.session_token = new_session_token()  # locked: the guessing session ends
            db.session.commit()
            raise ValidationFailed(N_("当前密码不正确。"))
    problem = password_problem(new, user.phone)
    if problem:
        raise ValidationFailed(problem)
    if current and new == current:
        raise ValidationFailed(N_("新密码不能和原来的一样。"))
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.code_expires_at = None
    throttle.clear(user.phone)
    user.session_token = new_session_token()
    record("auth.password_change", actor=user, ip=ip)
    db.session.commit()


def create_user(*, phone: str, name: str, password: str | None = None, status: str | None = None,
                org_id: int | None = None, is_admin: bool = False, actor=None, ip: str = "",
                commit: bool = True) -> tuple[User, str | None]:
    """Create an account. Without ``password`` a one-time code is made and returned."""
    phone = normalize_phone(phone)
    if not valid_phone(phone):
        raise ValidationFailed(N_("手机号 %(phone)s 不是 11 位大陆手机号。"), phone=phone or "(空)")
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationFailed(N_("姓名不能为空，且不超过 60 个字。"))
    if status is not None and status not in MEMBER_STATUSES:
        raise ValidationFailed(N_("未知的党员状态：%(status)s"), status=status)
    if db.session.scalar(select(User.id).where(User.phone == phone)):
        raise Conflict(N_("手机号 %(phone)s 已有账户。"), phone=phone)
    code = None
    if password is not None:
        problem = password_problem(password, phone)
        if problem:
            raise ValidationFailed(problem)
    user = User(phone=phone, name=name, status=status, org_id=org_id, is_admin=is_admin)
    if password is None:
        code = issue_one_time_code(user)
    else:
        user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    record("user.create", actor=actor, target=phone, ip=ip,
           actor_label=None if actor else "system")
    if commit:
        db.session.commit()
    return user, code


def require_user(phone: str) -> User:
    user = get_user_by_phone(phone)
    if user is None:
        raise NotFound(N_("没有手机号为 %(phone)s 的账户。"), phone=normalize_phone(phone))
    return user


def set_font_size(user: User, size: str) -> None:
    """Keep the member's font size with their account (one of FONT_SIZES)."""
    if size not in FONT_SIZES:
        raise ValidationFailed(N_("没有这个字号。"))
    if user.font_size != size:
        begin_write()
        db.session.execute(update(User).where(User.id == user.id).values(font_size=size))
        db.session.commit()
        user.font_size = size
