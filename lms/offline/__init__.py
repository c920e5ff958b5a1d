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
    return {"sections": [("offline/_save.html", {"course": course})]}


def _lesson_extra(user, course, lesson, **_context) -> dict:
    """The outbox for 我读完了 and the check's answers on the lesson page (no query)."""
    if not user.is_authenticated:
        return {}
    return {"sections": [("offline/_lesson.html", {"course": course, "lesson": lesson})]}


add_page_extra(bp, "course", _course_extra)
add_page_extra(bp, "lesson", _lesson_extra)

from lms.offline import views  # noqa: E402,F401
