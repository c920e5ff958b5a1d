"""Loading the organisation or member a URL names, for any domain's views.

Out of scope answers 404, the same as missing: nobody learns what lies outside their tree.
"""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from lms.auth.models import User
from lms.extensions import db
from lms.orgs.access import can
from lms.orgs.models import Organization


def org_or_404(org_id: int, capability: str) -> Organization:
    """The organisation, if the signed-in user holds ``capability`` over it."""
    org = db.session.get(Organization, org_id)
    if org is None or not can(current_user, capability, org):
        abort(404)
    return org


def member_or_404(user_id: int, capability: str) -> tuple[User, Organization]:
    """The member and their organisation, if the signed-in user holds ``capability`` over it."""
    user = db.session.get(User, user_id)
    org = db.session.get(Organization, user.org_id) if user and user.org_id else None
    if user is None or org is None or not can(current_user, capability, org):
        abort(404)
    return user, org
