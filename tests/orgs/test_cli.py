"""`flask orgs create`, `flask users create | import | reset-password`."""
import re

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditLog
from lms.auth.models import User
from lms.auth.passwords import verify_password
from lms.extensions import db
from lms.orgs.models import Membership, Organization
from lms.orgs.roster import COLUMNS


def invoke(runner, *args):
    return runner.invoke(args=list(args))


def counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Organization, User, Membership))


def printed_code(output: str) -> str:
    match = re.search(r"一次性登录码：([a-z0-9]{10})", output)
    assert match, output
    return match.group(1)


# ---- flask orgs create ------------------------------------------------------------------------

def test_create_a_county_and_a_child(runner):
    result = invoke(runner, "orgs", "create", "--name", "茶乡县委", "--kind", "county",
                    "--code", "CX")
    assert result.exit_code == 0, result.output
    county = db.session.scalar(select(Organization).where(Organization.code == "CX"))
    assert f"已创建 CX 茶乡县委（/{county.id}/）" in result.output
    result = invoke(runner, "orgs", "create", "--name", "云雾镇党委", "--kind", "township",
                    "--code", "YW", "--parent-code", "CX")
    assert result.exit_code == 0, result.output
    town = db.session.scalar(select(Organization).where(Organization.code == "YW"))
    assert (town.parent_id, town.path, town.depth) == (county.id, f"{county.path}{town.id}/", 1)
    row = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()[-1]
    assert (row.action, row.actor_id, row.target) == ("org.create", None, "YW 云雾镇党委")


@pytest.mark.parametrize("args, message", [
    (["--name", "某镇", "--kind", "township", "--code", "X1", "--parent-code", "NOPE"],
     "没有代码为 NOPE 的党组织"),
    (["--name", "重复", "--kind", "branch", "--code", "A", "--parent-code", "T1"],
     "代码 A 已被使用"),
    (["--name", "某支部", "--kind", "branch", "--code", "X2", "--parent-code", "C1"],
     "这种组织不能设在所选的上级组织下面"),
    (["--name", "某支部", "--kind", "branch", "--code", "X3"],
     "这种组织不能设在所选的上级组织下面"),  # only a county may be a root
    (["--name", "某支部", "--kind", "branch", "--code", "坏 代码", "--parent-code", "T1"],
     "代码只能用字母"),
])
def test_create_org_failures_exit_non_zero_with_a_message(runner, tree, args, message):
    before = counts()
    result = invoke(runner, "orgs", "create", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert counts() == before


def test_create_org_needs_its_options(runner):
    result = invoke(runner, "orgs", "create", "--name", "无类型", "--code", "X")
    assert result.exit_code == 2 and "--kind" in result.output
    result = invoke(runner, "orgs", "create", "--name", "x", "--kind", "soviet", "--code", "X")
    assert result.exit_code == 2
    assert counts() == (0, 0, 0)


# ---- flask users create -----------------------------------------------------------------------

def test_create_user_with_a_password(runner, tree):
    result = invoke(runner, "users", "create", "--phone", "13712345678", "--name", "钱七",
                    "--password", "tide-and-net-42", "--org-code", "A", "--status", "full")
    assert result.exit_code == 0, result.output
    assert "已创建 钱七 13712345678" in result.output and "一次性登录码" not in result.output
    user = db.session.scalar(select(User).where(User.phone == "13712345678"))
    assert verify_password(user.password_hash, "tide-and-net-42")
    assert (user.org_id, user.status, user.must_change_password, user.is_admin) == \
        (tree["a"].id, "full", False, False)


def test_create_user_without_a_password_prints_a_one_time_code(runner, tree):
    result = invoke(runner, "users", "create", "--phone", "13712345678", "--name", "钱七",
                    "--org-code", "A", "--role", "secretary")
    assert result.exit_code == 0, result.output
    code = printed_code(result.output)
    user = db.session.scalar(select(User).where(User.phone == "13712345678"))
    assert verify_password(user.password_hash, code) and user.must_change_password
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert (membership.role, membership.org_id) == ("secretary", tree["a"].id)
    assert all(code not in r.detail for r in db.session.scalars(select(AuditLog)))


def test_create_admin(runner):
    result = invoke(runner, "users", "create", "--phone", "13712345678", "--name", "县管理员",
                    "--admin")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.is_admin).where(User.phone == "13712345678"))


@pytest.mark.parametrize("args, message", [
    (["--password", "12345678"], "太常见"),
    (["--password", "short"], "至少 8 位"),
    (["--password", "x13712345678"], "手机号"),
    (["--org-code", "NOPE"], "没有代码为 NOPE 的党组织"),
    (["--role", "secretary"], "--role 需要同时给出 --org-code"),
    (["--phone", "12345"], "不是 11 位大陆手机号"),
    (["--phone", "{member}"], "已有账户"),
])
def test_create_user_failures_exit_non_zero_and_write_nothing(runner, tree, member, args,
                                                              message):
    args = [a.format(member=member.phone) for a in args]
    phone = [] if "--phone" in args else ["--phone", "13712345678"]
    before = counts()
    result = invoke(runner, "users", "create", "--name", "钱七", *phone, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert counts() == before


def test_unknown_role_is_a_usage_error(runner, tree):
    result = invoke(runner, "users", "create", "--phone", "13712345678", "--name", "钱七",
                    "--org-code", "A", "--role", "mayor")
    assert result.exit_code == 2
    assert counts()[1] == 0


# ---- flask users import -----------------------------------------------------------------------

def roster_file(tmp_path, *rows: str, name: str = "名册.csv"):
    path = tmp_path / name
    path.write_text("\n".join([",".join(COLUMNS), *rows, ""]), encoding="utf-8")
    return path


def test_import_a_good_file(runner, tree, member, tmp_path):
    path = roster_file(tmp_path, "王五,13700000001,正式党员,A,书记",
                       "赵六,13700000002,预备党员,A-1,", f"张三,{member.phone},预备党员,A-1,")
    result = invoke(runner, "users", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "已新建 2 人，已更新 1 人。" in result.output
    for phone in ("13700000001", "13700000002"):
        line = next(ln for ln in result.output.splitlines() if ln.startswith(phone))
        code = line.split("\t")[2]
        user = db.session.scalar(select(User).where(User.phone == phone))
        assert verify_password(user.password_hash, code) and user.must_change_password
    db.session.expire_all()
    assert member.status == "probationary"


def test_import_dry_run_writes_nothing(runner, tree, tmp_path):
    path = roster_file(tmp_path, "王五,13700000001,正式党员,A,书记")
    before = counts()
    result = invoke(runner, "users", "import", "--dry-run", str(path))
    assert result.exit_code == 0, result.output
    assert "将新建 1 人" in result.output and "13700000001\t王五" in result.output
    assert counts() == before


@pytest.mark.parametrize("rows, name, message", [
    (["王五,13700000001,正式党员,A,", "赵六,137000,正式党员,A,"], "名册.csv",
     "row 3: 手机号“137000”不是 11 位大陆手机号"),
    (["王五,13700000001,正式党员,A,", "赵六,13700000002,正式党员,NOPE,"], "名册.csv",
     "row 3: 没有代码或名称为“NOPE”的党组织"),
    (["王五,13700000001,正式党员,A,"], "名册.txt", "只能导入 .xlsx 或 .csv 文件"),
])
def test_import_a_bad_file_exits_non_zero_and_writes_nothing(runner, tree, tmp_path, rows, name,
                                                             message):
    path = roster_file(tmp_path, *rows, name=name)
    before = counts()
    result = invoke(runner, "users", "import", str(path))
    assert result.exit_code != 0
    assert message in result.output
    assert counts() == before


def test_import_a_missing_file_is_a_usage_error(runner, tmp_path):
    result = invoke(runner, "users", "import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2


# ---- flask users reset-password ---------------------------------------------------------------

def test_reset_password_prints_a_code(runner, member, secretary):
    result = invoke(runner, "users", "reset-password", "--phone", member.phone)
    assert result.exit_code == 0, result.output
    code = printed_code(result.output)
    db.session.expire_all()
    assert verify_password(member.password_hash, code) and member.must_change_password


@pytest.mark.parametrize("phone", ["13799999999", "not-a-phone"])
def test_reset_password_of_an_unknown_phone_fails(runner, member, phone):
    before = member.password_hash
    result = invoke(runner, "users", "reset-password", "--phone", phone)
    assert result.exit_code != 0 and "没有手机号为" in result.output
    db.session.expire_all()
    assert member.password_hash == before
