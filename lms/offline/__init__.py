"""Offline: the web app manifest, the service worker, saving a course to the phone and the sync
endpoint for what a member did without signal.

Last in the import order: it may use every other domain's services (quizzes start the offline
checks, progress records what sync brings in) and none imports it. Its parts of other domains'
pages come through page extras.
"""
from flask import Blueprint

from lms.core.hooks import add_page_extra

bp = Blueprint("offline", __name__)


def _course_extra(user, course, **_context) -> dict:
    """保存到手机 on the course page (no query)."""
    if not user.is_authenticated:
        return {}
    return {"sections": [("offline/_save.html", {"course": course, "print_url": None})]}


add_page_extra(bp, "course", _course_extra)

from lms.offline import views  # noqa: E402,F401
