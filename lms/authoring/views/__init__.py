"""The trainer's editor (课程编写): pages under /authoring, for users holding "author"."""
from lms.authoring import bp
from lms.core.i18n import N_
from lms.core.nav import add_nav


def _authors(user) -> bool:
    from lms.authoring.permissions import is_author

    return is_author(user)


add_nav(bp, "authoring.index", N_("课程编写"), 40, _authors)

from lms.authoring.views import courses, guide, imports, lessons, quizzes  # noqa: E402,F401
