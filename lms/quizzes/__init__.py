"""Quizzes: lesson checks and final quizzes, attempts, grading, review, the 错题本 and the
trainer's per-question statistics.

``grading`` (kind → grader) and ``snapshot`` (questions as presented) are pure Python;
``formats`` reads and writes question banks.
"""
from flask import Blueprint

from lms.core.hooks import add_page_extra
from lms.core.i18n import N_
from lms.core.nav import add_nav

bp = Blueprint("quizzes", __name__)


def _is_author(user) -> bool:
    from lms.orgs.access import can

    return can(user, "author")


add_nav(bp, "quizzes.wrong_answers", N_("错题本"), 30, lambda user: True)
add_nav(bp, "quizzes.stats_index", N_("题目统计"), 70, _is_author)

from lms.quizzes import views  # noqa: E402

add_page_extra(bp, "lesson", views.lesson_extra)
add_page_extra(bp, "course", views.course_extra)
add_page_extra(bp, "record", views.record_extra)
