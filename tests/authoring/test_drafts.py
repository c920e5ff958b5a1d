"""Issue 13, item 11: edits to a published course wait in a draft until the trainer publishes
them (发布修改) or drops them (放弃修改); members never read a half-edited lesson."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from lms.audit.labels import action_label
from lms.audit.models import AuditLog
from lms.authoring import bank, drafts, services
from lms.authoring.models import LessonDraft
from lms.authoring.pack_sync import course_to_pack, import_folders
from lms.core.errors import Conflict, NotAllowed, ValidationFailed
from lms.core.questions import QuestionData
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.quizzes import services as quizzes
from lms.quizzes.models import Attempt, Quiz
from tests.helpers import EDITOR_COURSE, answers_for, home_org, png, run_all

NEW_BODY = "## 新的正文\n\n支部把党课送到**渔船**上。"


@pytest.fixture
def published(trainer, make_course):
    """EDITOR_COURSE, published: two lessons, a check on the first, a final quiz."""
    return make_course(**EDITOR_COURSE, owner=trainer)


def _lesson_text(web, course, key: str) -> str:
    response = web.get(f"/courses/{course.slug}/lessons/{key}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _audit(action: str) -> int:
    return db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == action))


def _edit(trainer, lesson, **changes):
    values = dict(title=lesson.title, minutes=lesson.minutes, body=lesson.body,
                  audio=lesson.audio)
    values.update(changes)
    return services.update_lesson(trainer, drafts.working(lesson), **values)


def test_a_member_reads_the_published_text_until_the_changes_are_published(
        published, trainer, member, client_for):
    course, lesson = published.course, published.lesson
    version, lesson_version = course.version, lesson.version
    reader = client_for(member)
    assert "田间地头" in _lesson_text(reader, course, lesson.key)

    assert _edit(trainer, lesson, title="改过的课名", body=NEW_BODY)
    page = _lesson_text(reader, course, lesson.key)
    assert "田间地头" in page and "<strong>渔船</strong>" not in page and "改过的课名" not in page
    assert "改过的课名" not in reader.get(f"/courses/{course.slug}/").get_data(as_text=True)
    # the editor shows the draft, with the banner
    editor = client_for(trainer).get(f"/authoring/courses/{course.id}/lessons/{lesson.id}")
    text = editor.get_data(as_text=True)
    assert "有未发布的修改" in text and "新的正文" in text and "改过的课名" in text
    assert (course.version, lesson.version) == (version, lesson_version)

    changes = services.publish_changes(trainer, course)
    assert changes == {lesson.key: ["body", "html", "title"]}
    page = _lesson_text(reader, course, lesson.key)
    assert "<strong>渔船</strong>" in page and "改过的课名" in page and "田间地头" not in page
    assert (course.version, lesson.version) == (version + 1, lesson_version + 1)
    assert db.session.scalar(select(func.count(LessonDraft.id))) == 0
    row = db.session.scalar(select(AuditLog).where(
        AuditLog.action == "authoring.course.publish_changes"))
    assert row.actor_id == trainer.id and json.loads(row.detail)["version"] == course.version
    assert action_label("authoring.course.publish_changes") == "发布修改"


def test_discarding_restores_the_published_course(published, trainer, member, client_for):
    course, first = published.course, published.lesson
    second = services.live_lessons(course)[1]
    _edit(trainer, first, body=NEW_BODY)
    services.move_lesson(trainer, second, "up")
    services.set_lesson_archived(trainer, second, True)
    added = services.add_lesson(trainer, course, title="新加的一课", minutes=4)
    check = bank.ensure_check(trainer, added)
    assert check.archived  # members cannot start it before 发布修改
    assert [x.title for x in drafts.working_lessons(course)] == ["第1课", "新加的一课"]
    reader = client_for(member)
    outline = reader.get(f"/courses/{course.slug}/").get_data(as_text=True)
    assert "新加的一课" not in outline and "第2课" in outline

    added_id, check_id = added.id, check.id
    services.discard_changes(trainer, course)
    assert db.session.scalar(select(func.count(LessonDraft.id))) == 0
    assert db.session.get(Lesson, added_id) is None and db.session.get(Quiz, check_id) is None
    assert [x.key for x in drafts.working_lessons(course)] == [first.key, second.key]
    assert "田间地头" in _lesson_text(reader, course, first.key)
    assert _audit("authoring.course.discard_changes") == 1
    with pytest.raises(Conflict):
        services.discard_changes(trainer, course)
    with pytest.raises(Conflict):
        services.publish_changes(trainer, course)


def test_a_lesson_added_to_a_published_course_appears_with_the_changes(
        published, trainer, member, client_for):
    course = published.course
    added = services.add_lesson(trainer, course, title="新加的一课", minutes=4)
    assert added.archived and db.session.get(Course, course.id).status == "published"
    reader = client_for(member)
    assert reader.get(f"/courses/{course.slug}/lessons/{added.key}").status_code == 404
    # no text yet: the publish checks refuse it, and nothing changes
    with pytest.raises(ValidationFailed) as caught:
        services.publish_changes(trainer, course)
    assert any("还没有正文" in p for p in caught.value.problems)
    assert db.session.get(Lesson, added.id).archived
    assert drafts.pending_count(course) == 1
    _edit(trainer, added, body="新课的正文。")
    services.publish_changes(trainer, course)
    assert "新课的正文" in _lesson_text(reader, course, added.key)
    assert [x.key for x in services.live_lessons(course)][-1] == added.key


def test_reordering_and_archiving_wait_for_publishing(published, trainer, member, client_for):
    course, first = published.course, published.lesson
    second = services.live_lessons(course)[1]
    services.move_lesson(trainer, second, "up")
    assert [x.key for x in services.live_lessons(course)] == [first.key, second.key]
    assert [x.key for x in drafts.working_lessons(course)] == [second.key, first.key]
    services.move_lesson(trainer, second, "down")  # back as published: no draft is left
    assert drafts.pending_count(course) == 0
    services.set_lesson_archived(trainer, second, True)
    reader = client_for(member)
    assert reader.get(f"/courses/{course.slug}/lessons/{second.key}").status_code == 200
    services.publish_changes(trainer, course)
    assert reader.get(f"/courses/{course.slug}/lessons/{second.key}").status_code == 404


def test_the_hours_rule_applies_to_the_course_as_it_will_be(trainer, make_course, member,
                                                             client_for):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    second = services.live_lessons(course)[1]
    _edit(trainer, second, minutes=40)
    services.update_course(trainer, course, title=course.title, summary=course.summary,
                           category=course.category, required=course.required, credit_hours=1,
                           audience=home_org(trainer))
    services.publish_course(trainer, course)
    _edit(trainer, second, minutes=10)  # 1 学时 is now more than the reading time allows
    with pytest.raises(ValidationFailed) as caught:
        services.publish_changes(trainer, course)
    assert any("学时不能超过 0.5" in p for p in caught.value.problems)
    assert db.session.get(Lesson, second.id).minutes == 40 and drafts.pending_count(course) == 1
    page = client_for(trainer).get(f"/authoring/courses/{course.id}").get_data(as_text=True)
    assert "修改还不能发布" in page and "学时不能超过 0.5" in page


def test_only_the_course_editors_publish_or_discard(published, trainer, other_trainer,
                                                     client_for):
    course = published.course
    _edit(trainer, published.lesson, body=NEW_BODY)
    for action in (services.publish_changes, services.discard_changes):
        with pytest.raises(NotAllowed):
            action(other_trainer, course)
    web = client_for(other_trainer)
    for path in ("changes/publish", "changes/discard", "changes"):
        request = web.get if path == "changes" else web.post
        assert request(f"/authoring/courses/{course.id}/{path}").status_code == 404
    assert drafts.pending_count(course) == 1
    assert _audit("authoring.course.publish_changes") == 0


def test_the_banner_buttons_publish_and_discard(published, trainer, member, client_for):
    course, lesson = published.course, published.lesson
    web = client_for(trainer)
    assert "有未发布的修改" not in web.get(f"/authoring/courses/{course.id}").get_data(
        as_text=True)
    web.post(f"/authoring/courses/{course.id}/lessons/{lesson.id}", data={
        "title": lesson.title, "minutes": "3", "body": NEW_BODY, "audio": "", "action": "save"},
        follow_redirects=True)
    page = web.get(f"/authoring/courses/{course.id}").get_data(as_text=True)
    assert "有未发布的修改" in page and "发布修改" in page and "放弃修改" in page
    assert "有未发布的修改" in web.get("/authoring/").get_data(as_text=True)
    preview = web.get(f"/authoring/courses/{course.id}/changes").get_data(as_text=True)
    assert "有修改" in preview and lesson.title in preview
    as_member = web.get(f"/authoring/courses/{course.id}/lessons/{lesson.id}/as-member")
    assert "<strong>渔船</strong>" in as_member.get_data(as_text=True)
    done = web.post(f"/authoring/courses/{course.id}/changes/publish", follow_redirects=True)
    assert "修改已发布" in done.get_data(as_text=True)
    assert "<strong>渔船</strong>" in _lesson_text(client_for(member), course, lesson.key)


def test_an_image_uploaded_after_the_draft_names_it_shows_in_the_draft_only(
        published, trainer, member, client_for):
    course, lesson = published.course, published.lesson
    _edit(trainer, lesson, body=lesson.body + "\n![渔船](media/boat.png)\n")
    client_for(trainer).post(f"/authoring/courses/{course.id}/media",
                             data={"file": (io.BytesIO(png()), "boat.png")},
                             content_type="multipart/form-data")
    assert "<img" in drafts.working(lesson).html
    assert "<img" not in _lesson_text(client_for(member), course, lesson.key).split(
        'id="lesson-body"')[1].split("</div>")[0]
    services.publish_changes(trainer, course)
    assert "<img" in db.session.get(Lesson, lesson.id).html


def test_unpublishing_keeps_the_changes_as_the_draft_course(published, trainer):
    course, lesson = published.course, published.lesson
    _edit(trainer, lesson, body=NEW_BODY)
    services.unpublish_course(trainer, course)
    assert drafts.pending_count(course) == 0
    assert db.session.get(Lesson, lesson.id).body == NEW_BODY
    _edit(trainer, lesson, body="草稿课程直接改。")  # a draft course changes at once
    assert db.session.get(Lesson, lesson.id).body == "草稿课程直接改。"


def test_a_question_edit_never_changes_an_attempt_under_way(published, trainer, member):
    """Questions are not drafted: attempts hold their own snapshot of the questions and rules."""
    check = published.check
    attempt = quizzes.start_attempt(member, check.id).attempt
    shown = [dict(entry) for entry in attempt.snapshot]
    for question in bank.live_questions(check):
        data = question.to_data()
        bank.save_question(trainer, check, question, QuestionData(
            key=data.key, kind="truefalse", stem="改过的题干", answer=(False,),
            explanation="改过的解析"))
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.snapshot == shown
    result = quizzes.submit_attempt(member, attempt.id, answers_for(attempt, len(shown)))
    assert result.attempt.passed  # graded against what the member was shown


def test_a_member_lesson_page_costs_the_same_queries_with_a_draft(published, trainer, member,
                                                                  client_for, count_queries):
    course, lesson = published.course, published.lesson
    reader = client_for(member)
    url = f"/courses/{course.slug}/lessons/{lesson.key}"

    def counted() -> int:
        assert reader.get(url).status_code == 200
        with count_queries() as n:
            assert reader.get(url).status_code == 200
        return n[0]

    before = counted()
    _edit(trainer, lesson, body=NEW_BODY)
    services.add_lesson(trainer, course, title="新加的一课")
    assert counted() == before  # the reader never looks at drafts


def test_the_banner_reads_in_english(published, trainer, client_for):
    course = published.course
    _edit(trainer, published.lesson, body=NEW_BODY)
    web = client_for(trainer)
    web.get("/lang/en")
    page = web.get(f"/authoring/courses/{course.id}").get_data(as_text=True)
    assert "Unpublished changes" in page and "Publish changes" in page
    assert "Discard changes" in page and "有未发布的修改" not in page


def test_the_pack_carries_the_editors_copy_and_an_import_replaces_the_drafts(
        published, trainer, client_for, tmp_path):
    course, lesson = published.course, published.lesson
    _edit(trainer, lesson, body=NEW_BODY)
    added = services.add_lesson(trainer, course, title="新加的一课")
    _edit(trainer, added, body="新课的正文。")
    pack, _media = course_to_pack(course)
    assert [x.body for x in pack.lessons] == [NEW_BODY, "第2课的课文。", "新课的正文。"]
    data = client_for(trainer).get(f"/authoring/courses/{course.id}/pack.zip").data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path)
    import_folders([tmp_path / course.slug])
    assert drafts.pending_count(course) == 0
    assert db.session.get(Lesson, lesson.id).body == NEW_BODY
    assert not db.session.get(Lesson, added.id).archived


def test_publishing_again_does_not_slip_the_changes_past_their_checks(published, trainer,
                                                                      member, client_for):
    """发布 on a course already published is refused: the drafts go out only through
    发布修改, which checks them first."""
    course, lesson = published.course, published.lesson
    version = course.version
    assert _edit(trainer, lesson, body=NEW_BODY)
    with pytest.raises(Conflict):
        services.publish_course(trainer, course)
    page = client_for(trainer).post(f"/authoring/courses/{course.id}/publish", data={},
                                    follow_redirects=True).get_data(as_text=True)
    assert "发布修改" in page
    assert course.version == version
    assert "田间地头" in _lesson_text(client_for(member), course, lesson.key)


def test_two_editors_making_the_first_change_at_once_share_one_draft(app, published, trainer):
    """Two requests make a lesson's first change at the same moment (threads, each its own
    session): the second waits for the first and edits its draft; neither fails."""
    from lms.auth.models import User

    lesson_id, trainer_id = published.lesson.id, trainer.id

    def edit(title):
        def job():
            with app.app_context():
                editor = db.session.get(User, trainer_id)
                return _edit(editor, db.session.get(Lesson, lesson_id), title=title)
        return job

    db.session.commit()  # end this session's read (SQLite keeps its snapshot until then)
    results = run_all([edit("甲改的课名"), edit("乙改的课名")])
    assert not [r for r in results if isinstance(r, Exception)], results
    db.session.rollback()
    titles = db.session.scalars(select(LessonDraft.title)).all()
    assert len(titles) == 1 and titles[0] in ("甲改的课名", "乙改的课名")
