"""The audit log is append-only, readable by the admin alone, and filterable."""
import re

import pytest
from freezegun import freeze_time
from sqlalchemy import delete, func, select, update

from lms.audit.models import AuditLog, AuditLogIsAppendOnly
from lms.audit.services import record
from lms.extensions import db


def rows_shown(html: str) -> list[str]:
    """The 对象 (target) cell of each row on the page, in order."""
    return re.findall(r"<td[^>]*>(目标\d)</td>", html)


# ---- append-only ------------------------------------------------------------------------------

@pytest.fixture
def logged(admin):
    row = record("auth.login", actor=admin, target="原样", ip="10.0.0.1")
    db.session.commit()
    return row


def untouched(row_id: int) -> bool:
    db.session.rollback()
    row = db.session.get(AuditLog, row_id)
    return row is not None and (row.target, row.ok, row.ip) == ("原样", True, "10.0.0.1")


@pytest.mark.parametrize("field, value", [("target", "改过"), ("ok", False), ("ip", "1.2.3.4"),
                                          ("actor_label", "别人"), ("detail", "{}")])
def test_a_row_cannot_be_updated(logged, field, value):
    row_id = logged.id
    setattr(logged, field, value)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    assert untouched(row_id)


def test_a_row_cannot_be_deleted(logged):
    row_id = logged.id
    db.session.delete(logged)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    assert untouched(row_id)


@pytest.mark.parametrize("statement", [
    lambda: update(AuditLog).values(ok=False),
    lambda: update(AuditLog).where(AuditLog.action == "auth.login").values(target="改过"),
    lambda: delete(AuditLog),
    lambda: delete(AuditLog).where(AuditLog.ok.is_(True)),
], ids=["update-all", "update-where", "delete-all", "delete-where"])
def test_bulk_orm_statements_are_refused_too(logged, statement):
    row_id = logged.id
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.execute(statement())
    assert untouched(row_id)


def test_inserting_stays_possible(logged, admin):
    record("auth.logout", actor=admin)
    db.session.commit()
    assert db.session.scalar(select(func.count(AuditLog.id))) == 2


def test_no_route_edits_or_deletes_audit_rows(app):
    audit_rules = [r for r in app.url_map.iter_rules()
                   if r.rule.startswith("/audit") or r.endpoint.startswith("audit.")]
    assert audit_rules, "the audit view is gone?"
    for rule in audit_rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_writing_to_the_audit_page_is_405(client, login, admin, logged):
    login(admin)
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert client.open("/audit/", method=method).status_code == 405
    assert untouched(logged.id)


# ---- who may read it --------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["member", "secretary", "trainer"])
def test_non_admins_get_403(request, client, login, who):
    login(request.getfixturevalue(who))
    assert client.get("/audit/").status_code == 403
    assert "审计日志" not in client.get("/account").get_data(as_text=True)


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/audit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_sees_the_log_and_the_menu_entry(client, login, admin):
    login(admin)
    html = client.get("/audit/").get_data(as_text=True)
    assert "审计日志" in html
    assert "<td data-label=\"操作\">登录</td>" in html  # the admin's own sign-in, by name


def test_every_recorded_action_has_a_name_in_both_languages(app):
    """Each action the code records (``record("x.y", …)``) has a label, translated."""
    from pathlib import Path

    from flask_babel import force_locale, gettext

    from lms.audit.labels import ACTION_LABELS

    root = Path(__file__).resolve().parents[2] / "lms"
    pattern = re.compile(r"(?:record|audit)\(\s*\"([a-z_]+\.[a-z_.]+)\"")
    recorded = {m for path in root.rglob("*.py")
                for m in pattern.findall(path.read_text(encoding="utf-8"))}
    assert recorded and not recorded - set(ACTION_LABELS)
    with app.test_request_context(), force_locale("en"):
        english = {gettext(label) for label in ACTION_LABELS.values()}
    assert not [text for text in english if re.search(r"[\u4e00-\u9fff]", text)]


def test_an_entry_opens_in_full_with_its_detail(client, login, admin, member):
    row = record("hours.manual", actor=admin, target=f"{member.phone} 2026", ip="10.0.0.9",
                 detail={"hours": 2, "reason": "三月党课"})
    db.session.commit()
    login(admin)
    page = client.get("/audit/").get_data(as_text=True)
    assert f'href="/audit/{row.id}"' in page and "手工登记学时" in page
    entry = client.get(f"/audit/{row.id}").get_data(as_text=True)
    assert "手工登记学时" in entry and "三月党课" in entry and "10.0.0.9" in entry
    assert client.get("/audit/999999").status_code == 404
    client.get("/lang/en")
    assert "Hours entered by hand" in client.get(f"/audit/{row.id}").get_data(as_text=True)


@pytest.mark.parametrize("who", ["member", "secretary"])
def test_an_entry_is_for_the_admin_alone(request, client, login, admin, who):
    row = record("auth.login", actor=admin)
    db.session.commit()
    login(request.getfixturevalue(who))
    assert client.get(f"/audit/{row.id}").status_code == 403


# ---- filters ----------------------------------------------------------------------------------

@pytest.fixture
def history(admin, secretary, member):
    """Four events; times are UTC, the page shows and filters in Asia/Shanghai (UTC+8)."""
    events = [
        ("2026-03-01 01:00:00", "auth.login", member, True, "目标1"),     # 03-01 09:00 local
        ("2026-03-01 20:00:00", "auth.login", member, False, "目标2"),    # 03-02 04:00 local
        ("2026-03-02 15:30:00", "role.grant", secretary, True, "目标3"),  # 03-02 23:30 local
        ("2026-03-02 16:30:00", "member.update", secretary, True, "目标4"),  # 03-03 00:30
    ]
    for at, action, actor, ok, target in events:
        with freeze_time(at):
            record(action, actor=actor, ok=ok, target=target, ip="10.8.8.8")
            db.session.commit()
    return events


@pytest.mark.parametrize("query, shown", [
    ({}, ["目标4", "目标3", "目标2", "目标1"]),  # newest first
    ({"action": "auth.login"}, ["目标2", "目标1"]),
    ({"action": "role.grant"}, ["目标3"]),
    ({"action": "nothing.like.this"}, []),
    ({"ok": "0"}, ["目标2"]),
    ({"ok": "1"}, ["目标4", "目标3", "目标1"]),
    ({"ok": "maybe"}, ["目标4", "目标3", "目标2", "目标1"]),
    ({"actor": "王书记"}, ["目标4", "目标3"]),
    ({"actor": "{member_phone}"}, ["目标2", "目标1"]),
    ({"actor": "张"}, ["目标2", "目标1"]),
    ({"actor": "%"}, []),
    ({"action": "auth.login", "ok": "1"}, ["目标1"]),
    # dates are the local calendar days the page shows
    ({"since": "2026-03-02", "until": "2026-03-02"}, ["目标3", "目标2"]),
    ({"since": "2026-03-01", "until": "2026-03-01"}, ["目标1"]),
    ({"since": "2026-03-03"}, ["目标4"]),
    ({"until": "2026-03-02"}, ["目标3", "目标2", "目标1"]),
    ({"since": "2026-03-02", "actor": "王书记"}, ["目标4", "目标3"]),
    ({"since": "2026-03-05"}, []),
    ({"since": "not-a-date", "until": "2026-13-45"}, ["目标4", "目标3", "目标2", "目标1"]),
    ({"since": "0001-01-01", "until": "9999-12-31"}, ["目标4", "目标3", "目标2", "目标1"]),
])
def test_admin_filters(client, login, admin, member, history, query, shown):
    query = {k: v.format(member_phone=member.phone) for k, v in query.items()}
    login(admin)
    html = client.get("/audit/", query_string=query).get_data(as_text=True)
    assert rows_shown(html) == shown


def test_times_are_shown_in_local_time(client, login, admin, history):
    login(admin)
    html = client.get("/audit/", query_string={"action": "auth.login", "ok": "0"}) \
        .get_data(as_text=True)
    assert "2026-03-02 04:00:00" in html and "10.8.8.8" in html


def test_filters_survive_paging(client, login, admin):
    for i in range(60):
        record("roster.export", actor=admin, target=f"第{i}次")
    db.session.commit()
    login(admin)
    html = client.get("/audit/", query_string={"action": "roster.export"}).get_data(as_text=True)
    assert "第 1 / 2 页" in html
    assert re.search(r'href="/audit/\?[^"]*action=roster.export[^"]*page=2|'
                     r'href="/audit/\?[^"]*page=2[^"]*action=roster.export', html)
