"""Which courses a person may see, and the reads behind the catalogue and reader pages."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import and_, bindparam, case, func, or_, select, true
from sqlalchemy.orm import aliased, defer
from sqlalchemy.orm.attributes import set_committed_value

from lms.courses.models import Course, Lesson, MediaFile
from lms.extensions import db
from lms.orgs.models import Organization


def _viewer(user) -> tuple[str, dict]:
    """Which visibility rule applies to ``user``, and its parameters."""
    if user.is_admin:
        return "admin", {}
    if user.org_id:
        return "branch", {"viewer_org": user.org_id}
    return "outside", {}


@cache
def _visibility(kind: str):
    """Published, and open to all or to a subtree holding the viewer's branch. The branch's path
    is a subquery on the ``viewer_org`` parameter, so the check costs no statement of its own."""
    open_to_viewer = Course.audience_org_id.is_(None)
    if kind == "admin":
        open_to_viewer = true()
    elif kind == "branch":
        audience = select(Organization.path).where(
            Organization.id == Course.audience_org_id).scalar_subquery()
        own_path = select(Organization.path).where(
            Organization.id == bindparam("viewer_org")).scalar_subquery()
        open_to_viewer = or_(open_to_viewer, own_path.startswith(audience))
    return and_(Course.status == "published", open_to_viewer)


def visible_to(user):
    """A WHERE clause: the courses ``user`` may see."""
    kind, params = _viewer(user)
    return _visibility(kind).params(params)


def catalogue(user, *, category: str = "", q: str = "") -> list[tuple[Course, int, int]]:
    """Visible courses with their lesson count and total minutes (one query)."""
    totals = (select(Lesson.course_id, func.count(Lesson.id).label("lessons"),
                     func.coalesce(func.sum(Lesson.minutes), 0).label("minutes"))
              .where(Lesson.archived.is_(False)).group_by(Lesson.course_id).subquery())
    stmt = (select(Course, func.coalesce(totals.c.lessons, 0), func.coalesce(totals.c.minutes, 0))
            .outerjoin(totals, totals.c.course_id == Course.id)
            .where(visible_to(user))
            .order_by(Course.required.desc(), Course.category, Course.title))
    if category:
        stmt = stmt.where(Course.category == category)
    q = q.strip()
    if q:
        stmt = stmt.where(or_(Course.title.contains(q, autoescape=True),
                              Course.summary.contains(q, autoescape=True)))
    return [tuple(row) for row in db.session.execute(stmt)]


@cache
def _course_by_slug(kind: str):
    return select(Course).where(Course.slug == bindparam("slug"), _visibility(kind))


def visible_course(user, slug: str) -> Course | None:
    # hot (every course and lesson page): the statement is built once per rule, not per request
    kind, params = _viewer(user)
    return db.session.scalar(_course_by_slug(kind), {"slug": slug, **params})


def visible_lesson(user, lesson_id: int) -> Lesson | None:
    """A live lesson of a course ``user`` may see, by id (the study pages post lesson ids)."""
    return db.session.scalar(
        select(Lesson).join(Course, Course.id == Lesson.course_id)
        .where(Lesson.id == lesson_id, Lesson.archived.is_(False),
               visible_to(user)))


def course_lessons(course: Course) -> list[Lesson]:
    """The live lessons in reading order, without their text: the outline and previous/next
    need titles only (30 lessons' Markdown and HTML would be read for nothing); the lesson page
    loads the one lesson's ``html`` when it shows it (one more query, whatever the course)."""
    return list(db.session.scalars(select(Lesson).options(defer(Lesson.body), defer(Lesson.html))
                                   .where(Lesson.course_id == course.id,
                                          Lesson.archived.is_(False))
                                   .order_by(Lesson.position)))


@dataclass
class LessonPage:
    lessons: list[Lesson]  # the live lessons in reading order, text deferred
    index: int  # of the lesson shown
    audio: MediaFile | None

    @property
    def lesson(self) -> Lesson:
        return self.lessons[self.index]


_shown = Lesson.key == bindparam("key")
_audio = aliased(MediaFile)
#: the outline with the shown lesson's HTML and audio (see lesson_page); built once
_LESSON_PAGE = (
    select(Lesson, case((_shown, Lesson.html)), _audio)
    .options(defer(Lesson.body), defer(Lesson.html))
    .outerjoin(_audio, and_(_shown, _audio.course_id == Lesson.course_id,
                            _audio.path == Lesson.audio))
    .where(Lesson.course_id == bindparam("course_id"), Lesson.archived.is_(False))
    .order_by(Lesson.position))


def next_lesson_key(lesson: Lesson) -> str | None:
    """The key of the live lesson after ``lesson`` in its course, None after the last."""
    return db.session.scalar(
        select(Lesson.key).where(Lesson.course_id == lesson.course_id, Lesson.archived.is_(False),
                                 Lesson.position > lesson.position)
        .order_by(Lesson.position).limit(1))


def lesson_page(course: Course, key: str) -> LessonPage | None:
    """The outline with the one lesson's HTML and audio file, in one query: every row carries
    its lesson's title and position, and the row of lesson ``key`` also its ``html`` and its
    audio (outer-joined on that row only)."""
    rows = db.session.execute(_LESSON_PAGE, {"course_id": course.id, "key": key}).all()
    index = next((i for i, row in enumerate(rows) if row[0].key == key), None)
    if index is None:
        return None
    lesson, html, media = rows[index]
    set_committed_value(lesson, "html", html)
    return LessonPage([row[0] for row in rows], index, media)


def lesson_audio(lesson: Lesson) -> MediaFile | None:
    if not lesson.audio:
        return None
    return db.session.scalar(select(MediaFile).where(
        MediaFile.course_id == lesson.course_id, MediaFile.path == lesson.audio))
