"""Who may edit a course besides its owner; a published course's unpublished lesson changes."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.models import IdMixin, TimestampMixin
from lms.extensions import db


class CourseAuthor(IdMixin, TimestampMixin, db.Model):
    """A co-author of a course: edits it like the owner, but does not manage its authors."""

    __tablename__ = "course_authors"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


class LessonDraft(IdMixin, TimestampMixin, db.Model):
    """A lesson's unpublished changes while its course is published (``authoring/drafts.py``).

    Members read the lesson's own columns; the editor shows these over them. The first change
    copies the lesson here; 发布修改 copies them back and deletes the row, 放弃修改 deletes it.
    ``is_new``: the lesson was added after the course was published (it stays archived for
    members until then, and discarding deletes it)."""

    __tablename__ = "lesson_drafts"

    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    minutes: Mapped[int]
    body: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    audio: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int]
    archived: Mapped[bool] = mapped_column(default=False)
    is_new: Mapped[bool] = mapped_column(default=False)
