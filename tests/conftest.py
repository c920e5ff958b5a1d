"""Shared fixtures: an app per test on a clean database, clients, factories and ready users.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set. The schema
is created once per run; each test starts from empty tables.
"""
from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="fieldside-tests-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)  # the run's SQLite file and instance
os.environ["FIELDSIDE_INSTANCE"] = str(_TMP / "instance")
os.environ.pop("DATABASE_URL", None)

from hypothesis import settings as hypothesis_settings  # noqa: E402

# shared, noisy machines: no per-example deadline; in CI the same examples every run, so a
# submission's result does not depend on what the random search happens to try that day
hypothesis_settings.register_profile("fieldside", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "fieldside")

from flask import has_app_context  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from lms import create_app  # noqa: E402
from lms.extensions import db  # noqa: E402

PASSWORD = "tea-garden-2026"


def database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"


def base_config(**extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # a cheap hash keeps the suite fast; production uses scrypt
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def _schema():
    app = create_app(base_config())
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    yield


def _empty_tables():
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in a fresh app context, as in production.

    The test body holds an app context of its own (for services and assertions); without this,
    requests would reuse it, sharing ``g`` (the signed-in user) and the database session's
    identity map between requests and with the test, which hides queries and bugs.
    """

    def open(self, *args, **kwargs):
        outer = db.session() if has_app_context() else None
        if outer is not None:
            outer.commit()  # the request sees what the test made, and no snapshot is held open
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if outer is not None:
            outer.commit()  # end the read snapshot; what the test holds reloads on next use
        return response


@pytest.fixture
def app_factory(_schema):
    """Build an app with extra config; the test's database is emptied afterwards."""
    made = []

    def make(**extra):
        app = create_app(base_config(**extra))
        app.test_client_class = IsolatedClient
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


@pytest.fixture
def app(app_factory):
    app = app_factory()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---- factories -------------------------------------------------------------------------------

_phones = itertools.count(1)


@pytest.fixture
def make_org(app):
    from lms.orgs.models import Organization

    def make(code: str, kind: str = "branch", parent=None, name: str | None = None):
        org = Organization(code=code, name=name or f"{code} 组织", kind=kind,
                           parent_id=parent.id if parent else None,
                           depth=parent.depth + 1 if parent else 0, path="")
        db.session.add(org)
        db.session.flush()
        org.path = f"{parent.path if parent else '/'}{org.id}/"
        db.session.commit()
        return org

    return make


@pytest.fixture
def make_user(app):
    from lms.auth.models import User
    from lms.auth.passwords import hash_password
    from lms.orgs.models import Membership

    def make(name: str = "党员", *, org=None, status: str | None = "full", roles=(),
             phone: str | None = None, password: str = PASSWORD, **fields):
        """A member on the books for a year unless ``created_at`` says otherwise (a member
        placed today is given time for courses that were already due)."""
        from datetime import timedelta

        from lms.core.clock import utcnow

        fields.setdefault("created_at", utcnow() - timedelta(days=365))
        user = User(phone=phone or f"139{next(_phones):08d}", name=name, status=status,
                    org_id=org.id if org else None, password_hash=hash_password(password),
                    **fields)
        db.session.add(user)
        db.session.flush()
        for role, role_org in roles:
            db.session.add(Membership(user_id=user.id, org_id=role_org.id, role=role))
        db.session.commit()
        return user

    return make


@pytest.fixture
def tree(make_org):
    """县 → 镇 → 支部 A (with a 党小组) and 支部 B."""
    county = make_org("C1", "county", name="测试县委")
    town = make_org("T1", "township", county, name="测试镇党委")
    branch_a = make_org("A", "branch", town, name="甲村党支部")
    group_a = make_org("A-1", "group", branch_a, name="甲村第一党小组")
    branch_b = make_org("B", "branch", town, name="乙村党支部")
    return {"county": county, "town": town, "a": branch_a, "a1": group_a, "b": branch_b}


@pytest.fixture
def admin(make_user):
    return make_user("管理员", status=None, is_admin=True)


@pytest.fixture
def member(make_user, tree):
    return make_user("张三", org=tree["a1"])


@pytest.fixture
def member_b(make_user, tree):
    return make_user("李四", org=tree["b"])


@pytest.fixture
def secretary(make_user, tree):
    return make_user("王书记", org=tree["a"], roles=[("secretary", tree["a"])])


@pytest.fixture
def secretary_b(make_user, tree):
    return make_user("赵书记", org=tree["b"], roles=[("secretary", tree["b"])])


@pytest.fixture
def trainer(make_user, tree):
    return make_user("黄讲师", org=tree["county"], roles=[("trainer", tree["county"])])


@pytest.fixture
def login(client):
    def do(user, password: str = PASSWORD, the_client=None):
        c = the_client or client
        response = c.post("/login", data={"phone": user.phone, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do


@pytest.fixture
def client_for(app):
    """``client_for(user)``: a client of its own (own cookies) signed in as ``user``; None for
    an anonymous one."""
    def make(user, password: str = PASSWORD):
        client = app.test_client()
        if user is not None:
            response = client.post("/login", data={"phone": user.phone, "password": password})
            assert response.status_code == 302, response.get_data(as_text=True)[:300]
        return client

    return make


@pytest.fixture
def count_queries(app):
    """``with count_queries() as n: ...`` then ``n[0]`` is the number of SQL statements run."""
    @contextmanager
    def counting():
        counter = [0]

        def before(*_args, **_kwargs):
            counter[0] += 1

        engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


# ---- a live server and a browser --------------------------------------------------------------

@pytest.fixture
def live_server(app):
    """Serve ``app`` on a free loopback port in a thread; yields the base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-default-apps"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("FIELDSIDE_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A phone-sized page that records every request it makes; ``page.requested`` lists URLs."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    page.base = live_server
    yield page
    context.close()


@pytest.fixture
def outside_hosts():
    """``outside_hosts(urls)``: the URLs that go anywhere but this machine's loopback."""
    from urllib.parse import urlsplit

    def pick(urls: list[str]) -> list[str]:
        return [u for u in urls if urlsplit(u).scheme not in ("data", "blob")
                and urlsplit(u).hostname not in ("127.0.0.1", "localhost")]

    return pick
