"""The roster: parsing bad files, all-or-nothing imports, the upload → preview → confirm flow,
and the export (its columns, its round trip, formula injection)."""
import io
import re
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from lms.audit.models import AuditLog
from lms.auth.models import User
from lms.auth.passwords import verify_password
from lms.core.errors import NotAllowed, ValidationFailed
from lms.extensions import db
from lms.orgs.models import Membership
from lms.orgs.roster import COLUMNS, export_roster, import_roster, parse_roster

HEADER = ",".join(COLUMNS)
STATUSES = "正式党员、预备党员、发展对象、入党积极分子"
ROLES = "书记、副书记、组织委员、宣传委员、纪检委员、党小组长、讲师、管理员"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return "\n".join([header, *rows, ""]).encode(encoding)


def xlsx_bytes(rows: list[list], header: list[str] = COLUMNS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return out.getvalue()


def counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(User.id))),
            db.session.scalar(select(func.count(Membership.id))))


def read_sheet(data: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [tuple("" if v is None else v for v in row) for row in sheet.iter_rows(values_only=True)]


# ---- parse_roster: pure, every problem exact ---------------------------------------------------

GOOD = "王五,13700000001,正式党员,A,"


@pytest.mark.parametrize("data, filename, problems", [
    (csv_bytes("张三,1391234,正式党员,A,"), "r.csv",
     ["row 2: 手机号“1391234”不是 11 位大陆手机号"]),
    (csv_bytes(GOOD, "赵六,13700000002,正式党员,A,", "孙七,13700000001,预备党员,A,"), "r.csv",
     ["row 4: 手机号 13700000001 与第 2 行重复"]),
    (csv_bytes(GOOD, "孙七,+86 137-0000-0001,正式党员,A,"), "r.csv",
     ["row 3: 手机号 13700000001 与第 2 行重复"]),
    (csv_bytes("张三,13700000001,党员,A,"), "r.csv",
     [f"row 2: 党员状态“党员”应为：{STATUSES}"]),
    (csv_bytes("张三,13700000001,正式党员,A,村长"), "r.csv",
     [f"row 2: 职务“村长”应为：{ROLES}"]),
    (csv_bytes("张三,13700000001,正式党员,A,书记、村长"), "r.csv",
     [f"row 2: 职务“村长”应为：{ROLES}"]),
    (csv_bytes(",13700000001,正式党员,A,"), "r.csv", ["row 2: 姓名为空"]),
    (csv_bytes("长" * 61 + ",13700000001,正式党员,A,"), "r.csv", ["row 2: 姓名超过 60 个字"]),
    (csv_bytes("张三,13700000001,正式党员,,"), "r.csv", ["row 2: 所在党组织为空"]),
    (csv_bytes(",123,党员,,"), "r.csv",
     ["row 2: 姓名为空", "row 2: 手机号“123”不是 11 位大陆手机号",
      f"row 2: 党员状态“党员”应为：{STATUSES}", "row 2: 所在党组织为空"]),
    (csv_bytes(GOOD, "", "张三,12,正式党员,A,"), "r.csv",  # a blank line keeps the numbering
     ["row 4: 手机号“12”不是 11 位大陆手机号"]),
    (csv_bytes("张三,1,正式党员,A,", GOOD, "李四,2,正式党员,A,"), "r.csv",
     ["row 2: 手机号“1”不是 11 位大陆手机号", "row 4: 手机号“2”不是 11 位大陆手机号"]),
    (csv_bytes(GOOD, header="姓名,电话,职务"), "r.csv",
     ["row 1: 缺少列：手机号、党员状态、所在党组织（第 1 行应是表头）"]),
    (csv_bytes(GOOD, header="名字,手机号,党员状态,所在党组织"), "r.csv",
     ["row 1: 缺少列：姓名（第 1 行应是表头）"]),
    # neither UTF-8 nor GB18030 (GBK files are read as they are: see test_gbk_rosters_are_read)
    (csv_bytes(GOOD) + b"\xff\x80,1\n", "r.csv",
     ["row 3: 文件不是 UTF-8 编码；请在 Excel 中“另存为”，文件类型选“CSV UTF-8（逗号分隔）”"]),
    (b"", "r.csv", ["row 1: 文件是空的"]),
    (b"", "r.xlsx", ["row 1: 文件是空的"]),
    (csv_bytes(), "r.csv", ["row 2: 文件里没有数据行"]),
    (b"\n" + csv_bytes(GOOD), "r.csv", ["row 1: 第 1 行应是表头，但它是空的"]),
    (PNG, "roster.xlsx", ["row 1: 这不是 xlsx 工作簿，看起来是 PNG 图片"]),
    (PNG, "roster.csv", ["row 1: 这不是CSV 文本文件，看起来是 PNG 图片"]),
    (zip_bytes(), "roster.xlsx", ["row 1: 这是一个普通的 zip 压缩包，不是 xlsx 工作簿"]),
    (csv_bytes(GOOD), "roster.txt", ["row 1: 只能导入 .xlsx 或 .csv 文件"]),
    (csv_bytes(GOOD), "roster", ["row 1: 只能导入 .xlsx 或 .csv 文件"]),
    (xlsx_bytes([["张三", 13700000001, "正式党员", "A", None],
                 ["李四", "1370000", "正式党员", "A", None]]), "r.xlsx",
     ["row 3: 手机号“1370000”不是 11 位大陆手机号"]),
    (xlsx_bytes([["张三", 13700000001, "正式党员", "A", None]], header=["姓名", "手机号"]),
     "r.xlsx", ["row 1: 缺少列：党员状态、所在党组织（第 1 行应是表头）"]),
])
def test_parse_roster_reports_every_bad_row_exactly(data, filename, problems):
    result = parse_roster(data, filename)
    assert result.problems == problems


def test_parse_roster_reads_good_rows():
    data = csv_bytes("王五,+86 137 0000 0001,正式党员,A,书记、组织委员",
                     " 赵六 ,１３７００００００02,,A-1,",
                     "孙七,137-0000-0003,入党积极分子,B,宣传委员；纪检委员")
    result = parse_roster(data, "名册.CSV")
    assert result.problems == []
    assert [(r.row, r.name, r.phone, r.status, r.org_code, r.roles) for r in result.rows] == [
        (2, "王五", "13700000001", "full", "A", ("secretary", "organizer")),
        (3, "赵六", "13700000002", None, "A-1", ()),
        (4, "孙七", "13700000003", "activist", "B", ("propaganda", "discipline")),
    ]


def test_parse_roster_reads_xlsx_with_numeric_phones_and_a_bom_csv():
    xlsx = xlsx_bytes([["王五", 13700000001, "预备党员", "A", "讲师"]])
    bom = "\ufeff".encode() + csv_bytes(GOOD)
    for data, name in ((xlsx, "r.xlsx"), (bom, "r.csv")):
        result = parse_roster(data, name)
        assert result.problems == [] and result.rows[0].phone == "13700000001"


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=400) | st.text(max_size=300).map(str.encode),
       suffix=st.sampled_from([".csv", ".xlsx", ".txt"]))
def test_parse_roster_never_raises(data, suffix):
    result = parse_roster(data, "fuzz" + suffix)
    assert result.problems or result.rows


# ---- import_roster: all or nothing -------------------------------------------------------------

def good_rows(n: int, start: int = 1, code: str = "A") -> list[str]:
    return [f"新党员{i},137{i:08d},正式党员,{code}," for i in range(start, start + n)]


def test_good_import_creates_accounts_with_one_time_codes_and_roles(admin, tree, member):
    data = csv_bytes("王五,13700000001,正式党员,A,书记",
                     "赵六,13700000002,预备党员,A-1,党小组长、宣传委员",
                     f"张三丰,{member.phone},预备党员,A,")
    outcome = import_roster(admin, data, "名册.csv", ip="10.6.6.6")
    assert [(n, p) for n, p, _ in outcome.created] == [("王五", "13700000001"),
                                                       ("赵六", "13700000002")]
    assert outcome.updated == [member.phone] and outcome.problems == []
    for _name, phone, code in outcome.created:
        user = db.session.scalar(select(User).where(User.phone == phone))
        assert len(code) == 10 and verify_password(user.password_hash, code)
        assert user.must_change_password
    roles = db.session.execute(select(User.name, Membership.role).join(
        Membership, Membership.user_id == User.id).order_by(Membership.id)).all()
    assert roles == [("王五", "secretary"), ("赵六", "group_leader"), ("赵六", "propaganda")]
    db.session.expire_all()
    assert (member.name, member.status, member.org_id) == ("张三丰", "probationary", tree["a"].id)
    row = db.session.scalars(select(AuditLog)).one()
    assert (row.action, row.ok, row.ip, row.target) == ("roster.import", True, "10.6.6.6",
                                                        "名册.csv")
    assert all(code not in row.detail for _n, _p, code in outcome.created)


def test_secretary_imports_into_own_branch(secretary, tree, member):
    data = csv_bytes(*good_rows(3, code="A-1"), f"张三,{member.phone},正式党员,A-1,党小组长")
    outcome = import_roster(secretary, data, "r.csv")
    assert len(outcome.created) == 3 and outcome.updated == [member.phone]
    assert db.session.scalar(select(Membership.role).where(Membership.user_id == member.id)) \
        == "group_leader"


def test_reimport_adds_nothing_twice(admin, tree):
    data = csv_bytes("王五,13700000001,正式党员,A,书记")
    import_roster(admin, data, "r.csv")
    before = counts()
    again = import_roster(admin, data, "r.csv")
    assert (again.created, again.updated) == ([], ["13700000001"])
    assert counts() == before


def test_dry_run_writes_nothing_and_shows_no_codes(admin, tree, member):
    before = counts()
    preview = import_roster(admin, csv_bytes(*good_rows(2), f"改名,{member.phone},正式党员,B,"),
                            "r.csv", dry_run=True)
    assert len(preview.created) == 2 and all(code == "" for _n, _p, code in preview.created)
    assert preview.updated == [member.phone]
    assert counts() == before
    db.session.expire_all()
    assert (member.name, member.org_id) == ("张三", tree["a1"].id)
    assert db.session.scalar(select(func.count(AuditLog.id))) == 0


@pytest.fixture
def organizer(make_user, tree):
    """组织委员 of A: may import, may not appoint."""
    return make_user("组织委员", org=tree["a"], roles=[("organizer", tree["a"])])


@pytest.mark.parametrize("actor_key, rows, problems", [
    ("secretary", ["坏号码,123,正式党员,A,", *good_rows(5)],
     ["row 3: 手机号“123”不是 11 位大陆手机号"]),
    ("secretary", [*good_rows(20), "最后一行,137999,正式党员,A,"],
     ["row 23: 手机号“137999”不是 11 位大陆手机号"]),
    ("secretary", [*good_rows(20), "最后一行,13799999999,正式党员,A,县长"],
     [f"row 23: 职务“县长”应为：{ROLES}"]),
    ("secretary", [*good_rows(4), "乙村的人,13799999999,正式党员,B,"],
     ["row 7: 党组织“B”不在您的管理范围内"]),
    ("secretary", [*good_rows(2), "镇上的人,13799999999,正式党员,T1,"],
     ["row 5: 党组织“T1”不在您的管理范围内"]),
    ("admin", [*good_rows(3), "没有的组织,13799999999,正式党员,ZZ,"],
     ["row 6: 没有代码或名称为“ZZ”的党组织"]),
    ("secretary", [*good_rows(2), "李四,{member_b},正式党员,A,"],
     ["row 5: 手机号 {member_b} 属于您管理范围以外的账户"]),
    ("secretary", [*good_rows(2), "管理员,{admin},,A,"],
     ["row 5: 手机号 {admin} 属于您管理范围以外的账户"]),
    ("admin", [*good_rows(2), "管理员,{admin},,A,"],
     ["row 5: 手机号 {admin} 属于您管理范围以外的账户"]),
    ("secretary", [*good_rows(2), "想当管理员,13799999999,正式党员,A,管理员"],
     ["row 5: 只有系统管理员可以设置“管理员”职务"]),
    ("organizer", [*good_rows(2), "想当书记,13799999999,正式党员,A,书记"],
     ["row 5: 您不能在“A”任命职务"]),
    ("secretary", ["坏,1,正式党员,A,", *good_rows(2), "越界,13799999999,正式党员,B,"],
     ["row 3: 手机号“1”不是 11 位大陆手机号", "row 6: 党组织“B”不在您的管理范围内"]),
])
def test_any_bad_row_writes_nothing(request, tree, admin, secretary, member, member_b,
                                    actor_key, rows, problems):
    actor = request.getfixturevalue(actor_key)
    phones = {"member_b": member_b.phone, "admin": admin.phone}
    rows = [r.format(**phones) for r in rows]
    # first, a good row for an existing member: it must not be half-applied
    data = csv_bytes(f"张三改名,{member.phone},预备党员,A,", *rows)
    before = counts()
    with pytest.raises(ValidationFailed) as failure:
        import_roster(actor, data, "r.csv", ip="10.7.7.7")
    assert failure.value.problems == [p.format(**phones) for p in problems]
    assert counts() == before
    db.session.expire_all()
    assert (member.name, member.status, member.org_id) == ("张三", "full", tree["a1"].id)
    row = db.session.scalars(select(AuditLog)).one()
    assert (row.action, row.ok, row.actor_id) == ("roster.import", False, actor.id)


def test_import_needs_the_capability(member, tree):
    with pytest.raises(NotAllowed):
        import_roster(member, csv_bytes(*good_rows(1)), "r.csv")


# ---- the web flow ------------------------------------------------------------------------------

def upload(client, data: bytes, filename: str = "名册.csv"):
    return client.post("/orgs/roster/import", data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def hidden(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no hidden {name}"
    return re.search(r'value="([^"]*)"', match.group(0)).group(1)


def test_upload_preview_confirm(client, login, secretary, member, tree):
    login(secretary)
    assert client.get("/orgs/roster/import").status_code == 200
    before = counts()
    data = csv_bytes("王五,13700000001,正式党员,A,组织委员", "赵六,13700000002,预备党员,A-1,",
                     f"张三,{member.phone},预备党员,A,")
    preview = upload(client, data)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "确认导入" in html
    # every column it will write, row by row; an existing member the file would change (here:
    # move from A-1 to A) is listed as an update
    rows = re.findall(r"<tr><td[^>]*>(\d+)</td>(.*?)</tr>", html, re.S)
    cells = {n: re.sub(r"<[^>]+>", " ", rest).split() for n, rest in rows}
    assert cells["2"] == ["王五", "13700000001", "正式党员", "甲村党支部", "A", "组织委员", "新建账户"]
    assert cells["3"] == ["赵六", "13700000002", "预备党员", "甲村第一党小组", "A-1", "—", "新建账户"]
    assert cells["4"] == ["张三", member.phone, "预备党员", "甲村党支部", "A", "—", "更新已有账户"]
    assert counts() == before  # nothing written by the preview
    db.session.expire_all()
    assert (member.status, member.org_id) == ("full", tree["a1"].id)
    done = client.post("/orgs/roster/import", data={"token": hidden(html, "token"),
                                                    "filename": hidden(html, "filename")})
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "新建 2 人，更新 1 人" in html
    codes = re.findall(r"<code>([a-z0-9]{10})</code>", html)
    assert len(codes) == 2
    for phone, code in zip(("13700000001", "13700000002"), codes, strict=True):
        user = db.session.scalar(select(User).where(User.phone == phone))
        assert verify_password(user.password_hash, code) and user.must_change_password
    assert counts() == (before[0] + 2, before[1] + 1)
    # the codes are shown once: confirming the same file again only updates, and shows none
    again_preview = upload(client, data).get_data(as_text=True)
    again = client.post("/orgs/roster/import", data={"token": hidden(again_preview, "token"),
                                                     "filename": "名册.csv"})
    html = again.get_data(as_text=True)
    assert "更新 3 人" in html and not re.search(r"<code>", html)
    assert not any(code in client.get("/orgs/roster/import").get_data(as_text=True)
                   for code in codes)


def test_upload_with_a_bad_row_shows_problems_and_no_confirm(client, login, secretary, tree):
    login(secretary)
    before = counts()
    html = upload(client, csv_bytes(*good_rows(3), "乙村的人,13799999999,正式党员,B,")) \
        .get_data(as_text=True)
    assert "第 5 行：党组织“B”不在您的管理范围内" in html
    assert "确认导入" not in html and 'name="token"' not in html
    assert counts() == before


@pytest.mark.parametrize("data, filename, problem", [
    (PNG, "roster.xlsx", "这不是 xlsx 工作簿"),
    (b"", "roster.csv", "文件是空的"),
    (csv_bytes(GOOD), "roster.txt", "只能导入 .xlsx 或 .csv 文件"),
])
def test_upload_of_a_bad_file_shows_why(client, login, secretary, tree, data, filename,
                                        problem):
    login(secretary)
    html = upload(client, data, filename).get_data(as_text=True)
    assert problem in html and "确认导入" not in html


def test_confirm_checks_the_parked_file_again(app, client, login, secretary, tree):
    """The confirm step re-reads the previewed bytes and checks them again, not trusting them."""
    from lms.core import staging
    login(secretary)
    before = counts()
    forged = csv_bytes(*good_rows(2), "乙村的人,13799999999,正式党员,B,书记")
    with app.test_request_context():
        token = staging.park("roster", secretary.id, forged)
    html = client.post("/orgs/roster/import", data={"token": token, "filename": "r.csv"}) \
        .get_data(as_text=True)
    assert "第 4 行：党组织“B”不在您的管理范围内" in html
    assert counts() == before


@pytest.mark.parametrize("token", ["not-a-token", "0" * 32])
def test_confirm_with_an_unknown_token_writes_nothing(client, login, secretary, tree, token):
    login(secretary)
    before = counts()
    html = client.post("/orgs/roster/import", data={"token": token, "filename": "r.csv"}) \
        .get_data(as_text=True)
    assert "预览已过期" in html and counts() == before


def test_a_parked_roster_is_only_redeemable_by_its_uploader(app, client, login, secretary,
                                                            make_user, tree):
    from lms.core import staging
    other = make_user("另一位书记", org=tree["a"], roles=[("secretary", tree["a"])])
    with app.test_request_context():
        token = staging.park("roster", other.id, csv_bytes(*good_rows(1)))
    login(secretary)
    before = counts()
    html = client.post("/orgs/roster/import", data={"token": token, "filename": "r.csv"}) \
        .get_data(as_text=True)
    assert "预览已过期" in html and counts() == before


@pytest.mark.parametrize("who", ["member", "trainer"])
def test_import_page_needs_the_capability(request, client, login, tree, who):
    login(request.getfixturevalue(who))
    assert client.get("/orgs/roster/import").status_code == 403
    assert upload(client, csv_bytes(*good_rows(1))).status_code == 403


# ---- export ------------------------------------------------------------------------------------

def test_export_has_exactly_the_documented_columns(client, login, admin, secretary, member,
                                                   tree):
    login(admin)
    response = client.get(f"/orgs/{tree['county'].id}/roster.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = read_sheet(response.data)
    assert rows[0] == ("姓名", "手机号", "党员状态", "所在党组织", "职务")
    assert all(len(r) == 5 for r in rows)
    assert ("王书记", secretary.phone, "正式党员", "A", "书记") in rows
    assert ("张三", member.phone, "正式党员", "A-1", "") in rows
    audit = db.session.scalars(select(AuditLog)).all()[-1]
    assert (audit.action, audit.target) == ("roster.export", "C1")


def test_export_round_trips_through_import(admin, secretary, member, member_b, make_user, tree):
    make_user("流动党员", org=tree["b"], status="probationary", is_mobile=True,
              roles=[("propaganda", tree["b"]), ("discipline", tree["b"])])
    make_user("积极分子", org=tree["a1"], status="activist", roles=[("group_leader", tree["a1"])])
    make_user("非党员干部", org=tree["town"], status=None, roles=[("trainer", tree["town"])])
    first = export_roster(admin, tree["county"])
    before = counts()
    outcome = import_roster(admin, first, "roster.xlsx")
    assert outcome.created == [] and len(outcome.updated) == len(read_sheet(first)) - 1
    assert counts() == before
    second = export_roster(admin, tree["county"])
    assert read_sheet(second) == read_sheet(first)


def test_export_lists_only_roles_held_on_the_home_branch(admin, make_user, tree):
    """职务 is read back as a role on 所在党组织: a role held elsewhere must not be exported as one
    on the home branch (re-importing it would appoint the person there)."""
    make_user("镇书记", org=tree["a"], roles=[("secretary", tree["town"]),
                                              ("deputy", tree["a"])])
    first = export_roster(admin, tree["a"])
    assert ("镇书记", "A", "副书记") in [(r[0], r[3], r[4]) for r in read_sheet(first)]
    before = counts()
    import_roster(admin, first, "roster.xlsx")
    assert counts() == before


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://evil\",\"点我\")", "+1+1", "-2+3",
                                  "@SUM(A1)", "=cmd|' /C calc'!A0"])
def test_export_defuses_formulas(admin, make_user, tree, name):
    make_user(name, org=tree["a"])
    sheet = load_workbook(io.BytesIO(export_roster(admin, tree["a"]))).worksheets[0]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    cell = next(c for c in cells if c.value.endswith(name))
    assert cell.value == "'" + name and cell.data_type == "s"


def test_export_survives_control_characters_in_a_name(admin, make_user, tree):
    make_user("铃\x07声\x0b", org=tree["a"])
    rows = read_sheet(export_roster(admin, tree["a"]))
    assert ("铃声", "A") in [(r[0], r[3]) for r in rows]


@pytest.mark.parametrize("written", ["A", "甲村党支部", "测试镇党委/甲村党支部", "测试县委 / 测试镇党委 / 甲村党支部",
                                     "甲村党支部/甲村第一党小组"])
def test_the_organisation_is_read_as_people_write_it(admin, tree, written):
    outcome = import_roster(admin, csv_bytes(f"王五,13700000001,正式党员,{written},"), "r.csv")
    user = db.session.scalar(select(User).where(User.phone == "13700000001"))
    expected = tree["a1"] if written.endswith("党小组") else tree["a"]
    assert outcome.problems == [] and user.org_id == expected.id


@pytest.mark.parametrize("written, problem", [
    ("丙村党支部", "row 2: 没有代码或名称为“丙村党支部”的党组织"),
    ("别的镇/甲村党支部", "row 2: 没有代码或名称为“别的镇/甲村党支部”的党组织"),
    ("同名支部", "row 2: 有 2 个党组织叫“同名支部”，请填组织代码，或连同上级写成“上级名称/同名支部”"),
])
def test_an_organisation_that_is_missing_or_ambiguous_is_named(admin, tree, make_org, written,
                                                               problem):
    make_org("A-X", "group", tree["a"], name="同名支部")
    make_org("B-X", "group", tree["b"], name="同名支部")
    with pytest.raises(ValidationFailed) as caught:
        import_roster(admin, csv_bytes(f"王五,13700000001,正式党员,{written},"), "r.csv")
    assert caught.value.problems == [problem]
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.phone == "13700000001")) == 0


def test_a_same_named_organisation_is_told_apart_by_its_parent(admin, tree, make_org):
    make_org("A-X", "group", tree["a"], name="同名支部")
    other = make_org("B-X", "group", tree["b"], name="同名支部")
    import_roster(admin, csv_bytes("王五,13700000001,正式党员,乙村党支部/同名支部,"), "r.csv")
    assert db.session.scalar(select(User.org_id).where(User.phone == "13700000001")) == other.id


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_rosters_are_read_as_they_are(admin, tree, encoding):
    """Chinese Excel, WPS and Notepad save CSV as GBK by default."""
    data = csv_bytes("王五,13700000001,预备党员,测试镇党委/甲村党支部,党小组长", encoding=encoding)
    outcome = import_roster(admin, data, "名册.csv")
    user = db.session.scalar(select(User).where(User.phone == "13700000001"))
    assert outcome.problems == [] and (user.name, user.status) == ("王五", "probationary")


def test_the_template_downloads_and_imports_as_it_is(client, login, admin, tree, make_org):
    login(admin)
    response = client.get("/orgs/roster/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == COLUMNS
    assert "导入花名册" in client.get("/orgs/roster/import").get_data(as_text=True)
    assert "/orgs/roster/template.xlsx" in client.get("/orgs/roster/import").get_data(
        as_text=True)


def test_roster_problems_name_the_row_in_the_readers_language(client, login, secretary, tree):
    """第 3 行 in Chinese, Row 3 in English, with the message translated."""
    login(secretary)
    data = csv_bytes(GOOD, "李四,123,正式党员,A,")
    page = upload(client, data).get_data(as_text=True)
    assert "第 3 行：手机号“123”不是 11 位大陆手机号" in page
    client.get("/lang/en")
    page = upload(client, data).get_data(as_text=True)
    assert "Row 3: " in page and "is not an 11-digit mainland mobile number" in page
