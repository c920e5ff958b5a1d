"""Exactly once for what a phone sends again: receipts per client id, and /sync/whoami."""
import pytest
from sqlalchemy import func, select

from lms.core.errors import NotAllowed, ValidationFailed
from lms.core.receipts import MAX_BATCH, SyncReceipt, read_batch, run_once
from lms.extensions import db

CLIENT_ID = "3f2a9c0e-7b1d-4e8a-9c55-0a1b2c3d4e5f"


def _counting_action(calls):
    def action():
        calls.append(1)
        return {"status": "present", "n": len(calls)}
    return action


def test_an_id_runs_once_and_every_copy_gets_the_first_result(member):
    calls = []
    first = run_once(member.id, CLIENT_ID, "attendance", _counting_action(calls))
    db.session.commit()
    again = run_once(member.id, CLIENT_ID, "attendance", _counting_action(calls))
    db.session.commit()
    assert (first.replayed, again.replayed) == (False, True)
    assert first.result == again.result == {"status": "present", "n": 1}
    assert len(calls) == 1
    assert db.session.scalar(select(func.count()).select_from(SyncReceipt)) == 1


def test_another_members_copy_is_refused_and_changes_nothing(member, member_b):
    run_once(member.id, CLIENT_ID, "attendance", lambda: {"ok": True})
    db.session.commit()
    calls = []
    with pytest.raises(NotAllowed):
        run_once(member_b.id, CLIENT_ID, "attendance", _counting_action(calls))
    assert calls == []


def test_a_failed_action_keeps_nothing_so_a_later_copy_runs_again(member):
    def failing():
        db.session.add(SyncReceipt(client_id="x" * 12, user_id=member.id, kind="k", result={}))
        raise ValidationFailed("不行")

    with pytest.raises(ValidationFailed):
        run_once(member.id, CLIENT_ID, "attendance", failing)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(SyncReceipt)) == 0
    outcome = run_once(member.id, CLIENT_ID, "attendance", lambda: {"ok": True})
    assert outcome.replayed is False


@pytest.mark.parametrize("bad", ["", "short", "has space in it", "ü" * 10, "a" * 65, None, 12345678])
def test_a_malformed_client_id_is_refused(member, bad):
    with pytest.raises(ValidationFailed):
        run_once(member.id, bad, "attendance", lambda: {"ok": True})


@pytest.mark.parametrize("payload", [None, [], "items", {"items": "x"}, {"items": [1, 2]},
                                     {"items": [{}] * (MAX_BATCH + 1)}])
def test_a_malformed_or_oversized_batch_is_refused(payload):
    with pytest.raises(ValidationFailed):
        read_batch(payload)


def test_a_batch_of_the_largest_size_is_read():
    assert len(read_batch({"items": [{"id": str(i)} for i in range(MAX_BATCH)]})) == MAX_BATCH


def test_whoami_names_the_signed_in_member_with_a_fresh_token(client_for, member):
    anonymous = client_for(None).get("/sync/whoami")
    assert anonymous.status_code == 401 and anonymous.get_json() == {"member": None}
    response = client_for(member).get("/sync/whoami")
    body = response.get_json()
    assert response.status_code == 200 and body["member"] == member.id and body["token"]
    assert response.headers["Cache-Control"] == "no-store"
