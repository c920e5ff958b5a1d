"""The request boundary (issue 14, findings 6, 7 and 9): control characters refused, ids past
the database's range answered 404/400, error pages drawn after a failed write with the security
headers, and /healthz telling which dependency failed."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from tests.helpers import PASSWORD

BIG = [2**31, 2**63, 10**30]


@pytest.fixture
def live_app(app_factory):
    """An app that answers exceptions as production does (500 pages, not re-raised)."""
    app = app_factory(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        yield app


@pytest.mark.parametrize("value", ["张\x00三", "a\x01b", "x\x7f", "\x1b[31m"])
def test_control_characters_in_a_form_are_refused(live_app, login, make_user, secretary,
                                                  member, tree, value):
    client = live_app.test_client()
    login(secretary, the_client=client)
    response = client.post(f"/orgs/members/{member.id}", data={
        "name": value, "status": "full", "org": tree["a1"].id})
    assert response.status_code == 400
    assert "请求有误" in response.get_data(as_text=True)
    assert response.headers["X-Frame-Options"] == "DENY"
    db.session.expire_all()
    assert member.name == "张三"


def test_tabs_and_newlines_are_ordinary_text(live_app, login, secretary, member, tree):
    client = live_app.test_client()
    login(secretary, the_client=client)
    response = client.post(f"/orgs/members/{member.id}", data={
        "name": "张三\t", "status": "full", "org": tree["a1"].id, "mobile_where": "a\r\nb"})
    assert response.status_code == 302


def test_control_characters_in_the_query_and_the_path_are_refused(live_app, login, secretary,
                                                                  tree):
    client = live_app.test_client()
    login(secretary, the_client=client)
    assert client.get(f"/orgs/{tree['a'].id}?q=%00").status_code == 400
    assert client.get("/courses/a%00b/").status_code == 400


def test_control_characters_in_json_are_refused(live_app, login, secretary):
    client = live_app.test_client()
    login(secretary, the_client=client)
    response = client.post("/meetings/1/ticks", json={"items": [{"id": "x\x00", "user": 1}]})
    assert response.status_code == 400


def int_rules(app):
    for rule in app.url_map.iter_rules():
        ints = [name for name, conv in rule._converters.items()
                if type(conv).__name__ == "BoundedIntConverter"
                or "Integer" in type(conv).__name__]
        if ints:
            yield rule, ints


def test_ids_past_the_database_range_are_404_on_every_route(live_app, login, admin):
    """58 routes answered 500 for ids ≥ 2³¹ (PostgreSQL) or ≥ 2⁶³ (SQLite)."""
    client = live_app.test_client()
    login(admin, the_client=client)
    rules = list(int_rules(live_app))
    assert len(rules) > 40
    wrong = []
    for rule, names in rules:
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
        for big in BIG:
            path = rule.rule
            for name in rule.arguments:
                value = str(big) if name in names else "x"
                path = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, path)
            status = client.open(path, method=method).status_code
            if status != 404:
                wrong.append((rule.rule, big, status))
    assert wrong == []


@pytest.mark.parametrize("big", BIG)
def test_a_huge_id_in_a_form_field_is_a_bad_request(live_app, login, admin, tree, big):
    client = live_app.test_client()
    login(admin, the_client=client)
    response = client.post(f"/orgs/{tree['a1'].id}/move", data={"parent": str(big)})
    assert response.status_code in (400, 404)
    assert response.headers["Content-Security-Policy"]


def test_the_error_page_after_a_failed_write_rolls_back_and_keeps_the_headers(
        app_factory, make_user, tree):
    """The error handler itself failed after a failed write (no rollback), and gunicorn then
    served a bare page without the security headers."""
    app = app_factory(PROPAGATE_EXCEPTIONS=False)

    def clash():
        from flask_login import current_user

        assert current_user.name  # loaded, as any page would
        db.session.add(User(phone=current_user.phone, name="重复", password_hash="x"))
        db.session.flush()  # IntegrityError: the phone is taken
        return "unreachable"

    app.add_url_rule("/_test/clash", "clash", clash)
    with app.app_context():
        user = make_user("签到", org=tree["a"])
        client = app.test_client()
        client.post("/login", data={"phone": user.phone, "password": PASSWORD})
        response = client.get("/_test/clash")
        assert response.status_code == 500
        html = response.get_data(as_text=True)
        assert "出错了" in html
        for header in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"):
            assert header in response.headers
        assert client.get("/account").status_code == 200  # the next request is sound
        assert db.session.scalar(select(User.name).where(User.name == "重复")) is None


def test_healthz_is_ok_when_everything_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"ok": True, "database": "ok"}


def test_healthz_says_the_database_failed(_schema):
    from lms import create_app
    from tests.conftest import base_config

    # a database server that is down: nothing listens on port 1, the connection is refused
    app = create_app(base_config(
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/fieldside"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"ok": False, "database": "failed"}


def test_healthz_says_redis_failed(app_factory):
    # nothing listens on port 1: a real connection refused, not a stand-in
    app = app_factory(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"ok": False, "database": "ok", "redis": "failed"}


def test_healthz_checks_a_live_redis(app_factory):
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    app = app_factory(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json["redis"] == "ok"


def test_the_sqlite_database_and_its_wal_are_the_owners_alone(tmp_path, _schema):
    """They were created 0644: any local user could read every password hash."""
    import os
    import stat

    from lms import create_app
    from tests.conftest import base_config

    path = tmp_path / "fresh.db"
    app = create_app(base_config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}"))
    with app.app_context():
        db.create_all()
        db.session.add(User(phone="13900000099", name="权限", password_hash="x"))
        db.session.commit()
        for suffix in ("", "-wal", "-shm"):
            mode = stat.S_IMODE(os.stat(f"{path}{suffix}").st_mode)
            assert mode == 0o600, (suffix, oct(mode))
        db.engine.dispose()
