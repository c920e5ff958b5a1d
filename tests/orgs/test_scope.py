"""A secretary of branch A can neither see nor change anything of branch B.

The routes are generated from ``app.url_map``: every rule under /orgs with an ``<int:…>`` part
is tried with another branch's objects, so a new route is covered the day it is added.
"""
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lms import create_app
from lms.auth.models import User
from lms.extensions import db
from lms.orgs.models import Membership, Organization
from tests.helpers import sign_in_with_csrf

INT_ARG = re.compile(r"<int:(\w+)>")


def _id_routes() -> list[tuple[str, str]]:
    """(method, rule) for every /orgs rule taking an integer id; the url map needs no database."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/orgs") and INT_ARG.search(rule.rule):
            found += [(m, rule.rule) for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(found, key=lambda r: (r[1], r[0]))


ID_ROUTES = _id_routes()

#: every field any orgs form has, and then some: whatever a route reads, it gets something
FORM = {"name": "越权改名", "kind": "group", "code": "EVIL", "phone": "13712345678",
        "status": "full", "role": "secretary", "is_mobile": "y", "mobile_where": "外地",
        "is_exempt": "y", "exempt_reason": "越权", "filename": "x.csv", "token": "0" * 32}


def snapshot() -> dict:
    """Everything the orgs pages could change (the audit log aside)."""
    db.session.expire_all()
    return {
        "orgs": db.session.execute(select(
            Organization.id, Organization.parent_id, Organization.name, Organization.code,
            Organization.path, Organization.depth).order_by(Organization.id)).all(),
        "users": db.session.execute(select(
            User.id, User.name, User.phone, User.status, User.org_id, User.password_hash,
            User.session_token, User.is_admin, User.is_mobile, User.mobile_where,
            User.is_exempt).order_by(User.id)).all(),
        "memberships": db.session.execute(select(
            Membership.id, Membership.user_id, Membership.org_id, Membership.role)
            .order_by(Membership.id)).all(),
    }


@pytest.fixture
def world(tree, secretary, secretary_b, member, member_b, make_user):
    """A's secretary signs in; objects of B and of the town above A to aim at."""
    town_member = make_user("镇干部", org=tree["town"], roles=[("secretary", tree["town"])])
    membership = {u.id: db.session.scalar(select(Membership).where(Membership.user_id == u.id))
                  for u in (secretary, secretary_b, town_member)}
    return {
        "own": {"org_id": tree["a"].id, "user_id": member.id,
                "membership_id": membership[secretary.id].id},
        "branch B": {"org_id": tree["b"].id, "user_id": member_b.id,
                     "membership_id": membership[secretary_b.id].id},
        "town above": {"org_id": tree["town"].id, "user_id": town_member.id,
                       "membership_id": membership[town_member.id].id},
        "tree": tree,
    }


def url_for_rule(rule: str, ids: dict) -> str:
    def fill(match):
        name = match.group(1)
        if name not in ids:
            pytest.fail(f"{rule}: no object for <{name}>; add one to world() in test_scope.py")
        return str(ids[name])

    return INT_ARG.sub(fill, rule)


def test_the_route_list_is_generated():
    rules = {rule for _method, rule in ID_ROUTES}
    assert {"/orgs/<int:org_id>", "/orgs/members/<int:user_id>",
            "/orgs/roles/<int:membership_id>/revoke", "/orgs/<int:org_id>/roster.xlsx"} <= rules
    assert ("POST", "/orgs/members/<int:user_id>") in ID_ROUTES


@pytest.mark.parametrize("target", ["branch B", "town above"])
@pytest.mark.parametrize("method, rule", ID_ROUTES)
def test_secretary_a_cannot_reach_others(client, login, world, secretary, method, rule,
                                         target):
    login(secretary)
    ids = world[target]
    before = snapshot()
    url = url_for_rule(rule, ids)
    data = {**FORM, "org": world["tree"]["a"].id, "parent": world["tree"]["a"].id}
    response = client.open(url, method=method, data=data if method == "POST" else None)
    assert response.status_code in (403, 404), (method, url, response.status_code)
    body = response.get_data(as_text=True)
    for other in ("乙村", "李四", "赵书记", "镇干部"):
        assert other not in body
    assert snapshot() == before


@pytest.mark.parametrize("method, rule", ID_ROUTES)
def test_the_same_routes_work_on_own_objects(client, login, world, secretary, method, rule):
    """The control: the URLs above are real, so a 404 there means 'not yours', not 'no page'."""
    login(secretary)
    url = url_for_rule(rule, world["own"])
    data = {"name": "甲村新名", "parent": world["tree"]["a"].id}  # A under A: refused, 302
    response = client.open(url, method=method, data=data if method == "POST" else None)
    assert response.status_code in (200, 302), (method, url, response.status_code)


@pytest.mark.parametrize("field, target", [
    ("parent", "b"),     # moving A's group under B
    ("parent", "town"),  # or above A
])
def test_move_target_outside_scope_is_refused(client, login, world, secretary, field, target):
    login(secretary)
    tree = world["tree"]
    before = snapshot()
    response = client.post(f"/orgs/{tree['a1'].id}/move", data={field: tree[target].id})
    assert response.status_code == 404
    assert snapshot() == before


def test_org_field_outside_scope_is_refused_on_member_edit(client, login, world, secretary,
                                                          member):
    login(secretary)
    before = snapshot()
    client.post(f"/orgs/members/{member.id}",
                data={"name": member.name, "status": "full", "org": world["tree"]["b"].id})
    assert snapshot() == before


def test_role_on_a_node_outside_scope_is_refused(client, login, world, secretary, member):
    login(secretary)
    before = snapshot()
    for org_key in ("b", "town"):
        client.post(f"/orgs/members/{member.id}/roles",
                    data={"role": "secretary", "org": world["tree"][org_key].id})
    assert snapshot() == before


def _post_rules() -> list[str]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    return sorted(r.rule for r in app.url_map.iter_rules()
                  if r.rule.startswith("/orgs") and "POST" in r.methods)


def test_every_orgs_post_needs_a_csrf_token(app_factory, world, secretary):
    """With CSRF on, a POST without the token is 400 and changes nothing, on own objects too."""
    ids = dict(world["own"])
    data = {"name": "甲村新名", "parent": ids["org_id"], "kind": "group", "code": "A-9",
            "phone": "13712345678", "status": "full", "org": ids["org_id"], "role": "deputy",
            "token": "0" * 32, "filename": "x.csv"}
    csrf_app = app_factory(WTF_CSRF_ENABLED=True)
    with csrf_app.app_context():
        client = csrf_app.test_client()
        sign_in_with_csrf(client, secretary)
        before = snapshot()
        for rule in _post_rules():
            response = client.post(url_for_rule(rule, ids), data=data)
            assert response.status_code == 400, (rule, response.status_code)
        assert snapshot() == before


# ---- lists, search and export show A's rows only ----------------------------------------------

@pytest.fixture
def crowd(world, make_user):
    """More people in both branches, B's with names and numbers that search terms could hit."""
    tree = world["tree"]
    for i in range(7):
        make_user(f"甲村党员{i}", org=tree["a1" if i % 2 else "a"], phone=f"1380000{i:04d}")
    for i in range(9):
        make_user(f"乙村党员{i}", org=tree["b"], phone=f"1381000{i:04d}")
    make_user("镇上的人", org=tree["town"])
    return world


def count_in(org: Organization) -> int:
    """Direct SQL: members whose branch lies in ``org``'s subtree."""
    return db.session.scalar(
        select(func.count(User.id)).join(Organization, User.org_id == Organization.id)
        .where(Organization.path.like(org.path + "%")))


def listed(html: str) -> list[str]:
    """Member names in the org page's table."""
    return re.findall(r'<a href="/orgs/members/\d+">([^<]*)</a>', html)


def b_phones() -> set[str]:
    return set(db.session.scalars(select(User.phone).join(
        Organization, User.org_id == Organization.id).where(Organization.code == "B")))


@pytest.mark.parametrize("q", ["", "党员", "138", "1381000", "乙村", "李四", "%", "_"])
def test_member_list_and_search_show_only_a(client, login, crowd, secretary, q):
    login(secretary)
    tree = crowd["tree"]
    html = client.get(f"/orgs/{tree['a'].id}", query_string={"q": q}).get_data(as_text=True)
    names = listed(html)
    assert not [n for n in names if "乙村" in n or n in ("李四", "赵书记", "镇上的人")]
    assert not [p for p in b_phones() if p in html]
    if q == "":
        assert len(names) == count_in(tree["a"]) == 9
        assert f"共 {count_in(tree['a'])} 人" in html


def test_search_matching_everyone_counts_like_sql(client, login, crowd, secretary):
    login(secretary)
    tree = crowd["tree"]
    html = client.get(f"/orgs/{tree['a'].id}?q=13").get_data(as_text=True)
    assert len(listed(html)) == count_in(tree["a"])


def test_roster_export_has_only_a_rows(client, login, crowd, secretary):
    login(secretary)
    tree = crowd["tree"]
    response = client.get(f"/orgs/{tree['a'].id}/roster.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == count_in(tree["a"])
    assert {r[3] for r in rows} <= {"A", "A-1"}
    assert not {r[1] for r in rows} & b_phones()


def test_tree_page_shows_only_own_subtree(client, login, world, secretary):
    login(secretary)
    html = client.get("/orgs/").get_data(as_text=True)
    assert "甲村党支部" in html and "甲村第一党小组" in html
    for other in ("乙村党支部", "测试镇党委", "测试县委"):
        assert other not in html


def test_member_page_offers_only_own_nodes(client, login, world, secretary, member):
    login(secretary)
    html = client.get(f"/orgs/members/{member.id}").get_data(as_text=True)
    options = set(re.findall(r'<option[^>]*value="(\d+)"', html))
    tree = world["tree"]
    assert {str(tree["a"].id), str(tree["a1"].id)} <= options
    assert not options & {str(tree[k].id) for k in ("b", "town", "county")}


def test_a_sibling_whose_id_starts_with_a_digits_is_not_in_scope(client, login, tree, make_org,
                                                                 make_user, secretary):
    """Paths end in "/": branch 3's scope "/1/2/3/" must not take in branch 31 ("/1/2/31/")."""
    a_id = str(tree["a"].id)
    sibling = None
    for i in range(200):
        org = make_org(f"S{i}", "branch", tree["town"], name=f"邻村{i}")
        if str(org.id).startswith(a_id) and org.id != tree["a"].id:
            sibling = org
            break
    assert sibling is not None and sibling.path.startswith(tree["town"].path + a_id)
    neighbour = make_user("邻村党员", org=sibling)
    login(secretary)
    assert client.get(f"/orgs/{sibling.id}").status_code == 404
    assert client.get(f"/orgs/members/{neighbour.id}").status_code == 404
    assert "邻村党员" not in client.get(f"/orgs/{tree['a'].id}?q=邻村").get_data(as_text=True)


# ---- mass assignment --------------------------------------------------------------------------

def test_extra_fields_on_add_member_change_nothing(client, login, world, secretary):
    login(secretary)
    tree = world["tree"]
    client.post(f"/orgs/{tree['a'].id}/members", data={
        "name": "新党员", "phone": "13712340000", "status": "full",
        "is_admin": "y", "org": tree["b"].id, "org_id": tree["b"].id, "role": "secretary",
        "must_change_password": "", "password_hash": "x", "active": "y"})
    user = db.session.scalar(select(User).where(User.phone == "13712340000"))
    assert (user.org_id, user.is_admin, user.must_change_password) == (tree["a"].id, False, True)
    assert db.session.scalar(select(Membership).where(Membership.user_id == user.id)) is None


def test_extra_fields_on_member_edit_change_nothing(client, login, world, secretary, member):
    login(secretary)
    client.post(f"/orgs/members/{member.id}", data={
        "name": "张三", "status": "full", "org": world["tree"]["a1"].id,
        "is_admin": "y", "role": "secretary", "phone": "13700000000",
        "org_id": world["tree"]["b"].id, "password_hash": "x", "session_token": "x"})
    db.session.expire_all()
    assert (member.is_admin, member.phone, member.org_id) == \
        (False, member.phone, world["tree"]["a1"].id)
    assert member.session_token != "x" and member.password_hash != "x"
    assert db.session.scalar(select(Membership).where(Membership.user_id == member.id)) is None


def test_extra_fields_on_rename_and_create_change_nothing(client, login, world, secretary):
    login(secretary)
    tree = world["tree"]
    client.post(f"/orgs/{tree['a'].id}/rename", data={
        "name": "甲村新名", "code": "B2", "parent_id": tree["b"].id, "kind": "county",
        "path": "/", "depth": "0"})
    client.post(f"/orgs/{tree['a'].id}/children", data={
        "name": "第二小组", "kind": "group", "code": "A-2", "parent_id": tree["b"].id,
        "parent": tree["b"].id, "path": tree["b"].path})
    db.session.expire_all()
    a = tree["a"]
    assert (a.name, a.code, a.parent_id, a.kind, a.depth) == \
        ("甲村新名", "A", tree["town"].id, "branch", 2)
    child = db.session.scalar(select(Organization).where(Organization.code == "A-2"))
    assert child.parent_id == a.id and child.path == f"{a.path}{child.id}/"


def test_admin_role_cannot_be_granted_by_a_secretary_over_http(client, login, world, secretary,
                                                               member):
    login(secretary)
    before = snapshot()
    client.post(f"/orgs/members/{member.id}/roles",
                data={"role": "admin", "org": world["tree"]["a"].id, "is_admin": "y"})
    assert snapshot() == before


# ---- who may open /orgs at all ----------------------------------------------------------------

@pytest.mark.parametrize("who, status", [
    ("member", 403), ("trainer", 403), ("secretary", 200), ("admin", 200),
])
def test_orgs_index_by_role(request, client, login, tree, who, status):
    login(request.getfixturevalue(who))
    assert client.get("/orgs/").status_code == status


def test_plain_member_gets_403_on_own_branch_too(client, login, member, tree):
    login(member)
    assert client.get(f"/orgs/{tree['a1'].id}").status_code == 403
    assert client.get(f"/orgs/members/{member.id}").status_code == 403


def test_anonymous_is_sent_to_sign_in(client, tree):
    response = client.get("/orgs/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
