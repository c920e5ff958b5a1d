"""Read-only views of the tree and its members, always narrowed to the viewer's scope."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from lms.auth.models import User
from lms.extensions import db
from lms.orgs.access import in_scope, scope_paths
from lms.orgs.models import Organization


def visible_orgs(viewer, capability: str = "view_members") -> list[Organization]:
    """Every node the viewer may see, in tree order (one query)."""
    stmt = (select(Organization)
            .where(in_scope(Organization.path, scope_paths(viewer, capability)))
            .order_by(Organization.path))
    return list(db.session.scalars(stmt))


def members_query(viewer, org: Organization, q: str = ""):
    """Members of ``org``'s subtree matching ``q`` (name or phone fragment), as a select."""
    stmt = (select(User)
            .join(User.org)
            .options(contains_eager(User.org))
            .where(Organization.path.startswith(org.path))
            .where(in_scope(Organization.path, scope_paths(viewer, "view_members")))
            # the id makes the order total: namesakes would otherwise move between pages
            .order_by(Organization.path, User.name, User.id))
    q = q.strip()
    if q:
        stmt = stmt.where(or_(User.name.contains(q, autoescape=True),
                              User.phone.contains(q, autoescape=True)))
    return stmt


def tree_rows(orgs: list[Organization]) -> list[tuple[Organization, int]]:
    """Pair each node with its indent level relative to the shallowest one shown."""
    if not orgs:
        return []
    top = min(o.depth for o in orgs)
    return [(o, o.depth - top) for o in orgs]


def top_nodes(viewer, capability: str) -> list[Organization]:
    """The highest nodes where the viewer holds ``capability`` (everything's roots for the
    administrator); a node inside another one listed is left out, as it adds nothing."""
    paths = scope_paths(viewer, capability)
    stmt = select(Organization).order_by(Organization.path)
    stmt = stmt.where(Organization.parent_id.is_(None)) if paths is None \
        else stmt.where(Organization.path.in_(paths))
    tops = list(db.session.scalars(stmt))
    return [o for o in tops if not any(o is not p and o.path.startswith(p.path) for p in tops)]


def ancestors_in_scope(viewer, org: Organization, capability: str) -> list[Organization]:
    """``org``'s ancestors the viewer holds ``capability`` over, top first (breadcrumbs)."""
    ids = [int(part) for part in org.path.strip("/").split("/")[:-1]]
    if not ids:
        return []
    return list(db.session.scalars(select(Organization).where(
        Organization.id.in_(ids), in_scope(Organization.path, scope_paths(viewer, capability)))
        .order_by(Organization.depth)))
