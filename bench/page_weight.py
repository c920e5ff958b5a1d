"""Page weight of the heaviest lesson, as a member's phone sees it (PERFORMANCE.md budgets).

    .venv/bin/python bench/page_weight.py [--budget-kb 50] [--json]

Starts the app on a temporary SQLite database with the three shipped modules imported, serves
it with werkzeug on 127.0.0.1 in a thread, signs a member in with headless Chromium (Debian's
/usr/bin/chromium through Playwright), finds the lesson whose page is heaviest, then measures:

- first visit with an empty cache: bytes of HTML + CSS + JS, raw and gzip level 6 (computed
  here from each body: the dev server does not compress), and the number of requests;
- a repeat visit in the same browser context: which requests reached the server (counted by a
  WSGI middleware, the ground truth; only the HTML may);
- that no request of either visit went to another host.

Exits 1 when the budget is broken (compressed HTML+CSS+JS over ``--budget-kb`` × 1000 bytes, a
repeat visit fetching more than the HTML, or any request leaving 127.0.0.1).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
#: as tests/conftest.py CHROMIUM_ARGS (not imported: that module sets up the test environment)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-default-apps"]
PHONE = "13911112222"
PASSWORD = "bench-tea-garden-2026"
COUNTED = {"document": "HTML", "stylesheet": "CSS", "script": "JS"}


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


class HitCounter:
    """WSGI middleware: how many requests reached the app, by (method, path)."""

    def __init__(self, app):
        self.app, self.hits, self.lock = app, Counter(), threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.hits[(environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""))] += 1
        return self.app(environ, start_response)

    def take(self) -> Counter:
        with self.lock:
            taken, self.hits = self.hits, Counter()
        return taken


def build_app(folder: Path):
    os.environ["FIELDSIDE_INSTANCE"] = str(folder / "instance")
    os.environ.pop("DATABASE_URL", None)
    from lms import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
                       "SECRET_KEY": "bench-only", "RATELIMIT_ENABLED": False,
                       "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})


def seed(app) -> None:
    """Schema, the three modules and one member in a branch."""
    from lms.auth.models import User
    from lms.auth.passwords import hash_password
    from lms.authoring.pack_sync import import_folders
    from lms.extensions import db
    from lms.orgs.models import Organization

    with app.app_context():
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
        db.session.add(User(phone=PHONE, name="测试党员", status="full", org_id=branch.id,
                            password_hash=hash_password(PASSWORD)))
        db.session.commit()


def heaviest_lessons(app) -> list[tuple[int, str]]:
    """(gzip size of the lesson page's HTML, URL) for every lesson, heaviest first, as the
    member gets it (through the app, not the browser)."""
    from sqlalchemy import select

    from lms.courses.models import Course, Lesson
    from lms.extensions import db

    with app.app_context():
        urls = [f"/courses/{slug}/lessons/{key}" for slug, key in db.session.execute(
            select(Course.slug, Lesson.key).join(Lesson, Lesson.course_id == Course.id)
            .where(Lesson.archived.is_(False)))]
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False  # this sign-in skips the form; the browser's won't
    response = client.post("/login", data={"phone": PHONE, "password": PASSWORD})
    app.config["WTF_CSRF_ENABLED"] = True
    if response.status_code != 302:
        raise SystemExit("the bench member could not sign in")
    return sorted(((gz(client.get(url).data), url) for url in urls), reverse=True)


def serve(wsgi):
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}"


def visit(page, url: str) -> list[dict]:
    """Open ``url`` and wait for the network to settle; every response with its body."""
    seen = []

    def on_response(response):
        seen.append(response)

    page.on("response", on_response)
    page.goto(url, wait_until="networkidle")
    page.remove_listener("response", on_response)
    rows = []
    for response in seen:
        try:
            body = response.body()
        except Exception:  # noqa: BLE001 (a redirect or an aborted request has no body)
            body = b""
        rows.append({"url": response.url, "type": response.request.resource_type,
                     "status": response.status, "raw": len(body), "gzip": gz(body) if body else 0})
    return rows


def measure(base: str, counter: HitCounter, url: str) -> dict:
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        phone = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
                 "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
        # sign in in a throwaway context, so the measured one starts with an empty cache
        signing = browser.new_context(**phone)
        page = signing.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.goto(base + "/login")
        page.fill("input[name=phone]", PHONE)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("load")
        if "/login" in page.url:
            raise SystemExit("the bench member could not sign in through the page")
        state = signing.storage_state()
        signing.close()

        context = browser.new_context(storage_state=state, **phone)
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        counter.take()
        first = visit(page, base + url)
        first_hits = counter.take()
        page.goto(base + "/courses/", wait_until="networkidle")  # go elsewhere, then come back
        counter.take()
        repeat = visit(page, base + url)
        repeat_hits = counter.take()
        context.close()
        browser.close()
    return {"first": first, "first_hits": first_hits, "repeat": repeat,
            "repeat_hits": repeat_hits, "requested": requested}


def report(url: str, result: dict, budget: int, lessons: list[tuple[int, str]]) -> list[str]:
    first = result["first"]
    totals = {kind: [0, 0, 0] for kind in COUNTED.values()}
    other = 0
    print(f"\nHeaviest lesson: {url}")
    print("Lesson pages by compressed HTML (first three): " +
          ", ".join(f"{u.rsplit('/', 1)[1]} {size:,} B" for size, u in lessons[:3]))
    print("\nFirst visit, empty cache")
    print(f"  {'kind':<6}{'requests':>9}{'raw bytes':>12}{'gzip -6':>10}  url")
    for row in first:
        kind = COUNTED.get(row["type"])
        if kind is None:
            other += 1
        else:
            totals[kind][0] += 1
            totals[kind][1] += row["raw"]
            totals[kind][2] += row["gzip"]
        print(f"  {kind or row['type']:<6}{1:>9}{row['raw']:>12,}{row['gzip']:>10,}  "
              f"{urlsplit(row['url']).path}")
    raw = sum(t[1] for t in totals.values())
    packed = sum(t[2] for t in totals.values())
    print("  " + "-" * 60)
    for kind, (count, size, zipped) in totals.items():
        print(f"  {kind:<6}{count:>9}{size:>12,}{zipped:>10,}")
    print(f"  {'total':<6}{len(first):>9}{raw:>12,}{packed:>10,}   budget {budget:,} compressed")

    hits = result["repeat_hits"]
    repeat_paths = sorted(path for (method, path) in hits if method == "GET")
    posts = sorted(f"{method} {path}" for (method, path) in hits if method != "GET")
    print("\nRepeat visit, same context (requests that reached the server)")
    print(f"  GET (page resources): {len(repeat_paths)}  {', '.join(repeat_paths)}")
    print(f"  other (data sent by the page's script, not page weight): {len(posts)}  "
          f"{', '.join(posts)}")
    print(f"  responses the page saw, cache included: {len(result['repeat'])}")

    outside = [u for u in result["requested"] if urlsplit(u).scheme not in ("data", "blob")
               and urlsplit(u).hostname not in ("127.0.0.1", "localhost")]
    print(f"\nRequests to another host: {len(outside)}")

    broken = []
    if packed > budget:
        broken.append(f"first visit is {packed:,} B compressed (budget {budget:,} B)")
    if repeat_paths != [url]:
        broken.append(f"the repeat visit fetched {repeat_paths}, not only the HTML")
    if outside:
        broken.append(f"requests left this machine: {outside}")
    if other:
        print(f"(other requests on the first visit, not in the budget: {other})")
    return broken


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget-kb", type=float, default=50.0,
                        help="compressed HTML+CSS+JS budget in KB of 1000 bytes (default 50)")
    parser.add_argument("--json", action="store_true", help="also print the raw figures as JSON")
    args = parser.parse_args(argv)
    budget = int(args.budget_kb * 1000)
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="fieldside-bench-") as tmp:
        app = build_app(Path(tmp))
        seed(app)
        lessons = heaviest_lessons(app)
        url = lessons[0][1]
        counter = HitCounter(app.wsgi_app)
        app.wsgi_app = counter
        server, base = serve(app)
        try:
            result = measure(base, counter, url)
        finally:
            server.shutdown()
        broken = report(url, result, budget, lessons)
        if args.json:
            figures = {"url": url, "first": result["first"], "repeat": result["repeat"],
                       "first_hits": [f"{m} {p}" for m, p in result["first_hits"]],
                       "repeat_hits": [f"{m} {p}" for m, p in result["repeat_hits"]]}
            print(json.dumps(figures, ensure_ascii=False, indent=1))
    if broken:
        print("\nBUDGET BROKEN:\n  " + "\n  ".join(broken))
        return 1
    print("\nWithin budget.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
