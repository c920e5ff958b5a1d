"""A county's 知识竞赛 under locust (issue 14): its members each sign in, open the catalogue, start
党课's final quiz (结业测验), save each answer as they give it and submit, against the app under
gunicorn (the repository's gunicorn.conf.py) with PostgreSQL and Redis, all on 127.0.0.1.

    .venv/bin/python bench/county_quiz.py --keep                       # seed, run, keep the db
    .venv/bin/python bench/county_quiz.py --database NAME --steps 100,200,400 --run-time 180
    .venv/bin/python bench/county_quiz.py --members 2000 --steps 30 --run-time 60   # a quick run

1. A fresh PostgreSQL database ``fieldside_quizday_<pid>`` (dropped at the end unless ``--keep``),
   seeded by bench/county.py's seeder (imported, not copied) with one change: both of its pools
   of ready members have done all six lessons of 党课 and not taken its final quiz, so about
   19,000 of the 20,000 members may start it. Every account shares one precomputed password hash
   (pbkdf2 with 1,000 rounds, what the seeder writes; ``--scrypt`` puts the production hash on
   every account instead, to see what sign-in costs then). ``--database NAME`` reuses a database
   kept before: the members who have not taken the quiz yet are found again in it.
2. gunicorn with ``-c gunicorn.conf.py`` and ``--workers`` sync workers on 127.0.0.1, the
   sign-in rate limit kept in Redis (``RATELIMIT_STORAGE_URI``, a database of its own).
3. For each ``--steps`` entry (simulated members at once), ``locust --headless`` with
   bench/locust_county.py's ``QuizMember`` for ``--run-time`` seconds; its CPU share, the
   server's and PostgreSQL's measured from /proc beside it.
4. The database checked afterwards: every member whose submit locust saw answered has exactly
   one graded attempt, no attempt counted twice, no duplicate completion or 学时 entry, and the
   counts of locust, the members' own record and the database agree.
5. p50/p95/p99 per request kind (locust's, and the server's own time from gunicorn's access
   log), errors, and members per ten minutes. Exits 1 when a step broke the goal (0 errors,
   p95 ≤ 500 ms for every kind, nothing lost or doubled).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import county  # noqa: E402  (bench/ is on sys.path: the county seeder and its helpers)

ROOT = county.ROOT
PG_SERVER = county.PG_SERVER
P95_GOAL_MS = 500.0
#: the Redis database for the sign-in limit's counters (the tests use 13 and 15)
REDIS_URI = "redis://127.0.0.1:6379/12"
LOCUSTFILE = BENCH / "locust_county.py"
#: the final quiz every simulated member takes
COURSE = county.DANGKE


def log(text: str) -> None:
    print(text, flush=True)


class QuizDaySeeder(county.CountySeeder):
    """bench/county.py's county, with both pools ready for 党课's final quiz (all its lessons
    done, no attempt at it): the lesson-check pool becomes a second final-quiz pool."""

    def history(self, member, role, dangke):
        super().history(member, "final" if role == "check" else role, dangke)


def pool_size(members: int) -> int:
    """Each pool's size: nearly all members who are neither a branch's secretary nor its
    组织委员 (the seeder keeps those out of the pools), split in two."""
    branches = max(4, round(members / 50))
    return int((members - 2 * branches - 3) * 0.98) // 2


class Database(county.Database):
    """A fresh database ``fieldside_quizday_<pid>``, or one kept by an earlier run."""

    def __init__(self, folder: Path, name: str | None = None):
        super().__init__("postgresql", folder)
        self.name = name or f"fieldside_quizday_{os.getpid()}"
        self.url = f"postgresql+psycopg://{PG_SERVER}/{self.name}"
        self.reused = name is not None


def seed(database: Database, folder: Path, members: int, scrypt: bool) -> None:
    import flask_migrate

    from lms.database import bind_migrate
    from lms.extensions import db

    app = county.build_app(database, folder)
    bind_migrate(app)
    with app.app_context():
        flask_migrate.upgrade()
        added = county.create_missing_indexes()
        if added:
            log("Indexes the models declare but no migration creates yet, created here: "
                + ", ".join(added))
        log(f"Seeding a county of {members:,} members …")
        seeded = QuizDaySeeder(app, members, pool_size(members)).run()
        log(f"Seeded in {seeded.seconds:,.0f} s; {database.size()}")
        add_trainers()
        if scrypt:
            use_scrypt()
        db.session.remove()
        db.engine.dispose()


def migrate(database: Database, folder: Path) -> None:
    """A kept database brought to the code's revision (the code may have moved since)."""
    import flask_migrate

    from lms.database import bind_migrate
    from lms.extensions import db

    app = county.build_app(database, folder)
    bind_migrate(app)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


def add_trainers() -> None:
    """Five trainers (讲师) at the county for the soak's authoring pages: the first five
    township secretaries (137…) take the role as well."""
    from sqlalchemy import text

    from lms.extensions import db

    with db.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO memberships (user_id, org_id, role, created_at, updated_at) "
            "SELECT u.id, o.id, 'trainer', now(), now() FROM users u, organizations o "
            "WHERE o.code = 'BENCH' AND u.phone IN ('13700000000', '13700000001', "
            "'13700000002', '13700000003', '13700000004')"))


def use_scrypt() -> None:
    """Every account gets the production hash (one scrypt hash, computed once and shared)."""
    from sqlalchemy import text
    from werkzeug.security import generate_password_hash

    from lms.extensions import db

    hashed = generate_password_hash(county.PASSWORD, method="scrypt")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE users SET password_hash = :h"), {"h": hashed})
    log("Every account now has a scrypt hash (the production setting).")


def connect(database: Database):
    import psycopg

    return psycopg.connect(f"postgresql://{PG_SERVER}/{database.name}", autocommit=True)


def quiz_facts(database: Database) -> dict:
    with connect(database) as conn:
        course_id, lessons = conn.execute(
            "SELECT c.id, count(l.id) FROM courses c JOIN lessons l ON l.course_id = c.id "
            "AND NOT l.archived WHERE c.slug = %s GROUP BY c.id", (COURSE,)).fetchone()
        quiz_id, draw = conn.execute(
            "SELECT id, draw FROM quizzes WHERE course_id = %s AND lesson_id IS NULL "
            "AND NOT archived", (course_id,)).fetchone()
        lesson_keys = [r[0] for r in conn.execute(
            "SELECT key FROM lessons WHERE course_id = %s AND NOT archived ORDER BY position",
            (course_id,))]
        key = {}
        for ident, kind, options, answer in conn.execute(
                "SELECT key, kind, options, answer FROM questions WHERE quiz_id = %s "
                "AND NOT archived", (quiz_id,)):
            if kind in ("single", "multiple"):
                key[ident] = [options[i] for i in answer]
            elif kind == "truefalse":
                key[ident] = ["true" if answer[0] else "false"]
            else:
                key[ident] = [str(answer[0])]
    return {"course_id": course_id, "lessons": lessons, "quiz_id": quiz_id, "draw": draw,
            "lesson_keys": lesson_keys, "answer_key": key}


def ready_members(database: Database, facts: dict) -> list[str]:
    """Phones of active members who have done every lesson of the course and never started its
    final quiz, in a seeded random order."""
    with connect(database) as conn:
        rows = conn.execute(
            "SELECT u.phone FROM users u JOIN lesson_progress p ON p.user_id = u.id "
            "AND p.course_id = %(course)s AND p.completed_at IS NOT NULL "
            "WHERE u.active AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.user_id = u.id "
            "AND a.quiz_id = %(quiz)s) GROUP BY u.phone HAVING count(*) = %(lessons)s "
            "ORDER BY u.phone",
            {"course": facts["course_id"], "quiz": facts["quiz_id"],
             "lessons": facts["lessons"]}).fetchall()
    phones = [r[0] for r in rows]
    random.Random(len(phones)).shuffle(phones)
    return phones


def staff(database: Database) -> dict:
    """Who the soak's staff users are: branch secretaries with their branch, township
    secretaries with their township, the trainers; and members outside the quiz pools."""
    with connect(database) as conn:
        secretaries = [list(r) for r in conn.execute(
            "SELECT u.phone, o.id FROM memberships m JOIN users u ON u.id = m.user_id "
            "JOIN organizations o ON o.id = m.org_id WHERE m.role = 'secretary' "
            "AND o.kind = 'branch' ORDER BY o.id")]
        towns = [list(r) for r in conn.execute(
            "SELECT u.phone, o.id FROM memberships m JOIN users u ON u.id = m.user_id "
            "JOIN organizations o ON o.id = m.org_id WHERE m.role = 'secretary' "
            "AND o.kind = 'township' ORDER BY o.id")]
        trainers = [r[0] for r in conn.execute(
            "SELECT u.phone FROM memberships m JOIN users u ON u.id = m.user_id "
            "WHERE m.role = 'trainer' ORDER BY u.phone")]
    return {"secretaries": secretaries, "towns": towns, "trainers": trainers}


def signed_in_sessions(database: Database, phones: list[str]) -> dict[str, str]:
    """A session cookie for each phone, as the app signs one at sign-in (``_user_id`` holding
    the id and the session token, ``seen`` now): the phones already signed in, as members' phones
    stay for 30 days, so the trip is the issue's own (no sign-in, no sign-out)."""
    from lms import create_app

    with connect(database) as conn:
        rows = dict((phone, (ident, token)) for phone, ident, token in conn.execute(
            "SELECT phone, id, session_token FROM users WHERE phone = ANY(%s)", (phones,)))
    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "SECRET_KEY": county.SECRET_KEY})
    signer = app.session_interface.get_signing_serializer(app)
    now = time.time()
    return {phone: signer.dumps({"_user_id": f"{ident}.{token}", "_fresh": True,
                                 "_permanent": True, "seen": now})
            for phone, (ident, token) in rows.items()}


def write_plan(path: Path, facts: dict, **people) -> None:
    plan = {"password": county.PASSWORD, "quiz_id": facts["quiz_id"], "course_slug": COURSE,
            "lesson_keys": facts["lesson_keys"], "answer_key": facts["answer_key"], **people}
    path.write_text(json.dumps(plan, ensure_ascii=False))


# ---- the server -------------------------------------------------------------------------------

#: gunicorn's access log: method, path, status, the request's time in microseconds
ACCESS_FORMAT = "%(m)s %(U)s %(s)s %(D)s"


class Server(county.Servers):
    """The app under gunicorn (gunicorn.conf.py), with an access log that gives the server's own
    time per request; stopped by its own pid."""

    def start_app(self, database: Database, folder: Path, workers: int, login_limit: str,
                  access_log: Path) -> tuple[subprocess.Popen, int]:
        env = {"FIELDSIDE_INSTANCE": str(folder / "instance"), "SECRET_KEY": county.SECRET_KEY,
               "DATABASE_URL": database.url, "RATELIMIT_STORAGE_URI": REDIS_URI,
               "RATELIMIT_ENABLED": "1", "LOGIN_RATE_LIMIT": login_limit}
        port = county.free_port()
        gunicorn = Path(sys.executable).parent / "gunicorn"
        proc = subprocess.Popen(
            [str(gunicorn), "--config", str(county.GUNICORN_CONF), "--workers", str(workers),
             "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
             "--log-level", "warning", "--timeout", "60", "--access-logfile", str(access_log),
             "--error-logfile", str(access_log.with_name("error.log")),
             "--access-logformat", ACCESS_FORMAT, "lms:create_app()"],
            env={**os.environ, **env}, start_new_session=True)
        self.procs.append(proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"gunicorn exited with {proc.returncode}")
            try:
                status, _, _ = county.http(port, "GET", "/healthz")
                if status == 200:
                    return proc, port
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit("gunicorn did not start answering")


def workers_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


# ---- CPU shares from /proc --------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def backends(database: Database) -> list[int]:
    """PostgreSQL's server processes for this database (their command line names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                line = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if line.startswith("postgres: ") and f" {database.name} " in line:
                found.append(int(entry.name))
    return found


def machine_busy() -> tuple[float, float]:
    """(busy seconds, all seconds) summed over the machine's CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICK, sum(values) / TICK


class CpuMeter:
    """CPU seconds of locust, gunicorn (master + workers) and this database's PostgreSQL
    processes between start() and stop(), against the machine's."""

    def __init__(self, database: Database, server_pid: int):
        self.database, self.server_pid = database, server_pid

    def _sample(self, locust_pid: int) -> dict:
        return {"locust": cpu_seconds(locust_pid),
                "gunicorn": {p: cpu_seconds(p) for p in [self.server_pid,
                                                        *workers_of(self.server_pid)]},
                "postgres": {p: cpu_seconds(p) for p in backends(self.database)},
                "machine": machine_busy(), "wall": time.monotonic()}

    def start(self, locust_pid: int) -> None:
        self.first = self._sample(locust_pid)

    def stop(self, locust_pid: int) -> dict:
        last = self._sample(locust_pid)
        first = self.first
        wall = last["wall"] - first["wall"]
        cores = os.cpu_count() or 1

        def grown(kind):
            return sum(v - first[kind].get(p, 0.0) for p, v in last[kind].items())

        busy = last["machine"][0] - first["machine"][0]
        shares = {"locust": last["locust"] - first["locust"], "gunicorn": grown("gunicorn"),
                  "postgres": grown("postgres")}
        shares["everything else on the machine"] = max(0.0, busy - sum(shares.values()))
        return {"wall_s": wall, "cores": cores,
                "cpu_s": shares,
                "share_of_machine": {k: v / (wall * cores) for k, v in shares.items()},
                "idle_share": 1 - busy / (wall * cores)}


def load_average() -> str:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return f"{one} {five} {fifteen}"


# ---- locust -----------------------------------------------------------------------------------

def run_locust(port: int, plan: Path, results: Path, prefix: Path, users: int, spawn_rate: float,
               run_time: int, classes: list[str], meter: CpuMeter | None = None,
               stop_timeout: int = 30, locustfile: Path = LOCUSTFILE) -> dict:
    """``locust --headless`` bounded in users and time, against 127.0.0.1 only. Returns its
    per-kind figures (from its CSV) and the CPU shares measured while it ran."""
    locust = Path(sys.executable).parent / "locust"
    command = [str(locust), "-f", str(locustfile), "--headless", "--host",
               f"http://127.0.0.1:{port}", "--users", str(users), "--spawn-rate", str(spawn_rate),
               "--run-time", f"{run_time}s", "--stop-timeout", str(stop_timeout), "--csv",
               str(prefix), "--only-summary", "--loglevel", "WARNING", *classes]
    env = {**os.environ, "BENCH_PLAN": str(plan), "BENCH_RESULTS": str(results)}
    started = time.monotonic()
    proc = subprocess.Popen(command, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if meter is not None:
        time.sleep(0.5)
        meter.start(proc.pid)
    cpu = None
    try:
        # sample the CPU before locust exits (its own figures go with the process)
        while proc.poll() is None:
            if meter is not None and time.monotonic() - started >= run_time:
                cpu = meter.stop(proc.pid)
                meter = None
            time.sleep(0.5)
        output = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
    wall = time.monotonic() - started
    kinds = {}
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            kinds[row["Name"]] = {
                "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "p50": float(row["50%"] or 0), "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0), "max": float(row["Max Response Time"] or 0),
                "rps": float(row["Requests/s"] or 0)}
    exceptions = []
    if Path(f"{prefix}_exceptions.csv").exists():
        with open(f"{prefix}_exceptions.csv", newline="", encoding="utf-8") as fh:
            exceptions = [dict(r) for r in csv.DictReader(fh)]
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", newline="", encoding="utf-8") as fh:
            failures = [dict(r) for r in csv.DictReader(fh)]
    return {"kinds": kinds, "failures": failures, "exceptions": exceptions, "cpu": cpu, "wall_s": wall,
            "exit": proc.returncode, "tail": output[-3000:]}


# ---- the server's own time per route, from the access log -------------------------------------

NUMBER = re.compile(r"/\d+")


LESSON = re.compile(r"^/courses/[^/]+/lessons/[^/]+$")


def route_of(method: str, path: str) -> str:
    if LESSON.match(path):
        return f"{method} /courses/[c]/lessons/[l]"
    return f"{method} {NUMBER.sub('/[id]', path)}"


def server_times(access_log: Path, since: int = 0) -> tuple[dict, int]:
    """p50/p95/p99 of the server's own time (gunicorn's %(D)s: from reading the request to the
    last byte written) per route, for the log lines after byte ``since``; and the new end."""
    times = defaultdict(list)
    statuses = defaultdict(Counter)
    with access_log.open("rb") as fh:
        fh.seek(since)
        data = fh.read()
    for line in data.decode(errors="replace").splitlines():
        parts = line.split()
        if len(parts) != 4 or not parts[3].isdigit():
            continue
        method, path, status, micros = parts
        route = route_of(method, path)
        times[route].append(int(micros) / 1000)
        statuses[route][status] += 1
    out = {}
    for route, values in times.items():
        values.sort()
        out[route] = {"requests": len(values), "p50": pct(values, 0.5), "p95": pct(values, 0.95),
                      "p99": pct(values, 0.99), "statuses": dict(statuses[route])}
    return out, since + len(data)


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(q * len(values)))]


# ---- the database afterwards ------------------------------------------------------------------

def check_database(database: Database, facts: dict, outcomes: list[dict]) -> dict:
    """What the database says about the members locust ran through.

    - lost: a member whose submit locust saw answered (303) and whose attempt is not graded;
    - double: a member with more than one attempt, an attempt whose 错题本 entries count a wrong
      answer more than once, or a course completion, 学时 entry or certificate twice;
    - counts: submits answered (locust), graded attempts of these members (database).
    """
    submitted = {o["phone"]: o["attempt"] for o in outcomes if o.get("submit") == 303}
    phones = [o["phone"] for o in outcomes]
    quiz, course = facts["quiz_id"], facts["course_id"]
    with connect(database) as conn:
        rows = conn.execute(
            "SELECT u.phone, a.id, a.state, a.score IS NOT NULL, a.passed FROM attempts a "
            "JOIN users u ON u.id = a.user_id WHERE a.quiz_id = %s AND u.phone = ANY(%s)",
            (quiz, phones)).fetchall()
        by_phone = defaultdict(list)
        for phone, ident, state, scored, passed in rows:
            by_phone[phone].append((ident, state, scored, passed))
        graded = {a[0] for attempts in by_phone.values() for a in attempts
                  if a[1] == "submitted" and a[2]}
        lost = [p for p, attempt in submitted.items() if attempt not in graded]
        several = [p for p, attempts in by_phone.items() if len(attempts) > 1]
        passed = sum(1 for attempts in by_phone.values() for a in attempts
                     if a[1] == "submitted" and a[3])
        in_progress = sum(1 for attempts in by_phone.values() for a in attempts
                          if a[1] == "in_progress")
        # each wrong response of a graded final attempt counts once in the 错题本 (these members
        # had never taken the quiz, so an entry counting it twice was graded twice)
        doubled_book = conn.execute(
            "SELECT count(*) FROM wrong_answers w JOIN users u ON u.id = w.user_id "
            "WHERE w.quiz_id = %s AND u.phone = ANY(%s) AND w.wrong_count > 1",
            (quiz, phones)).fetchone()[0]
        duplicates = {}
        for label, sql in (
                ("course_completions", "SELECT count(*) FROM (SELECT 1 FROM course_completions "
                 "GROUP BY user_id, course_id HAVING count(*) > 1) d"),
                ("study_hours (course)", "SELECT count(*) FROM (SELECT 1 FROM study_hours WHERE "
                 "source = 'course' GROUP BY user_id, source_id HAVING count(*) > 1) d"),
                ("certificates", "SELECT count(*) FROM (SELECT 1 FROM certificates WHERE "
                 "revoked_at IS NULL GROUP BY user_id, course_id HAVING count(*) > 1) d")):
            duplicates[label] = conn.execute(sql).fetchone()[0]
        completions = conn.execute(
            "SELECT count(*) FROM course_completions c JOIN users u ON u.id = c.user_id "
            "WHERE c.course_id = %s AND u.phone = ANY(%s)", (course, phones)).fetchone()[0]
        ledger = conn.execute(
            "SELECT count(*) FROM study_hours h JOIN users u ON u.id = h.user_id "
            "WHERE h.source = 'course' AND h.source_id = %s AND u.phone = ANY(%s)",
            (course, phones)).fetchone()[0]
    return {"members": len(phones), "submits_answered": len(submitted), "graded": len(graded),
            "passed": passed, "in_progress": in_progress, "lost": lost,
            "several_attempts": several, "book_counted_twice": doubled_book,
            "duplicates": duplicates, "completions": completions, "ledger": ledger}


# ---- one step, the report, main ---------------------------------------------------------------

#: the kinds a member's quiz makes, in the order they make them (locust's names)
KINDS = ["GET /login", "POST /login", "GET / (home)", "GET /study/ (我的学习)",
         "GET /courses/ (catalogue)", "GET /quizzes/[quiz]", "POST /quizzes/[quiz]/start",
         "GET /quizzes/attempts/[id] (take)", "POST /quizzes/attempts/[id]/answer",
         "POST /quizzes/attempts/[id]/submit", "GET /quizzes/attempts/[id]/review",
         "POST /logout"]


def members_per_ten_minutes(outcomes: list[dict], started: float, run_time: int) -> dict:
    """Submits answered per ten minutes: over the whole run (from the first user's start to
    the end of --run-time), and in its second half, once the members first spawned are through
    (the steady rate)."""
    times = sorted(o["t"] for o in outcomes if o.get("submit") == 303 and "t" in o)
    end = started + run_time
    whole = sum(1 for t in times if t <= end)
    half = sum(1 for t in times if end - run_time / 2 < t <= end)
    return {"whole_run": whole * 600 / run_time, "second_half": half * 600 / (run_time / 2),
            "answered_in_time": whole, "answered_after": len(times) - whole}


def run_step(args, database, facts, server_port, server_pid, access_log, folder, users,
             offset) -> tuple[dict, int]:
    ready = ready_members(database, facts)
    plan, results = folder / f"plan-{users}.json", folder / f"results-{users}.jsonl"
    sessions = {}
    if args.signed_in:  # as many as this step can reach, with room to spare
        sessions = signed_in_sessions(database, ready[:users * args.run_time // 5])
        ready = [phone for phone in ready if phone in sessions]
    write_plan(plan, facts, quiz_members=ready, sessions=sessions)
    spawn = args.spawn_rate or max(1.0, users / 30)
    log(f"\n-- {users} members at once (spawn {spawn:g}/s) for {args.run_time} s; "
        f"{len(ready):,} members ready; load average {load_average()}")
    before = load_average()
    meter = CpuMeter(database, server_pid)
    started = time.time()
    figures = run_locust(server_port, plan, results, folder / f"locust-{users}", users, spawn,
                         args.run_time, ["QuizMember"], meter)
    after = load_average()
    outcomes = [json.loads(line) for line in results.read_text().splitlines() if line.strip()]
    server, offset = server_times(access_log, offset)
    check = check_database(database, facts, outcomes)
    rate = members_per_ten_minutes(outcomes, started, args.run_time)
    errors = access_log.with_name("error.log")
    step = {"server_exceptions": errors.read_text().count("Exception on ") if errors.exists()
            else 0,
            "users": users, "spawn_rate": spawn, "run_time": args.run_time,
            "load_before": before, "load_after": after, "locust": figures, "server": server,
            "check": check, "rate": rate,
            "not_through": Counter(str(o.get("submit")) for o in outcomes
                                   if o.get("submit") != 303)}
    cpu = figures["cpu"]
    requests = figures["kinds"].get("Aggregated", {}).get("requests", 0)
    if cpu and requests:
        # the server's CPU (gunicorn and PostgreSQL) per request, and per member through the
        # whole quiz (11 requests + one save a question; 6 + one a question signed in already):
        # what an idle server of this size
        # could carry, however busy this machine was
        per_request = (cpu["cpu_s"]["gunicorn"] + cpu["cpu_s"]["postgres"]) / requests
        per_member = per_request * ((6 if args.signed_in else 11) + facts["draw"])
        step["server_cpu"] = {
            "ms_per_request": per_request * 1000, "s_per_member": per_member,
            "members_per_ten_minutes_on_idle_cores": cpu["cores"] * 600 / per_member}
    report_step(step)
    return step, offset


def step_problems(step: dict) -> list[str]:
    problems = []
    kinds = step["locust"]["kinds"]
    for name, row in kinds.items():
        if name == "Aggregated":
            continue
        if row["failures"]:
            problems.append(f"{name}: {row['failures']} errors")
        if row["p95"] > P95_GOAL_MS:
            problems.append(f"{name}: p95 {row['p95']:.0f} ms > {P95_GOAL_MS:.0f} ms")
    if step.get("server_exceptions"):
        problems.append(f"{step['server_exceptions']} exceptions in the app (gunicorn's error "
                        "log, so far)")
    for exception in step["locust"].get("exceptions", []):
        problems.append(f"locust user raised {exception['Count']}× {exception['Message']}")
    check = step["check"]
    if not check["submits_answered"]:
        problems.append("no member got through to a submit (a longer --run-time?)")
    if check["lost"]:
        problems.append(f"{len(check['lost'])} submits answered but not graded (lost)")
    if check["several_attempts"] or check["book_counted_twice"] or any(
            check["duplicates"].values()):
        problems.append("double grading: " + json.dumps(
            {"several attempts": len(check["several_attempts"]),
             "错题本 counted twice": check["book_counted_twice"], **check["duplicates"]},
            ensure_ascii=False))
    return problems


def report_step(step: dict) -> None:
    kinds = step["locust"]["kinds"]
    log(f"  locust ({step['users']} users, {step['run_time']} s), client-side ms:")
    log(f"  {'kind':<40}{'count':>7}{'errors':>7}{'p50':>7}{'p95':>7}{'p99':>7}{'max':>8}")
    for name in [*KINDS, *sorted(set(kinds) - set(KINDS) - {"Aggregated"}), "Aggregated"]:
        row = kinds.get(name)
        if row:
            log(f"  {name:<40}{row['requests']:>7}{row['failures']:>7}{row['p50']:>7.0f}"
                f"{row['p95']:>7.0f}{row['p99']:>7.0f}{row['max']:>8.0f}")
    for failure in step["locust"]["failures"][:10]:
        log(f"    failure: {failure}")
    for exception in step["locust"].get("exceptions", [])[:5]:
        log(f"    exception in a locust user: {exception['Count']}× {exception['Message']}")
    log("  server's own time (gunicorn access log), ms:")
    for route, row in sorted(step["server"].items(), key=lambda kv: -kv[1]["requests"]):
        log(f"  {route:<48}{row['requests']:>7}{row['p50']:>7.1f}{row['p95']:>7.1f}"
            f"{row['p99']:>7.1f}  {row['statuses']}")
    c, r = step["check"], step["rate"]
    log(f"  database: {c['members']} members ran; {c['submits_answered']} submits answered, "
        f"{c['graded']} graded attempts ({c['passed']} passed: {c['completions']} completions, "
        f"{c['ledger']} 学时 entries), {c['in_progress']} left in progress when time ran out; "
        f"lost {len(c['lost'])}, members with 2+ attempts {len(c['several_attempts'])}, "
        f"错题本 counted twice {c['book_counted_twice']}, duplicates {c['duplicates']}")
    log(f"  members not through: {dict(step['not_through'])}")
    log(f"  members per ten minutes: {r['whole_run']:,.0f} over the run, {r['second_half']:,.0f} "
        f"in its second half ({r['answered_in_time']} submits in time, {r['answered_after']} "
        f"in the stop timeout)")
    cpu = step["locust"]["cpu"]
    if cpu:
        shares = ", ".join(f"{k} {v * 100:.0f} %" for k, v in cpu["share_of_machine"].items())
        log(f"  CPU over {cpu['wall_s']:.0f} s on {cpu['cores']} cores: {shares}, idle "
            f"{cpu['idle_share'] * 100:.0f} %")
    if step.get("server_cpu"):
        c = step["server_cpu"]
        log(f"  server CPU (gunicorn + PostgreSQL): {c['ms_per_request']:.1f} ms a request, "
            f"{c['s_per_member']:.2f} s a member through the quiz: all {cpu['cores']} cores of "
            f"an idle server would carry {c['members_per_ten_minutes_on_idle_cores']:,.0f} "
            f"members per ten minutes")
    log(f"  load average before {step['load_before']}, after {step['load_after']}")
    problems = step_problems(step)
    log("  " + ("HOLDS" if not problems else "DOES NOT HOLD: " + "; ".join(problems)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=20_000, help="county size when seeding")
    parser.add_argument("--database", metavar="NAME",
                        help="reuse a database kept by an earlier --keep run (not dropped)")
    parser.add_argument("--keep", action="store_true", help="keep the new database at the end")
    parser.add_argument("--seed-only", action="store_true", help="seed, keep, and stop")
    parser.add_argument("--scrypt", action="store_true",
                        help="the production password hash (scrypt) on every account")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--steps", default="100",
                        help="simulated members at once, one locust run each: 100,200,400")
    parser.add_argument("--spawn-rate", type=float, default=0,
                        help="users started a second (default: users / 30)")
    parser.add_argument("--run-time", type=int, default=300, help="seconds per step")
    parser.add_argument("--login-rate-limit", default="3000 per minute",
                        help="LOGIN_RATE_LIMIT for the run: every member comes from 127.0.0.1")
    parser.add_argument("--profile", type=int, default=0, metavar="S",
                        help="py-spy one worker for S seconds in the middle of each step")
    parser.add_argument("--signed-in", action="store_true",
                        help="members already signed in (their session cookies made up front): "
                             "the issue's trip, without sign-in, 我的学习 and sign-out")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",") if s.strip()]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    folder = Path(tempfile.mkdtemp(prefix="fieldside-quizday-"))
    database = Database(folder, args.database)
    server = Server()
    broken, figures = [], {"steps": []}
    log(f"county_quiz {time.strftime('%Y-%m-%d %H:%M %Z')}; load average {load_average()}")
    try:
        if not database.reused:
            database.create()
            seed(database, folder, args.members, args.scrypt)
        elif args.scrypt:
            raise SystemExit("--scrypt needs a fresh database")
        else:
            migrate(database, folder)
        if args.seed_only:
            args.keep = True
            return 0
        facts = quiz_facts(database)
        access_log = folder / "access.log"
        access_log.touch()
        proc, port = server.start_app(database, folder, args.workers, args.login_rate_limit,
                                      access_log)
        log(f"gunicorn -c gunicorn.conf.py --workers {args.workers} on 127.0.0.1:{port} "
            f"(pid {proc.pid}); LOGIN_RATE_LIMIT={args.login_rate_limit!r} in {REDIS_URI}")
        offset = access_log.stat().st_size
        for users in steps:
            profiler = start_profile(proc.pid, args, folder, users) if args.profile else None
            step, offset = run_step(args, database, facts, port, proc.pid, access_log, folder,
                                    users, offset)
            if profiler is not None:
                step["profile"] = finish_profile(profiler)
            figures["steps"].append(step)
            broken += [f"{users} users: {p}" for p in step_problems(step)]
        figures["date"] = time.strftime("%Y-%m-%d %H:%M %Z")
        if args.json:
            Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=1,
                                                  default=str))
    finally:
        server.stop()
        if args.keep or database.reused:
            log(f"Kept: {database.url} (temp dir {folder})")
        else:
            database.drop()
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    held = [s for s in figures["steps"] if not step_problems(s)]
    if held:
        best = max(held, key=lambda s: s["rate"]["second_half"])
        log(f"\nHighest held: {best['rate']['second_half']:,.0f} members per ten minutes "
            f"({best['users']} at once); goal 20,000")
    if broken:
        log("\nGOAL BROKEN:\n  " + "\n  ".join(broken))
        return 1
    return 0


# ---- where the time goes: py-spy on one worker ------------------------------------------------

def start_profile(server_pid: int, args, folder: Path, users: int):
    """py-spy on the first worker, from a quarter into the step, for --profile seconds."""
    spy = Path(sys.executable).parent / "py-spy"
    out = folder / f"py-spy-{users}.txt"
    worker = workers_of(server_pid)[0]
    delay = max(0, args.run_time // 4)
    command = f"sleep {delay}; exec {spy} record --pid {worker} --duration {args.profile} " \
              f"--rate 50 --format raw --output {out} --nonblocking"
    proc = subprocess.Popen(["/bin/sh", "-c", command], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, out


def finish_profile(profiler) -> dict:
    proc, out = profiler
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
    if not out.exists():
        return {}
    return summarise_stacks(out)


#: where a sample's innermost frame is, by the file's path: the first prefix that matches
LAYERS = (("psycopg", "waiting for PostgreSQL (psycopg)"), ("sqlalchemy", "SQLAlchemy"),
          ("jinja2", "Jinja2 (rendering)"), ("templates/", "Jinja2 (rendering)"),
          ("werkzeug", "Flask, Werkzeug and extensions"), ("flask", "Flask, Werkzeug and extensions"),
          ("wtforms", "Flask, Werkzeug and extensions"), ("babel", "Flask, Werkzeug and extensions"),
          ("limits", "Flask-Limiter and Redis"), ("redis", "Flask-Limiter and Redis"),
          ("lms/", "the app's own code"), ("gunicorn", "gunicorn (reading requests, writing, "
                                                             "closing connections)"))


def _frames(stack: str) -> list[tuple[str, str]]:
    out = []
    for frame in stack.split(";"):
        name, _, where = frame.partition(" (")
        out.append((name, where.rstrip(")")))
    return out


def summarise_stacks(path: Path, top: int = 12) -> dict:
    """From py-spy's raw (collapsed) stacks of one worker: the share of samples by the layer the
    innermost frame is in (self time), and by the app's view function (inclusive)."""
    total = 0
    layers: Counter = Counter()
    views: Counter = Counter()
    app_functions: Counter = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = _frames(stack)
        if frames and frames[-1][0] == "SyncWorker.wait":
            continue  # waiting for the next connection: idle, whatever py-spy took it for
        total += n
        leaf = frames[-1][1] if frames else ""
        layers[next((label for prefix, label in LAYERS if leaf.startswith(prefix)),
                    "other (Python, the standard library)")] += n
        own = [(name, where) for name, where in frames if where.startswith("lms/")]
        if own:
            views[f"{own[0][0]} ({own[0][1].split(':')[0]})"] += n
        for label in {f"{name} ({where.split(':')[0]})" for name, where in own}:
            app_functions[label] += n
    if not total:
        return {}
    result = {"samples": total,
              "layers": [(k, v * 100 / total) for k, v in layers.most_common()],
              "views": [(k, v * 100 / total) for k, v in views.most_common(top)],
              "app_functions": [(k, v * 100 / total) for k, v in app_functions.most_common(top)]}
    log(f"  py-spy, one worker, {total} samples (serving requests):")
    for title, key in (("by layer (innermost frame)", "layers"), ("by view", "views"),
                       ("the app's functions (inclusive)", "app_functions")):
        log(f"    {title}:")
        for label, share in result[key]:
            log(f"      {share:5.1f} %  {label}")
    return result


if __name__ == "__main__":
    sys.exit(main())
