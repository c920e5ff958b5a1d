"""The catalogue, course and lesson pages run a fixed number of queries, whatever the data size.

Each page is visited once to warm up, then counted. The counts include what other domains add
to these pages through page extras (progress marks, the lesson check).
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.courses.models import Lesson, MediaFile
from lms.extensions import db


def queries_for(client, count_queries, url: str) -> int:
    assert client.get(url).status_code == 200
    with count_queries() as counted:
        response = client.get(url)
    assert response.status_code == 200, url
    return counted[0]


@pytest.fixture
def reader(client_for, member):
    return client_for(member)


def test_the_catalogue_runs_the_same_queries_for_3_and_30_courses(reader, count_queries,
                                                                  make_course, tree):
    for _ in range(2):
        make_course(lessons=2, category="政策")
    make_course(lessons=4, audience=tree["a"], category="政策")
    few = queries_for(reader, count_queries, "/courses/")
    for _ in range(20):
        make_course(lessons=3, category="政策")
    for _ in range(7):
        make_course(lessons=1, audience=tree["a"], category="政策")
    assert queries_for(reader, count_queries, "/courses/") == few
    assert queries_for(reader, count_queries, "/courses/?q=课&category=政策") == few


@pytest.mark.parametrize("page", ["course", "lesson"])
def test_course_and_lesson_pages_run_the_same_queries_for_6_and_30_lessons(
        reader, count_queries, make_course, tree, page):
    small = make_course(lessons=6, audience=tree["a"]).course
    large = make_course(lessons=30, audience=tree["a"]).course
    for _ in range(28):
        make_course(lessons=2, category="政策")

    def url(course, key="l3"):
        return f"/courses/{course.slug}/" if page == "course" else \
            f"/courses/{course.slug}/lessons/{key}"

    counts = {queries_for(reader, count_queries, url(small)),
              queries_for(reader, count_queries, url(large)),
              queries_for(reader, count_queries, url(large, "l30")),
              queries_for(reader, count_queries, url(large, "l1"))}
    assert len(counts) == 1, counts


def test_a_lesson_with_audio_costs_no_more_queries_than_one_without(reader, count_queries,
                                                                    make_course):
    course = make_course(lessons=3).course
    db.session.add(MediaFile(course_id=course.id, path="media/a.mp3", sha256="a" * 64, size=10,
                             content_type="audio/mpeg"))
    db.session.scalar(select(Lesson).where(Lesson.key == "l2")).audio = "media/a.mp3"
    db.session.commit()
    with_audio = queries_for(reader, count_queries, f"/courses/{course.slug}/lessons/l2")
    without = queries_for(reader, count_queries, f"/courses/{course.slug}/lessons/l3")
    assert with_audio == without  # the audio row comes with the outline


def test_a_lesson_page_reads_everything_in_a_handful_of_statements(reader, count_queries,
                                                                     make_course):
    """The lesson page is the one members open most. Besides the user and their roles: the
    course (visibility included), the outline with the lesson's HTML and audio, the check, and
    the completion mark; SQLite adds the explicit BEGIN (lms/database.py)."""
    course = make_course(lessons=3).course
    expected = 6 + (db.engine.dialect.name == "sqlite")
    assert queries_for(reader, count_queries, f"/courses/{course.slug}/lessons/l2") == expected
