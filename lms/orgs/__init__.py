"""The organisation tree, roles on it, members and the roster."""
from flask import Blueprint

from lms.core.i18n import N_
from lms.core.nav import add_nav

bp = Blueprint("orgs", __name__, url_prefix="/orgs", cli_group="orgs")


def _sees_members(user) -> bool:
    from lms.orgs.access import can

    return can(user, "view_members")


add_nav(bp, "orgs.index", N_("组织与党员"), 50, _sees_members)

from lms.orgs import cli, session_guard, views  # noqa: E402,F401
