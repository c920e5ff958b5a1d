"""Signing in, lockout, passwords and accounts. Services take the actor and commit once."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from lms.audit.services import record
from lms.auth.models import MEMBER_STATUSES, User, new_session_token
from lms.auth.passwords import hash_password, one_time_code, password_problem, verify_password
from lms.core.clock import utcnow
from lms.core.errors import Conflict, NotFound, ValidationFailed
from lms.core.i18n import N_
from lms.extensions import db

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
#: one message for an unknown number, a wrong password and a locked account: no enumeration
SIGN_IN_FAILED = N_("手机号或密码不正确。连续输错 5 次，账户会锁定 30 分钟。")
#: a hash to check against when the number is unknown, so both paths take the same time
_DUMMY_HASH: dict[str, str] = {}


class SignInFailed(Exception):
    pass


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


def authenticate(phone: str, password: str, ip: str = "") -> User:
    """Check a sign-in; count failures per account and lock after too many.

    Raises SignInFailed with :data:`SIGN_IN_FAILED` for an unknown number, a wrong password, a
    disabled or a locked account alike. Every outcome is audited.
    """
    cfg = current_app.config
    now = utcnow()
    phone = normalize_phone(phone)
    user = db.session.scalar(select(User).where(User.phone == phone).with_for_update()) \
        if valid_phone(phone) else None
    if user is None:
        method = cfg["PASSWORD_HASH_METHOD"]
        if method not in _DUMMY_HASH:
            _DUMMY_HASH[method] = hash_password(new_session_token())
        verify_password(_DUMMY_HASH[method], password)
        record("auth.login", ok=False, ip=ip, actor_label=phone[:11], detail={"why": "unknown"})
        db.session.commit()
        raise SignInFailed(SIGN_IN_FAILED)
    if user.locked_until and user.locked_until > now:
        record("auth.login", actor=user, ok=False, ip=ip, detail={"why": "locked"})
        db.session.commit()
        raise SignInFailed(SIGN_IN_FAILED)
    if not verify_password(user.password_hash, password) or not user.active:
        window = timedelta(minutes=cfg["LOCKOUT_WINDOW_MINUTES"])
        if user.first_failed_at is None or now - user.first_failed_at > window:
            user.first_failed_at, user.failed_logins = now, 0
        user.failed_logins += 1
        record("auth.login", actor=user, ok=False, ip=ip,
               detail={"why": "password" if user.active else "disabled"})
        if user.failed_logins >= cfg["LOCKOUT_THRESHOLD"]:
            user.locked_until = now + timedelta(minutes=cfg["LOCKOUT_MINUTES"])
            user.failed_logins, user.first_failed_at = 0, None
            record("auth.lockout", actor=user, ok=True, ip=ip,
                   detail={"minutes": cfg["LOCKOUT_MINUTES"]})
        db.session.commit()
        raise SignInFailed(SIGN_IN_FAILED)
    user.failed_logins, user.first_failed_at, user.locked_until = 0, None, None
    user.last_login_at = now
    record("auth.login", actor=user, ok=True, ip=ip)
    db.session.commit()
    return user


def end_session(user: User, ip: str = "") -> None:
    """Sign out: a new session token makes every cookie issued before it useless."""
    user.session_token = new_session_token()
    record("auth.logout", actor=user, ip=ip)
    db.session.commit()


def change_password(user: User, current: str, new: str, ip: str = "") -> None:
    """The user changes their own password (also how a one-time code is replaced)."""
    if not verify_password(user.password_hash, current):
        record("auth.password_change", actor=user, ok=False, ip=ip)
        db.session.commit()
        raise ValidationFailed(N_("当前密码不正确。"))
    problem = password_problem(new, user.phone)
    if problem:
        raise ValidationFailed(problem)
    if new == current:
        raise ValidationFailed(N_("新密码不能和原来的一样。"))
    user.password_hash = hash_password(new)
    user.must_change_password = False
    user.session_token = new_session_token()
    record("auth.password_change", actor=user, ip=ip)
    db.session.commit()


def create_user(*, phone: str, name: str, password: str | None = None, status: str | None = None,
                org_id: int | None = None, is_admin: bool = False, actor=None, ip: str = "",
                commit: bool = True) -> tuple[User, str | None]:
    """Create an account. Without ``password`` a one-time code is made and returned."""
    phone = normalize_phone(phone)
    if not valid_phone(phone):
        raise ValidationFailed(f"手机号 {phone or '(空)'} 不是 11 位大陆手机号。")
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationFailed(N_("姓名不能为空，且不超过 60 个字。"))
    if status is not None and status not in MEMBER_STATUSES:
        raise ValidationFailed(f"未知的党员状态：{status}")
    if db.session.scalar(select(User.id).where(User.phone == phone)):
        raise Conflict(f"手机号 {phone} 已有账户。")
    code = None
    if password is None:
        code = password = one_time_code()
    else:
        problem = password_problem(password, phone)
        if problem:
            raise ValidationFailed(problem)
    user = User(phone=phone, name=name, password_hash=hash_password(password), status=status,
                org_id=org_id, is_admin=is_admin, must_change_password=code is not None)
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
        raise NotFound(f"没有手机号为 {normalize_phone(phone)} 的账户。")
    return user
