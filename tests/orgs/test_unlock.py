"""Sign-in for a village on one Wi-Fi: the secretary sees a lock and lifts it, a reset code is
digits a member can type, and sixty people can sign in from one address in a minute."""
import pytest
from freezegun import freeze_time
from sqlalchemy import select

from lms.audit.models import AuditLog
from lms.auth import services as auth
from lms.auth.passwords import one_time_code
from lms.extensions import db
from tests.helpers import PASSWORD


def _lock(member):
    """Five wrong passwords, as the member typed them."""
    for _ in range(5):
        with pytest.raises(auth.SignInFailed):
            auth.authenticate(member.phone, "not-the-password")
    assert auth.lock_of(member) is not None


def test_the_secretary_sees_the_lock_and_lifts_it(client_for, secretary, member):
    with freeze_time("2026-03-01 08:08:00"):  # 16:08 in Beijing
        _lock(member)
        staff = client_for(secretary)
        page = staff.get(f"/orgs/members/{member.id}").get_data(as_text=True)
        assert "账户已锁定" in page and "解除锁定" in page
        assert "账户锁定到 2026-03-01 16:38" in page  # local time, 30 minutes on
        done = staff.post(f"/orgs/members/{member.id}/unlock", follow_redirects=True)
    assert "已解除" in done.get_data(as_text=True)
    db.session.expire_all()
    assert auth.lock_of(member) is None
    assert auth.authenticate(member.phone, PASSWORD) == member
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "auth.unlock"))
    assert row is not None and row.actor_id == secretary.id and member.phone in row.target
    assert "账户已锁定" not in staff.get(f"/orgs/members/{member.id}").get_data(as_text=True)


def test_another_branch_cannot_lift_it(client_for, secretary_b, member):
    _lock(member)
    assert client_for(secretary_b).post(f"/orgs/members/{member.id}/unlock").status_code == 404
    db.session.expire_all()
    assert auth.lock_of(member) is not None


def test_a_reset_code_is_ten_digits():
    codes = {one_time_code() for _ in range(200)}
    assert all(len(c) == 10 and c.isdigit() for c in codes) and len(codes) == 200


def test_sixty_sign_ins_a_minute_from_one_address_still_pass(app_factory, make_user, tree):
    """The per-address limit lets a study session on one Wi-Fi in; a flood past it is refused."""
    app = app_factory(RATELIMIT_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        codes = [client.post("/login", data={"phone": f"137{n:08d}", "password": "x-x-x-x-x"},
                             environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code
                 for n in range(61)]
    assert 429 not in codes[:60] and codes[60] == 429
