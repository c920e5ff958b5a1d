"""Saving a course to the phone: the server's side.

Saving starts, on the server, an attempt at every lesson check the member has still to pass (the
questions drawn and shuffled now, kept as the attempt's snapshot), so the pages the phone keeps
show those attempts' questions and options — never the answers — and what the member answers at
sea is graded later against exactly what they saw. Then it lists what the phone must fetch: the
course page, every live lesson page, their images and audio.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import url_for
from sqlalchemy import select

from lms.core.errors import DomainError
from lms.courses import media
from lms.courses.models import Course, Lesson, MediaFile
from lms.extensions import db
from lms.progress.services import enroll
from lms.quizzes import services as quizzes
from lms.quizzes.models import Quiz

#: a lesson's HTML names its images by their content hash (lms.courses.media)
_MEDIA_IN_HTML = re.compile(r'/media/([0-9a-f]{64})\.([a-z0-9]{2,4})')
#: a guess for a lesson page's bytes before it is fetched (the page around the text, raw)
PAGE_OVERHEAD = 9000


@dataclass(frozen=True)
class SaveItem:
    url: str
    #: expected bytes (exact for media; a guess for pages): the phone's progress bar total
    size: int


def cache_name(user_id: int, slug: str) -> str:
    """The phone's cache for one member's saved course (static/js/offline.js, sw.js)."""
    return f"fieldside-saved-v1-m{user_id}-{slug}"


def prepare_course(user, course: Course) -> list[SaveItem]:
    """Start the offline lesson checks and list what the phone fetches to keep ``course``.

    Enrols the member. Each live lesson check without a time limit gets an attempt in progress (the one already in
    progress is kept; a passed check needs none). Checks with a time limit, and the final quiz,
    stay online. Returns the course page first, then the lesson pages in reading order, then
    each image and audio file once.
    """
    lessons = db.session.execute(
        select(Lesson.id, Lesson.key, Lesson.html, Lesson.audio)
        .where(Lesson.course_id == course.id, Lesson.archived.is_(False))
        .order_by(Lesson.position)).all()
    checks = db.session.execute(
        select(Quiz.id).where(Quiz.course_id == course.id, Quiz.archived.is_(False),
                              Quiz.lesson_id.in_([row.id for row in lessons]),
                              Quiz.time_limit_minutes == 0)).scalars().all()
    enroll(user, course)  # saving it is choosing to study it: it shows under 正在学习
    for quiz_id in checks:
        try:
            quizzes.start_attempt(user, quiz_id)
        except DomainError:
            pass  # passed already, or no questions: nothing to answer offline
    items = [SaveItem(url_for("courses.course", slug=course.slug), PAGE_OVERHEAD)]
    hashes: dict[str, str] = {}
    for row in lessons:
        items.append(SaveItem(url_for("courses.lesson", slug=course.slug, key=row.key),
                              PAGE_OVERHEAD + len((row.html or "").encode())))
        for sha, ext in _MEDIA_IN_HTML.findall(row.html or ""):
            hashes.setdefault(sha, "." + ext)
    audio_paths = [row.audio for row in lessons if row.audio]
    files = db.session.execute(
        select(MediaFile.sha256, MediaFile.content_type, MediaFile.size, MediaFile.path)
        .where(MediaFile.course_id == course.id)).all()
    sizes = {f.sha256: f.size for f in files}
    for f in files:
        if f.path in audio_paths:
            hashes.setdefault(f.sha256, media.extension_for(f.content_type))
    for sha, ext in hashes.items():
        items.append(SaveItem(f"{media.MEDIA_URL}{sha}{ext}", sizes.get(sha, 0)))
    db.session.rollback()
    return items
