"""Meetings: 三会一课 and 主题党日 planned, ticked off on one phone, checked into by QR code,
minuted, closed with the hours for everyone present, and overseen; 送学上门.

After `progress` in the import order: it credits the 学时 ledger and assigns 补学 through the
progress services, and adds its parts to 学习情况 and 我的学习 through page extras.
"""
from flask import Blueprint

from lms.core.i18n import N_
from lms.core.nav import add_nav

bp = Blueprint("meetings", __name__)


def _sees_meetings(user) -> bool:
    from lms.orgs.access import can

    return any(can(user, capability) for capability in
               ("view_meetings", "record_meetings", "record_group_meetings"))


add_nav(bp, "meetings.index", N_("组织生活"), 45, _sees_meetings)

from lms.meetings import demo, views  # noqa: E402,F401

demo.register(bp)
