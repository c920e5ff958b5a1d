"""Role × route matrix over every authoring route in app.url_map, and mass assignment."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditLog
from lms.authoring import bank, services
from lms.extensions import db
from tests.helpers import EDITOR_COURSE, sign_in_with_csrf

#: (endpoint, method) → the status the course's own trainer and the admin get. A route missing
#: from this table fails test_the_table_covers_every_route.
EXPECTED = {
    ("authoring.index", "GET"): 200,
    ("authoring.template", "GET"): 200,
    ("authoring.guide", "GET"): 200,
    ("authoring.new_course", "GET"): 200,
    ("authoring.new_course", "POST"): 200,
    ("authoring.course", "GET"): 200,
    ("authoring.course", "POST"): 200,
    ("authoring.publish", "POST"): 302,
    ("authoring.unpublish", "POST"): 302,
    ("authoring.changes", "GET"): 200,
    ("authoring.publish_changes", "POST"): 302,
    ("authoring.discard_changes", "POST"): 302,
    ("authoring.add_author", "POST"): 302,
    ("authoring.remove_author", "POST"): 302,
    ("authoring.export_pack", "GET"): 200,
    ("authoring.import_bank", "GET"): 200,
    ("authoring.import_bank", "POST"): 200,
    ("authoring.import_confirm", "POST"): 200,
    ("authoring.add_lesson", "POST"): 302,
    ("authoring.move_lesson", "POST"): 302,
    ("authoring.archive_lesson", "POST"): 302,
    ("authoring.restore_lesson", "POST"): 302,
    ("authoring.lesson", "GET"): 200,
    ("authoring.lesson", "POST"): 200,
    ("authoring.preview", "POST"): 200,
    ("authoring.lesson_as_member", "GET"): 200,
    ("authoring.upload", "POST"): 302,
    ("authoring.record_audio", "POST"): 400,  # the empty post carries no recording
    ("authoring.create_final", "POST"): 302,
    ("authoring.create_check", "POST"): 302,
    ("authoring.quiz", "GET"): 200,
    ("authoring.quiz", "POST"): 200,
    ("authoring.new_question", "GET"): 200,
    ("authoring.new_question", "POST"): 200,
    ("authoring.question", "GET"): 200,
    ("authoring.question", "POST"): 200,
    ("authoring.remove_question", "POST"): 302,
    ("authoring.restore_question", "POST"): 302,
    ("authoring.quiz_as_member", "GET"): 200,
    ("authoring.export_quiz", "GET"): 200,
}
ROLES = ("anonymous", "member", "secretary", "trainer_other", "trainer_own", "admin")


def _routes(app):
    return sorted((rule.endpoint, method, rule) for rule in app.url_map.iter_rules()
                  if rule.endpoint.startswith("authoring.")
                  for method in rule.methods - {"HEAD", "OPTIONS"})


def test_the_table_covers_every_route(app):
    assert {(endpoint, method) for endpoint, method, _ in _routes(app)} == set(EXPECTED)


def _url(app, rule, course, other_user):
    lesson = services.live_lessons(course)[0]
    quiz = bank.final_quiz(course)
    values = {"course_id": course.id, "lesson_id": lesson.id, "quiz_id": quiz.id,
              "question_id": bank.live_questions(quiz)[0].id, "user_id": other_user.id,
              "fmt": "xlsx"}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})


def _audit_count() -> int:
    return db.session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action.startswith("authoring.")))


@pytest.mark.parametrize("endpoint, method", sorted(EXPECTED))
def test_role_matrix(app, client_for, endpoint, method, trainer, other_trainer, member, secretary, admin,
                     make_course):
    rule = next(r for e, m, r in _routes(app) if (e, m) == (endpoint, method))
    course_route = "course_id" in rule.arguments
    shared = make_course(**EDITOR_COURSE, owner=trainer, status="draft", slug="shared").course
    users = {"anonymous": None, "member": member, "secretary": secretary,
             "trainer_other": other_trainer, "trainer_own": trainer, "admin": admin}
    for role in ROLES:
        course = shared
        if role in ("trainer_own", "admin"):
            course = make_course(**EDITOR_COURSE, owner=trainer, status="draft", slug=f"for-{role.replace('_', '-')}").course
            services.add_co_author(trainer, course, other_trainer.phone) \
                if endpoint == "authoring.remove_author" else None
        url = _url(app, rule, course, other_trainer)
        before = _audit_count()
        response = client_for(users[role]).open(url, method=method, data={})
        status = response.status_code
        if role == "anonymous":
            assert status == 302 and "/login" in response.headers["Location"], (role, url)
        elif role in ("member", "secretary"):
            assert status == 403, (role, url, status)
        elif role == "trainer_other" and course_route:
            assert status == 404, (role, url, status)
        else:
            assert status == EXPECTED[(endpoint, method)], (role, url, status)
        if role in ("anonymous", "member", "secretary") or (
                role == "trainer_other" and course_route):
            assert _audit_count() == before, (role, url)
        db.session.rollback()


def test_posted_owner_status_and_version_change_nothing(app, client, login, trainer,
                                                        other_trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    login(trainer)
    response = client.post(f"/authoring/courses/{course.id}", data={
        "title": "新名称", "summary": "新简介", "category": "政策", "credit_hours": "3",
        "audience": str(trainer.org_id), "owner_id": str(other_trainer.id), "status": "published",
        "version": "99", "slug": "hijack", "id": "999", "published_at": "2020-01-01"})
    assert response.status_code == 302
    db.session.refresh(course)
    assert (course.title, course.category, course.credit_hours) == ("新名称", "政策", 3.0)
    assert (course.owner_id, course.status, course.version, course.slug) == (
        trainer.id, "draft", 1, course.slug)
    assert course.published_at is None
    lesson = services.live_lessons(course)[0]
    version = lesson.version
    client.post(f"/authoring/courses/{course.id}/lessons/{lesson.id}", data={
        "title": "改", "minutes": "3", "body": "正文", "action": "save",
        "course_id": "999", "version": "77", "archived": "y", "key": "other", "html": "<b>x"})
    db.session.refresh(lesson)
    assert (lesson.title, lesson.version, lesson.archived, lesson.key, lesson.course_id) == (
        "改", version + 1, False, lesson.key, course.id)
    assert lesson.html == "<p>正文</p>\n"
    quiz = bank.final_quiz(course)
    question = bank.live_questions(quiz)[0]
    client.post(f"/authoring/courses/{course.id}/quizzes/{quiz.id}/questions/{question.id}",
                data={"kind": "truefalse", "stem": "改成判断", "truefalse": "false",
                      "explanation": "解", "points": "1", "key": "renamed", "version": "50",
                      "quiz_id": "12345", "archived": "y"})
    db.session.refresh(question)
    assert (question.stem, question.key, question.version, question.quiz_id,
            question.archived) == ("改成判断", question.key, 2, quiz.id, False)


def test_a_new_course_belongs_to_its_creator_whatever_is_posted(client, login, trainer,
                                                               other_trainer):
    login(trainer)
    response = client.post("/authoring/courses/new", data={
        "title": "新课", "summary": "简介", "category": "理论", "credit_hours": "1",
        "audience": str(trainer.org_id), "owner_id": str(other_trainer.id), "status": "published",
        "version": "9"})
    assert response.status_code == 302
    from lms.courses.models import Course

    course = db.session.scalar(select(Course))
    assert (course.owner_id, course.status, course.version) == (trainer.id, "draft", 1)


def test_audience_outside_scope_is_refused_over_http(client, login, propaganda, tree):
    login(propaganda)
    response = client.post("/authoring/courses/new", data={
        "title": "新课", "summary": "简介", "category": "理论", "credit_hours": "1",
        "audience": str(tree["b"].id)})
    assert response.status_code == 200  # not a choice offered: the form says so
    from lms.courses.models import Course

    assert db.session.scalar(select(func.count(Course.id))) == 0


def test_nav_entry_only_for_authors(client_for, trainer, member, secretary, propaganda, admin):
    for user in (member, secretary):
        assert "课程编写" not in client_for(user).get("/courses/").get_data(as_text=True)
    for user in (trainer, propaganda, admin):
        assert "课程编写" in client_for(user).get("/courses/").get_data(as_text=True)


def test_csrf_is_required_on_editor_posts(app_factory, trainer, make_course):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
        client = app.test_client()
        sign_in_with_csrf(client, trainer)
        for url in (f"/authoring/courses/{course.id}/publish", "/authoring/courses/new",
                    f"/authoring/courses/{course.id}/lessons"):
            assert client.post(url, data={"title": "x"}).status_code == 400
        db.session.refresh(course)
        assert course.status == "draft"


def test_everyone_is_offered_to_the_administrator_only(client_for, propaganda, admin):
    assert "全部党组织" not in client_for(propaganda).get("/authoring/courses/new").get_data(
        as_text=True)
    assert "全部党组织" in client_for(admin).get("/authoring/courses/new").get_data(as_text=True)
