"""Round trips: bank → XLSX/GIFT → the same questions; web course → pack zip → another
instance → the same course."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from lms.authoring import bank, services
from lms.authoring.pack_sync import course_to_pack, import_folders
from lms.courses.models import Course
from lms.extensions import db
from lms.quizzes.formats import READERS
from tests.helpers import AIKEN, EDITOR_COURSE, MP3, confirm_import, home_org, png, upload_bank


@pytest.mark.parametrize("fmt", ["xlsx", "gift", "csv"])
def test_a_bank_exports_and_reads_back_the_same(client_for, trainer, make_course, fmt):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    quiz = bank.final_quiz(course)
    response = client_for(trainer).get(
        f"/authoring/courses/{course.id}/quizzes/{quiz.id}/export.{fmt}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    result = READERS[fmt](response.data)
    assert result.ok, result.problems
    assert result.questions == [q.to_data() for q in bank.live_questions(quiz)]


@pytest.mark.parametrize("fmt", ["xlsx", "gift"])
def test_a_bank_moves_to_another_course_unchanged(client_for, trainer, make_course, fmt):
    source = make_course(**EDITOR_COURSE, owner=trainer, status="draft", slug="source").course
    target = services.create_course(trainer, title="另一门课", summary="简介", category="政策",
                                    required=False, credit_hours=0.5,
                                    audience=home_org(trainer))
    lesson = services.add_lesson(trainer, target, title="第一课")
    quiz = bank.final_quiz(source)
    web = client_for(trainer)
    data = web.get(f"/authoring/courses/{source.id}/quizzes/{quiz.id}/export.{fmt}").data
    page = upload_bank(web, target, f"bank.{fmt}", data, target=lesson.key).get_data(as_text=True)
    confirm_import(web, target, page)
    moved = [q.to_data() for q in bank.live_questions(bank.lesson_check(lesson))]
    assert moved == [q.to_data() for q in bank.live_questions(quiz)]


def test_an_exported_bank_reimported_in_update_mode_is_a_fixed_point(client_for, trainer,
                                                                      make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    quiz = bank.final_quiz(course)
    web = client_for(trainer)
    data = web.get(f"/authoring/courses/{course.id}/quizzes/{quiz.id}/export.gift").data
    before = [(q.to_data(), q.version) for q in bank.live_questions(quiz)]
    page = upload_bank(web, course, "bank.gift", data, mode="update").get_data(as_text=True)
    confirm_import(web, course, page)
    assert [(q.to_data(), q.version) for q in bank.live_questions(quiz)] == before


def _empty_database():
    """A fresh instance: every row gone (media files on disk are content-addressed anyway)."""
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def test_a_web_course_exported_and_imported_elsewhere_is_the_same(client_for, trainer,
                                                                  make_course, tmp_path,
                                                                  make_org, tree):
    course = make_course(**EDITOR_COURSE, owner=trainer, slug="web-made").course
    web = client_for(trainer)
    lesson = services.live_lessons(course)[0]
    for name, data in (("boat.png", png()), ("talk.mp3", MP3)):
        web.post(f"/authoring/courses/{course.id}/media",
                 data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    services.update_lesson(trainer, lesson, title=lesson.title, minutes=5,
                           body=lesson.body + "\n![渔船](media/boat.png)\n",
                           audio="media/talk.mp3")
    services.update_course(trainer, course, title=course.title, summary=course.summary,
                           category="干部", required=False, credit_hours=0.5,
                           audience=tree["a"])
    before, before_media = course_to_pack(course)
    response = web.get(f"/authoring/courses/{course.id}/pack.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        assert "web-made/course.yaml" in names and "web-made/media/boat.png" in names
        assert all(name.startswith("web-made/") for name in names)
        archive.extractall(tmp_path)

    _empty_database()
    make_org("A", "branch", name="另一个县的甲村")  # the audience's code exists there too
    outcomes = import_folders([tmp_path / "web-made"])
    imported = outcomes[0].course
    after, after_media = course_to_pack(imported)
    assert after == before
    assert after_media == before_media


def test_the_zip_imports_with_the_flask_command(client_for, trainer, make_course, runner,
                                                tmp_path):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft", slug="cli-trip").course
    course.audience_org_id = None  # "all": the emptied database has no organisations
    db.session.commit()
    title = course.title
    data = client_for(trainer).get(f"/authoring/courses/{course.id}/pack.zip").data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path)
    _empty_database()
    result = runner.invoke(args=["courses", "import", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "cli-trip: 新建" in result.output
    assert db.session.scalar(select(Course.title).where(Course.slug == "cli-trip")) == title


def test_draw_zero_is_written_as_the_bank_size(trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    quiz = bank.final_quiz(course)
    quiz.draw = 0
    db.session.commit()
    pack, _media = course_to_pack(course)
    assert pack.final_quiz.draw == 4


def test_a_course_the_pack_format_cannot_hold_is_refused_with_reasons(client_for, trainer,
                                                                      make_course):
    """Aiken questions carry no explanation, which a pack requires: the export says where."""
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    web = client_for(trainer)
    page = upload_bank(web, course, "aiken.txt", AIKEN).get_data(as_text=True)
    confirm_import(web, course, page)
    response = web.get(f"/authoring/courses/{course.id}/pack.zip", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "课程还不能导出为课程包" in text
    assert "quizzes/final.yaml" in text and "explanation is empty" in text


def test_an_empty_bank_is_not_exported(client_for, trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    lesson = services.live_lessons(course)[1]
    check = bank.ensure_check(trainer, lesson)
    response = client_for(trainer).get(
        f"/authoring/courses/{course.id}/quizzes/{check.id}/export.xlsx", follow_redirects=True)
    assert "题库是空的" in response.get_data(as_text=True)
