"""Courses, their lessons and media."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.i18n import N_
from lms.core.models import IdMixin, TimestampMixin
from lms.extensions import db

CATEGORIES = (N_("理论"), N_("政策"), N_("实用技术"), N_("干部"), N_("农民"))
COURSE_STATUSES = ("draft", "published", "archived")


class Course(IdMixin, TimestampMixin, db.Model):
    """A course: published ones are what members see; the version counts content changes."""

    __tablename__ = "courses"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(10))
    required: Mapped[bool] = mapped_column(default=False)
    #: 学时 credited once when the course is passed
    credit_hours: Mapped[float] = mapped_column(Numeric(6, 2, asdecimal=False))
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    version: Mapped[int] = mapped_column(default=1)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: None: open to every organisation; else that node's subtree
    audience_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    #: sha256 over the last imported pack, so importing the same pack twice changes nothing
    pack_digest: Mapped[str] = mapped_column(String(64), default="")
    published_at: Mapped[datetime | None]
    #: the works the course draws on and quotes: ``[{title, author, date, note}]`` in pack order
    sources: Mapped[list] = mapped_column(JSON, default=list)
    #: study minutes outside the lessons and quizzes that the 学时 rule counts, and what they are
    credit_extra_minutes: Mapped[int] = mapped_column(default=0)
    credit_extra_reason: Mapped[str] = mapped_column(String(300), default="")

    lessons = relationship("Lesson", back_populates="course", lazy="raise_on_sql",
                           order_by="Lesson.position")
    audience_org = relationship("Organization", lazy="raise_on_sql")


class Lesson(IdMixin, TimestampMixin, db.Model):
    """A short lesson; ``html`` is the sanitised rendering of ``body``, made when body changes."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    #: the stable id from the pack (front matter ``id``)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(120))
    minutes: Mapped[int] = mapped_column(default=5)
    body: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    #: pack-relative path of the lesson's audio (a MediaFile of the course), if any
    audio: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)
    archived: Mapped[bool] = mapped_column(default=False)

    course = relationship("Course", back_populates="lessons", lazy="raise_on_sql")


class MediaFile(IdMixin, TimestampMixin, db.Model):
    """An image or audio file of a course, stored on disk under its content hash."""

    __tablename__ = "media_files"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    #: the name lessons use, e.g. "media/boat.png"
    path: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(60))
