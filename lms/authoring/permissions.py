"""Who may edit which course: the owner and named co-authors who hold "author", and admins.

Views check :func:`can_edit` (and answer 404, so a course one cannot edit looks like a missing
one); services call :func:`ensure_editor`, so the rule holds without HTTP too.
"""
from __future__ import annotations

from sqlalchemy import or_, select

from lms.authoring.models import CourseAuthor
from lms.core.errors import NotAllowed
from lms.core.i18n import N_
from lms.courses.models import Course
from lms.extensions import db
from lms.orgs.access import can


def is_author(user) -> bool:
    """Holds the "author" capability anywhere (trainers, 宣传委员) or is the administrator."""
    return bool(getattr(user, "is_authenticated", False)) and can(user, "author")


def can_edit(user, course: Course) -> bool:
    if not is_author(user):
        return False
    if user.is_admin or course.owner_id == user.id:
        return True
    return db.session.scalar(select(CourseAuthor.id).where(
        CourseAuthor.course_id == course.id, CourseAuthor.user_id == user.id)) is not None


def can_manage_authors(user, course: Course) -> bool:
    """Only the owner (still an author) and admins name or remove co-authors."""
    return is_author(user) and (user.is_admin or course.owner_id == user.id)


def ensure_editor(actor, course: Course) -> None:
    """Raise NotAllowed unless ``actor`` may edit ``course``."""
    if actor is None or not can_edit(actor, course):
        raise NotAllowed(N_("您不能编辑这门课程。"))


def editable_courses(user) -> list[Course]:
    """The courses ``user`` may edit, newest first (one query)."""
    stmt = select(Course).order_by(Course.updated_at.desc(), Course.id.desc())
    if not user.is_admin:
        if not is_author(user):
            return []
        co_authored = select(CourseAuthor.course_id).where(CourseAuthor.user_id == user.id)
        stmt = stmt.where(or_(Course.owner_id == user.id, Course.id.in_(co_authored)))
    return list(db.session.scalars(stmt))
