"""The editor's services without HTTP: ownership, publishing, lessons, quiz rules, questions."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditLog
from lms.authoring import bank, services
from lms.authoring.permissions import can_edit, editable_courses
from lms.core.errors import Conflict, NotAllowed, ValidationFailed
from lms.core.questions import QuestionData
from lms.courses.models import Course, Lesson
from lms.courses.queries import visible_course
from lms.extensions import db
from lms.quizzes.models import Attempt, Question, Response
from tests.helpers import EDITOR_COURSE, home_org


def _audit(action: str) -> int:
    return db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == action))


def test_a_new_course_is_a_draft_members_do_not_see(trainer, member, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    assert (course.status, course.version, course.owner_id) == ("draft", 1, trainer.id)
    assert visible_course(member, course.slug) is None
    assert _audit("authoring.course.create") == 1


def test_publishing_bumps_the_version_and_opens_the_course(trainer, member, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    services.publish_course(trainer, course)
    assert (course.status, course.version) == ("published", 2)
    assert visible_course(member, course.slug) is not None
    services.unpublish_course(trainer, course)
    assert visible_course(member, course.slug) is None
    services.publish_course(trainer, course)
    assert course.version == 3
    assert _audit("authoring.course.publish") == 2 and _audit("authoring.course.unpublish") == 1


def test_a_course_without_lessons_or_text_cannot_be_published(trainer):
    course = services.create_course(trainer, title="空课", summary="没有课文", category="政策",
                                    required=False, credit_hours=1,
                                    audience=home_org(trainer))
    with pytest.raises(ValidationFailed) as caught:
        services.publish_course(trainer, course)
    assert "课程至少要有一课。" in caught.value.problems
    services.add_lesson(trainer, course, title="第一课")
    with pytest.raises(ValidationFailed) as caught:
        services.publish_course(trainer, course)
    assert any("还没有正文" in p for p in caught.value.problems)
    assert course.status == "draft"


@pytest.mark.parametrize("field, value, message", [
    ("title", "", "课程名称"), ("title", "长" * 121, "课程名称"), ("summary", "", "简介"),
    ("category", "娱乐", "类别"), ("credit_hours", 0, "学时"), ("credit_hours", 101, "学时"),
])
def test_course_fields_are_checked(trainer, field, value, message):
    values = dict(title="课", summary="简介", category="理论", required=True, credit_hours=1)
    values[field] = value
    with pytest.raises(ValidationFailed) as caught:
        services.create_course(trainer, **values)
    assert any(message in p for p in caught.value.problems)
    assert db.session.scalar(select(func.count(Course.id))) == 0


def test_audience_must_be_in_the_authors_scope(propaganda, tree):
    """A 宣传委员 of branch A may aim a course at A, not at branch B or the county."""
    course = services.create_course(propaganda, title="课", summary="简介", category="理论",
                                    required=False, credit_hours=1, audience=tree["a"])
    assert course.audience_org_id == tree["a"].id
    for outside in (tree["b"], tree["county"]):
        with pytest.raises(ValidationFailed):
            services.update_course(propaganda, course, title="课", summary="简介",
                                   category="理论", required=False, credit_hours=1,
                                   audience=outside)
    assert course.audience_org_id == tree["a"].id


def test_audience_reaches_only_that_subtree(trainer, member, member_b, tree, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer).course
    services.update_course(trainer, course, title=course.title, summary=course.summary,
                           category=course.category, required=True, credit_hours=0.5,
                           audience=tree["a"])
    assert visible_course(member, course.slug) is not None
    assert visible_course(member_b, course.slug) is None


def test_only_owner_co_authors_and_admins_edit(trainer, other_trainer, secretary, member, admin,
                                               make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    assert can_edit(trainer, course) and can_edit(admin, course)
    for outsider in (other_trainer, secretary, member):
        assert not can_edit(outsider, course)
        with pytest.raises(NotAllowed):
            services.add_lesson(outsider, course, title="闯入")
    with pytest.raises(NotAllowed):
        services.create_course(secretary, title="课", summary="简介", category="理论",
                               required=False, credit_hours=1)
    services.add_co_author(trainer, course, other_trainer.phone)
    assert can_edit(other_trainer, course)
    assert course in editable_courses(other_trainer)
    # a co-author edits but does not name more authors
    with pytest.raises(NotAllowed):
        services.remove_co_author(other_trainer, course, other_trainer.id)
    services.remove_co_author(trainer, course, other_trainer.id)
    assert not can_edit(other_trainer, course)


def test_co_authors_must_hold_author(trainer, secretary, member, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    for user in (secretary, member):
        with pytest.raises(ValidationFailed):
            services.add_co_author(trainer, course, user.phone)
    with pytest.raises(ValidationFailed):
        services.add_co_author(trainer, course, "10000000000")


def test_lessons_are_added_reordered_and_archived(trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    first, second = services.live_lessons(course)
    services.move_lesson(trainer, second, "up")
    assert [lesson.key for lesson in services.live_lessons(course)] == [second.key, first.key]
    services.set_lesson_archived(trainer, first, True)
    assert services.live_lessons(course) == [second]
    assert bank.lesson_check(first).archived
    services.set_lesson_archived(trainer, first, False)
    assert services.live_lessons(course)[-1] == first and not bank.lesson_check(first).archived
    with pytest.raises(Conflict):
        services.add_lesson(trainer, course, title="重复", key=first.key)
    with pytest.raises(ValidationFailed):
        services.add_lesson(trainer, course, title="坏代号", key="Bad Key")


def test_saving_a_lesson_renders_it_and_bumps_its_version(trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    lesson = services.live_lessons(course)[0]
    version = lesson.version
    assert not services.update_lesson(trainer, lesson, title=lesson.title, minutes=lesson.minutes,
                                      body=lesson.body, audio=None)
    assert lesson.version == version
    services.update_lesson(trainer, lesson, title="新课名", minutes=6,
                           body="# 标题\n<script>alert(1)</script>[x](javascript:alert(1))",
                           audio=None)
    assert lesson.version == version + 1
    assert "<h2>标题</h2>" in lesson.html and "<script" not in lesson.html
    assert "href=\"javascript:" not in lesson.html and "<a" not in lesson.html
    with pytest.raises(ValidationFailed):
        services.update_lesson(trainer, lesson, title="", minutes=6, body="", audio=None)
    with pytest.raises(ValidationFailed):
        services.update_lesson(trainer, lesson, title="课", minutes=61, body="", audio=None)
    with pytest.raises(ValidationFailed):
        services.update_lesson(trainer, lesson, title="课", minutes=5, body="",
                               audio="media/none.mp3")


@pytest.mark.parametrize("settings, message", [
    (dict(pass_percent=0), "及格线"), (dict(pass_percent=101), "及格线"),
    (dict(draw=5), "题库只有 4 题"), (dict(draw=-1), "抽题数"),
    (dict(max_attempts=-1), "答题次数"), (dict(time_limit_minutes=-5), "限时"),
    (dict(grading="average"), "成绩"), (dict(multiple_scoring="some"), "多选题"),
])
def test_final_quiz_settings_are_checked(trainer, make_course, settings, message):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    quiz = bank.final_quiz(course)
    values = dict(pass_percent=60, draw=3, max_attempts=3, time_limit_minutes=0,
                  grading="highest", multiple_scoring="all_or_nothing", review=True)
    values.update(settings)
    with pytest.raises(ValidationFailed) as caught:
        bank.update_final_settings(trainer, quiz, **values)
    assert any(message in p for p in caught.value.problems)
    db.session.refresh(quiz)
    assert (quiz.pass_percent, quiz.draw) == (60, 3)


def test_mastery_is_at_most_the_number_of_questions(trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    check = bank.lesson_check(services.live_lessons(course)[0])
    with pytest.raises(ValidationFailed):
        bank.update_check_settings(trainer, check, mastery_required=3)
    with pytest.raises(ValidationFailed):
        bank.update_check_settings(trainer, check, mastery_required=0)
    bank.update_check_settings(trainer, check, mastery_required=2)
    bank.update_check_settings(trainer, check, mastery_required=None)
    assert check.mastery_required is None


@pytest.mark.parametrize("data, message", [
    (QuestionData(key="", kind="single", stem="题", options=("甲", "乙"), answer=(0, 1),
                  explanation="解"), "单选题只能有一个正确答案"),
    (QuestionData(key="", kind="multiple", stem="题", options=("甲", "乙"), answer=(0,),
                  explanation="解"), "至少要有两个"),
    (QuestionData(key="", kind="single", stem="题", options=("甲", "甲"), answer=(0,),
                  explanation="解"), "相同"),
    (QuestionData(key="", kind="fill", stem="题", answer=(), explanation="解"), "填空题"),
    (QuestionData(key="", kind="single", stem=" ", options=("甲", "乙"), answer=(0,),
                  explanation="解"), "题干"),
    (QuestionData(key="", kind="truefalse", stem="题", answer=(True,), explanation=""), "解析"),
    (QuestionData(key="bad key", kind="truefalse", stem="题", answer=(True,),
                  explanation="解"), "编号"),
])
def test_questions_are_checked_with_question_problems(trainer, make_course, data, message):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    quiz = bank.final_quiz(course)
    before = db.session.scalar(select(func.count(Question.id)))
    with pytest.raises(ValidationFailed) as caught:
        bank.save_question(trainer, quiz, None, data)
    assert any(message in p for p in caught.value.problems), caught.value.problems
    assert db.session.scalar(select(func.count(Question.id))) == before


def test_editing_a_question_bumps_its_version_and_never_touches_attempts(trainer, member,
                                                                        make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer).course
    quiz = bank.final_quiz(course)
    question = bank.live_questions(quiz)[0]
    snapshot = [{"key": question.key, "kind": "single", "stem": question.stem,
                 "options": list(question.options), "answer": [1], "explanation": "x",
                 "points": 1, "order": [0, 1, 2]}]
    attempt = Attempt(user_id=member.id, quiz_id=quiz.id, number=1, state="submitted",
                      snapshot=snapshot, score=1, max_score=1, passed=True)
    db.session.add(attempt)
    db.session.commit()
    changed = QuestionData(key=question.key, kind="single", stem="改过的题干",
                           options=("甲", "乙"), answer=(0,), explanation="新解析")
    bank.save_question(trainer, quiz, question, changed)
    assert (question.version, question.stem) == (2, "改过的题干")
    bank.save_question(trainer, quiz, question, changed)
    assert question.version == 2  # nothing changed, nothing bumped
    db.session.refresh(attempt)
    assert attempt.snapshot == snapshot and attempt.score == 1
    # the attempt presented it: removing archives instead of deleting
    outcome, _notes = bank.remove_question(trainer, question)
    assert outcome == "archived" and question.archived
    assert db.session.get(Question, question.id) is not None


def test_removing_an_unseen_question_deletes_it_and_keeps_rules_sound(trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    quiz = bank.final_quiz(course)
    bank.update_final_settings(trainer, quiz, pass_percent=60, draw=4, max_attempts=3,
                               time_limit_minutes=0, grading="highest",
                               multiple_scoring="all_or_nothing", review=True)
    question = bank.live_questions(quiz)[0]
    outcome, notes = bank.remove_question(trainer, question)
    assert outcome == "deleted" and quiz.draw == 3 and notes
    assert db.session.get(Question, question.id) is None
    check = bank.lesson_check(services.live_lessons(course)[0])
    bank.update_check_settings(trainer, check, mastery_required=2)
    bank.remove_question(trainer, bank.live_questions(check)[0])
    assert check.mastery_required == 1


def test_an_answered_question_is_archived(trainer, member, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer).course
    quiz = bank.final_quiz(course)
    question = bank.live_questions(quiz)[1]
    attempt = Attempt(user_id=member.id, quiz_id=quiz.id, number=1, snapshot=[])
    db.session.add(attempt)
    db.session.flush()
    db.session.add(Response(attempt_id=attempt.id, question_key=question.key, answer=[0]))
    db.session.commit()
    outcome, _ = bank.remove_question(trainer, question)
    assert outcome == "archived"
    bank.restore_question(trainer, question)
    assert not question.archived


def test_every_change_is_audited(trainer, make_course):
    make_course(**EDITOR_COURSE, owner=trainer)
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"authoring.course.create", "authoring.lesson.add", "authoring.lesson.update",
            "authoring.quiz.create", "authoring.question.add", "authoring.quiz.settings",
            "authoring.course.publish"} <= actions
    assert all(row.actor_id == trainer.id for row in db.session.scalars(
        select(AuditLog).where(AuditLog.action.startswith("authoring."))))


def test_lesson_keys_come_from_ascii_titles_or_numbers(trainer):
    course = services.create_course(trainer, title="课", summary="简介", category="理论",
                                    required=False, credit_hours=1,
                                    audience=home_org(trainer))
    a = services.add_lesson(trainer, course, title="Fields and Boats")
    b = services.add_lesson(trainer, course, title="渔船上的党课")
    assert a.key == "fields-and-boats" and b.key.startswith("lesson-")
    assert db.session.scalar(select(func.count(Lesson.id))) == 2


# ---- issue 14, finding 1: a branch-scoped author cannot mint county-wide 学时 ----------------

def test_only_the_administrator_aims_a_course_at_everyone(propaganda, trainer, admin, tree):
    """「全部党组织」 was offered to everybody; a 宣传委员 of one branch published to all."""
    for author in (propaganda, trainer):
        with pytest.raises(ValidationFailed) as caught:
            services.create_course(author, title="课", summary="简介", category="理论",
                                   required=False, credit_hours=1, audience=None)
        assert any("管理员" in p for p in caught.value.problems)
    assert db.session.scalar(select(func.count(Course.id))) == 0
    course = services.create_course(admin, title="课", summary="简介", category="理论",
                                    required=False, credit_hours=1, audience=None)
    assert course.audience_org_id is None


def test_widening_a_course_to_everyone_is_refused(propaganda, tree, make_course):
    course = make_course(**EDITOR_COURSE, owner=propaganda, status="draft").course
    with pytest.raises(ValidationFailed):
        services.update_course(propaganda, course, title="课", summary="简介", category="理论",
                               required=False, credit_hours=1, audience=None)
    assert course.audience_org_id == tree["a"].id


def _text_only_course(author, hours: float, minutes: int = 5):
    course = services.create_course(author, title="一句话", summary="只有一行字", category="理论",
                                    required=True, credit_hours=hours, audience=home_org(author))
    lesson = services.add_lesson(author, course, title="一行", minutes=minutes)
    services.update_lesson(author, lesson, title="一行", minutes=minutes, body="一行字。",
                           audio=None)
    return course


def test_a_course_without_any_check_credits_at_most_its_reading_time(propaganda):
    """One line of text and no check was published worth 100 学时."""
    course = _text_only_course(propaganda, 100)
    with pytest.raises(ValidationFailed) as caught:
        services.publish_course(propaganda, course)
    assert any("阅读时间" in p for p in caught.value.problems)
    assert course.status == "draft"
    fair = _text_only_course(propaganda, 0.5, minutes=30)
    services.publish_course(propaganda, fair)
    assert fair.status == "published"
    with pytest.raises(ValidationFailed):  # nor raised once published
        services.update_course(propaganda, fair, title=fair.title, summary=fair.summary,
                               category=fair.category, required=True, credit_hours=100,
                               audience=home_org(propaganda))
    db.session.refresh(fair)
    assert fair.credit_hours == 0.5


def test_a_course_with_a_quiz_keeps_its_hours(trainer, make_course):
    # 6 minutes of reading, 0.5 学时, a check and a final quiz
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    services.publish_course(trainer, course)
    assert (course.status, course.credit_hours) == ("published", 0.5)
