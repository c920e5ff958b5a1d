"""Unpublished changes to a published course: copy-on-write lesson drafts.

Members read a lesson's own columns (``lms/courses/queries.py`` is untouched by drafts). While a
course is published, the editor's lesson changes (text, title, minutes, audio, order, archiving,
a new lesson) go to a :class:`LessonDraft` made from the lesson on its first change; the editor
shows each lesson through :class:`Working`, the draft's fields over the lesson's. A lesson added
to a published course is archived for members, with a draft (``is_new``) that shows it live.
``services.publish_changes`` copies the drafts onto the lessons (through the publish checks) and
``services.discard_changes`` drops them. Questions are not drafted: attempts hold snapshots of
their questions and rules, so an edit never changes an attempt under way.
"""
from __future__ import annotations

from sqlalchemy import func, select

from lms.authoring.models import LessonDraft
from lms.courses.models import Course, Lesson
from lms.extensions import db

#: the lesson columns a draft holds
FIELDS = ("title", "minutes", "body", "html", "audio", "position", "archived")


class Working:
    """A lesson as its editor sees it: its draft's fields (when it has one) over its own."""

    __slots__ = ("lesson", "draft")

    def __init__(self, lesson: Lesson, draft: LessonDraft | None = None):
        self.lesson, self.draft = lesson, draft

    def __getattr__(self, name):
        if name in FIELDS and self.draft is not None:
            return getattr(self.draft, name)
        return getattr(self.lesson, name)

    @property
    def changed(self) -> bool:
        return self.draft is not None

    @property
    def is_new(self) -> bool:
        return self.draft is not None and self.draft.is_new


def drafting(course: Course) -> bool:
    """Whether changes to ``course`` wait for 发布修改 (it is published) or apply at once."""
    return course.status == "published"


def unwrap(lesson) -> Lesson:
    return lesson.lesson if isinstance(lesson, Working) else lesson


def pending(course: Course) -> dict[int, LessonDraft]:
    """The course's lesson drafts by lesson id (one query)."""
    return {d.lesson_id: d for d in db.session.scalars(
        select(LessonDraft).where(LessonDraft.course_id == course.id))}


def pending_count(course: Course) -> int:
    return db.session.scalar(select(func.count(LessonDraft.id)).where(
        LessonDraft.course_id == course.id))


def courses_with_changes(course_ids) -> set[int]:
    """Which of ``course_ids`` have unpublished changes (one query)."""
    ids = list(course_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(LessonDraft.course_id).where(
        LessonDraft.course_id.in_(ids)).distinct()))


def working(lesson) -> Working:
    lesson = unwrap(lesson)
    return Working(lesson, db.session.scalar(
        select(LessonDraft).where(LessonDraft.lesson_id == lesson.id)))


def working_lessons(course: Course, *, archived: bool = False) -> list[Working]:
    """The course's lessons as the editor sees them, in reading order: the live ones, or
    (``archived=True``) every one, the archived last (two queries)."""
    drafts = pending(course)
    rows = [Working(lesson, drafts.get(lesson.id)) for lesson in db.session.scalars(
        select(Lesson).where(Lesson.course_id == course.id))]
    if not archived:
        rows = [row for row in rows if not row.archived]
    return sorted(rows, key=lambda row: (row.archived, row.position, row.id))


def draft_of(lesson: Lesson, draft: LessonDraft | None = None) -> LessonDraft:
    """The lesson's draft, made from the lesson when it has none (caller commits)."""
    if draft is None:
        # the lesson's row first: a second editor's first change waits here, then finds the
        # draft the first one made instead of tripping over its unique key (PostgreSQL)
        db.session.execute(select(Lesson.id).where(Lesson.id == lesson.id).with_for_update())
        draft = db.session.scalar(select(LessonDraft).where(LessonDraft.lesson_id == lesson.id))
    if draft is None:
        draft = LessonDraft(lesson_id=lesson.id, course_id=lesson.course_id,
                            **{name: getattr(lesson, name) for name in FIELDS})
        db.session.add(draft)
    return draft


def settle(lesson: Lesson, draft: LessonDraft) -> None:
    """Drop a draft that no longer differs from its lesson (a change undone by hand)."""
    if not draft.is_new and all(getattr(draft, n) == getattr(lesson, n) for n in FIELDS):
        if draft in db.session.new:
            db.session.expunge(draft)
        else:
            db.session.delete(draft)


def changed_fields(lesson: Lesson, draft: LessonDraft) -> list[str]:
    return sorted(name for name in FIELDS if getattr(draft, name) != getattr(lesson, name))
