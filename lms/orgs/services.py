"""Writes to the organisation tree, roles and member records. Each ends in one commit."""
from __future__ import annotations

import re

from sqlalchemy import func, select, update

from lms.audit.services import record
from lms.auth import throttle
from lms.auth.models import MEMBER_STATUSES, User, new_session_token
from lms.auth.services import issue_one_time_code
from lms.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from lms.core.i18n import N_
from lms.database import begin_write
from lms.extensions import db
from lms.orgs.access import authorize, can, forget_memberships, memberships_of, scope_paths
from lms.orgs.models import ALLOWED_PARENTS, ORG_KINDS, ROLES, Membership, Organization

CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def get_org_by_code(code: str) -> Organization:
    org = db.session.scalar(select(Organization).where(Organization.code == code))
    if org is None:
        raise NotFound(N_("没有代码为 %(code)s 的党组织。"), code=code)
    return org


def _check_parent(kind: str, parent: Organization | None) -> None:
    if kind not in ORG_KINDS:
        raise ValidationFailed(N_("未知的组织类型：%(kind)s"), kind=kind)
    parent_kind = parent.kind if parent is not None else None
    if parent_kind not in ALLOWED_PARENTS[kind]:
        raise ValidationFailed(N_("这种组织不能设在所选的上级组织下面。"))


def create_org(actor, *, name: str, kind: str, code: str, parent: Organization | None,
               ip: str = "") -> Organization:
    """Add a node under ``parent`` (None only for a county, by the admin)."""
    if parent is None:
        if not actor.is_admin:
            authorize(actor, "manage_admins")
    else:
        authorize(actor, "manage_orgs", parent)
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationFailed(N_("名称不能为空，且不超过 80 个字。"))
    if not CODE_RE.match(code or ""):
        raise ValidationFailed(N_("代码只能用字母、数字、- 和 _，不超过 32 位。"))
    _check_parent(kind, parent)
    if db.session.scalar(select(Organization.id).where(Organization.code == code)):
        raise Conflict(N_("代码 %(code)s 已被使用。"), code=code)
    org = Organization(name=name, kind=kind, code=code, parent_id=parent.id if parent else None,
                       path="", depth=(parent.depth + 1) if parent else 0)
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    record("org.create", actor=actor, target=f"{code} {name}", ip=ip)
    db.session.commit()
    return org


def rename_org(actor, org: Organization, name: str, ip: str = "") -> None:
    authorize(actor, "manage_orgs", org)
    name = name.strip()
    if not name or len(name) > 80:
        raise ValidationFailed(N_("名称不能为空，且不超过 80 个字。"))
    old = org.name
    org.name = name
    record("org.rename", actor=actor, target=org.code, ip=ip, detail={"from": old, "to": name})
    db.session.commit()


def move_org(actor, org: Organization, new_parent: Organization, ip: str = "") -> None:
    """Hang ``org`` and its subtree under ``new_parent``; both ends must be in the actor's scope."""
    authorize(actor, "manage_orgs", org)
    authorize(actor, "manage_orgs", new_parent)
    if new_parent.path.startswith(org.path):
        raise ValidationFailed(N_("不能把组织移到它自己或它的下级组织下面。"))
    _check_parent(org.kind, new_parent)
    old_prefix, new_prefix = org.path, f"{new_parent.path}{org.id}/"
    depth_shift = new_parent.depth + 1 - org.depth
    # one UPDATE rewrites the whole subtree's paths
    db.session.execute(
        update(Organization)
        .where(Organization.path.startswith(old_prefix))
        .values(path=new_prefix + func.substr(Organization.path, len(old_prefix) + 1),
                depth=Organization.depth + depth_shift)
        .execution_options(synchronize_session=False)
    )
    org.parent_id = new_parent.id
    record("org.move", actor=actor, target=org.code, ip=ip,
           detail={"from": old_prefix, "to": new_prefix})
    db.session.commit()
    db.session.expire_all()


def _authorize_over_account(actor, user: User, capability: str) -> None:
    """The actor must hold ``capability`` over the user's own branch; accounts without a branch
    and administrators are the admin's alone."""
    home = member_org(user)
    if home is None or user.is_admin:
        authorize(actor, "manage_admins")
    else:
        authorize(actor, capability, home)


def reaches(actor, user: User, capability: str) -> bool:
    """Whether ``actor`` may act on ``user``'s account with ``capability`` (edit the record,
    reset the password).

    The system administrator reaches everybody. Nobody else reaches an administrator, an
    account without a branch, an account outside their scope, themselves, or anyone holding a
    role at or above the actor's own node for ``capability``: a county organiser may not edit
    the county secretary, a branch secretary not a fellow 支委 of the same branch.
    """
    if actor.is_admin:
        return True
    home = member_org(user)
    if user.is_admin or home is None or user.id == actor.id or not can(actor, capability, home):
        return False
    paths = scope_paths(actor, capability)
    for held in memberships_of(user):
        if held.role == "admin":
            return False
        below = held.org.path
        if not any(below.startswith(p) and below != p for p in paths):
            return False
    return True


def _authorize_person(actor, user: User, capability: str) -> None:
    if not reaches(actor, user, capability):
        raise NotAllowed(N_("您没有权限进行此操作。"))


def grantable_roles(actor) -> list[str]:
    """The roles ``actor`` may grant somewhere: every role for the administrator, every role
    but 管理员 for anyone who assigns roles, none for others."""
    if can(actor, "manage_admins"):
        return list(ROLES)
    return [role for role in ROLES if role != "admin"] if can(actor, "assign_roles") else []


def grant_role(actor, user: User, org: Organization, role: str, ip: str = "") -> Membership:
    """Give ``user`` ``role`` on ``org``: the actor needs the right over both the node and the
    user's own branch (appointing another branch's member changes that branch's member).
    Nobody appoints themselves. A refused grant is audited (ok=False)."""
    if role not in ROLES:
        raise ValidationFailed(N_("未知的职务：%(role)s"), role=role)
    try:
        if user.id == actor.id:
            raise NotAllowed(N_("不能给自己任命职务。"))
        authorize(actor, "manage_admins" if role == "admin" else "assign_roles", org)
        _authorize_over_account(actor, user, "assign_roles")
    except NotAllowed:
        db.session.rollback()
        record("role.grant", actor=actor, target=f"{user.phone} {role}@{org.code}", ok=False,
               ip=ip)
        db.session.commit()
        raise
    existing = db.session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.org_id == org.id, Membership.role == role))
    if existing:
        return existing
    membership = Membership(user_id=user.id, org_id=org.id, role=role)
    db.session.add(membership)
    record("role.grant", actor=actor, target=f"{user.phone} {role}@{org.code}", ip=ip)
    db.session.commit()
    forget_memberships(user)
    return membership


def revoke_role(actor, membership: Membership, ip: str = "") -> None:
    role = membership.role
    authorize(actor, "manage_admins" if role == "admin" else "assign_roles", membership.org)
    user = db.session.get(User, membership.user_id)
    record("role.revoke", actor=actor, target=f"{user.phone} {role}@{membership.org.code}", ip=ip)
    db.session.delete(membership)
    db.session.commit()
    forget_memberships(user)


def member_org(user: User) -> Organization | None:
    return db.session.get(Organization, user.org_id) if user.org_id else None


def update_member(actor, user: User, *, name: str, status: str | None, org: Organization,
                  is_mobile: bool, mobile_where: str, mobile_contact: str, is_exempt: bool,
                  exempt_reason: str, ip: str = "") -> None:
    """Change a member's record; the actor must manage both the old and the new branch, and
    reach the person (:func:`reaches`: not the administrator, not themselves, nobody holding a
    role at or above the actor's node)."""
    current = member_org(user)
    _authorize_person(actor, user, "manage_members")
    authorize(actor, "manage_members", org)
    if status is not None and status not in MEMBER_STATUSES:
        raise ValidationFailed(N_("未知的党员状态。"))
    if not name.strip():
        raise ValidationFailed(N_("姓名不能为空。"))
    new = {
        "name": name.strip(),
        "status": status,
        "is_mobile": is_mobile,
        "mobile_where": (mobile_where.strip() or None) if is_mobile else None,
        "mobile_contact": (mobile_contact.strip() or None) if is_mobile else None,
        "is_exempt": is_exempt,
        "exempt_reason": (exempt_reason.strip() or None) if is_exempt else None,
    }
    # every field that changes is logged, old and new (a 流动 place or contact is a change too)
    changes = {key: [getattr(user, key), value] for key, value in new.items()
               if getattr(user, key) != value}
    if user.org_id != org.id:
        changes["org"] = [current.code if current else None, org.code]
    for key, value in new.items():
        setattr(user, key, value)
    user.org_id = org.id
    if changes:
        record("member.update", actor=actor, target=user.phone, ip=ip, detail=changes)
    db.session.commit()


def unlock_account(actor, user: User, ip: str = "") -> None:
    """Lift a lock after too many wrong passwords (the member is standing beside the secretary
    and now remembers it). The same people who may reset the password may lift it; audited.
    The lock is on the member's number (``auth.throttle``): lifting it forgets its failures."""
    _authorize_person(actor, user, "reset_passwords")
    begin_write()
    throttle.clear(user.phone)
    record("auth.unlock", actor=actor, target=user.phone, ip=ip)
    db.session.commit()


def reset_password(actor, user: User, ip: str = "") -> str:
    """Give ``user`` a one-time code (returned, shown once) to be changed at the next sign-in.

    A secretary may reset members of their subtree; the admin anybody. The code is shown to the
    actor, who could sign in with it, so the actor must reach the person (:func:`reaches`): a
    branch secretary cannot take over the town secretary who belongs to the branch, nor a
    fellow 支委.
    """
    _authorize_person(actor, user, "reset_passwords")
    code = issue_one_time_code(user)
    user.session_token = new_session_token()
    throttle.clear(user.phone)
    record("auth.password_reset", actor=actor, target=user.phone, ip=ip)
    db.session.commit()
    return code
