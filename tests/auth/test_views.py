import re
from datetime import timedelta

import pytest
from freezegun import freeze_time

from lms.extensions import db
from tests.helpers import PASSWORD


def test_sign_in_page_is_chinese_and_sign_in_lands_home(client, member):
    page = client.get("/login").get_data(as_text=True)
    assert "登录田埂课堂" in page and 'lang="zh-CN"' in page
    response = client.post("/login", data={"phone": member.phone, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200


def test_wrong_password_shows_the_generic_message(client, member):
    page = client.post("/login", data={"phone": member.phone, "password": "nope-nope"},
                       follow_redirects=True).get_data(as_text=True)
    assert "手机号或密码不正确" in page
    unknown = client.post("/login", data={"phone": "13712345678", "password": "nope-nope"},
                          follow_redirects=True).get_data(as_text=True)
    assert unknown.count("手机号或密码不正确") == page.count("手机号或密码不正确") == 1


def test_pages_need_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_replayed_cookie_after_sign_out_is_useless(app, client, member, login):
    login(member)
    cookie = client.get_cookie("session").value
    assert client.post("/logout").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    response = replay.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sign_in_starts_a_fresh_session(client, member):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.post("/login", data={"phone": member.phone, "password": PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session


@pytest.mark.parametrize("target", [
    "//evil.example", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
    "http:/evil.example", " //evil.example", "/\t/evil.example", "\\\\evil.example",
])
def test_next_never_leaves_the_site(client, member, target):
    response = client.post("/login", data={"phone": member.phone, "password": PASSWORD,
                                           "next": target})
    location = response.headers["Location"]
    assert location in ("/", "http://localhost/"), location


def test_next_inside_the_site_is_followed(client, member):
    response = client.post("/login", data={"phone": member.phone, "password": PASSWORD,
                                           "next": "/account?x=1"})
    assert response.headers["Location"] == "/account?x=1"


def test_language_switch_rejects_outside_next(client):
    response = client.get("/lang/en?next=//evil.example")
    assert response.headers["Location"] == "/"


def test_csrf_is_enforced_when_on(app_factory, make_user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        from lms.auth.models import User
        user = db.session.get(User, make_user_in(app, make_user).id)
        assert client.post("/login", data={"phone": user.phone, "password": PASSWORD}) \
            .status_code == 400
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert client.post("/login", data={"phone": user.phone, "password": PASSWORD,
                                           "csrf_token": token}).status_code == 302
        assert client.post("/logout").status_code == 400  # logout CSRF too
        assert client.get("/account").status_code == 200


def make_user_in(app, make_user):
    return make_user("带令牌的人")


def test_staff_session_ends_after_thirty_idle_minutes(client, secretary, member, login, app):
    with freeze_time("2026-05-01 09:00:00") as clock:
        login(secretary)
        assert client.get("/account").status_code == 200
        clock.tick(timedelta(minutes=29))
        assert client.get("/account").status_code == 200
        clock.tick(timedelta(minutes=31))
        response = client.get("/account")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        # a member (no role) is not timed out: phones stay signed in between lessons
        other = app.test_client()
        login(member, the_client=other)
        clock.tick(timedelta(hours=5))
        assert other.get("/account").status_code == 200


def test_the_session_cookie_is_resent_only_when_the_session_changes(client, member, login):
    with freeze_time("2026-05-01 09:00:00") as clock:
        login(member)
        client.get("/account")  # the first page stores the CSRF token in the session
        again = client.get("/account")
        assert again.status_code == 200
        assert "Set-Cookie" not in again.headers  # nothing changed: no header, no re-signing
        # a minute on, the idle check stamps the session: the cookie comes back, its 30 days
        # counted from now, so a member who keeps studying stays signed in
        clock.tick(timedelta(minutes=2))
        stamped = client.get("/account").headers.get("Set-Cookie", "")
        assert stamped.startswith("session=") and "31 May 2026 09:02:00 GMT" in stamped


def test_sign_in_is_rate_limited_per_ip(app_factory):
    app = app_factory(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        for _ in range(3):
            assert client.post("/login", data={"phone": "13700000000",
                                               "password": "x-x-x-x-x"}).status_code == 200
        blocked = client.post("/login", data={"phone": "13700000000", "password": "x-x-x-x-x"})
        assert blocked.status_code == 429
        assert "操作太频繁" in blocked.get_data(as_text=True)
        assert client.get("/login").status_code == 200  # reading the page is not limited


def test_one_time_code_forces_a_new_password(client, make_user, secretary, tree, login):
    from lms.orgs.services import reset_password
    user = make_user("忘了密码的人", org=tree["a"])
    code = reset_password(secretary, user)
    login(user, code)
    response = client.get("/account")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/account/password")
    client.post("/account/password", data={"current": code, "new": "river-boat-lesson-9",
                                           "confirm": "river-boat-lesson-9"})
    assert client.get("/account").status_code == 200


def test_error_pages_are_chinese(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def test_english_is_available(client):
    client.get("/lang/en")
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page


def test_rate_limit_is_shared_between_workers_through_redis(app_factory):
    """Two app instances (two gunicorn workers) count sign-ins in one Redis."""
    import socket
    import uuid

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "2 per minute",
                "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
                "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    first, second = app_factory(**settings), app_factory(**settings)
    data = {"phone": "13700000000", "password": "x-x-x-x-x"}
    assert first.test_client().post("/login", data=data).status_code == 200
    assert second.test_client().post("/login", data=data).status_code == 200
    assert first.test_client().post("/login", data=data).status_code == 429


def test_the_one_time_code_is_spent_by_the_sign_in(app, client, make_user, secretary, tree,
                                                   login):
    from lms.orgs.services import reset_password
    user = make_user("忘了密码的人", org=tree["a"])
    code = reset_password(secretary, user)
    login(user, code)
    page = client.get("/account/password").get_data(as_text=True)
    assert 'name="current"' not in page  # nothing left to ask: the code is spent
    other = app.test_client()
    refused = other.post("/login", data={"phone": user.phone, "password": code})
    assert refused.status_code == 200 and "手机号或密码不正确" in refused.get_data(as_text=True)
    done = client.post("/account/password", data={"new": "river-boat-lesson-9",
                                                  "confirm": "river-boat-lesson-9"})
    assert done.status_code == 302
    login(user, "river-boat-lesson-9", the_client=other)
