"""Who may edit a course besides its owner."""
from __future__ import annotations

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.models import IdMixin, TimestampMixin
from lms.extensions import db


class CourseAuthor(IdMixin, TimestampMixin, db.Model):
    """A co-author of a course: edits it like the owner, but does not manage its authors."""

    __tablename__ = "course_authors"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
