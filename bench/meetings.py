"""Meetings benchmark (issue 10): the roster page's weight and statements, closing a big
meeting, and the county roll-up with a year of meetings, on SQLite or PostgreSQL.

    .venv/bin/python bench/meetings.py                    # SQLite in a temp dir
    .venv/bin/python bench/meetings.py --db postgresql    # its own database on 127.0.0.1
    .venv/bin/python bench/meetings.py --branches 40 --reps 10   # a quick run

1. A fresh database (as bench/county.py: a SQLite file in a temp dir, or
   ``fieldside_bench_<pid>`` on 127.0.0.1, dropped at the end) and the migrations.
2. A county seeded with bulk inserts: 20 townships, ``--branches`` branches (400) each with one
   党小组 and ``--members`` members (30), and a year of closed meetings up to today for every
   branch (主题党日 and 支委会 monthly, 党员大会 and 党课 quarterly; one branch in ten skips this
   month's 主题党日) with an attendance row per member (about 85 % present) and the 学时 ledger
   entries closing wrote. A 60-member branch and a 300-member branch for the first two figures.
3. Figures, in process through Flask's test client (server time = the wall time of one WSGI
   call, or of the service call):
   - the roster page of the 60-member branch's meeting, first visit: the HTML and every
     stylesheet and script it links, raw and gzip level 6 (budget 30 KB), and its statements;
   - closing a 300-member 党员大会 with 255 ticked present (``services.close_meeting``: the
     absent marked, 255 ledger entries, the audit row), ``--closes`` fresh meetings, median and
     max (budget 1 s);
   - the county view (/branch/<county>, progress's roll-up with the meetings part) as the
     county's 组织委员, and ``oversight.rollup`` alone, p50/p95 over ``--reps`` after a warm-up,
     with their statements (budget: the county view's 300 ms).

Exits 1 when a budget is broken.
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from county import Database, build_app  # noqa: E402

PASSWORD = "bench-tea-garden-2026"
TICK_PAGE_BUDGET = 30_000
CLOSE_BUDGET_S = 1.0
ROLLUP_BUDGET_MS = 300.0


def log(text: str) -> None:
    print(text, flush=True)


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


class Counter:
    """Statements run on the engine while active."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.n = 0
        self.engine = engine
        self._event = event
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args, **_kwargs):
        self.n += 1

    def close(self):
        self._event.remove(self.engine, "before_cursor_execute", self._count)


def seed(app, branches: int, members: int):
    """Bulk inserts of the tree, members and a year of closed meetings with attendance."""
    from sqlalchemy import insert, select

    from lms.auth.models import User
    from lms.auth.passwords import hash_password
    from lms.extensions import db
    from lms.meetings.models import Attendance, Meeting
    from lms.orgs.models import Membership, Organization
    from lms.progress import years
    from lms.progress.models import StudyHours

    with app.app_context():
        today = years.today()
        zone = years.zone()
        password = hash_password(PASSWORD)
        def org(code, kind, parent, name):
            row = Organization(code=code, kind=kind, name=name, path="",
                               parent_id=parent.id if parent else None,
                               depth=parent.depth + 1 if parent else 0)
            db.session.add(row)
            db.session.flush()
            row.path = f"{parent.path if parent else '/'}{row.id}/"
            return row

        county = org("C", "county", None, "测试县委")
        towns = [org(f"T{t:02d}", "township", county, f"第{t}镇") for t in range(20)]
        branch_rows, group_of = [], {}
        for b in range(branches):
            branch = org(f"B{b:04d}", "branch", towns[b % 20], f"第{b}村党支部")
            group_of[branch.id] = org(f"B{b:04d}-1", "group", branch, f"第{b}村第一党小组")
            branch_rows.append(branch)
        big60 = org("BIG60", "branch", towns[0], "六十人党支部")
        big300 = org("BIG300", "branch", towns[1], "三百人党支部")
        db.session.commit()
        phone = iter(range(10_000_000, 99_999_999))
        users = []
        for branch in branch_rows:
            for i in range(members):
                users.append({"phone": f"138{next(phone):08d}", "name": f"党员{i}",
                              "password_hash": password, "status": "full",
                              "org_id": group_of[branch.id].id if i % 2 else branch.id,
                              "session_token": f"{len(users):032d}"})
        for big, size in ((big60, 60), (big300, 300)):
            for i in range(size):
                users.append({"phone": f"138{next(phone):08d}", "name": f"党员{i}",
                              "password_hash": password, "status": "full" if i % 9 else
                              "probationary", "org_id": big.id, "is_mobile": i % 13 == 0,
                              "session_token": f"{len(users):032d}"})
        for start in range(0, len(users), 5000):
            db.session.execute(insert(User), users[start:start + 5000])
        staff = []
        for code, node in (("county", county), ("big60", big60), ("big300", big300)):
            staff.append(User(phone=f"137{len(staff):08d}", name=f"{code}书记",
                              password_hash=password, org_id=node.id, status="full"))
        db.session.add_all(staff)
        db.session.flush()
        db.session.add_all([Membership(user_id=staff[0].id, org_id=county.id, role="organizer"),
                            Membership(user_id=staff[1].id, org_id=big60.id, role="secretary"),
                            Membership(user_id=staff[2].id, org_id=big300.id,
                                       role="secretary")])
        db.session.commit()

        ids_by_branch: dict[int, list[int]] = {}
        for user_id, org_id in db.session.execute(select(User.id, User.org_id)):
            ids_by_branch.setdefault(org_id, []).append(user_id)
        paths = dict(db.session.execute(select(Organization.id, Organization.path)).all())

        def moment(month: int, day: int, hour: int) -> datetime:
            local = datetime(today.year, month, day, hour, tzinfo=zone)
            return local.astimezone(UTC).replace(tzinfo=None)

        plan = []  # (kind, month, day)
        for month in range(1, today.month + 1):
            day = min(10, today.day) if month == today.month else 10
            plan += [("theme_day", month, day), ("committee", month, day)]
            if month % 3 == 1:
                plan += [("general", month, day), ("lecture", month, day)]
        meeting_rows, attendance_rows, ledger_rows = [], [], []
        next_id = 1
        for n, branch in enumerate(branch_rows):
            roster = ids_by_branch.get(branch.id, []) + ids_by_branch.get(
                group_of[branch.id].id, [])
            for kind, month, day in plan:
                if kind == "theme_day" and month == today.month and n % 10 == 0:
                    continue
                starts = moment(month, day, 9)
                attending = roster if kind != "committee" else roster[:5]
                present = [u for j, u in enumerate(attending) if (j + n + month) % 7]
                meeting_rows.append({
                    "id": next_id, "org_id": branch.id, "kind": kind, "title": f"{month}月{kind}",
                    "starts_at": starts, "ends_at": starts + timedelta(hours=2), "place": "村部",
                    "host": "书记", "minute_taker": "组织委员", "topics": "", "remarks": "",
                    "decisions": "", "dissent": "", "hours": 2, "allow_guests": False,
                    "state": "closed", "created_at": starts, "closed_at": starts,
                    "expected_count": len(attending), "present_count": len(present)})
                present_set = set(present)
                for u in attending:
                    attendance_rows.append({
                        "meeting_id": next_id, "user_id": u,
                        "status": "present" if u in present_set else "absent", "late": False,
                        "reason": "", "method": "roster", "guest": False, "guest_org_name": "",
                        "marked_at": starts})
                if kind != "committee":
                    for u in present:
                        ledger_rows.append({
                            "user_id": u, "year": today.year, "category": "meeting", "hours": 2,
                            "source": "meeting", "source_id": next_id, "reason": "",
                            "recorded_at": starts, "org_path": paths[branch.id]})
                next_id += 1
        for table, rows in ((Meeting, meeting_rows), (Attendance, attendance_rows),
                            (StudyHours, ledger_rows)):
            for start in range(0, len(rows), 10_000):
                db.session.execute(insert(table), rows[start:start + 10_000])
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy import text

            # the meetings were inserted with their ids: move the sequence past them
            db.session.execute(text("SELECT setval(pg_get_serial_sequence('meetings', 'id'), "
                                    "(SELECT max(id) FROM meetings))"))
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        return {"county": county.id, "big60": big60.id, "big300": big300.id,
                "staff": [s.phone for s in staff], "meetings": len(meeting_rows),
                "attendance": len(attendance_rows), "ledger": len(ledger_rows),
                "members": len(users)}


def signed_in(app, phone: str):
    client = app.test_client()
    response = client.post("/login", data={"phone": phone, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def tick_page(app, seeded) -> dict:
    """The roster page of a 60-member branch: bytes of the first visit and statements."""
    from lms.auth.models import User
    from lms.extensions import db
    from lms.meetings import services
    from lms.orgs.models import Organization

    with app.app_context():
        actor = db.session.scalar(db.select(User).where(User.phone == seeded["staff"][1]))
        now = datetime.now(UTC).replace(tzinfo=None)
        meeting = services.save_meeting(actor, db.session.get(Organization, seeded["big60"]),
                                        services.MeetingData(kind="theme_day", title="本月主题党日",
                                                             starts_at=now, ends_at=now +
                                                             timedelta(hours=2), hours=2))
        meeting_id = meeting.id
    client = signed_in(app, seeded["staff"][1])
    url = f"/meetings/{meeting_id}/roll"
    client.get(url)
    with app.app_context():
        from lms.extensions import db as the_db

        counter = Counter(the_db.engine)
        html = client.get(url).data
        counter.close()
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)
    raw, packed = len(html), gz(html)
    for asset in assets:
        body = client.get(asset.decode()).data
        raw, packed = raw + len(body), packed + gz(body)
    return {"html_raw": len(html), "html_gzip": gz(html), "assets": len(assets),
            "first_visit_raw": raw, "first_visit_gzip": packed, "statements": counter.n,
            "rows": html.count(b"data-user=")}


def close_big(app, seeded, closes: int) -> dict:
    from sqlalchemy import insert

    from lms.auth.models import User
    from lms.extensions import db
    from lms.meetings import services
    from lms.meetings.models import Attendance
    from lms.orgs.models import Organization

    times, statements = [], []
    with app.app_context():
        actor = db.session.scalar(db.select(User).where(User.phone == seeded["staff"][2]))
        org = db.session.get(Organization, seeded["big300"])
        roster = [u.user_id for u in services.roster(services.Meeting(id=0), org)]
        for n in range(closes):
            begins = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=3, minutes=n)
            meeting = services.save_meeting(actor, org, services.MeetingData(
                kind="general", title=f"党员大会{n}", starts_at=begins,
                ends_at=begins + timedelta(hours=2), hours=2))
            db.session.execute(insert(Attendance), [
                {"meeting_id": meeting.id, "user_id": u, "status": "present", "late": False,
                 "reason": "", "method": "roster", "guest": False, "guest_org_name": "",
                 "marked_at": begins} for u in roster[:255]])
            db.session.commit()
            counter = Counter(db.engine)
            started = time.perf_counter()
            services.close_meeting(actor, meeting.id)
            times.append(time.perf_counter() - started)
            counter.close()
            statements.append(counter.n)
    return {"roster": len(roster), "present": 255, "median_ms": statistics.median(times) * 1000,
            "max_ms": max(times) * 1000, "statements": max(statements)}


def rollup(app, seeded, reps: int, warmup: int) -> dict:
    from lms.extensions import db
    from lms.meetings import oversight
    from lms.orgs.models import Organization

    client = signed_in(app, seeded["staff"][0])
    url = f"/branch/{seeded['county']}"
    page, statements = [], 0
    for n in range(warmup + reps):
        with app.app_context():
            counter = Counter(db.engine)
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
            counter.close()
        assert response.status_code == 200 and "本月尚未开展主题党日" in response.get_data(
            as_text=True)
        if n >= warmup:
            page.append(elapsed)
            statements = counter.n
    from lms.progress import years
    from lms.reports import tables

    alone, alone_statements, study = [], 0, []
    with app.app_context():
        county = db.session.get(Organization, seeded["county"])
        for n in range(warmup + reps):
            counter = Counter(db.engine)
            started = time.perf_counter()
            rows = oversight.rollup(county)
            elapsed = time.perf_counter() - started
            counter.close()
            db.session.rollback()
            # the study roll-up the page already had, on the same data, for comparison
            started = time.perf_counter()
            tables.rollup_rows(county, year=years.this_year())
            study_elapsed = time.perf_counter() - started
            db.session.rollback()
            if n >= warmup:
                alone.append(elapsed)
                study.append(study_elapsed)
                alone_statements = counter.n
    def pct(values, q):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000
    return {"branches": len(rows), "page_p50_ms": pct(page, .5), "page_p95_ms": pct(page, .95),
            "page_statements": statements, "rollup_p50_ms": pct(alone, .5),
            "rollup_p95_ms": pct(alone, .95), "rollup_statements": alone_statements,
            "study_rollup_p50_ms": pct(study, .5), "study_rollup_p95_ms": pct(study, .95)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--branches", type=int, default=400)
    parser.add_argument("--members", type=int, default=30)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--closes", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="fieldside-bench-meetings-"))
    database = Database(args.db, folder)
    try:
        database.create()
        app = build_app(database, folder)
        from flask_migrate import upgrade

        from lms.database import bind_migrate

        bind_migrate(app)
        with app.app_context():
            upgrade()
        started = time.perf_counter()
        seeded = seed(app, args.branches, args.members)
        log(f"seeded {seeded['members']:,} members, {seeded['meetings']:,} meetings, "
            f"{seeded['attendance']:,} attendance rows, {seeded['ledger']:,} ledger rows "
            f"in {time.perf_counter() - started:.0f} s ({args.db}, {database.size()})")
        figures = {"db": args.db, "tick_page": tick_page(app, seeded),
                   "close_300": close_big(app, seeded, args.closes),
                   "county": rollup(app, seeded, args.reps, args.warmup)}
    finally:
        database.drop()
        shutil.rmtree(folder, ignore_errors=True)
    t, c, r = figures["tick_page"], figures["close_300"], figures["county"]
    log(f"roster page, {t['rows']} members: HTML {t['html_raw']:,} B ({t['html_gzip']:,} gzip), "
        f"first visit with {t['assets']} CSS/JS {t['first_visit_raw']:,} B, "
        f"{t['first_visit_gzip']:,} B gzip (budget {TICK_PAGE_BUDGET:,}); "
        f"{t['statements']} statements")
    log(f"closing a {c['roster']}-member 党员大会, {c['present']} present: median "
        f"{c['median_ms']:.1f} ms, max {c['max_ms']:.1f} ms (budget {CLOSE_BUDGET_S * 1000:.0f}); "
        f"{c['statements']} statements")
    log(f"county view with a year of meetings, {r['branches']} branches: p50 "
        f"{r['page_p50_ms']:.1f} ms, p95 {r['page_p95_ms']:.1f} ms (budget "
        f"{ROLLUP_BUDGET_MS:.0f}), {r['page_statements']} statements; meetings roll-up alone "
        f"p50 {r['rollup_p50_ms']:.1f} ms, p95 {r['rollup_p95_ms']:.1f} ms, "
        f"{r['rollup_statements']} statements; the study roll-up alone (there before) p50 "
        f"{r['study_rollup_p50_ms']:.1f} ms, p95 {r['study_rollup_p95_ms']:.1f} ms")
    if args.json:
        print(json.dumps(figures, indent=2))
    broken = []
    if t["first_visit_gzip"] > TICK_PAGE_BUDGET:
        broken.append("roster page over 30 KB")
    if c["max_ms"] > CLOSE_BUDGET_S * 1000:
        broken.append("closing over 1 s")
    if r["page_p95_ms"] > ROLLUP_BUDGET_MS:
        broken.append("county view over 300 ms")
    if broken:
        log("BUDGET BROKEN: " + "; ".join(broken))
        return 1
    log("Within budget.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
