"""Exactly once for things a phone sends again: a receipt per client-generated id.

A phone that loses its signal keeps what the member did (a lesson read, a check answered, a
roster tick) in a queue with an id it made itself, and sends the queue when the signal returns —
perhaps twice, from two tabs, or after a timeout whose request did arrive. The server runs each
id's action once and keeps its result with a receipt in the same transaction; every later copy
gets that result back and changes nothing.

Two ways to use it: :func:`run_once` runs one item's action in a savepoint (the meetings roster's
ticks); :func:`kept_results` and :func:`keep_results` serve a batch done set-based (the offline
sync: every id's receipt read in one query, every new receipt written in one INSERT). The phone's
side is ``static/js/outbox.js``.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.clock import utcnow
from lms.core.errors import NotAllowed, ValidationFailed
from lms.core.i18n import N_
from lms.core.models import IdMixin
from lms.extensions import db

#: what a client id may look like: a UUID or any 8–64 letters, digits, '-' and '_'
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


class SyncReceipt(IdMixin, db.Model):
    """One action done for a client-generated id; never updated."""

    __tablename__ = "sync_receipts"

    #: the id the phone made for the queued item (unique: the whole point)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    #: whose item it was; a copy sent by anyone else is refused
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: what the item was ("attendance", "lesson_read", "check_answers", …), for reading the table
    kind: Mapped[str] = mapped_column(String(32))
    #: what the first run answered; every copy gets this back
    result: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class Outcome:
    result: dict[str, Any]
    #: True when the id had been done before and nothing changed now
    replayed: bool


def valid_client_id(value: object) -> bool:
    return isinstance(value, str) and _CLIENT_ID.fullmatch(value) is not None


def run_once(user_id: int, client_id: str, kind: str,
             action: Callable[[], dict[str, Any]]) -> Outcome:
    """Run ``action`` once for ``client_id`` and keep its result; return the kept result for a
    copy.

    Runs in a savepoint of the caller's transaction and does not commit: the caller commits
    once (a batch of items is one commit). ``action`` returns a JSON-able dict. When it raises,
    nothing of it and no receipt is kept, so a copy sent later runs it again (and, the state
    being the same, fails the same way). Raises ``ValidationFailed`` for a malformed id and
    ``NotAllowed`` for an id that was done for another member (a shared phone must not send one
    member's queue as another's).

    On SQLite the caller has called ``database.begin_write()``; on PostgreSQL two requests with
    the same id race on the unique index: the loser's insert waits for the winner's commit,
    fails, and reads the winner's result.
    """
    if not valid_client_id(client_id):
        raise ValidationFailed(N_("这条记录的编号不对，无法上传。"))
    kept = _kept(client_id)
    if kept is None:
        try:
            with db.session.begin_nested():
                result = action()
                db.session.add(SyncReceipt(client_id=client_id, user_id=user_id, kind=kind,
                                           result=result))
            return Outcome(result, replayed=False)
        except IntegrityError:
            kept = _kept(client_id)
            if kept is None:  # the conflict was the action's own, not the receipt's
                raise
    if kept.user_id != user_id:
        raise NotAllowed(N_("这条记录属于另一个账户，不能用当前账户上传。"))
    return Outcome(dict(kept.result), replayed=True)


@dataclass(frozen=True)
class Kept:
    user_id: int
    result: dict[str, Any]


def kept_results(client_ids: Collection[str]) -> dict[str, Kept]:
    """The receipts already kept for any of ``client_ids`` (one query), by client id.

    A batch reads these first and does only the ids missing here; an id found here for another
    member is refused, as in :func:`run_once`.
    """
    ids = sorted({c for c in client_ids if valid_client_id(c)})
    if not ids:
        return {}
    return {row.client_id: Kept(row.user_id, dict(row.result)) for row in db.session.execute(
        select(SyncReceipt.client_id, SyncReceipt.user_id, SyncReceipt.result)
        .where(SyncReceipt.client_id.in_(ids)))}


def keep_results(user_id: int, done: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
    """Keep a receipt per ``(client_id, kind, result)`` in one INSERT (an executemany), in the
    caller's transaction; no commit. Two requests that raced past :func:`kept_results` with the
    same id meet here on the unique index: the loser gets ``IntegrityError``, rolls back and
    reads the winner's receipts on its next try."""
    rows = [{"client_id": c, "user_id": user_id, "kind": kind, "result": result,
             "created_at": utcnow()} for c, kind, result in done]
    if rows:
        db.session.execute(insert(SyncReceipt), rows)


def _kept(client_id: str) -> SyncReceipt | None:
    return db.session.scalar(select(SyncReceipt).where(SyncReceipt.client_id == client_id))


#: most items one request may carry (a phone sends its queue in batches of this size)
MAX_BATCH = 100


def read_batch(payload: object) -> list[dict[str, Any]]:
    """The items of a posted batch ``{"items": [{…}, …]}``; raises ``ValidationFailed`` for
    anything else or more than ``MAX_BATCH`` items. Each item is still the caller's to check."""
    items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValidationFailed(N_("上传的内容格式不对。"))
    if len(items) > MAX_BATCH:
        raise ValidationFailed(N_("一次上传的记录太多（最多 100 条）。"))
    return items
