"""Two app nodes sharing PostgreSQL, Redis and a media folder (issue 14, docs/deploy.md): two
gunicorn processes on two ports. A session from node A works on node B, the sign-in rate limit
and the lockout of a number count across both, and an image uploaded on A is served by B.

Needs PostgreSQL (TEST_DATABASE_URL) and Redis on 127.0.0.1:6379; skipped otherwise.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.extensions import db
from tests.helpers import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
REDIS_DB = "redis://127.0.0.1:6379/13"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def nodes(app, tmp_path):
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("two nodes share a PostgreSQL database (set TEST_DATABASE_URL)")
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    import redis

    redis.Redis.from_url(REDIS_DB).flushdb()
    env = dict(os.environ, DATABASE_URL=url, RATELIMIT_STORAGE_URI=REDIS_DB,
               SECRET_KEY=uuid.uuid4().hex, LOGIN_RATE_LIMIT="9 per minute",
               FIELDSIDE_INSTANCE=str(tmp_path / "shared-instance"))
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    started = []
    for _ in range(2):
        port = free_port()
        process = subprocess.Popen(
            [gunicorn, "-c", "gunicorn.conf.py", "--workers", "1", "--bind",
             f"127.0.0.1:{port}", "run:app"], cwd=ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started.append((process, f"http://127.0.0.1:{port}"))
    import requests

    try:
        for process, base in started:
            for _ in range(100):
                try:
                    if requests.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                except requests.ConnectionError:
                    time.sleep(0.2)
            else:
                pytest.fail(f"node {base} did not start: {process.stderr.read1(2000)!r}")
        yield [base for _, base in started]
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(timeout=20)
            process.stderr.close()


def csrf(session, base: str, path: str = "/login") -> str:
    page = session.get(base + path).text
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def sign_in(session, base: str, phone: str, password: str):
    return session.post(base + "/login", data={"csrf_token": csrf(session, base),
                                               "phone": phone, "password": password},
                        allow_redirects=False)


def test_two_nodes_share_sessions_limits_lockout_and_media(nodes, make_user, tree, admin):
    import requests

    from lms.auth.models import SignInThrottle
    from lms.authoring import services
    from lms.courses.models import MediaFile
    from tests.helpers import png

    a, b = nodes
    trainer = make_user("讲师", org=tree["county"], roles=[("trainer", tree["county"])])
    member = make_user("党员", org=tree["a1"])
    course = services.create_course(trainer, title="两台机器", summary="简介", category="理论",
                                    required=False, credit_hours=0.5, audience=tree["county"])

    # a session made on A is good on B (signed cookies, one secret key)
    web = requests.Session()
    assert sign_in(web, a, trainer.phone, PASSWORD).status_code == 302  # 1st sign-in post
    assert web.get(b + "/authoring/", allow_redirects=False).status_code == 200

    # an image uploaded on A is served by B (one media folder)
    token = csrf(web, a, f"/authoring/courses/{course.id}")
    uploaded = web.post(f"{a}/authoring/courses/{course.id}/media",
                        data={"csrf_token": token},
                        files={"file": ("boat.png", png(), "image/png")})
    assert uploaded.status_code == 200
    db.session.commit()
    sha = db.session.scalar(select(MediaFile.sha256).where(MediaFile.course_id == course.id))
    served = web.get(f"{b}/media/{sha}.png")
    assert served.status_code == 200 and served.content == png()

    # the lockout counts failures on both nodes: 5 wrong, alternating, lock the number
    phone = requests.Session()
    for n in range(5):  # sign-in posts 2-6
        answer = sign_in(phone, (a, b)[n % 2], member.phone, "wrong-password")
        assert answer.status_code == 200
        assert ("已暂时锁定" in answer.text) == (n == 4), n
    db.session.commit()
    assert db.session.scalar(select(SignInThrottle.locked_until)) is not None
    locked = sign_in(phone, b, member.phone, PASSWORD)  # 7th: right password, still locked
    assert locked.status_code == 200 and "已暂时锁定" in locked.text

    # the per-address sign-in limit (9 a minute) is one count in Redis for both nodes
    assert sign_in(phone, a, "13700000000", "x-x-x-x-x").status_code == 200  # 8th
    assert sign_in(phone, b, "13700000000", "x-x-x-x-x").status_code == 200  # 9th
    assert sign_in(phone, a, "13700000000", "x-x-x-x-x").status_code == 429  # 10th
    assert sign_in(phone, b, "13700000000", "x-x-x-x-x").status_code == 429
