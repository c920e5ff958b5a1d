"""The 任命 form offers only what the signed-in person may grant, and a refused grant is kept in
the audit log."""
import re

import pytest
from sqlalchemy import select

from lms.audit.models import AuditLog
from lms.core.errors import NotAllowed
from lms.extensions import db
from lms.orgs import services


def _offered(html: str) -> list[str]:
    form = html[html.index('name="role"'):]
    form = form[:form.index("</select>")]
    return re.findall(r'<option value="([a-z_]+)"', form)


def test_a_secretary_is_not_offered_the_administrator_role(client, login, secretary, member):
    login(secretary)
    offered = _offered(client.get(f"/orgs/members/{member.id}").get_data(as_text=True))
    assert "admin" not in offered and "trainer" in offered and "secretary" in offered


def test_the_administrator_is_offered_every_role(client, login, admin, member):
    login(admin)
    assert "admin" in _offered(client.get(f"/orgs/members/{member.id}").get_data(as_text=True))


def test_nobody_is_offered_a_role_on_their_own_page(client, login, secretary):
    login(secretary)
    assert 'name="role"' not in client.get(f"/orgs/members/{secretary.id}").get_data(
        as_text=True)


@pytest.mark.parametrize("case", ["self", "admin_role", "other_branch"])
def test_a_refused_grant_is_audited(case, secretary, secretary_b, member, tree):
    user, role, org = {"self": (secretary, "trainer", tree["a"]),
                       "admin_role": (member, "admin", tree["a"]),
                       "other_branch": (member, "trainer", tree["b"])}[case]
    actor = secretary if case != "other_branch" else secretary_b
    with pytest.raises(NotAllowed):
        services.grant_role(actor, user, org, role)
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "role.grant"))
    assert row is not None and row.ok is False and role in row.target
