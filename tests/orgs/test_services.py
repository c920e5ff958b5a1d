"""Org, role and member services, without HTTP: the tree's paths, who may do what, the audit."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditLog
from lms.auth.passwords import verify_password
from lms.auth.services import SignInFailed, authenticate, lock_of
from lms.core.clock import utcnow
from lms.core.errors import Conflict, NotAllowed, ValidationFailed
from lms.extensions import db
from lms.orgs import services
from lms.orgs.access import can
from lms.orgs.models import Membership, Organization
from tests.helpers import PASSWORD


def audit_rows() -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).order_by(AuditLog.id)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def tree_shape() -> list[tuple]:
    """Every node as (code, parent code, path, depth)."""
    db.session.expire_all()
    orgs = list(db.session.scalars(select(Organization).order_by(Organization.id)))
    code = {o.id: o.code for o in orgs}
    return [(o.code, code.get(o.parent_id), o.path, o.depth) for o in orgs]


def assert_paths_consistent() -> None:
    """Each stored path and depth equal what the parent chain says."""
    db.session.expire_all()
    orgs = {o.id: o for o in db.session.scalars(select(Organization))}
    for org in orgs.values():
        chain, node = [], org
        while node is not None:
            chain.append(node.id)
            node = orgs.get(node.parent_id)
        expected = "/" + "".join(f"{i}/" for i in reversed(chain))
        assert (org.path, org.depth) == (expected, len(chain) - 1), org.code


@pytest.fixture
def deep(make_org, tree):
    """Under the town: 村党委 V → 党总支 G → 党支部 BR → 党小组 GR, and a second town T2."""
    v = make_org("V", "village_committee", tree["town"])
    g = make_org("G", "general_branch", v)
    br = make_org("BR", "branch", g)
    gr = make_org("GR", "group", br)
    t2 = make_org("T2", "township", tree["county"])
    return {**tree, "v": v, "g": g, "br": br, "gr": gr, "t2": t2}


# ---- create -----------------------------------------------------------------------------------

def test_create_gives_materialised_paths_and_depths(admin):
    county = services.create_org(admin, name="新县委", kind="county", code="NC", parent=None)
    town = services.create_org(admin, name="新镇", kind="township", code="NT", parent=county)
    branch = services.create_org(admin, name=" 新支部 ", kind="branch", code="NB", parent=town)
    assert (county.path, county.depth) == (f"/{county.id}/", 0)
    assert (town.path, town.depth) == (f"/{county.id}/{town.id}/", 1)
    assert (branch.path, branch.depth) == (f"/{county.id}/{town.id}/{branch.id}/", 2)
    assert branch.name == "新支部" and branch.parent_id == town.id
    assert_paths_consistent()


@pytest.mark.parametrize("parent_key, kind, allowed", [
    (None, "county", True),
    (None, "township", False),  # only a county may be a root
    ("county", "township", True),
    ("county", "branch", False),
    ("county", "county", False),
    ("town", "village_committee", True),
    ("town", "general_branch", True),
    ("town", "branch", True),
    ("town", "group", False),
    ("a", "group", True),
    ("a", "branch", False),
    ("a", "township", False),
    ("a1", "group", False),  # no group under a group
    ("a", "soviet", False),  # not a kind at all
])
def test_kind_hierarchy_is_enforced(admin, tree, parent_key, kind, allowed):
    parent = tree[parent_key] if parent_key else None
    before = count(Organization)
    if allowed:
        org = services.create_org(admin, name="新组织", kind=kind, code="NEW", parent=parent)
        assert org.kind == kind
        assert count(Organization) == before + 1
    else:
        with pytest.raises(ValidationFailed):
            services.create_org(admin, name="新组织", kind=kind, code="NEW", parent=parent)
        assert count(Organization) == before


def test_duplicate_code_is_refused(admin, tree):
    with pytest.raises(Conflict, match="A"):
        services.create_org(admin, name="另一个", kind="group", code="A", parent=tree["a"])
    assert count(Organization) == 5


@pytest.mark.parametrize("name, code, message", [
    ("", "OK1", "名称不能为空"),
    ("   ", "OK1", "名称不能为空"),
    ("长" * 81, "OK1", "80"),
    ("好名字", "", "代码"),
    ("好名字", "有中文", "代码"),
    ("好名字", "a b", "代码"),
    ("好名字", "x" * 33, "代码"),
])
def test_bad_name_or_code_is_refused(admin, tree, name, code, message):
    with pytest.raises(ValidationFailed, match=message):
        services.create_org(admin, name=name, kind="group", code=code, parent=tree["a"])
    assert count(Organization) == 5


def test_secretary_creates_only_inside_own_subtree(secretary, tree):
    group = services.create_org(secretary, name="第二小组", kind="group", code="A-2",
                                parent=tree["a"])
    assert group.path.startswith(tree["a"].path)
    for parent in (tree["b"], tree["town"]):
        with pytest.raises(NotAllowed):
            services.create_org(secretary, name="越界", kind="group", code="X-1", parent=parent)
    with pytest.raises(NotAllowed):
        services.create_org(secretary, name="另一个县", kind="county", code="X-2", parent=None)
    assert count(Organization) == 6


# ---- rename and move --------------------------------------------------------------------------

def test_rename_is_scoped_and_audited(secretary, tree):
    services.rename_org(secretary, tree["a1"], "  甲村老年党小组 ", ip="10.1.1.1")
    assert tree["a1"].name == "甲村老年党小组"
    row = audit_rows()[-1]
    assert (row.action, row.target, row.ip) == ("org.rename", "A-1", "10.1.1.1")
    assert "甲村第一党小组" in row.detail and "甲村老年党小组" in row.detail
    with pytest.raises(NotAllowed):
        services.rename_org(secretary, tree["b"], "被改名")
    with pytest.raises(ValidationFailed):
        services.rename_org(secretary, tree["a"], "  ")
    db.session.expire_all()
    assert (tree["b"].name, tree["a"].name) == ("乙村党支部", "甲村党支部")


def test_move_rewrites_the_whole_subtree(admin, deep):
    deep_branch = deep["br"]
    services.move_org(admin, deep_branch, deep["t2"], ip="10.0.0.9")
    t2, br, gr = deep["t2"], db.session.get(Organization, deep["br"].id), deep["gr"]
    assert br is deep_branch and br.parent_id == t2.id
    assert (br.path, br.depth) == (f"{t2.path}{br.id}/", 2)
    assert (gr.path, gr.depth) == (f"{t2.path}{br.id}/{gr.id}/", 3)
    # nodes outside the moved subtree are untouched, and every path agrees with the parents
    assert deep["g"].path == f"{deep['v'].path}{deep['g'].id}/"
    assert_paths_consistent()
    row = audit_rows()[-1]
    assert (row.action, row.target, row.ip) == ("org.move", "BR", "10.0.0.9")


def test_move_deepens_a_subtree_too(admin, deep):
    services.move_org(admin, deep["g"], deep["t2"])
    services.move_org(admin, deep["br"], deep["v"])  # up, then back down under V
    services.move_org(admin, deep["a"], deep["g"])  # county/T2/G/A/A-1
    a1 = db.session.get(Organization, deep["a1"].id)
    assert (a1.path, a1.depth) == ("/{}/{}/{}/{}/{}/".format(*(deep[k].id for k in (
        "county", "t2", "g", "a", "a1"))), 4)
    assert_paths_consistent()


def test_move_costs_the_same_statements_for_any_subtree_size(admin, deep, make_org,
                                                            count_queries):
    """One UPDATE rewrites the subtree: the statement count does not grow with its size."""
    for i in range(12):
        make_org(f"GR{i}", "group", deep["br"])
    with count_queries() as small:
        services.move_org(admin, deep["a"], deep["t2"])  # A and its one group
    with count_queries() as large:
        services.move_org(admin, deep["br"], deep["t2"])  # BR and its thirteen groups
    assert large[0] == small[0]
    assert_paths_consistent()


@pytest.mark.parametrize("node, new_parent", [
    ("g", "g"),    # under itself
    ("v", "g"),    # under its child
    ("v", "gr"),   # under its grandchild's child
    ("town", "br"),
])
def test_move_under_own_subtree_is_refused(admin, deep, node, new_parent):
    before = tree_shape()
    with pytest.raises(ValidationFailed, match="下级"):
        services.move_org(admin, deep[node], deep[new_parent])
    assert tree_shape() == before


@pytest.mark.parametrize("node, new_parent", [
    ("a", "county"),    # a branch straight under the county
    ("a1", "t2"),       # a group under a township
    ("v", "g"),         # refused for the subtree rule before the kind rule
    ("t2", "a"),        # a township under a branch
])
def test_move_keeps_the_kind_hierarchy(admin, deep, node, new_parent):
    before = tree_shape()
    with pytest.raises(ValidationFailed):
        services.move_org(admin, deep[node], deep[new_parent])
    assert tree_shape() == before


@pytest.mark.parametrize("node, new_parent", [("a1", "b"), ("a", "b"), ("b", "a")])
def test_secretary_moves_only_inside_own_subtree(secretary, tree, node, new_parent):
    before = tree_shape()
    with pytest.raises(NotAllowed):
        services.move_org(secretary, tree[node], tree[new_parent])
    assert tree_shape() == before


# ---- roles ------------------------------------------------------------------------------------

@pytest.mark.parametrize("actor_key, role, org_key, allowed", [
    ("admin", "admin", "a", True),
    ("admin", "secretary", "town", True),
    ("secretary", "admin", "a", False),      # only the system administrator grants admin
    ("secretary", "admin", "a1", False),
    ("secretary", "deputy", "a", True),
    ("secretary", "group_leader", "a1", True),
    ("secretary", "secretary", "a", True),
    ("secretary", "deputy", "b", False),     # another branch
    ("secretary", "secretary", "town", False),  # above own branch
    ("secretary_b", "deputy", "a", False),
    ("deputy", "organizer", "a", False),     # a deputy manages members, not roles
    ("member", "deputy", "a1", False),
])
def test_grant_role_rules(request, make_user, tree, actor_key, role, org_key, allowed):
    if actor_key == "deputy":
        actor = make_user("副书记", org=tree["a"], roles=[("deputy", tree["a"])])
    else:
        actor = request.getfixturevalue(actor_key)
    target = make_user("被任命", org=tree["a1"])
    if allowed:
        membership = services.grant_role(actor, target, tree[org_key], role, ip="10.2.2.2")
        assert (membership.user_id, membership.org_id, membership.role) == \
            (target.id, tree[org_key].id, role)
        row = audit_rows()[-1]
        assert (row.action, row.target) == ("role.grant",
                                            f"{target.phone} {role}@{tree[org_key].code}")
    else:
        with pytest.raises(NotAllowed):
            services.grant_role(actor, target, tree[org_key], role)
        assert db.session.scalar(select(Membership).where(Membership.user_id == target.id)) \
            is None


def test_grant_role_to_a_member_of_another_branch_is_refused(secretary, member_b, tree):
    """Appointing B's member in A still changes B's member: out of a secretary's reach."""
    with pytest.raises(NotAllowed):
        services.grant_role(secretary, member_b, tree["a"], "deputy")
    assert count(Membership) == 1  # the secretary's own


def test_unknown_role_and_repeated_grant(secretary, member, tree):
    with pytest.raises(ValidationFailed, match="未知的职务"):
        services.grant_role(secretary, member, tree["a"], "mayor")
    first = services.grant_role(secretary, member, tree["a1"], "group_leader")
    again = services.grant_role(secretary, member, tree["a1"], "group_leader")
    assert again.id == first.id
    assert count(Membership) == 2
    assert [r.action for r in audit_rows()] == ["role.grant"]


def test_revoke_role_rules(admin, secretary, secretary_b, member, tree):
    deputy_role = services.grant_role(admin, member, tree["a"], "deputy")
    admin_role = services.grant_role(admin, member, tree["a"], "admin")
    b_role = db.session.scalar(select(Membership).where(Membership.user_id == secretary_b.id))
    for membership in (admin_role, b_role):  # admin is the admin's; B is not A's
        with pytest.raises(NotAllowed):
            services.revoke_role(secretary, membership)
    services.revoke_role(secretary, deputy_role, ip="10.3.3.3")
    row = audit_rows()[-1]
    assert (row.action, row.target, row.ip) == ("role.revoke", f"{member.phone} deputy@A",
                                                "10.3.3.3")
    services.revoke_role(admin, admin_role)
    remaining = db.session.scalars(select(Membership.role).order_by(Membership.id)).all()
    assert remaining == ["secretary", "secretary"]


def test_revoked_secretary_loses_authority_at_once(admin, secretary, member, tree):
    assert can(secretary, "reset_passwords", tree["a"])
    own = db.session.scalar(select(Membership).where(Membership.user_id == secretary.id))
    services.revoke_role(admin, own)
    assert not can(secretary, "reset_passwords", tree["a"])
    with pytest.raises(NotAllowed):
        services.reset_password(secretary, member)


# ---- member records ---------------------------------------------------------------------------

def edit(actor, user, org, ip="10.4.4.4", **changes):
    """update_member with the user's current values, overridden by ``changes``."""
    values = dict(name=user.name, status=user.status, org=org, is_mobile=user.is_mobile,
                  mobile_where=user.mobile_where or "", mobile_contact=user.mobile_contact or "",
                  is_exempt=user.is_exempt, exempt_reason=user.exempt_reason or "")
    values.update(changes)
    services.update_member(actor, user, ip=ip, **values)


@pytest.mark.parametrize("changes, stored, logged", [
    ({"status": "probationary"}, {"status": "probationary"}, "status"),
    ({"status": None}, {"status": None}, "status"),
    ({"is_mobile": True, "mobile_where": " 广东东莞 ", "mobile_contact": "李会计 13800000000"},
     {"is_mobile": True, "mobile_where": "广东东莞", "mobile_contact": "李会计 13800000000"},
     "mobile"),
    ({"is_exempt": True, "exempt_reason": "年过八十"},
     {"is_exempt": True, "exempt_reason": "年过八十"}, "exempt"),
    ({"name": "张三丰"}, {"name": "张三丰"}, "name"),
])
def test_update_member_saves_and_audits(secretary, member, tree, changes, stored, logged):
    edit(secretary, member, tree["a1"], **changes)
    db.session.expire_all()
    for field, value in stored.items():
        assert getattr(member, field) == value
    row = audit_rows()[-1]
    assert (row.action, row.target, row.ip, row.actor_id) == \
        ("member.update", member.phone, "10.4.4.4", secretary.id)
    assert logged in row.detail


@pytest.mark.parametrize("changes, logged", [
    ({"mobile_where": "浙江义乌"}, "浙江义乌"),
    ({"mobile_contact": "王五"}, "王五"),
    ({"exempt_reason": "卧床"}, "卧床"),
])
def test_every_member_edit_leaves_an_audit_row(secretary, make_user, tree, changes, logged):
    """Changing only the 流动 place, contact or the exemption reason is a change too."""
    user = make_user("外出务工", org=tree["a"], is_mobile=True, mobile_where="广东",
                     mobile_contact="赵六", is_exempt=True, exempt_reason="年老")
    edit(secretary, user, tree["a"], **changes)
    rows = audit_rows()
    assert [r.action for r in rows] == ["member.update"]
    assert logged in rows[0].detail


def test_leaving_mobile_or_exempt_clears_the_details(secretary, make_user, tree):
    user = make_user("回乡", org=tree["a"], is_mobile=True, mobile_where="广东",
                     mobile_contact="赵六", is_exempt=True, exempt_reason="年老")
    edit(secretary, user, tree["a"], is_mobile=False, is_exempt=False)
    db.session.expire_all()
    assert (user.mobile_where, user.mobile_contact, user.exempt_reason) == (None, None, None)


def test_update_without_changes_writes_no_audit_row(secretary, member, tree):
    edit(secretary, member, tree["a1"])
    assert audit_rows() == []


def test_move_member_within_scope(secretary, member, tree):
    edit(secretary, member, tree["a"])
    assert member.org_id == tree["a"].id
    assert '"A-1"' in audit_rows()[-1].detail


@pytest.mark.parametrize("target_key, org_key", [
    ("member_b", "b"),   # B's member, left in B
    ("member_b", "a"),   # pulling B's member into A
    ("member", "b"),     # pushing A's member into B
    ("admin", "a"),      # an account without a branch
])
def test_update_member_out_of_scope_is_refused(request, secretary, tree, target_key, org_key):
    user = request.getfixturevalue(target_key)
    before = (user.name, user.org_id, user.status)
    with pytest.raises(NotAllowed):
        edit(secretary, user, tree[org_key], name="改过的名字")
    db.session.expire_all()
    assert (user.name, user.org_id, user.status) == before
    assert audit_rows() == []


@pytest.mark.parametrize("changes, message", [
    ({"status": "member"}, "党员状态"),
    ({"name": "  "}, "姓名"),
])
def test_update_member_validates(secretary, member, tree, changes, message):
    with pytest.raises(ValidationFailed, match=message):
        edit(secretary, member, tree["a1"], **changes)


# ---- password resets --------------------------------------------------------------------------

def test_secretary_resets_own_member(secretary, member):
    for _ in range(5):
        with pytest.raises(SignInFailed):
            authenticate(member.phone, "not-the-password")
    assert lock_of(member) is not None
    token = member.session_token
    code = services.reset_password(secretary, member, ip="10.5.5.5")
    assert len(code) == 10 and verify_password(member.password_hash, code)
    assert not verify_password(member.password_hash, PASSWORD)
    assert member.must_change_password and member.session_token != token
    assert lock_of(member) is None
    row = audit_rows()[-1]
    assert (row.action, row.target, row.actor_id, row.ip) == \
        ("auth.password_reset", member.phone, secretary.id, "10.5.5.5")
    assert code not in row.detail


@pytest.fixture
def town_secretary(make_user, tree):
    """Belongs to branch A but is secretary of the whole town."""
    return make_user("镇书记", org=tree["a"], roles=[("secretary", tree["town"])])


@pytest.mark.parametrize("target_key", ["member_b", "secretary_b", "admin", "town_secretary",
                                        "admin_in_a"])
def test_reset_password_out_of_scope_is_refused(request, secretary, make_user, tree,
                                                target_key):
    """Nobody gets a code for an account with more authority than their own (escalation)."""
    if target_key == "admin_in_a":
        target = make_user("挂在甲村的管理员", org=tree["a"], is_admin=True)
    else:
        target = request.getfixturevalue(target_key)
    before = target.password_hash
    with pytest.raises(NotAllowed):
        services.reset_password(secretary, target)
    db.session.expire_all()
    assert target.password_hash == before and not target.must_change_password
    assert audit_rows() == []


def test_reset_password_needs_the_capability(make_user, member, tree):
    deputy = make_user("副书记", org=tree["a"], roles=[("deputy", tree["a"])])
    with pytest.raises(NotAllowed):
        services.reset_password(deputy, member)


def test_admin_resets_anybody(admin, member_b, town_secretary, make_user):
    other_admin = make_user("另一位管理员", status=None, is_admin=True)
    for user in (member_b, town_secretary, other_admin):
        code = services.reset_password(admin, user)
        assert verify_password(user.password_hash, code)


# ---- the audit trail of every write -----------------------------------------------------------

def _create(actor, t, users):
    services.create_org(actor, name="第二小组", kind="group", code="A-2", parent=t["a"],
                        ip="10.9.9.9")


def _rename(actor, t, users):
    services.rename_org(actor, t["a1"], "新名字", ip="10.9.9.9")


def _move(actor, t, users):
    services.move_org(actor, t["a1"], t["b"], ip="10.9.9.9")


def _grant(actor, t, users):
    services.grant_role(actor, users["member"], t["a1"], "group_leader", ip="10.9.9.9")


def _revoke(actor, t, users):
    membership = db.session.scalar(select(Membership).where(
        Membership.user_id == users["secretary"].id))
    services.revoke_role(actor, membership, ip="10.9.9.9")


def _update(actor, t, users):
    edit(actor, users["member"], t["a1"], ip="10.9.9.9", status="probationary")


def _reset(actor, t, users):
    services.reset_password(actor, users["member"], ip="10.9.9.9")


@pytest.mark.parametrize("write, action, target", [
    (_create, "org.create", "A-2 第二小组"),
    (_rename, "org.rename", "A-1"),
    (_move, "org.move", "A-1"),
    (_grant, "role.grant", "{member} group_leader@A-1"),
    (_revoke, "role.revoke", "{secretary} secretary@A"),
    (_update, "member.update", "{member}"),
    (_reset, "auth.password_reset", "{member}"),
])
def test_every_write_is_audited_with_time_actor_action_target_ok_ip(
        admin, secretary, member, tree, write, action, target):
    users = {"member": member, "secretary": secretary}
    before = utcnow()
    write(admin, tree, users)
    row = audit_rows()[-1]
    assert before - timedelta(seconds=1) <= row.at <= utcnow() + timedelta(seconds=1)
    assert (row.actor_id, row.actor_label) == (admin.id, f"{admin.phone} {admin.name}")
    assert row.action == action
    assert row.target == target.format(member=member.phone, secretary=secretary.phone)
    assert (row.ok, row.ip) == (True, "10.9.9.9")


# ---- protections on people (issue 14, findings 1 and 2) -------------------------------------

def test_nobody_grants_a_role_to_themselves(secretary, admin, tree):
    """A secretary appointing himself 讲师 on his branch is how he would author for it."""
    for actor, org in ((secretary, tree["a"]), (admin, tree["county"])):
        with pytest.raises(NotAllowed):
            services.grant_role(actor, actor, org, "trainer")
    assert db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.role == "trainer")) == 0
    # each refusal is kept in the audit log, as a failure
    assert [(r.action, r.ok) for r in audit_rows()] == [("role.grant", False)] * 2


@pytest.fixture
def county_organiser(make_user, tree):
    return make_user("县组织委员", org=tree["county"], roles=[("organizer", tree["county"])])


@pytest.mark.parametrize("target_key", ["admin", "peer", "self", "county_secretary"])
def test_member_editing_keeps_away_from_the_protected(request, make_user, tree,
                                                      county_organiser, target_key):
    """A county organiser once renamed the administrator, changed his status, marked him exempt
    and moved him into a 党小组. The same rules as a password reset now hold."""
    if target_key == "admin":
        target = make_user("管理员", org=tree["county"], is_admin=True)
    elif target_key == "peer":
        target = make_user("县宣传委员", org=tree["county"],
                           roles=[("propaganda", tree["county"])])
    elif target_key == "county_secretary":
        target = make_user("县委书记", org=tree["a"], roles=[("secretary", tree["county"])])
    else:
        target = county_organiser
    before = (target.name, target.status, target.is_exempt, target.org_id)
    with pytest.raises(NotAllowed):
        edit(county_organiser, target, tree["a1"], name="改名", status="probationary",
             is_exempt=True, exempt_reason="随便")
    db.session.expire_all()
    assert (target.name, target.status, target.is_exempt, target.org_id) == before
    assert audit_rows() == []


def test_member_editing_still_reaches_those_below(make_user, tree, county_organiser, secretary,
                                                  member):
    """The county organiser edits a branch secretary and an ordinary member as before."""
    for user in (secretary, member):
        edit(county_organiser, user, tree["a"], status="probationary")
        assert user.status == "probationary"


def test_a_fellow_secretary_of_the_same_node_is_out_of_reach(make_user, secretary, member,
                                                             tree):
    """A role at the actor's own node is out of reach: no taking over a fellow 支委."""
    other = make_user("另一位书记", org=tree["a"], roles=[("secretary", tree["a"])])
    with pytest.raises(NotAllowed):
        services.reset_password(other, secretary)
    assert not services.reaches(secretary, secretary, "reset_passwords")
    assert services.reaches(other, member, "reset_passwords")
