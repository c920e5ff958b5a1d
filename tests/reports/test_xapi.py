"""xAPI out: every learning event is a valid statement in the outbox, delivered to a real LRS
(ralph, started here) in batches, never lost and never twice, retried with backoff."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.core.clock import utcnow
from lms.extensions import db
from lms.reports import xapi_send
from lms.reports.models import XapiStatement
from tests.reports.lrs import running_lrs


@pytest.fixture(scope="module")
def lrs(tmp_path_factory):
    with running_lrs(tmp_path_factory.mktemp("lrs")) as server:
        yield server


def _outbox() -> list[XapiStatement]:
    return list(db.session.scalars(select(XapiStatement).order_by(XapiStatement.id)))


def _bodies() -> list[dict]:
    return [json.loads(row.body) for row in _outbox()]


def test_nothing_is_queued_without_an_lrs(member, complete_course):
    complete_course(member)
    assert _outbox() == []


def test_learning_events_become_valid_statements(app, member, complete_course, grade,
                                                 make_course):
    from ralph.models.xapi.base.statements import BaseXapiStatement

    app.config.update(XAPI_ENDPOINT="http://127.0.0.1:9/xAPI")
    made = complete_course(member, lessons=2, title="党章学习")
    other = make_course(lessons=1, check=1)
    grade.check(member, other.checks[0], passed=False)
    bodies = _bodies()
    verbs = sorted(b["verb"]["id"].rsplit("/", 1)[1] for b in bodies)
    # 2 lessons opened (and 1 of the other course), 2 completed, the course completed,
    # the check and the final passed, the other course's check failed
    assert verbs == sorted(["experienced"] * 3 + ["completed"] * 3 + ["passed"] * 2
                           + ["failed"])
    for body in bodies:
        BaseXapiStatement.model_validate(body)  # the xAPI 1.0.3 statement, as ralph reads it
        account = body["actor"]["account"]
        assert set(body["actor"]) == {"objectType", "account"}
        assert member.phone not in json.dumps(body) and member.name not in json.dumps(body)
        assert len(account["name"]) == 32
    assert len({b["actor"]["account"]["name"] for b in bodies}) == 1
    course = next(b for b in bodies if b["object"]["id"].endswith(f"/courses/{made.course.slug}"))
    assert course["object"]["definition"]["name"] == {"zh-CN": "党章学习"}
    failed = next(b for b in bodies if b["verb"]["id"].endswith("failed"))
    assert failed["result"]["success"] is False and failed["result"]["score"]["scaled"] == 0
    assert len({b["id"] for b in bodies}) == len(bodies)
    assert [row.statement_id for row in _outbox()] == [b["id"] for b in bodies]


def test_statements_reach_the_lrs_once(app, lrs, member, complete_course):
    app.config.update(XAPI_BATCH=3, **lrs.config())
    complete_course(member, lessons=2)
    ids = {row.statement_id for row in _outbox()}
    done = xapi_send.send_all()
    assert done.sent == len(ids) and done.batches >= 2
    stored = {s["id"]: s for s in lrs.stored() if s["id"] in ids}
    assert set(stored) == ids
    assert all(row.sent_at is not None and row.last_error == "" for row in _outbox())
    assert xapi_send.send_all().sent == 0  # nothing is sent twice
    # an answer lost on the way: the rows look unsent, the LRS has them (409)
    db.session.execute(XapiStatement.__table__.update().values(sent_at=None))
    db.session.commit()
    assert xapi_send.send_all().sent == len(ids)
    assert sorted(s["id"] for s in lrs.stored() if s["id"] in ids) == sorted(ids)


def test_an_lrs_that_is_down_keeps_them_with_the_error(app, lrs, member, complete_course):
    app.config.update(XAPI_ENDPOINT="http://127.0.0.1:9/xAPI", XAPI_RETRY_SECONDS=60)
    complete_course(member, lessons=1, check=0)
    before = len(_outbox())
    done = xapi_send.send_all()
    assert (done.sent, done.failed) == (0, before)
    for row in _outbox():
        assert row.sent_at is None and row.attempts == 1
        assert "Connection" in row.last_error or "refused" in row.last_error
        assert row.next_attempt_at > utcnow() + timedelta(seconds=50)
    assert xapi_send.send_all().batches == 0  # waiting out the backoff
    app.config.update(**lrs.config())
    later = utcnow() + timedelta(minutes=5)
    assert xapi_send.send_all(now=later).sent == before
    ids = {row.statement_id for row in _outbox()}
    assert ids <= {s["id"] for s in lrs.stored()}


def test_refused_credentials_leave_them_queued(app, lrs, member, complete_course):
    app.config.update(**lrs.config())
    app.config.update(XAPI_SECRET="wrong")
    complete_course(member, lessons=1, check=0)
    xapi_send.send_all()
    rows = _outbox()
    assert rows and all(r.sent_at is None and r.last_error.startswith("HTTP 401") for r in rows)
    assert xapi_send.pending() == (len(rows), len(rows))


def test_one_bad_statement_does_not_hold_back_the_others(app, lrs, member, complete_course):
    app.config.update(**lrs.config())
    complete_course(member, lessons=1, check=0)
    rows = _outbox()
    broken = rows[0]
    broken.body = json.dumps({"id": broken.statement_id, "verb": {"id": "not an iri"}})
    db.session.commit()
    done = xapi_send.send_all()
    assert done.sent == len(rows) - 1
    db.session.expire_all()
    assert broken.sent_at is None and broken.last_error.startswith("HTTP 4")


def test_the_command_says_what_it_did(app, runner, lrs, member, complete_course):
    result = runner.invoke(args=["xapi", "send"])
    assert result.exit_code == 1 and "XAPI_ENDPOINT" in result.output
    app.config.update(**lrs.config())
    complete_course(member, lessons=1, check=0)
    n = db.session.scalar(select(func.count()).select_from(XapiStatement))
    result = runner.invoke(args=["xapi", "send"])
    assert result.exit_code == 0 and f"发送 {n} 条" in result.output
    assert "仍在等待 0 条" in result.output


def test_an_lrs_answering_5xx_keeps_them_with_the_error_and_backs_off(app, lrs, member,
                                                                        complete_course):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Failing(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 — http.server's name
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(503)
            self.end_headers()
            self.wfile.write(b"maintenance")

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        app.config.update(**lrs.config())
        app.config.update(XAPI_ENDPOINT=f"http://127.0.0.1:{server.server_port}/xAPI",
                          XAPI_RETRY_SECONDS=60)
        complete_course(member, lessons=1, check=0)
        done = xapi_send.send_all()
        assert done.sent == 0 and done.failed == len(_outbox())
        later = utcnow() + timedelta(minutes=3)
        xapi_send.send_all(now=later)  # second failure: the wait doubles
        for row in _outbox():
            assert row.sent_at is None and row.attempts == 2
            assert row.last_error == "HTTP 503: maintenance"
            assert row.next_attempt_at > later + timedelta(seconds=110)
    finally:
        server.shutdown()
        server.server_close()
    app.config.update(**lrs.config())
    assert xapi_send.send_all(now=utcnow() + timedelta(hours=1)).sent == len(_outbox())
    ids = [row.statement_id for row in _outbox()]
    assert sorted(s["id"] for s in lrs.stored() if s["id"] in ids) == sorted(ids)
