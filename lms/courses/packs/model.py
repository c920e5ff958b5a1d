"""Plain data for a course pack, the problems found reading one, and the format's limits.

Pure Python: no Flask, no database. The format itself is described in ``docs/course-packs.md``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lms.core.questions import QuestionData

CATEGORIES = ("理论", "政策", "实用技术", "干部", "农民")
GRADINGS = ("highest", "last")
MULTIPLE_SCORINGS = ("all_or_nothing", "partial")
IMAGE_TYPES = ("png", "jpg", "jpeg", "gif", "webp")
AUDIO_TYPES = ("mp3", "m4a", "ogg", "webm")
MEDIA_TYPES = IMAGE_TYPES + AUDIO_TYPES
TEXT_TYPES = ("md", "yaml", "yml")

MAX_TEXT_BYTES = 256 * 1024  #: a Markdown or YAML file
MAX_MEDIA_BYTES = 20 * 1024 * 1024  #: any other file
MAX_FILES = 200
MAX_LESSONS = 30
MAX_TITLE = 120
MAX_SUMMARY = 500
MAX_SOURCES = 30
MAX_SOURCE_FIELD = 300

SLUG = re.compile(r"[a-z0-9-]+")
LESSON_ID = re.compile(r"[a-z0-9-]{1,40}")
QUESTION_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack: ``path`` is relative to the folder holding the pack
    (``dangke-tianjian/lessons/01-fields.md``), ``line`` is 1-based, 0 when no line applies."""

    path: str
    line: int = 0
    message: str = ""

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}: {self.message}"
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class SourceRef:
    """A work the course draws on or quotes (``sources`` in ``course.yaml``): its title, author or
    publisher, date as written (``2022-10-16``, ``2019-05``, or words when the work has none), and
    an optional note on what the course takes from it."""

    title: str
    author: str
    date: str
    note: str = ""


@dataclass(frozen=True)
class MediaFile:
    """A file under ``media/``: ``path`` relative to the pack (``media/photo.png``)."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class CheckData:
    """A lesson check (随堂测验): passed with ``mastery_required`` questions right."""

    mastery_required: int
    questions: tuple[QuestionData, ...]


@dataclass(frozen=True)
class LessonData:
    """One lesson. ``file`` is relative to the pack (``lessons/01-fields.md``; ``""`` lets
    ``write_pack`` name it), ``position`` counts from 1 in reading order, ``audio`` is a
    pack-relative path or None, ``body`` the Markdown source without its front matter."""

    id: str
    file: str
    position: int
    title: str
    minutes: int
    audio: str | None
    body: str
    check: CheckData | None


@dataclass(frozen=True)
class QuizData:
    """The final quiz: ``draw`` questions per attempt from ``questions``; 0 attempts or 0 minutes
    means no limit."""

    pass_percent: int
    draw: int
    max_attempts: int = 3
    time_limit_minutes: int = 0
    grading: str = "highest"
    multiple_scoring: str = "all_or_nothing"
    review: bool = True
    #: the final quiz waits until every lesson counts unless this is True
    open_before_lessons: bool = False
    questions: tuple[QuestionData, ...] = ()


@dataclass(frozen=True)
class Pack:
    """A whole course pack as plain data; ``slug`` is the pack's folder name."""

    slug: str
    title: str
    summary: str
    category: str
    required: bool
    credit_hours: float
    audience: str
    lessons: tuple[LessonData, ...]
    final_quiz: QuizData | None = None
    media: tuple[MediaFile, ...] = ()
    sources: tuple[SourceRef, ...] = ()
    #: minutes of study the lessons and quizzes do not show (a discussion, a field visit), which
    #: the 学时 rule adds when ``credit_extra_reason`` says what they are
    credit_extra_minutes: int = 0
    credit_extra_reason: str = ""

    def questions(self) -> tuple[QuestionData, ...]:
        """Every question of the pack: lesson checks in reading order, then the final quiz."""
        found = [q for lesson in self.lessons if lesson.check for q in lesson.check.questions]
        if self.final_quiz:
            found.extend(self.final_quiz.questions)
        return tuple(found)


@dataclass(frozen=True)
class PackResult:
    """What ``read_pack`` found: a pack, or (never both) every problem."""

    pack: Pack | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.pack is not None
