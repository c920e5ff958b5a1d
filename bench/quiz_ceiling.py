"""What the county's quiz day asks of one 2-core box, against what the fixed stack can do on it.

    .venv/bin/python bench/quiz_ceiling.py                  # 2 and 5 workers, 60 s a measurement
    .venv/bin/python bench/quiz_ceiling.py --workers 5 --run-time 20

PERFORMANCE.md's peak budget: 20,000 members start, answer and submit a final quiz in ten
minutes on one 2-core server with PostgreSQL, measured with a load tool on 127.0.0.1 (issue 14),
so the tool shares the two cores. This script serves bench/stack_app.py, the fixed stack with
nothing of ours (Flask, Flask-SQLAlchemy, Flask-Login, Flask-WTF's CSRF, Flask-Babel, a
template), on a PostgreSQL database of its own (``fieldside_bench_<pid>``, dropped at the end),
under gunicorn with the project's gunicorn.conf.py and each of ``--workers`` sync worker counts
in turn. It loads, for ``--run-time`` seconds each:

- the smallest signed-in page (one row read) with bench/loadgen.py (threads of http.client, the
  tool PERFORMANCE.md's throughput anchor was measured with) and with locust;
- the smallest write, what saving an answer cannot do with less (the user and the CSRF token
  checked, a row taken ``FOR UPDATE``, a row updated, a commit), with locust;

locust's users signed in and never waiting (bench/locust_floor.py). From /proc: the CPU of
gunicorn, of this database's PostgreSQL processes and of the load tool. First, to place this box
beside the one PERFORMANCE.md was measured on, the bare Flask page (bench/bare_app.py) under
loadgen: its requests a second against PERFORMANCE.md's 3,137; and the floor page in process on
PostgreSQL and on SQLite (the database the throughput anchor was measured on).

Then the arithmetic of the budget: 20,000 trips in 600 s on the box's cores is a CPU budget per
member, load tool included. The issue's trip (already signed in: the catalogue, the quiz page,
start, its attempt page, one save per question of a 10-question final, submit) is 3 reads and
12 writes; done by the floor's cheapest measured read and write it costs what it prints, and
what is left of the budget is all the quiz's own work could use.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import bare_app  # noqa: E402
import county  # noqa: E402
import county_quiz  # noqa: E402
import stack_app  # noqa: E402

MEMBERS, WINDOW_S = 20_000, 600
#: PERFORMANCE.md's bare Flask page on the machine its budgets were set on (wrk, 2 workers)
BARE_AT_BUDGET = 3_137
#: the issue's trip: the catalogue, the quiz page, the attempt page; start, 10 saves, submit
READS, WRITES = 3, 12
READ_NAME, WRITE_NAME = "GET / (the floor page)", "POST /save (the floor write)"


def bare_page(folder: Path, threads: int, run_time: int) -> float:
    """The bare Flask page (bench/bare_app.py, 2 workers) under loadgen: requests a second, to
    compare this box with the one PERFORMANCE.md's figures were measured on."""
    path = folder / "bare.db"
    bare_app.create_table(str(path))
    servers = county.Servers()
    try:
        _, port = servers.start("bare_app:app", BENCH, {"BENCH_BARE_DB": str(path),
                                                        "PYTHONPATH": str(county.ROOT)})
        county.load(port, "/", "", threads, 2)  # warm-up
        return county.load(port, "/", "", threads, run_time)["rps"]
    finally:
        servers.stop()


def in_process(url: str, requests: int = 2_000) -> float:
    """CPU ms of the floor page in process (Flask's test client, after a warm-up)."""
    stack_app.create_tables(url, "<p>支部把党课送到田间地头。</p>" * 20)
    client = stack_app.create_app(url).test_client()
    client.get("/login")
    for _ in range(200):
        client.get("/")
    before = time.process_time()
    for _ in range(requests):
        client.get("/")
    return (time.process_time() - before) * 1000 / requests


def children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def with_locust(database, proc, port: int, folder: Path, user: str, name: str, users: int,
                run_time: int) -> dict:
    meter = county_quiz.CpuMeter(database, proc.pid)
    plan = folder / "plan.json"
    plan.write_text("{}")
    ran = county_quiz.run_locust(port, plan, folder / "results.jsonl", folder / f"{user}",
                                 users, float(users), run_time, [user], meter,
                                 locustfile=BENCH / "locust_floor.py")
    kind, cpu = ran["kinds"].get(name), ran["cpu"]
    if kind is None or cpu is None:
        print(ran["tail"])
        raise SystemExit(f"locust gave no figures for {name}")
    return {"kind": name, "tool": f"locust, {users} users", "requests": kind["requests"],
            "rps": kind["requests"] / cpu["wall_s"], "p95": kind["p95"],
            "failures": kind["failures"], "server_s": cpu["cpu_s"]["gunicorn"],
            "postgres_s": cpu["cpu_s"]["postgres"], "tool_s": cpu["cpu_s"]["locust"],
            "idle": cpu["idle_share"]}


def with_loadgen(database, proc, port: int, threads: int, run_time: int) -> dict:
    status, headers, _ = county.http(port, "GET", "/login")
    cookie = county.session_cookie(headers)
    if status != 302 or not cookie:
        raise SystemExit(f"sign-in on the floor page answered {status}")

    def server() -> tuple[float, float]:
        pids = [proc.pid, *county_quiz.workers_of(proc.pid)]
        return (sum(county_quiz.cpu_seconds(p) for p in pids),
                sum(county_quiz.cpu_seconds(p) for p in county_quiz.backends(database)))

    (gunicorn, postgres), tool = server(), children_cpu()
    busy, total = county_quiz.machine_busy()
    ran = county.load(port, "/", cookie, threads, run_time)
    (gunicorn2, postgres2), tool2 = server(), children_cpu()
    busy2, total2 = county_quiz.machine_busy()
    return {"kind": READ_NAME, "tool": f"loadgen, {threads} threads",
            "requests": ran["requests"], "rps": ran["rps"], "p95": ran["p95_ms"],
            "failures": ran["errors"], "server_s": gunicorn2 - gunicorn,
            "postgres_s": postgres2 - postgres, "tool_s": tool2 - tool,
            "idle": 1 - (busy2 - busy) / (total2 - total)}


def measure_floor(database: county.Database, folder: Path, workers: int, args) -> list[dict]:
    """The floor under gunicorn with ``workers``: its page under loadgen and locust, its write
    under locust."""
    servers = county.Servers()
    try:
        proc, port = servers.start("stack_app:app", BENCH, {"BENCH_STACK_DB": database.url},
                                   workers)
        measured = [with_loadgen(database, proc, port, args.threads, args.run_time)]
        for user, name in (("FloorReader", READ_NAME), ("FloorWriter", WRITE_NAME)):
            measured.append(with_locust(database, proc, port, folder, user, name, args.users,
                                        args.run_time))
    finally:
        servers.stop()
    for row in measured:
        row["workers"] = workers
    return measured


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="2,5", help="gunicorn sync workers, per server")
    parser.add_argument("--users", type=int, default=30, help="locust users at once")
    parser.add_argument("--threads", type=int, default=16, help="loadgen threads")
    parser.add_argument("--run-time", type=int, default=60, help="seconds per measurement")
    args = parser.parse_args(argv)
    print(f"quiz_ceiling {time.strftime('%Y-%m-%d %H:%M %Z')}; load average "
          f"{county_quiz.load_average()}; {os.cpu_count()} cores", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="fieldside-ceiling-") as tmp:
        database = county.Database("postgresql", Path(tmp))
        database.create()
        try:
            bare = bare_page(Path(tmp), args.threads, args.run_time)
            # each also writes the tables the served floor reads
            inside = {"PostgreSQL": in_process(database.url),
                      "SQLite": in_process(str(Path(tmp) / "stack.db"))}
            for workers in (int(w) for w in args.workers.split(",")):
                folder = Path(tmp) / f"w{workers}"
                folder.mkdir()
                rows += measure_floor(database, folder, workers, args)
        finally:
            database.drop()
    print(f"\nThis box: the bare Flask page (bench/bare_app.py, loadgen) at {bare:,.0f} requests "
          f"a second, {bare / BARE_AT_BUDGET:.0%} of PERFORMANCE.md's {BARE_AT_BUDGET:,}.")
    print("The floor page in process (test client, CPU a request): " + ", ".join(
        f"{name} {ms:.2f} ms" for name, ms in inside.items()))
    print("\nThe fixed stack alone (bench/stack_app.py) on PostgreSQL, under gunicorn; CPU in ms "
          "a request:")
    print(f"{'workers':>7}  {'request':<29} {'load tool':<19} {'req/s':>6} {'p95 ms':>6} "
          f"{'fail':>4} {'gunicorn':>8} {'postgres':>8} {'tool':>5} {'idle':>5}")
    for r in rows:
        for part in ("server", "postgres", "tool"):
            r[f"{part}_ms"] = r[f"{part}_s"] / r["requests"] * 1000
        print(f"{r['workers']:>7}  {r['kind']:<29} {r['tool']:<19} {r['rps']:>6,.0f} "
              f"{r['p95']:>6.0f} {r['failures']:>4} {r['server_ms']:>8.2f} "
              f"{r['postgres_ms']:>8.2f} {r['tool_ms']:>5.2f} {r['idle']:>5.0%}")
    cores = os.cpu_count() or 1
    budget = cores * WINDOW_S * 1000 / MEMBERS

    def cheapest(kind: str) -> float:
        return min(r["server_ms"] + r["postgres_ms"] for r in rows if r["kind"] == kind)

    read, write = cheapest(READ_NAME), cheapest(WRITE_NAME)
    tool = min(r["tool_ms"] for r in rows if r["tool"].startswith("locust"))
    trip = READS * read + WRITES * write
    tools = (READS + WRITES) * tool
    print(f"\nThe budget: {MEMBERS:,} members in {WINDOW_S} s on {cores} cores = {budget:.0f} ms "
          f"of CPU a member, load tool included ({MEMBERS * (READS + WRITES) / WINDOW_S:,.0f} "
          "requests a second).")
    print(f"The issue's trip done by the floor alone: {READS} reads × {read:.2f} ms + {WRITES} "
          f"writes × {write:.2f} ms = {trip:.0f} ms (server and PostgreSQL), and locust "
          f"{READS + WRITES} × {tool:.2f} = {tools:.0f} ms: {trip + tools:.0f} of {budget:.0f} ms "
          f"({(trip + tools) / budget:.0%} of both cores), leaving {budget - trip - tools:.0f} ms "
          f"a member for everything the quiz does beyond the floor.")
    scaled = (trip + tools) * bare / BARE_AT_BUDGET
    print(f"On a box as fast as PERFORMANCE.md's (scaled by the bare page): {scaled:.0f} of "
          f"{budget:.0f} ms ({scaled / budget:.0%}), leaving {budget - scaled:.0f} ms a member "
          f"({(budget - scaled) / (READS + WRITES):.2f} ms a request) for the quiz's own work.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
