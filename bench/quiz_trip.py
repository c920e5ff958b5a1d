"""One member's trip through the county's 知识竞赛, in process: what each request costs the app.

    .venv/bin/python bench/quiz_trip.py --database NAME             # 200 members of a kept county
    .venv/bin/python bench/quiz_trip.py --database NAME --members 50 --profile 25

``NAME`` is a county kept by ``bench/county_quiz.py --seed-only`` (PostgreSQL on 127.0.0.1).
Each member makes bench/locust_county.py's ``QuizMember`` trip through Flask's test client
with CSRF on, one request after another and no wait: the sign-in page, sign in, home, 我的学习,
the catalogue, the quiz page, start, the quiz, one save per question, submit, the review, sign
out. A fresh app context per request, as under gunicorn. For each kind of request: the app's CPU
time (``time.process_time``, the interpreter's side only; PostgreSQL's own CPU is not in it) and
the SQL statements it ran, as medians over the members, and the whole trip's sum. ``--profile N``
prints cProfile's top N functions by their own CPU time over the trips (``--kind`` names one kind
of request to profile alone).

The members taken really take the quiz: run it on a county kept for benchmarks, not on one you
still need whole (county_quiz.py finds the members still ready on each run).
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import county  # noqa: E402
import county_quiz  # noqa: E402
from quiz_pages import FIELDSET, TOKEN, choices_of, right_answer  # noqa: E402


class Trip:
    """Requests made through one test client, each timed and its statements counted."""

    #: (kind, cProfile.Profile): the requests of that kind are profiled
    profiled: tuple | None = None
    #: the kind of request whose statements are printed (once), and whether one is running
    show: str | None = None
    showing = False

    def __init__(self, app, counter: list[int], figures: dict):
        self.client = app.test_client()
        self.counter, self.figures = counter, figures

    def call(self, kind: str, method: str, url: str, status: int = 200, **kw):
        profiler = self.profiled[1] if self.profiled and self.profiled[0] in (kind, "all") \
            else None
        before, self.counter[0] = time.process_time(), 0
        if profiler:
            profiler.enable()
        Trip.showing = kind == Trip.show
        response = self.client.open(url, method=method, **kw)
        if Trip.showing:
            Trip.show = Trip.showing = None
        if profiler:
            profiler.disable()
        spent = time.process_time() - before
        if response.status_code != status:
            raise SystemExit(f"{method} {url}: {response.status_code}, expected {status}")
        self.figures[kind].append((spent * 1000, self.counter[0]))
        return response


def trip(app, counter, figures, phone: str, facts: dict) -> None:
    t = Trip(app, counter, figures)
    page = t.call("sign-in page", "GET", "/login").get_data(as_text=True)
    t.call("sign in", "POST", "/login", 302, data={
        "csrf_token": TOKEN.search(page).group(1), "phone": phone,
        "password": county.PASSWORD, "next": ""})
    t.call("home", "GET", "/", 302)
    t.call("我的学习", "GET", "/study/")
    t.call("catalogue", "GET", "/courses/")
    quiz = facts["quiz_id"]
    page = t.call("quiz page", "GET", f"/quizzes/{quiz}").get_data(as_text=True)
    token = TOKEN.search(page).group(1)
    started = t.call("start", "POST", f"/quizzes/{quiz}/start", 302, data={"csrf_token": token})
    base = started.headers["Location"]
    text = t.call("take", "GET", base).get_data(as_text=True)
    token = TOKEN.search(text).group(1)
    given = []
    for key, kind, body in FIELDSET.findall(text):
        values = right_answer(kind, facts["answer_key"].get(key, []), choices_of(body))
        t.call("save an answer", "POST", f"{base}/answer",
               data={"csrf_token": token, "shown": key, f"q-{key}": values},
               headers={"Accept": "application/json"})
        given.append((key, values))
    form = {"csrf_token": token, "confirm": "1", "shown": [k for k, _ in given]}
    form.update({f"q-{k}": v for k, v in given})
    review = t.call("submit", "POST", f"{base}/submit", 303, data=form)
    page = t.call("review", "GET", review.headers["Location"]).get_data(as_text=True)
    t.call("sign out", "POST", "/logout", 302, data={"csrf_token": TOKEN.search(page).group(1)})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, metavar="NAME")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--skip", type=int, default=0, metavar="K",
                        help="leave the first K ready members (two runs side by side)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print cProfile's top N functions by own CPU time")
    parser.add_argument("--kind", default="all",
                        help="profile only this kind of request (as the table names it)")
    parser.add_argument("--sort", default="tottime", help="cProfile's order (tottime, cumtime)")
    parser.add_argument("--show", metavar="KIND",
                        help="print the statements of the first request of this kind")
    args = parser.parse_args(argv)

    from sqlalchemy import event

    from lms import create_app
    from lms.extensions import db

    database = county_quiz.Database(Path("."), args.database)
    facts = county_quiz.quiz_facts(database)
    phones = county_quiz.ready_members(database, facts)[args.skip:args.skip + args.members + 5]
    if len(phones) < args.members + 5:
        raise SystemExit(f"only {len(phones)} members are still ready in {args.database}")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "SECRET_KEY": county.SECRET_KEY,
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": True})
    counter = [0]
    shown = []

    def count(_conn, _cursor, statement, *_args):
        counter[0] += 1
        if Trip.showing:
            shown.append(" ".join(statement.split())[:160])

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    warm = defaultdict(list)
    for phone in phones[:5]:  # warm-up: templates compiled, statements cached, pool filled
        trip(app, counter, warm, phone, facts)
    figures = defaultdict(list)
    Trip.show = args.show
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    if profiler:
        Trip.profiled = (args.kind, profiler)
    for phone in phones[5:]:
        trip(app, counter, figures, phone, facts)
    print(f"{args.members} members, in process on PostgreSQL ({args.database}); medians")
    print(f"{'request':<16} {'n/trip':>6} {'CPU ms':>7} {'SQL':>4}")
    total_ms = total_sql = 0.0
    for kind, rows in figures.items():
        per_trip = len(rows) / args.members
        ms = statistics.median(r[0] for r in rows)
        sql = statistics.median(r[1] for r in rows)
        total_ms, total_sql = total_ms + ms * per_trip, total_sql + sql * per_trip
        print(f"{kind:<16} {per_trip:>6.0f} {ms:>7.2f} {sql:>4.0f}")
    print(f"{'one trip':<16} {'':>6} {total_ms:>7.1f} {total_sql:>4.0f}")
    for number, statement in enumerate(shown, 1):
        print(f"{number:>3}. {statement}")
    if profiler:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
