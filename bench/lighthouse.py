"""Lighthouse on a member's pages, as a phone sees them (PERFORMANCE.md, the phone budget).

    npm ci --prefix bench                       # once: Lighthouse, pinned in bench/package.json
    .venv/bin/python bench/lighthouse.py [--runs 3] [--page lesson --page quiz]

Starts the app on a temporary SQLite database with the three shipped courses (bench/page_weight.py's
seed: one member in a branch), adds a meeting of the member's branch starting now, and serves it
with werkzeug on 127.0.0.1 in a thread, gzipping HTML, CSS, JS and SVG as deploy.md's nginx does.
The member signs in through the real form over HTTP; the session cookie goes to Lighthouse in an
``--extra-headers`` file. Lighthouse (npm, bench/node_modules) drives Debian's Chromium
(CHROME_PATH, headless, never a downloaded browser): mobile form factor, simulated throttling
(its defaults), categories performance, accessibility and best practices; each page ``--runs``
times, the median score per category.

Pages: the sign-in page (no cookie), 我的学习, the heaviest lesson, the final quiz of a course
with an attempt in progress, the meeting check-in page (with a fresh ticket for every run), and
the offline pages (the "not saved" page, a lesson's and a course's 学习单, the course poster).
A signed-in page whose report ends anywhere but the page asked for (the sign-in redirect) stops
the run. The JSON reports stay in a temporary folder outside the repository (printed at the end).

Prints a table of median scores per page, then for every page each audit under 1 in
accessibility or best practices and the performance audits under 1 (opportunities and
diagnostics that count), with the run's metrics. Exits 1 when a median score is below
``--min`` (95), 2 when Chromium or Lighthouse is missing.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from urllib.request import HTTPCookieProcessor, Request, build_opener

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from page_weight import CHROMIUM, PASSWORD, PHONE, build_app, heaviest_lessons, seed, serve  # noqa: E402

LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices")
SHORT = {"performance": "perf", "accessibility": "a11y", "best-practices": "best"}
#: what deploy.md's nginx compresses (text/html always, plus its gzip_types)
GZIP_TYPES = ("text/html", "text/css", "text/javascript", "application/javascript",
              "image/svg+xml")


class Gzip:
    """WSGI middleware: gzip the types nginx compresses in production, when the client asks."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if "gzip" not in environ.get("HTTP_ACCEPT_ENCODING", ""):
            return self.app(environ, start_response)
        held = {}

        def hold(status, headers, exc_info=None):
            held["status"], held["headers"] = status, headers
            return lambda data: held.setdefault("written", []).append(data)

        result = self.app(environ, hold)
        try:
            body = b"".join(held.get("written", [])) + b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        headers = held["headers"]
        kind = next((v for k, v in headers if k.lower() == "content-type"), "").split(";")[0]
        if kind in GZIP_TYPES and body and not any(k.lower() == "content-encoding"
                                                   for k, _v in headers):
            body = gzip.compress(body, compresslevel=6)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(body))),
                        ("Vary", "Accept-Encoding")]
        start_response(held["status"], headers)
        return [body]


def prepare(app) -> dict:
    """The meeting, the course for the quiz and the offline pages; the final quiz opened
    without the lessons (the bench member has read none: the page is the same)."""
    from sqlalchemy import select

    from lms.auth.models import User
    from lms.core.clock import utcnow
    from lms.courses.models import Course, Lesson
    from lms.extensions import db
    from lms.meetings.models import Meeting
    from lms.quizzes.models import Quiz

    with app.app_context():
        member = db.session.scalar(select(User).where(User.phone == PHONE))
        course = db.session.scalar(select(Course).where(Course.slug == "dangke-tianjian"))
        lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id)
                                   .order_by(Lesson.position))
        quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id,
                                                    Quiz.lesson_id.is_(None)))
        quiz.open_before_lessons = True
        begins = utcnow().replace(microsecond=0) - timedelta(minutes=5)
        meeting = Meeting(org_id=member.org_id, kind="lecture", title="党课：党建引领乡村振兴",
                          starts_at=begins, ends_at=begins + timedelta(hours=1), hours=1,
                          place="村部会议室", created_by_id=member.id, created_at=utcnow())
        db.session.add(meeting)
        db.session.commit()
        return {"course": course.slug, "lesson": lesson.key, "quiz": quiz.id,
                "meeting": meeting.id}


def ticket(app, meeting_id: int) -> str:
    """A check-in ticket, as /m/<id> hands out after the QR code (it lives five minutes)."""
    from lms.meetings.views import _tickets

    with app.app_context():
        return _tickets().dumps(meeting_id)


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not found:
        raise SystemExit("no CSRF token on the page")
    return found.group(1)


def sign_in(base: str, quiz_id: int) -> tuple[str, str]:
    """Sign the member in through the form over HTTP, start the final quiz; (Cookie header,
    the attempt's path)."""
    jar = CookieJar()
    opener = build_opener(HTTPCookieProcessor(jar))
    token = csrf(opener.open(base + "/login").read().decode())
    form = urlencode({"csrf_token": token, "phone": PHONE, "password": PASSWORD}).encode()
    landed = opener.open(Request(base + "/login", data=form))
    if urlsplit(landed.url).path == "/login":
        raise SystemExit("the bench member could not sign in")
    page = opener.open(f"{base}/quizzes/{quiz_id}").read().decode()
    form = urlencode({"csrf_token": csrf(page)}).encode()
    started = opener.open(Request(f"{base}/quizzes/{quiz_id}/start", data=form))
    attempt = urlsplit(started.url).path
    if not re.fullmatch(r"/quizzes/attempts/\d+", attempt):
        raise SystemExit(f"the final quiz did not start (landed on {started.url})")
    return "; ".join(f"{c.name}={c.value}" for c in jar), attempt


def pages(found: dict, lesson_url: str, attempt: str) -> dict[str, str]:
    """name -> path (the check-in page's ticket is added for each run)."""
    course = found["course"]
    return {
        "sign-in": "/login",
        "my-study": "/study/",
        "lesson": lesson_url,
        "quiz": attempt,
        "check-in": f"/m/{found['meeting']}/in",
        "not-saved": "/offline/",
        "lesson-sheet": f"/courses/{course}/lessons/{found['lesson']}/sheet",
        "course-sheet": f"/courses/{course}/sheet",
        "poster": f"/courses/{course}/poster",
    }


def lighthouse(url: str, out: Path, headers: Path | None) -> dict:
    command = [str(LIGHTHOUSE), url, "--output=json", f"--output-path={out}",
               "--only-categories=" + ",".join(CATEGORIES), "--form-factor=mobile",
               "--chrome-flags=--headless=new --no-sandbox", "--quiet"]
    if headers is not None:
        command.append(f"--extra-headers={headers}")
    env = dict(os.environ, CHROME_PATH=CHROMIUM)
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"lighthouse failed on {url}:\n{done.stderr[-2000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def scores(report: dict) -> dict[str, int]:
    return {name: round((report["categories"][name]["score"] or 0) * 100)
            for name in CATEGORIES}


def failing(report: dict) -> list[str]:
    """The audits under 1 in accessibility and best practices, and the performance audits
    under 1 that are not the metrics themselves."""
    audits = report["audits"]
    lines = []
    for name in CATEGORIES:
        for ref in report["categories"][name]["auditRefs"]:
            audit = audits[ref["id"]]
            score = audit.get("score")
            if score is None or score >= 1 or ref.get("group") == "metrics":
                continue
            if audit.get("scoreDisplayMode") in ("informative", "notApplicable", "manual"):
                continue
            shown = f"{audit.get('displayValue', '')}".strip()
            lines.append(f"{SHORT[name]:<5} {score:.2f}  {ref['id']}: {audit['title']}"
                         + (f" ({shown})" if shown else ""))
    return lines


def metrics(report: dict) -> str:
    audits = report["audits"]
    names = {"first-contentful-paint": "FCP", "largest-contentful-paint": "LCP",
             "total-blocking-time": "TBT", "cumulative-layout-shift": "CLS",
             "speed-index": "SI"}
    return ", ".join(f"{short} {audits[key].get('displayValue', '?')}"
                     for key, short in names.items() if key in audits)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per page, median taken (3)")
    parser.add_argument("--page", action="append", default=[],
                        help="only this page (repeatable): sign-in, my-study, lesson, quiz, "
                             "check-in, not-saved, lesson-sheet, course-sheet, poster")
    parser.add_argument("--min", type=int, default=95, help="lowest median score allowed (95)")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 2
    if not LIGHTHOUSE.exists():
        print("Lighthouse is missing: npm ci --prefix bench", file=sys.stderr)
        return 2
    version = subprocess.run([str(LIGHTHOUSE), "--version"], capture_output=True,
                             text=True).stdout.strip()
    reports_dir = Path(tempfile.mkdtemp(prefix="fieldside-lighthouse-"))
    results: dict[str, list[dict]] = {}
    load = [os.getloadavg()]
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="fieldside-bench-") as tmp:
        app = build_app(Path(tmp))
        seed(app)
        found = prepare(app)
        lesson_url = heaviest_lessons(app)[0][1]
        app.wsgi_app = Gzip(app.wsgi_app)
        server, base = serve(app)
        try:
            cookie, attempt = sign_in(base, found["quiz"])
            headers = reports_dir / "headers.json"
            headers.write_text(json.dumps({"Cookie": cookie}), encoding="utf-8")
            chosen = pages(found, lesson_url, attempt)
            unknown = set(args.page) - set(chosen)
            if unknown:
                parser.error(f"no such page: {', '.join(sorted(unknown))}")
            for name, path in chosen.items():
                if args.page and name not in args.page:
                    continue
                for run in range(args.runs):
                    url = base + path
                    if name == "check-in":
                        url += "?" + urlencode({"ticket": ticket(app, found["meeting"])})
                    report = lighthouse(url, reports_dir / f"{name}-{run + 1}.json",
                                        None if name == "sign-in" else headers)
                    final = urlsplit(report.get("finalDisplayedUrl") or report["finalUrl"])
                    if final.path != urlsplit(url).path:
                        raise SystemExit(f"{name}: Lighthouse ended on {final.geturl()}, "
                                         f"not {path} (signed out?)")
                    if report.get("runtimeError"):
                        raise SystemExit(f"{name}: {report['runtimeError']}")
                    results.setdefault(name, []).append(report)
                    load.append(os.getloadavg())
                    print(f"  {name} run {run + 1}: " + " ".join(
                        f"{SHORT[k]} {v}" for k, v in scores(report).items()), flush=True)
        finally:
            server.shutdown()

    print(f"\nLighthouse {version}, Chromium {CHROMIUM}, mobile, simulated throttling; "
          f"median of {args.runs} runs; {time.strftime('%Y-%m-%d %H:%M %Z')}, "
          f"{time.time() - started:.0f} s; load average (1 min) "
          f"{min(x[0] for x in load):.1f}–{max(x[0] for x in load):.1f}")
    print(f"\n  {'page':<14}{'perf':>6}{'a11y':>6}{'best':>6}  path")
    low = []
    for name, reports in results.items():
        medians = {k: statistics.median_low(scores(r)[k] for r in reports) for k in CATEGORIES}
        low += [f"{name} {SHORT[k]} {v}" for k, v in medians.items() if v < args.min]
        path = urlsplit(reports[0]["requestedUrl"]).path
        print(f"  {name:<14}" + "".join(f"{medians[k]:>6}" for k in CATEGORIES) + f"  {path}")
    print("\nAudits under 1 (the run with the median performance score):")
    for name, reports in results.items():
        ordered = sorted(reports, key=lambda r: scores(r)["performance"])
        median_run = ordered[(len(ordered) - 1) // 2]
        lines = failing(median_run)
        print(f"\n  {name}: {metrics(median_run)}")
        for line in lines or ["(none)"]:
            print(f"    {line}")
    print(f"\nJSON reports: {reports_dir}")
    if low:
        print(f"\nBELOW {args.min}: " + ", ".join(low))
        return 1
    print(f"\nEvery median score is {args.min} or more.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
