"""Wrong passwords counted per phone number entered (``sign_in_throttles``).

Every failed proof of a password counts against the number typed (or the account's number on
修改密码), whether or not an account has it: ``LOCKOUT_THRESHOLD`` (5) failures within
``LOCKOUT_WINDOW_MINUTES`` (15) lock the number for ``LOCKOUT_MINUTES`` (30). So the lock, its
message and its time read the same for a member's number and for a number nobody has, and
nothing tells whether a number has an account. The count is one statement (an upsert with
RETURNING, SQLite and PostgreSQL alike): two workers or two nodes failing on the same number
never lose a failure, and only one of them sets the lock.

A number is stored as its HMAC under the app's secret key (:func:`key_of`), never as digits.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, delete, null, or_, select

from lms.auth.models import SignInThrottle
from lms.extensions import db

_TABLE = SignInThrottle.__table__
#: how many stale rows one failure sweeps at most
SWEEP_BATCH = 100


def key_of(phone: str) -> str:
    """The row's key for a normalised number: keyed, so the table cannot be read back into
    numbers without the secret key (eleven digits are too few for a plain hash)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"sign-in:{phone}".encode(), hashlib.sha256).hexdigest()


def locked_until(phone: str, now: datetime) -> datetime | None:
    """When the lock on ``phone`` lifts, or None when it is not locked."""
    return db.session.scalar(select(SignInThrottle.locked_until).where(
        SignInThrottle.key == key_of(phone), SignInThrottle.locked_until > now))


def _insert():
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(_TABLE)


def count_failure(phone: str, now: datetime) -> tuple[datetime | None, bool]:
    """Count one failure against ``phone``; returns (when its lock lifts or None, whether this
    failure set the lock). A failure while locked changes neither the count nor the lock."""
    cfg = current_app.config
    threshold = cfg["LOCKOUT_THRESHOLD"]
    lock_end = now + timedelta(minutes=cfg["LOCKOUT_MINUTES"])
    c = _TABLE.c
    locked = and_(c.locked_until.is_not(None), c.locked_until > now)
    fresh = or_(c.window_started_at.is_(None),
                c.window_started_at <= now - timedelta(minutes=cfg["LOCKOUT_WINDOW_MINUTES"]))
    counted = case((fresh, 1), else_=c.failures + 1)
    reaches = counted >= threshold
    first_locks = threshold <= 1
    statement = _insert().values(
        key=key_of(phone), failures=0 if first_locks else 1,
        window_started_at=None if first_locks else now,
        locked_until=lock_end if first_locks else None, last_failed_at=now)
    statement = statement.on_conflict_do_update(index_elements=[c.key], set_={
        "failures": case((locked, c.failures), (reaches, 0), else_=counted),
        "window_started_at": case((locked, c.window_started_at), (reaches, null()),
                                  (fresh, now), else_=c.window_started_at),
        "locked_until": case((locked, c.locked_until), (reaches, lock_end),
                             else_=c.locked_until),
        "last_failed_at": now,
    }).returning(c.locked_until)
    until = db.session.execute(statement).scalar_one()
    _sweep(now)
    if until is None or until <= now:
        return None, False
    return until, until == lock_end


def _sweep(now: datetime) -> None:
    """Delete rows that no longer count: their last failure is older than the window and the
    lock together. Rows another transaction holds are skipped (PostgreSQL), never waited on."""
    cfg = current_app.config
    cutoff = now - timedelta(minutes=cfg["LOCKOUT_WINDOW_MINUTES"] + cfg["LOCKOUT_MINUTES"])
    stale = (select(_TABLE.c.key).where(_TABLE.c.last_failed_at < cutoff)
             .limit(SWEEP_BATCH).with_for_update(skip_locked=True))
    db.session.execute(delete(_TABLE).where(_TABLE.c.key.in_(stale)))


def clear(phone: str) -> None:
    """Forget the failures and any lock on ``phone`` (a sign-in, the secretary's unlock, a
    reset). The caller commits."""
    db.session.execute(delete(_TABLE).where(_TABLE.c.key == key_of(phone)))
