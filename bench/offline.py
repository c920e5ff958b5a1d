"""Offline budgets (PERFORMANCE.md): the service worker's size, a saved course's bytes on the
wire, and the server time of a sync batch of 100 queued items.

    .venv/bin/python bench/offline.py [--database-url URL] [--repeats 7] [--json]

Runs in process (Flask's test client: no browser, no network), on a temporary SQLite database
or, with ``--database-url``, on that PostgreSQL database (its tables are dropped and made
again: give it a scratch database).

1. The service worker script as served at /sw.js: raw and gzip -6 bytes (budget 15 KB).
2. Each shipped course saved by a member: what the phone fetches (the save plan, the course
   page, every lesson page with its lesson check's questions, the images), raw and gzip -6
   (budget 300 KB for a 6-lesson course without audio); and the shell the worker keeps once for
   all courses (CSS, JS, an icon, the "not saved" page).
3. A sync batch of 100 new items for a member with ten saved courses (50 lesson checks, each of
   two questions, and 50 lessons read): the whole POST /offline/sync request, timed with
   perf_counter around the test client's call (median, min and max of ``--repeats`` fresh
   members; also this process's CPU time, which shared machines disturb less: on PostgreSQL
   it leaves out the database server's own work), the statements it ran, the same batch sent again (100 replays), and the same
   figures for a batch of 10 (statements do not grow with the batch). Budget 200 ms.

Exits 1 when a budget is broken.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-tea-garden-2026"
SW_BUDGET, COURSE_BUDGET, SYNC_BUDGET_MS = 15_000, 300_000, 200.0


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def build_app(folder: Path, url: str | None):
    os.environ["FIELDSIDE_INSTANCE"] = str(folder / "instance")
    os.environ.pop("DATABASE_URL", None)
    from flask.testing import FlaskClient

    from lms import create_app
    from lms.extensions import db

    class FreshContextClient(FlaskClient):
        """Each request in an app context of its own, as in production (the bench holds one
        for its setup; without this, requests would share its ``g`` and session)."""

        def open(self, *args, **kwargs):
            db.session.commit()
            with self.application.app_context():
                response = super().open(*args, **kwargs)
            db.session.commit()
            return response

    app = create_app({"SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{folder / 'bench.db'}",
                       "SECRET_KEY": "bench-only", "RATELIMIT_ENABLED": False,
                       "WTF_CSRF_ENABLED": False,
                       "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    app.test_client_class = FreshContextClient
    return app


def seed(app):
    from lms.authoring.pack_sync import import_folders
    from lms.extensions import db
    from lms.orgs.models import Organization

    db.drop_all()
    db.create_all()
    import_folders([Path(app.config["COURSES_DIR"])])
    county = Organization(code="BENCH", name="测试县委", kind="county", depth=0, path="")
    db.session.add(county)
    db.session.flush()
    county.path = f"/{county.id}/"
    branch = Organization(code="BENCH-1", name="测试村党支部", kind="branch",
                          parent_id=county.id, depth=1, path="")
    db.session.add(branch)
    db.session.flush()
    branch.path = f"{county.path}{branch.id}/"
    db.session.commit()
    return branch


_phones = iter(range(13_900_000_000, 13_999_999_999))


def member(branch):
    from lms.auth.models import User
    from lms.auth.passwords import hash_password
    from lms.extensions import db

    user = User(phone=str(next(_phones)), name="渔船党员", status="full", org_id=branch.id,
                password_hash=hash_password(PASSWORD))
    db.session.add(user)
    db.session.commit()
    return user


def signed_in(app, user):
    client = app.test_client()
    response = client.post("/login", data={"phone": user.phone, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def worker_size(client) -> dict:
    body = client.get("/sw.js").data
    return {"raw": len(body), "gzip": gz(body)}


def saved_courses(app, branch) -> dict:
    from sqlalchemy import select

    from lms.courses.models import Course, Lesson
    from lms.extensions import db
    from lms.offline.views import SHELL_FILES

    client = signed_in(app, member(branch))
    out = {}
    for slug in db.session.scalars(select(Course.slug).order_by(Course.slug)):
        plan_response = client.post(f"/offline/courses/{slug}/save")
        plan = plan_response.get_json()
        raw, zipped = len(plan_response.data), gz(plan_response.data)
        audio = 0
        for item in plan["items"]:
            with client.get(item["url"]) as response:
                assert response.status_code == 200, item["url"]
                body = response.data
            if response.mimetype.startswith("audio/"):
                audio += len(body)
                continue
            raw, zipped = raw + len(body), zipped + gz(body)
        lessons = db.session.scalar(select(db.func.count(Lesson.id)).join(Course).where(
            Course.slug == slug, Lesson.archived.is_(False)))
        out[slug] = {"lessons": lessons, "urls": len(plan["items"]), "raw": raw,
                     "gzip": zipped, "audio_skipped": audio}
    shell_raw = shell_gz = 0
    for name in SHELL_FILES:
        with client.get(f"/static/{name}") as response:
            body = response.data
        shell_raw, shell_gz = shell_raw + len(body), shell_gz + (
            len(body) if name.endswith(".png") else gz(body))
    body = client.get("/offline/").data
    out["(shell, once for all courses)"] = {"raw": shell_raw + len(body),
                                            "gzip": shell_gz + gz(body)}
    return out


def synthetic_courses(n: int):
    """``n`` published courses of 10 lessons, the first five with a two-question check."""
    from lms.courses.models import Course, Lesson
    from lms.extensions import db
    from lms.quizzes.models import Question, Quiz

    made = []
    for _ in range(n):
        tag = uuid.uuid4().hex[:10]
        course = Course(slug=f"bench-{tag}", title=f"出海课程{tag}", summary="", category="理论",
                        required=False, credit_hours=1, status="published")
        db.session.add(course)
        db.session.flush()
        lessons = [Lesson(course_id=course.id, key=f"l{i}", position=i, title=f"第{i}课",
                          minutes=3, body="正文", html="<p>正文</p>") for i in range(1, 11)]
        db.session.add_all(lessons)
        db.session.flush()
        for lesson in lessons[:5]:
            quiz = Quiz(course_id=course.id, lesson_id=lesson.id, mastery_required=1,
                        pass_percent=0, draw=0)
            db.session.add(quiz)
            db.session.flush()
            db.session.add_all([Question(
                course_id=course.id, quiz_id=quiz.id, key=f"{tag}-{lesson.id}-{k}", position=k,
                kind="single", stem="哪一个对？", options=["甲", "乙", "丙"], answer=[1],
                explanation="", points=1) for k in (1, 2)])
        made.append((course, lessons))
    db.session.commit()
    return made


def queue_for(app, user, courses) -> list[dict]:
    """What the phone queued: every check answered (one right, one wrong: passed) and every
    other lesson read, for courses saved through the real save service."""
    from sqlalchemy import select

    from lms.extensions import db
    from lms.offline.services import prepare_course
    from lms.quizzes.models import Attempt

    for course, _lessons in courses:
        with app.test_request_context():
            prepare_course(user, course)
    items = []
    for attempt in db.session.scalars(select(Attempt).where(
            Attempt.user_id == user.id, Attempt.state == "in_progress").order_by(Attempt.id)):
        first, second = attempt.snapshot
        items.append({"id": uuid.uuid4().hex, "member": user.id, "kind": "check_answers",
                      "attempt": attempt.id,
                      "answers": {first["key"]: [str(first["answer"][0])],
                                  second["key"]: [str((second["answer"][0] + 1) % 3)]}})
    for _course, lessons in courses:
        items += [{"id": uuid.uuid4().hex, "member": user.id, "kind": "lesson_read",
                   "lesson": lesson.id} for lesson in lessons[5:]]
    return items


def timed_batches(app, branch, n_courses: int, repeats: int) -> dict:
    from sqlalchemy import event

    from lms.extensions import db

    first, again, statements, cpu = [], [], [], []
    for _ in range(repeats):
        user = member(branch)
        items = queue_for(app, user, synthetic_courses(n_courses))
        client = signed_in(app, user)
        counter = [0]

        def count(*_args, _counter=counter):
            _counter[0] += 1

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.post("/offline/sync", json={"items": items})
            first.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        results = response.get_json()["results"]
        bad = [r for r in results if not r["ok"] or r["replayed"]]
        assert response.status_code == 200 and not bad, bad[:3]
        statements.append(counter[0])
        start = time.perf_counter()
        response = client.post("/offline/sync", json={"items": items})
        again.append((time.perf_counter() - start) * 1000)
        assert all(r["replayed"] for r in response.get_json()["results"])

    def summary(values):
        return {"median_ms": round(statistics.median(values), 1),
                "min_ms": round(min(values), 1), "max_ms": round(max(values), 1)}

    return {"items": len(items), "new": summary(first), "new_cpu": summary(cpu),
            "replayed": summary(again),
            "statements": sorted(set(statements))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fieldside-offline-bench-") as tmp:
        app = build_app(Path(tmp), args.database_url)
        with app.app_context():
            from lms.extensions import db

            branch = seed(app)
            figures = {
                "database": db.engine.dialect.name,
                "load_average_at_start": round(os.getloadavg()[0], 1),
                "service_worker": worker_size(app.test_client()),
                "saved_courses": saved_courses(app, branch),
                "sync_100": timed_batches(app, branch, 10, args.repeats),
                "sync_10": timed_batches(app, branch, 1, args.repeats),
            }
            db.session.remove()
            if args.database_url:
                db.drop_all()
            db.engine.dispose()
    failures = []
    if figures["service_worker"]["raw"] > SW_BUDGET:
        failures.append("service worker over 15 KB")
    for slug, row in figures["saved_courses"].items():
        if row.get("lessons") == 6 and row["gzip"] > COURSE_BUDGET:
            failures.append(f"{slug} over 300 KB")
    if figures["sync_100"]["new"]["median_ms"] > SYNC_BUDGET_MS:
        failures.append("sync batch of 100 over 200 ms")
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        sw = figures["service_worker"]
        print(f"database: {figures['database']} (load average {figures['load_average_at_start']}"
              f" on {os.cpu_count()} cores)")
        print(f"service worker: {sw['raw']:,} B raw, {sw['gzip']:,} B gzip (budget 15,000 raw)")
        for slug, row in figures["saved_courses"].items():
            extra = f"{row['lessons']} lessons, {row['urls']} URLs, " if "lessons" in row else ""
            print(f"saved {slug}: {extra}{row['raw']:,} B raw, {row['gzip']:,} B gzip")
        for name in ("sync_100", "sync_10"):
            row = figures[name]
            print(f"sync {row['items']} new items: median {row['new']['median_ms']} ms "
                  f"(min {row['new']['min_ms']}, max {row['new']['max_ms']}; this process's "
                  f"CPU median {row['new_cpu']['median_ms']} ms), "
                  f"{row['statements']} statements; replayed: median "
                  f"{row['replayed']['median_ms']} ms")
    for failure in failures:
        print("BUDGET BROKEN:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
