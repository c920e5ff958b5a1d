"""Offline fixtures: a course with lesson checks, an image and audio, made in the database."""
from __future__ import annotations

import hashlib
import itertools
import struct
import zlib
from types import SimpleNamespace

import pytest

from lms.extensions import db

_slugs = itertools.count(1)


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + b"\x1e\x6b\x3a" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


TINY_MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + bytes(413)


@pytest.fixture
def offline_course(app):
    """``offline_course(lessons=3, checks=(0, 1), timed=(), media=True, final=True)``: a
    published course whose lessons ``checks`` have a two-question check (mastery 1: answer
    option "乙" to pass), ``timed`` of them with a time limit; lesson 1 shows an image and has
    audio when ``media``."""
    from lms.courses import media as media_store
    from lms.courses.models import Course, Lesson, MediaFile
    from lms.quizzes.models import Question, Quiz

    def make(*, lessons: int = 3, checks=(0, 1), timed=(), media: bool = True,
             final: bool = True, credit: float = 1, title: str | None = None):
        n = next(_slugs)
        course = Course(slug=f"boat-{n}", title=title or f"渔船课程{n}", summary="出海也能学的课",
                        category="理论", required=False, credit_hours=credit,
                        status="published")
        db.session.add(course)
        db.session.flush()
        image = tiny_png()
        sha = hashlib.sha256(image).hexdigest()
        audio_sha = hashlib.sha256(TINY_MP3).hexdigest()
        if media:
            media_store.store(image, sha, ".png")
            media_store.store(TINY_MP3, audio_sha, ".mp3")
            db.session.add_all([
                MediaFile(course_id=course.id, path="media/field.png", sha256=sha,
                          size=len(image), content_type="image/png"),
                MediaFile(course_id=course.id, path="media/one.mp3", sha256=audio_sha,
                          size=len(TINY_MP3), content_type="audio/mpeg")])
        made = []
        for position in range(1, lessons + 1):
            html = f"<p>第{position}课的课文，讲合作社怎样带着大家干。</p>"
            if media and position == 1:
                html += f'<p><img src="/media/{sha}.png" alt="田"></p>'
            lesson = Lesson(course_id=course.id, key=f"l{position}", position=position,
                            title=f"第{position}课", minutes=3, body="正文", html=html,
                            audio="media/one.mp3" if media and position == 1 else None)
            db.session.add(lesson)
            made.append(lesson)
        db.session.flush()
        quizzes = {}
        for i in checks:
            quiz = Quiz(course_id=course.id, lesson_id=made[i].id, mastery_required=1,
                        pass_percent=0, draw=0, time_limit_minutes=5 if i in timed else 0)
            db.session.add(quiz)
            db.session.flush()
            for k in (1, 2):
                db.session.add(Question(
                    course_id=course.id, quiz_id=quiz.id, key=f"q{n}-{i}-{k}", position=k,
                    kind="single", stem=f"第{i + 1}课第{k}题：哪一个对？", options=["甲", "乙"],
                    answer=[1], explanation="秘密解析：乙才对", points=1))
            quizzes[i] = quiz
        final_quiz = None
        if final:
            final_quiz = Quiz(course_id=course.id, lesson_id=None, pass_percent=60, draw=0,
                              time_limit_minutes=20)
            db.session.add(final_quiz)
            db.session.flush()
            db.session.add(Question(course_id=course.id, quiz_id=final_quiz.id, key=f"f{n}",
                                    position=1, kind="single", stem="结业题", options=["甲", "乙"],
                                    answer=[1], explanation="", points=1))
        db.session.commit()
        return SimpleNamespace(course=course, lessons=made, checks=quizzes, final=final_quiz,
                               image_url=f"/media/{sha}.png", audio_url=f"/media/{audio_sha}.mp3")

    return make
