"""Soak (issue 14): mixed member and staff load on the county for ``--minutes`` (30), with the
memory (PSS) of the gunicorn master and of each worker sampled every minute.

    .venv/bin/python bench/soak.py                                    # seed, 30 minutes, drop
    .venv/bin/python bench/soak.py --database NAME --minutes 3        # a quick check on a kept db

The county, the server and the users are bench/county_quiz.py's and bench/locust_county.py's:
members reading lessons (the page and its "seen" beacon), 我的学习 and the catalogue
(``StudyMember``), members taking the final quiz (``QuizMember``), branch secretaries on their
branch page, member list and spreadsheet export (``Secretary``), township secretaries on their
roll-up (``TownSecretary``) and trainers on the authoring list and quiz statistics (``Trainer``),
in the proportions their ``weight`` gives, ``--users`` at once.

Memory: ``Pss`` from /proc/<pid>/smaps_rollup of the master and each worker, at the start and
then at the end of every minute. Flat means: the server's PSS (master + workers summed) at the
last minute is within 10 % of its PSS at minute 5 (once the workers have served every kind of
page), and no minute from 5 on exceeds minute 5 by more than 10 %. Exits 1 when memory is not
flat, any request failed, or a quiz submit was lost or counted twice.
"""
from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import county_quiz as cq  # noqa: E402

FLAT = 0.10
SETTLED_MINUTE = 5


def pss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise SystemExit(f"no Pss for {pid}")


def sample(master: int) -> dict:
    workers = cq.workers_of(master)
    return {"master": pss_kb(master) / 1024,
            "workers": {pid: pss_kb(pid) / 1024 for pid in workers}}


class Sampler(threading.Thread):
    """Samples the server's PSS at the start and at the end of every minute."""

    def __init__(self, master: int, minutes: int):
        super().__init__(daemon=True)
        self.master, self.minutes = master, minutes
        self.rows: list[dict] = []
        self.done = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        for minute in range(self.minutes + 1):
            wait = started + minute * 60 - time.monotonic()
            if wait > 0 and self.done.wait(wait):
                return
            row = {"minute": minute, "load": cq.load_average(), **sample(self.master)}
            row["total"] = row["master"] + sum(row["workers"].values())
            self.rows.append(row)
            workers = " ".join(f"{pid}:{mb:.1f}" for pid, mb in row["workers"].items())
            cq.log(f"  minute {minute:>2}: PSS master {row['master']:.1f} MB, workers {workers}"
                   f" MB, total {row['total']:.1f} MB; load average {row['load']}")


def verdict(rows: list[dict], minutes: int) -> tuple[bool, str]:
    settled = SETTLED_MINUTE if minutes > SETTLED_MINUTE else 1
    base = next((r for r in rows if r["minute"] == settled), None)
    last = rows[-1] if rows else None
    if base is None or last is None or last["minute"] < minutes:
        return False, "the samples did not reach the last minute"
    later = [r for r in rows if r["minute"] >= settled]
    change = (last["total"] - base["total"]) / base["total"]
    peak = max(r["total"] for r in later)
    ok = abs(change) <= FLAT and peak <= base["total"] * (1 + FLAT)
    pids = [set(r["workers"]) for r in later]
    if any(p != pids[0] for p in pids):
        ok = False
        return ok, "a worker was replaced during the soak (its memory cannot be compared)"
    return ok, (f"minute {settled} {base['total']:.1f} MB → minute {last['minute']} "
                f"{last['total']:.1f} MB ({change * 100:+.1f} %), highest from minute {settled} "
                f"on {peak:.1f} MB ({(peak / base['total'] - 1) * 100:+.1f} %)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--users", type=int, default=60, help="simulated people at once")
    parser.add_argument("--members", type=int, default=20_000, help="county size when seeding")
    parser.add_argument("--database", metavar="NAME", help="reuse a database kept before")
    parser.add_argument("--keep", action="store_true", help="keep the new database at the end")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--login-rate-limit", default="3000 per minute")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    folder = Path(tempfile.mkdtemp(prefix="fieldside-soak-"))
    database = cq.Database(folder, args.database)
    server = cq.Server()
    cq.log(f"soak {time.strftime('%Y-%m-%d %H:%M %Z')}: {args.minutes} minutes, {args.users} "
           f"users; load average {cq.load_average()}")
    try:
        if not database.reused:
            database.create()
            cq.seed(database, folder, args.members, False)
        else:
            cq.migrate(database, folder)
        facts = cq.quiz_facts(database)
        ready = cq.ready_members(database, facts)
        with cq.connect(database) as conn:
            study = [r[0] for r in conn.execute(
                "SELECT phone FROM users WHERE active AND phone LIKE '138%' ORDER BY phone")]
        # readers are members who will not take the quiz here: a quiz member signs out at
        # the end, which ends every session of that member, a reader's too
        taking = set(ready)
        study = [phone for phone in study if phone not in taking]
        random.Random(1).shuffle(study)
        plan, results = folder / "plan.json", folder / "results.jsonl"
        cq.write_plan(plan, facts, quiz_members=ready, study_members=study[:3000],
                      **cq.staff(database))
        access_log = folder / "access.log"
        access_log.touch()
        proc, port = server.start_app(database, folder, args.workers, args.login_rate_limit,
                                      access_log)
        cq.log(f"gunicorn -c gunicorn.conf.py --workers {args.workers} on 127.0.0.1:{port} "
               f"(pid {proc.pid})")
        sampler = Sampler(proc.pid, args.minutes)
        sampler.start()
        meter = cq.CpuMeter(database, proc.pid)
        run_time = args.minutes * 60 + 5  # the last sample falls inside the load
        started, before = time.time(), cq.load_average()
        figures = cq.run_locust(port, plan, results, folder / "locust", args.users,
                                max(1.0, args.users / 30), run_time,
                                ["StudyMember", "QuizMember", "Secretary", "TownSecretary",
                                 "Trainer"], meter, stop_timeout=10)
        after = cq.load_average()
        sampler.done.set()
        sampler.join(timeout=5)
        outcomes = [json.loads(line) for line in results.read_text().splitlines() if line]
        server_figures, _ = cq.server_times(access_log)
        check = cq.check_database(database, facts, outcomes)
    finally:
        server.stop()
        if args.keep or database.reused:
            cq.log(f"Kept: {database.url} (temp dir {folder})")
        else:
            database.drop()
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    step = {"users": args.users, "run_time": run_time, "locust": figures,
            "server": server_figures, "check": check, "load_before": before, "load_after": after,
            "rate": cq.members_per_ten_minutes(outcomes, started, run_time), "not_through": {}}
    cq.report_step(step)
    problems = [p for p in cq.step_problems(step) if "p95" not in p]
    flat, how = verdict(sampler.rows, args.minutes)
    cq.log(f"\nMemory (PSS, master + workers): {how} — {'FLAT' if flat else 'NOT FLAT'} "
           f"(within {FLAT * 100:.0f} %)")
    if args.json:
        Path(args.json).write_text(json.dumps({"samples": sampler.rows, "step": step,
                                               "flat": flat, "how": how}, default=str,
                                              ensure_ascii=False, indent=1))
    if problems or not flat:
        cq.log("SOAK FAILED: " + "; ".join(problems + ([] if flat else ["memory"])))
        return 1
    cq.log("Soak passed: no errors, nothing lost or doubled, memory flat.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
