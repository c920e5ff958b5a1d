"""10,000 xAPI statements through the outbox to a real LRS (ralph, file-system backend, started
here), with the LRS stopped part-way and started again: none lost, none doubled.

    .venv/bin/python bench/xapi.py                      # 10,000 statements, batches of 100
    .venv/bin/python bench/xapi.py --statements 2000 --batch 250

Statements are queued as the receivers queue them (``xapi.queue``) for 200 members in one
SQLite database; ``xapi_send.send_batch`` delivers them. After a third of them the LRS is
stopped: the next batches fail and wait out their backoff; the LRS is started again and the
sender goes on (its clock moved past the backoff). At the end every statement is read back from
the LRS through its API and compared by id.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="fieldside-xapi-"))
    import os

    os.environ["FIELDSIDE_INSTANCE"] = str(folder / "instance")
    from sqlalchemy import func, select

    from lms import create_app
    from lms.auth.models import User
    from lms.core.clock import utcnow
    from lms.extensions import db
    from lms.reports import xapi, xapi_send
    from lms.reports.models import XapiStatement
    from tests.reports.lrs import LRS

    lrs = LRS(folder / "lrs")
    lrs.start()
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'x.db'}",
                          "SECRET_KEY": "bench", "XAPI_BATCH": args.batch, **lrs.config()})
        with app.app_context():
            db.create_all()
            users = [User(phone=f"139{n:08d}", name=f"党员{n}", password_hash="x", status="full")
                     for n in range(200)]
            db.session.add_all(users)
            db.session.flush()
            obj = xapi.activity("lesson", "courses/bench/lessons/l1", "第一课")
            xapi.queue([(users[n % 200].id, "experienced",
                         xapi.statement(users[n % 200].id, "experienced", obj))
                        for n in range(args.statements)])
            db.session.commit()
            ids = set(db.session.scalars(select(XapiStatement.statement_id)))
            start, now, stopped_at, failures = time.perf_counter(), utcnow(), None, 0
            while True:
                done = xapi_send.send_batch(now=now)
                if not done.batches:
                    if not db.session.scalar(select(func.count()).where(
                            XapiStatement.sent_at.is_(None))):
                        break
                    now += timedelta(days=1)  # past any backoff
                    continue
                failures += done.failed
                sent = db.session.scalar(select(func.count()).where(
                    XapiStatement.sent_at.isnot(None)))
                if stopped_at is None and lrs.process and sent >= args.statements // 3:
                    lrs.stop()
                    stopped_at = time.perf_counter()
                    print(f"LRS stopped after {sent:,} sent", flush=True)
                elif stopped_at is not None and lrs.process is None and failures >= 3 * args.batch:
                    lrs.start()
                    print(f"LRS started again ({failures:,} statement sends failed meanwhile)",
                          flush=True)
                    stopped_at = 0.0
            seconds = time.perf_counter() - start
            stored = [s["id"] for s in lrs.stored()]
            counts = Counter(stored)
            unsent = db.session.scalar(select(func.count()).where(XapiStatement.sent_at.is_(None)))
            lost = ids - set(stored)
            doubled = [i for i, n in counts.items() if n > 1]
            sample = sorted(ids)[:: max(1, len(ids) // 50)]
            assert all(lrs.has(i) for i in sample), "a statement the file holds, the API lacks"
            print(f"{len(ids):,} statements queued, {len(stored):,} stored by the LRS; lost "
                  f"{len(lost)}, doubled {len(doubled)}, still in the outbox {unsent}; "
                  f"{seconds:.1f} s with the outage and restart "
                  f"({len(ids) / seconds:,.0f} statements/s), batches of {args.batch}")
            return 1 if lost or doubled or unsent else 0
    finally:
        lrs.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
