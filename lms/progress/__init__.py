"""Progress: enrolment, lesson progress, course completion, the 学时 ledger, 我的学习, 学习档案,
course assignments and manual hours (the branch view and roll-up are in `lms.reports`).

Course and lesson pages belong to `courses`; this package adds its parts to them through page
extras, and learns about graded checks and passed quizzes from `lms.quizzes.signals` (its
receivers, `services.connect_signals`, are connected by `create_app`).
"""
from flask import Blueprint

from lms.core.i18n import N_
from lms.core.nav import add_nav

bp = Blueprint("progress", __name__)


def _make_home(state):
    # 我的学习 is where a member lands after signing in
    state.app.config.setdefault("HOME_ENDPOINT", "progress.my_study")


bp.record_once(_make_home)
add_nav(bp, "progress.my_study", N_("我的学习"), 0, lambda user: True)

from lms.progress import demo, services, views  # noqa: E402,F401

demo.register(bp)
