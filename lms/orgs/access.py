"""Who may do what where.

A role on a node gives capabilities over that node's whole subtree; the system administrator
(``User.is_admin``) has every capability everywhere. Views use :func:`requires`; services call
:func:`authorize` with the node they touch, so a rule is checked even without HTTP.
"""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import bindparam, false, or_, select

from lms.core.errors import NotAllowed
from lms.core.i18n import N_
from lms.extensions import db
from lms.orgs.models import Membership, Organization

ROLE_CAPABILITIES = {
    "admin": {"manage_orgs", "manage_members", "view_members", "reset_passwords",
              "assign_roles", "import_roster", "view_reports", "assign_courses"},
    "secretary": {"manage_orgs", "manage_members", "view_members", "reset_passwords",
                  "assign_roles", "import_roster", "view_reports", "assign_courses"},
    "deputy": {"manage_members", "view_members", "view_reports", "assign_courses"},
    "organizer": {"manage_members", "view_members", "import_roster", "view_reports",
                  "assign_courses"},
    "propaganda": {"view_members", "author"},
    "discipline": {"view_members"},
    "group_leader": {"view_members"},
    "trainer": {"author"},
}
#: meetings (三会一课, 主题党日): the secretary, 组织委员 and 宣传委员 record a branch's meetings,
#: a 党小组长 only the group's 党小组会; 送学上门 is also a trainer's
for _role, _caps in {
    "admin": {"record_meetings", "view_meetings", "record_home_visits"},
    "secretary": {"record_meetings", "view_meetings", "record_home_visits"},
    "deputy": {"view_meetings"},
    "organizer": {"record_meetings", "view_meetings", "record_home_visits"},
    "propaganda": {"record_meetings", "view_meetings", "record_home_visits"},
    "discipline": {"view_meetings"},
    "group_leader": {"record_group_meetings", "view_meetings"},
    "trainer": {"record_home_visits"},
}.items():
    ROLE_CAPABILITIES[_role] |= _caps
#: capabilities only the system administrator has
ADMIN_ONLY = {"view_audit", "manage_admins"}


#: asked on every page by a signed-in user (navigation, idle check), so built once
_MEMBERSHIPS = select(Membership).where(Membership.user_id == bindparam("user_id"))


def memberships_of(user) -> list[Membership]:
    """The user's roles with their nodes, loaded once per request and kept on the user."""
    cached = getattr(user, "_memberships_cache", None)
    if cached is None:
        cached = list(db.session.scalars(_MEMBERSHIPS, {"user_id": user.id}))
        user._memberships_cache = cached
    return cached


def forget_memberships(user) -> None:
    """Drop the cached roles after they change, so later checks on the same object see it."""
    user.__dict__.pop("_memberships_cache", None)


def is_staff(user) -> bool:
    """Anyone with a role or the admin flag: these sessions time out when idle."""
    return bool(user.is_authenticated and (user.is_admin or memberships_of(user)))


def scope_paths(user, capability: str) -> list[str] | None:
    """Path prefixes where ``user`` has ``capability``; None means everywhere (admin)."""
    if user.is_admin:
        return None
    return sorted({m.org.path for m in memberships_of(user)
                   if capability in ROLE_CAPABILITIES.get(m.role, ())})


def can(user, capability: str, org: Organization | None = None) -> bool:
    """Whether ``user`` has ``capability`` on ``org`` (or anywhere, when org is None)."""
    if not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    if capability in ADMIN_ONLY:
        return False
    paths = scope_paths(user, capability)
    if org is None:
        return bool(paths)
    return any(org.path.startswith(p) for p in paths)


def authorize(user, capability: str, org: Organization | None = None) -> None:
    """Raise NotAllowed unless :func:`can`."""
    if not can(user, capability, org):
        raise NotAllowed(N_("您没有权限进行此操作。"))


def in_scope(column, paths: list[str] | None):
    """A WHERE clause keeping rows whose org path ``column`` falls under ``paths``."""
    if paths is None:
        return column.isnot(None)
    if not paths:
        return false()
    return or_(*(column.startswith(p) for p in paths))


def requires(capability: str):
    """View decorator: signed in and holding ``capability`` somewhere, else 403."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not can(current_user, capability):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator
