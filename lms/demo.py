"""`python run.py --demo`: a small county with an account for every role.

Safe to run again: what exists is kept, and every demo account gets the newly printed password.
Later domains add demo data (study history) with :func:`on_demo`.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

import click
from flask import Flask
from sqlalchemy import select, update

from lms.auth import throttle
from lms.auth.models import User
from lms.auth.passwords import hash_password
from lms.core.clock import utcnow
from lms.courses.models import Course
from lms.extensions import db
from lms.orgs.models import Membership, Organization

TRAINER_PHONE = "13900000006"
ORGS = [  # code, name, kind, parent code
    ("LH", "临海县委", "county", None),
    ("LH-DW", "东湾镇党委", "township", "LH"),
    ("LH-DW-YG", "渔港村党支部", "branch", "LH-DW"),
    ("LH-DW-DX", "稻香村党支部", "branch", "LH-DW"),
    ("LH-DW-YG-1", "渔港村第一党小组（船队）", "group", "LH-DW-YG"),
    ("LH-DW-YG-2", "渔港村第二党小组", "group", "LH-DW-YG"),
    ("LH-DW-DX-1", "稻香村第一党小组", "group", "LH-DW-DX"),
]
#: phone, name, home org, status, roles as (role, org code), flags, who they are
ACCOUNTS = [
    ("13900000001", "周建国", "LH", None, [], {"is_admin": True}, "系统管理员"),
    ("13900000002", "吴秀兰", "LH", "full", [("organizer", "LH")], {}, "县委组织部（组织委员）"),
    ("13900000003", "郑海平", "LH-DW", "full", [("secretary", "LH-DW")], {}, "乡镇党委书记"),
    ("13900000004", "林大海", "LH-DW-YG", "full", [("secretary", "LH-DW-YG")], {},
     "渔港村支部书记"),
    ("13900000005", "陈美玲", "LH-DW-YG", "full", [("organizer", "LH-DW-YG")], {},
     "渔港村组织委员"),
    ("13900000006", "黄志强", "LH", "full", [("trainer", "LH")], {}, "县委党校讲师"),
    ("13900000007", "何春生", "LH-DW-DX", "full", [("secretary", "LH-DW-DX")], {},
     "稻香村支部书记"),
    ("13900000010", "林阿水", "LH-DW-YG-1", "full", [("group_leader", "LH-DW-YG-1")], {},
     "党员（正式，党小组长）"),
    ("13900000011", "张桂英", "LH-DW-YG-1", "full", [], {}, "党员（正式）"),
    ("13900000012", "王小明", "LH-DW-YG-2", "probationary", [], {}, "预备党员"),
    ("13900000013", "李春燕", "LH-DW-YG-2", "candidate", [], {}, "发展对象"),
    ("13900000014", "赵东升", "LH-DW-YG-2", "activist", [], {}, "入党积极分子"),
    ("13900000015", "孙海生", "LH-DW-YG-1", "full", [],
     {"is_mobile": True, "mobile_where": "广东省深圳市", "mobile_contact": "陈美玲"},
     "流动党员"),
    ("13900000016", "林老根", "LH-DW-YG-1", "full", [],
     {"is_exempt": True, "exempt_reason": "年过八旬，行动不便"}, "年老体弱（不作硬性要求）"),
    ("13900000020", "刘稻花", "LH-DW-DX-1", "full", [], {}, "稻香村党员"),
    ("13900000021", "钱满仓", "LH-DW-DX-1", "probationary", [], {}, "稻香村预备党员"),
]


def on_demo(app: Flask, step: Callable[[Flask], None]) -> None:
    app.extensions.setdefault("fieldside_demo", []).append(step)


def create_demo(app: Flask, echo=click.echo) -> str:
    """Create (or refresh) the demo county; returns the shared demo password."""
    orgs = {o.code: o for o in db.session.scalars(select(Organization))}
    for code, name, kind, parent_code in ORGS:
        if code in orgs:
            continue
        parent = orgs.get(parent_code)
        org = Organization(code=code, name=name, kind=kind, parent_id=parent.id if parent else None,
                           depth=parent.depth + 1 if parent else 0, path="")
        db.session.add(org)
        db.session.flush()
        org.path = f"{parent.path if parent else '/'}{org.id}/"
        orgs[code] = org
    password = "demo-" + secrets.token_hex(4)
    password_hash = hash_password(password)
    users = {u.phone: u for u in db.session.scalars(
        select(User).where(User.phone.in_([a[0] for a in ACCOUNTS])))}
    for phone, name, home, status, roles, flags, _label in ACCOUNTS:
        user = users.get(phone)
        if user is None:
            # the demo county's people have been on the books for years, so a required
            # course's due date binds them (a member placed today gets NEW_MEMBER_DAYS)
            user = User(phone=phone, name=name, status=status, org_id=orgs[home].id, **flags,
                        password_hash=password_hash, created_at=utcnow() - timedelta(days=3 * 365))
            db.session.add(user)
            db.session.flush()
            for role, code in roles:
                db.session.add(Membership(user_id=user.id, org_id=orgs[code].id, role=role))
        user.password_hash = password_hash
        user.must_change_password = False
        throttle.clear(phone)  # a rerun lifts a demo account's lock
    # the demo trainer looks after the shipped courses (editor, question statistics)
    trainer = db.session.scalar(select(User).where(User.phone == TRAINER_PHONE))
    db.session.execute(update(Course).where(Course.owner_id.is_(None))
                       .values(owner_id=trainer.id))
    db.session.commit()
    for step in app.extensions.get("fieldside_demo", []):
        step(app)
    echo("")
    echo("演示数据已就绪。所有演示账户的密码：" + password)
    for phone, name, _home, _status, _roles, _flags, label in ACCOUNTS:
        echo(f"  {label:<16} {name}  手机号 {phone}")
    echo("")
    return password
