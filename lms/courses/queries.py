"""Which courses a person may see, and the reads behind the catalogue and reader pages."""
from __future__ import annotations

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import defer

from lms.courses.models import Course, Lesson, MediaFile
from lms.extensions import db
from lms.orgs.models import Organization


def user_org_path(user) -> str | None:
    if not user.org_id:
        return None
    return db.session.scalar(select(Organization.path).where(Organization.id == user.org_id))


def visible_to(user, org_path: str | None):
    """A WHERE clause: published, and open to all or to a subtree holding the user's branch."""
    audience = select(Organization.path).where(
        Organization.id == Course.audience_org_id).scalar_subquery()
    open_to_user = Course.audience_org_id.is_(None)
    if user.is_admin:
        open_to_user = literal(True)
    elif org_path:
        open_to_user = or_(open_to_user, literal(org_path).startswith(audience))
    return and_(Course.status == "published", open_to_user)


def catalogue(user, *, category: str = "", q: str = "") -> list[tuple[Course, int, int]]:
    """Visible courses with their lesson count and total minutes (one query)."""
    org_path = user_org_path(user)
    totals = (select(Lesson.course_id, func.count(Lesson.id).label("lessons"),
                     func.coalesce(func.sum(Lesson.minutes), 0).label("minutes"))
              .where(Lesson.archived.is_(False)).group_by(Lesson.course_id).subquery())
    stmt = (select(Course, func.coalesce(totals.c.lessons, 0), func.coalesce(totals.c.minutes, 0))
            .outerjoin(totals, totals.c.course_id == Course.id)
            .where(visible_to(user, org_path))
            .order_by(Course.required.desc(), Course.category, Course.title))
    if category:
        stmt = stmt.where(Course.category == category)
    q = q.strip()
    if q:
        stmt = stmt.where(or_(Course.title.contains(q, autoescape=True),
                              Course.summary.contains(q, autoescape=True)))
    return [tuple(row) for row in db.session.execute(stmt)]


def visible_course(user, slug: str) -> Course | None:
    return db.session.scalar(select(Course).where(
        Course.slug == slug, visible_to(user, user_org_path(user))))


def visible_lesson(user, lesson_id: int) -> Lesson | None:
    """A live lesson of a course ``user`` may see, by id (the study pages post lesson ids)."""
    return db.session.scalar(
        select(Lesson).join(Course, Course.id == Lesson.course_id)
        .where(Lesson.id == lesson_id, Lesson.archived.is_(False),
               visible_to(user, user_org_path(user))))


def course_lessons(course: Course) -> list[Lesson]:
    """The live lessons in reading order, without their text: the outline and previous/next
    need titles only (30 lessons' Markdown and HTML would be read for nothing); the lesson page
    loads the one lesson's ``html`` when it shows it (one more query, whatever the course)."""
    return list(db.session.scalars(select(Lesson).options(defer(Lesson.body), defer(Lesson.html))
                                   .where(Lesson.course_id == course.id,
                                          Lesson.archived.is_(False))
                                   .order_by(Lesson.position)))


def lesson_audio(lesson: Lesson) -> MediaFile | None:
    if not lesson.audio:
        return None
    return db.session.scalar(select(MediaFile).where(
        MediaFile.course_id == lesson.course_id, MediaFile.path == lesson.audio))
