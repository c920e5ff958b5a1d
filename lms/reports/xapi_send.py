"""Delivering the xAPI outbox to the configured LRS, in batches, retried with backoff.

* A batch is POSTed to ``<XAPI_ENDPOINT>/statements`` with basic authentication
  (``XAPI_KEY``, ``XAPI_SECRET``) and ``X-Experience-API-Version: 1.0.3``.
* 200, or 204 (the LRS had every one already: an earlier answer was lost on the way): every
  statement in it is marked sent.
* 409 (the LRS holds a different statement under one of these ids) or another 4xx (a statement
  it refuses): the batch is sent again one statement at a time, so the others go through; a
  statement answered 409 on its own is kept by the LRS under its id and marked sent.
* 5xx, a timeout or no connection: nothing is marked; each statement keeps its error and waits
  ``XAPI_RETRY_SECONDS`` × 2^(attempts - 1), at most a day, before it is tried again.

Statements are never deleted or changed: each keeps the id it was made with, so a retry can never
make a second statement.
"""
from __future__ import annotations

import base64
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from lms.core.clock import utcnow
from lms.extensions import db
from lms.reports.models import XapiStatement

MAX_DELAY = timedelta(days=1)


@dataclass
class Answer:
    status: int  # 0: no answer (network)
    text: str


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0
    batches: int = 0


def _post(bodies: list[str]) -> Answer:
    config = current_app.config
    url = config["XAPI_ENDPOINT"].rstrip("/") + "/statements"
    data = ("[" + ",".join(bodies) + "]").encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json", "X-Experience-API-Version": "1.0.3"})
    if config.get("XAPI_KEY"):
        token = base64.b64encode(f"{config['XAPI_KEY']}:{config.get('XAPI_SECRET', '')}"
                                 .encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=config.get("XAPI_TIMEOUT", 30)) as answer:
            return Answer(answer.status, answer.read(2000).decode(errors="replace"))
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.read(2000).decode(errors="replace"))
    except (urllib.error.URLError, OSError) as error:
        return Answer(0, f"{type(error).__name__}: {getattr(error, 'reason', error)}")


def _due(now: datetime, limit: int) -> list[tuple[int, str, int]]:
    return db.session.execute(
        select(XapiStatement.id, XapiStatement.body, XapiStatement.attempts)
        .where(XapiStatement.sent_at.is_(None),
               or_(XapiStatement.next_attempt_at.is_(None),
                   XapiStatement.next_attempt_at <= now))
        .order_by(XapiStatement.id).limit(limit)).all()


def _mark_sent(ids: list[int], now: datetime) -> None:
    db.session.execute(update(XapiStatement).where(XapiStatement.id.in_(ids))
                       .values(sent_at=now, last_error=""))


def _mark_failed(rows, answer: Answer, now: datetime) -> None:
    base = float(current_app.config.get("XAPI_RETRY_SECONDS", 60))
    error = (f"HTTP {answer.status}: " if answer.status else "") + answer.text
    for row_id, _body, attempts in rows:
        delay = min(timedelta(seconds=base * 2 ** attempts), MAX_DELAY)
        db.session.execute(update(XapiStatement).where(XapiStatement.id == row_id).values(
            attempts=attempts + 1, last_error=error[:500], next_attempt_at=now + delay))


def send_batch(limit: int | None = None, now: datetime | None = None) -> Delivery:
    """Send up to ``limit`` due statements (one batch); one commit."""
    now = now or utcnow()
    limit = limit or int(current_app.config.get("XAPI_BATCH", 100))
    rows = _due(now, limit)
    db.session.rollback()  # no transaction held open while the LRS answers
    out = Delivery()
    if not rows:
        return out
    out.batches = 1
    answer = _post([body for _id, body, _n in rows])
    if 200 <= answer.status < 300:
        _mark_sent([row_id for row_id, _b, _n in rows], now)
        out.sent = len(rows)
    elif 400 <= answer.status < 500 and answer.status not in (401, 403, 408, 429):
        for row in rows:  # one at a time: the others go through
            single = answer if len(rows) == 1 else _post([row[1]])
            if 200 <= single.status < 300 or single.status == 409:
                _mark_sent([row[0]], now)
                out.sent += 1
            else:
                _mark_failed([row], single, now)
                out.failed += 1
    else:
        _mark_failed(rows, answer, now)
        out.failed = len(rows)
    db.session.commit()
    return out


def send_all(now: datetime | None = None, progress=None) -> Delivery:
    """Send batches until nothing is due or a batch fails entirely (the LRS is down: the
    backoff decides when to try again)."""
    total = Delivery()
    while True:
        done = send_batch(now=now)
        total.sent += done.sent
        total.failed += done.failed
        total.batches += done.batches
        if progress is not None and done.batches:
            progress(done)
        if not done.batches or not done.sent:
            return total


def pending() -> tuple[int, int]:
    """(waiting, waiting with an error)."""
    from sqlalchemy import func

    waiting = db.session.scalar(select(func.count()).where(XapiStatement.sent_at.is_(None)))
    failing = db.session.scalar(select(func.count()).where(
        XapiStatement.sent_at.is_(None), XapiStatement.attempts > 0))
    return int(waiting or 0), int(failing or 0)

