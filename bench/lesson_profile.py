"""Where a page's time goes, in process: CPU per request, Python calls per request, statements.

    .venv/bin/python bench/lesson_profile.py                       # the lesson page of the demo
    .venv/bin/python bench/lesson_profile.py /study/ /healthz      # other pages
    .venv/bin/python bench/lesson_profile.py --top 25              # and cProfile's heaviest functions

It builds the demo (`run.py --demo`'s data) on SQLite in a temp dir, signs in 张桂英 (a member
with a study history) through the real form, and requests each path through Flask's test client:
warm-up, then the best of five rounds of CPU time (``time.process_time``, so a busy machine
moves it less than wall time), then one round under cProfile for the number of Python calls (a
count that does not move with the machine at all). Nothing here is a budget: it is the tool for
finding what to cut, and for showing what a change cut.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MEMBER = "13900000011"  # 张桂英 in lms/demo.py: the lessons of 党课 done, checks passed
LESSON = "/courses/dangke-tianjian/lessons/governance"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", default=[LESSON])
    parser.add_argument("--requests", type=int, default=300, help="per round (default 300)")
    parser.add_argument("--top", type=int, default=0, help="also list the N heaviest functions")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fieldside-profile-") as folder:
        os.environ["FIELDSIDE_INSTANCE"] = folder
        os.environ.pop("DATABASE_URL", None)
        from sqlalchemy import event

        from lms import create_app
        from lms.bootstrap import ensure_ready
        from lms.demo import create_demo
        from lms.extensions import db

        app = create_app({"RATELIMIT_ENABLED": False})
        with app.app_context():
            ensure_ready(app, echo=lambda *_a, **_k: None)
            password = create_demo(app, echo=lambda *_a, **_k: None)
            engine = db.engine
        client = app.test_client()
        form = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
        signed_in = client.post("/login", data={"csrf_token": token, "phone": MEMBER,
                                                "password": password})
        if signed_in.status_code != 302:
            raise SystemExit(f"sign-in answered {signed_in.status_code}")
        statements = [0]
        event.listen(engine, "before_cursor_execute",
                     lambda *_a, **_k: statements.__setitem__(0, statements[0] + 1))
        print(f"{'path':<48}{'status':>7}{'bytes':>8}{'CPU ms':>8}{'calls':>8}{'SQL':>5}")
        for path in args.paths:
            response = client.get(path)
            for _ in range(50):
                client.get(path)
            best = min(_cpu_round(client, path, args.requests) for _ in range(5))
            statements[0] = 0
            client.get(path)
            counted = statements[0]
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.requests):
                client.get(path)
            profile.disable()
            stats = pstats.Stats(profile)
            print(f"{path:<48}{response.status_code:>7}{len(response.data):>8,}"
                  f"{best:>8.2f}{stats.total_calls // args.requests:>8,}{counted:>5}")
            if args.top:
                stats.sort_stats("tottime").print_stats(args.top)
    return 0


def _cpu_round(client, path: str, n: int) -> float:
    began = time.process_time()
    for _ in range(n):
        client.get(path)
    return (time.process_time() - began) / n * 1000


if __name__ == "__main__":
    sys.exit(main())
