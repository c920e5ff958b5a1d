"""The orgs pages: tree, org page with search and paging, member pages, stored XSS, query cost."""
import csv
import io
import re

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from lms.audit.models import AuditLog
from lms.auth.models import User
from lms.auth.passwords import verify_password
from lms.auth.services import authenticate
from lms.extensions import db
from lms.orgs import services
from lms.orgs.models import Membership, Organization
from lms.orgs.roster import COLUMNS
from tests.helpers import PASSWORD


def member_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<a href="/orgs/members/(\d+)">', html)]


def flashed_code(html: str) -> str:
    match = re.search(r"一次性登录码：([a-z0-9]{10})", html)
    assert match, "no one-time code shown"
    return match.group(1)


# ---- tree -------------------------------------------------------------------------------------

def test_tree_page_shows_the_tree_in_order_with_levels(client, login, admin, tree):
    login(admin)
    html = client.get("/orgs/").get_data(as_text=True)
    shown = re.findall(r'<li class="level-(\d)">\s*<a href="/orgs/(\d+)">', html)
    expected = sorted(tree.values(), key=lambda o: o.path)
    assert [(int(level), int(org_id)) for level, org_id in shown] == \
        [(o.depth, o.id) for o in expected]
    assert "导入花名册" in html


def test_tree_page_of_a_secretary_starts_at_the_branch(client, login, secretary, tree):
    login(secretary)
    html = client.get("/orgs/").get_data(as_text=True)
    shown = re.findall(r'<li class="level-(\d)">\s*<a href="/orgs/(\d+)">', html)
    assert shown == [("0", str(tree["a"].id)), ("1", str(tree["a1"].id))]


def test_a_viewer_without_import_right_sees_no_import_button(client, login, make_user, tree):
    login(make_user("纪检委员", org=tree["a"], roles=[("discipline", tree["a"])]))
    html = client.get("/orgs/").get_data(as_text=True)
    assert "导入花名册" not in html and "甲村党支部" in html


# ---- org page: search and paging --------------------------------------------------------------

@pytest.fixture
def villagers(make_user, tree, member):
    made = [make_user(n, org=tree["a"], phone=p) for n, p in [
        ("李建国", "13611112222"), ("李建军", "13633334444"), ("王秀英", "13655556666"),
        ("百分之百%", "13677778888")]]
    return [member, *made]


@pytest.mark.parametrize("q, names", [
    ("", {"张三", "李建国", "李建军", "王秀英", "百分之百%", "王书记"}),
    ("李建", {"李建国", "李建军"}),
    ("秀", {"王秀英"}),
    ("3333", {"李建军"}),
    ("136555", {"王秀英"}),
    ("  王秀英  ", {"王秀英"}),
    ("%", {"百分之百%"}),   # LIKE wildcards are matched literally
    ("_", set()),
    ("赵", set()),
])
def test_member_search_by_name_or_phone_fragment(client, login, secretary, villagers, tree,
                                                 q, names):
    login(secretary)
    html = client.get(f"/orgs/{tree['a'].id}", query_string={"q": q}).get_data(as_text=True)
    shown = {db.session.get(User, i).name for i in member_ids(html)}
    assert shown == names
    if not names:
        assert "没有找到党员。" in html


def test_paging_covers_every_member_once(client, login, admin, make_user, tree):
    """Sixty people, many with the same name (common in a village): two pages, no one twice."""
    for i in range(60):
        make_user("王伟" if i % 2 else f"党员{i:02d}", org=tree["a1" if i % 3 else "a"])
    everyone = set(db.session.scalars(select(User.id).where(User.org_id.in_(
        [tree["a"].id, tree["a1"].id]))))
    login(admin)
    first = client.get(f"/orgs/{tree['a'].id}?page=1").get_data(as_text=True)
    second = client.get(f"/orgs/{tree['a'].id}?page=2").get_data(as_text=True)
    ids = member_ids(first) + member_ids(second)
    assert len(member_ids(first)) == 50 and len(ids) == len(set(ids)) == len(everyone) == 60
    assert set(ids) == everyone
    assert "第 1 / 2 页" in first and "page=2" in first
    assert "第 2 / 2 页" in second and "page=1" in second
    # past the end is clamped to the last page, and nonsense to the first
    assert member_ids(client.get(f"/orgs/{tree['a'].id}?page=99").get_data(as_text=True)) == \
        member_ids(second)
    assert member_ids(client.get(f"/orgs/{tree['a'].id}?page=x").get_data(as_text=True)) == \
        member_ids(first)


def test_namesakes_are_paged_in_a_stable_order(client, login, admin, tree):
    """Equal sort keys may come back in any order, and PostgreSQL does reorder them between
    LIMIT/OFFSET queries (at about 250 rows): without a unique tie-breaker one 王伟 was listed
    twice and another never."""
    db.session.add_all([User(phone=f"136{i:08d}", name="王伟", org_id=tree["a"].id,
                             password_hash="x") for i in range(260)])
    db.session.commit()
    login(admin)
    ids = []
    for page in range(1, 7):
        ids += member_ids(client.get(f"/orgs/{tree['a'].id}?page={page}").get_data(as_text=True))
    assert len(ids) == len(set(ids)) == 260


def test_search_is_kept_across_pages(client, login, admin, make_user, tree):
    for i in range(55):
        make_user(f"刘{i:02d}", org=tree["a"])
    make_user("陈某", org=tree["a"])
    login(admin)
    html = client.get(f"/orgs/{tree['a'].id}?q=刘").get_data(as_text=True)
    assert "共 55 人" in html and "q=%E5%88%98" in html


def test_org_page_shows_flags_and_children(client, login, admin, make_user, tree):
    make_user("外出务工", org=tree["a"], is_mobile=True, mobile_where="广东")
    make_user("卧床老人", org=tree["a"], is_exempt=True, exempt_reason="年老")
    login(admin)
    html = client.get(f"/orgs/{tree['a'].id}").get_data(as_text=True)
    assert "流动" in html and "免硬性要求" in html
    assert f'href="/orgs/{tree["a1"].id}"' in html


def test_unknown_org_is_404(client, login, admin, tree):
    login(admin)
    assert client.get("/orgs/999999").status_code == 404
    assert client.get("/orgs/members/999999").status_code == 404


# ---- adding and editing members ---------------------------------------------------------------

def test_add_member_flashes_a_one_time_code(client, login, secretary, tree):
    login(secretary)
    response = client.post(f"/orgs/{tree['a1'].id}/members", follow_redirects=True,
                           data={"name": "新来的", "phone": "+86 137 1234 5678",
                                 "status": "probationary"})
    html = response.get_data(as_text=True)
    code = flashed_code(html)
    user = db.session.scalar(select(User).where(User.phone == "13712345678"))
    assert (user.name, user.status, user.org_id) == ("新来的", "probationary", tree["a1"].id)
    assert user.must_change_password and verify_password(user.password_hash, code)
    # shown once: the next page does not repeat it
    assert code not in client.get(f"/orgs/{tree['a1'].id}").get_data(as_text=True)
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "user.create")).one()
    assert (row.actor_id, row.target) == (secretary.id, "13712345678")
    assert code not in row.detail


@pytest.mark.parametrize("data, message", [
    ({"name": "某人", "phone": "12345"}, "不是 11 位大陆手机号"),
    ({"name": "某人", "phone": "{member}"}, "已有账户"),
    ({"name": "", "phone": "13712345678"}, "请填写姓名和手机号"),
])
def test_add_member_refuses_bad_input(client, login, secretary, member, tree, data, message):
    login(secretary)
    data = {k: v.format(member=member.phone) for k, v in data.items()}
    before = db.session.scalar(select(func.count(User.id)))
    html = client.post(f"/orgs/{tree['a'].id}/members", data={**data, "status": "full"},
                       follow_redirects=True).get_data(as_text=True)
    assert message in html
    assert db.session.scalar(select(func.count(User.id))) == before


def test_edit_member(client, login, secretary, member, tree):
    login(secretary)
    page = client.get(f"/orgs/members/{member.id}").get_data(as_text=True)
    assert 'value="张三"' in page and "保存" in page
    response = client.post(f"/orgs/members/{member.id}", data={
        "name": "张三", "status": "probationary", "org": tree["a"].id, "is_mobile": "y",
        "mobile_where": "浙江义乌", "mobile_contact": "李会计", "is_exempt": "",
        "exempt_reason": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert (member.status, member.org_id, member.is_mobile, member.mobile_where,
            member.mobile_contact) == ("probationary", tree["a"].id, True, "浙江义乌", "李会计")
    row = db.session.scalars(select(AuditLog).where(AuditLog.action == "member.update")).one()
    assert row.actor_id == secretary.id and "浙江义乌" in row.detail


@pytest.mark.parametrize("role, can_edit", [
    ("deputy", True), ("organizer", True), ("discipline", False), ("propaganda", False),
])
def test_who_may_edit_a_member(client, login, make_user, member, tree, role, can_edit):
    login(make_user("班子成员", org=tree["a"], roles=[(role, tree["a"])]))
    page = client.get(f"/orgs/members/{member.id}").get_data(as_text=True)
    assert ("保存" in page) is can_edit
    assert ('disabled' in page) is not can_edit
    response = client.post(f"/orgs/members/{member.id}", data={
        "name": "改名", "status": "full", "org": tree["a1"].id})
    assert response.status_code == (302 if can_edit else 403)
    db.session.expire_all()
    assert (member.name == "改名") is can_edit


def test_reset_password_from_the_member_page(client, login, secretary, member):
    login(secretary)
    html = client.post(f"/orgs/members/{member.id}/reset-password",
                       follow_redirects=True).get_data(as_text=True)
    code = flashed_code(html)
    db.session.expire_all()
    assert verify_password(member.password_hash, code) and member.must_change_password


def test_refused_reset_flashes_an_error_and_no_code(client, login, secretary, make_user, tree):
    """The button shows for a member of A; the service still refuses one who outranks A."""
    town_secretary = make_user("镇书记", org=tree["a"], roles=[("secretary", tree["town"])])
    before = town_secretary.password_hash
    login(secretary)
    response = client.post(f"/orgs/members/{town_secretary.id}/reset-password",
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "没有权限" in html and "一次性登录码：" not in html
    db.session.expire_all()
    assert town_secretary.password_hash == before


def test_grant_and_revoke_from_the_member_page(client, login, secretary, member, tree):
    login(secretary)
    client.post(f"/orgs/members/{member.id}/roles",
                data={"role": "group_leader", "org": tree["a1"].id})
    membership = db.session.scalar(select(Membership).where(Membership.user_id == member.id))
    assert (membership.role, membership.org_id) == ("group_leader", tree["a1"].id)
    assert "党小组长" in client.get(f"/orgs/members/{member.id}").get_data(as_text=True)
    client.post(f"/orgs/roles/{membership.id}/revoke")
    assert db.session.scalar(select(Membership).where(Membership.user_id == member.id)) is None


def test_create_rename_and_move_from_the_org_page(client, login, admin, tree):
    login(admin)
    client.post(f"/orgs/{tree['a'].id}/children",
                data={"name": "第二小组", "kind": "group", "code": "A-2"})
    group = db.session.scalar(select(Organization).where(Organization.code == "A-2"))
    assert group.path == f"{tree['a'].path}{group.id}/"
    client.post(f"/orgs/{group.id}/rename", data={"name": "老年党小组"})
    client.post(f"/orgs/{group.id}/move", data={"parent": tree["b"].id})
    db.session.expire_all()
    assert (group.name, group.parent_id, group.path) == \
        ("老年党小组", tree["b"].id, f"{tree['b'].path}{group.id}/")
    html = client.post(f"/orgs/{tree['a'].id}/children", follow_redirects=True,
                       data={"name": "重复", "kind": "group", "code": "A-2"}) \
        .get_data(as_text=True)
    assert "已被使用" in html


# ---- stored XSS -------------------------------------------------------------------------------

PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
            "'><svg onload=alert(1)>"]


@pytest.fixture
def poisoned(request, make_org, make_user, tree):
    """A 党小组, a member and their details, all carrying the payload."""
    payload = request.param
    group = make_org("XSS", "group", tree["a"], name=payload[:80])
    victim = make_user(payload[:60], org=group, is_mobile=True, mobile_where=payload,
                       mobile_contact=payload[:60], is_exempt=True, exempt_reason=payload,
                       roles=[("group_leader", group)])
    return {"payload": payload, "group": group, "victim": victim, **tree}


#: every role that may view members (ROLE_CAPABILITIES), and where it is held
VIEWERS = {
    "admin": None, "secretary": "a", "deputy": "a", "organizer": "a", "propaganda": "a",
    "discipline": "a", "group_leader": "group",
}


@pytest.mark.parametrize("poisoned", PAYLOADS, indirect=True)
@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_payloads_render_escaped_for_every_role(app, login, make_user, admin, poisoned, viewer):
    if viewer == "admin":
        user = admin
    else:
        node = poisoned[VIEWERS[viewer]]
        user = make_user(f"看的人{viewer}", org=node, roles=[(viewer, node)])
    client = app.test_client()
    login(user, the_client=client)
    payload = poisoned["payload"]
    pages = ["/orgs/", f"/orgs/{poisoned['group'].id}", f"/orgs/members/{poisoned['victim'].id}"]
    if viewer != "group_leader":
        pages.append(f"/orgs/{poisoned['a'].id}")
    for url in pages:
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert payload not in html and "<img src=x" not in html and "<svg" not in html, url
        assert "<script>alert" not in html, url
        assert str(escape(payload)) in html, url  # it is there, as text
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("poisoned", PAYLOADS, indirect=True)
def test_payloads_render_escaped_on_the_audit_page(app, login, admin, poisoned):
    victim, payload = poisoned["victim"], poisoned["payload"]
    # the name lands in actor_label (signed in through the service: in tests every request
    # shares the test's app context, so a second sign-in over HTTP would keep the first user)
    authenticate(victim.phone, PASSWORD)
    services.rename_org(admin, poisoned["a"], payload[:80])  # and in a detail/target
    services.create_org(admin, name=payload[:80], kind="group", code="XSS2",
                        parent=poisoned["a"])
    client = app.test_client()
    login(admin, the_client=client)
    html = client.get("/audit/").get_data(as_text=True)
    assert payload not in html and "<img src=x" not in html and "<svg" not in html
    assert str(escape(payload)) in html
    filtered = client.get("/audit/", query_string={"actor": payload}).get_data(as_text=True)
    assert payload not in filtered and str(escape(payload)) in filtered


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_in_add_member_flash_and_import_preview_is_escaped(client, login, secretary,
                                                                   tree, payload):
    login(secretary)
    html = client.post(f"/orgs/{tree['a'].id}/members", follow_redirects=True,
                       data={"name": payload[:60], "phone": "13712345678", "status": "full"}) \
        .get_data(as_text=True)
    assert payload not in html and str(escape(payload[:60])) in html
    for rows in ([[payload, "13712345679", "正式党员", "A", ""]],           # the preview list
                 [[payload, "13712345679", "正式党员", "A", ""],
                  ["坏号码", payload, payload, payload, payload]]):       # the problem list
        out = io.StringIO()
        csv.writer(out).writerows([COLUMNS, *rows])
        html = client.post("/orgs/roster/import", content_type="multipart/form-data", data={
            "file": (io.BytesIO(out.getvalue().encode()), "r.csv")}).get_data(as_text=True)
        assert payload not in html and "<img src=x" not in html and "<svg" not in html
        assert str(escape(payload)) in html


# ---- query cost -------------------------------------------------------------------------------

def test_org_page_query_count_does_not_grow_with_members(client, login, secretary, make_user,
                                                         tree, count_queries):
    def add(n, start):
        for i in range(start, start + n):
            make_user(f"党员{i:03d}", org=tree["a1" if i % 2 else "a"], is_mobile=i % 5 == 0,
                      roles=[("group_leader", tree["a1"])] if i % 7 == 0 else ())

    url = f"/orgs/{tree['a'].id}"
    add(5, 0)
    login(secretary)
    client.get(url)  # warm up
    # requests share the test's session: end its transaction (which expires everything) so
    # each measured request begins and loads what it would in production
    db.session.rollback()
    with count_queries() as few:
        assert client.get(url).status_code == 200
    add(55, 5)
    db.session.rollback()
    with count_queries() as many:
        html = client.get(url).get_data(as_text=True)
    assert len(member_ids(html)) == 50
    assert many[0] == few[0], (few[0], many[0])


def test_a_secretary_cannot_appoint_himself_trainer(client, login, secretary, tree):
    """The first step of minting 学时: appoint oneself 讲师 on one's own branch."""
    login(secretary)
    html = client.post(f"/orgs/members/{secretary.id}/roles",
                       data={"org": tree["a"].id, "role": "trainer"},
                       follow_redirects=True).get_data(as_text=True)
    assert "不能给自己任命职务" in html
    assert db.session.scalar(select(Membership).where(Membership.role == "trainer")) is None
