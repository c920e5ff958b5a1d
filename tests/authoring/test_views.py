"""The editor's pages: a course built through HTTP, the preview, preview as member."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.authoring import bank, services
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.quizzes.models import Question
from tests.helpers import EDITOR_COURSE


def _rows() -> dict[str, int]:
    """Row counts of every table: "nothing recorded" means these do not move."""
    return {t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables}


def test_a_course_is_built_through_the_pages(client_for, trainer, member):
    web = client_for(trainer)
    response = web.post("/authoring/courses/new", data={
        "title": "渔船上的党课", "summary": "出海也能学。", "category": "实用技术",
        "required": "y", "credit_hours": "0.5", "audience": str(trainer.org_id), "slug": "boat-lessons"})
    assert response.status_code == 302
    course = db.session.scalar(select(Course).where(Course.slug == "boat-lessons"))
    assert (course.title, course.required, course.credit_hours, course.status) == (
        "渔船上的党课", True, 0.5, "draft")
    response = web.post(f"/authoring/courses/{course.id}/lessons",
                        data={"title": "出海前", "minutes": "4", "key": "before-sea"})
    lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id))
    assert response.headers["Location"].endswith(f"/lessons/{lesson.id}")
    page = web.get(f"/authoring/courses/{course.id}/lessons/{lesson.id}")
    assert page.status_code == 200 and "出海前" in page.get_data(as_text=True)
    web.post(f"/authoring/courses/{course.id}/lessons/{lesson.id}", data={
        "title": "出海前", "minutes": "4", "body": "# 安全\n\n穿好**救生衣**。", "audio": "",
        "action": "save"})
    db.session.refresh(lesson)
    assert "<strong>救生衣</strong>" in lesson.html and lesson.version == 2
    # a lesson check with one question of each kind, through the question form
    web.post(f"/authoring/courses/{course.id}/lessons/{lesson.id}/check", data={})
    check = bank.lesson_check(lesson)
    forms = [
        {"kind": "single", "stem": "出海前穿什么？", "option_a": "救生衣", "option_b": "雨靴",
         "correct": ["A"], "explanation": "救生衣保命。", "points": "1"},
        {"kind": "multiple", "stem": "要带哪些？", "option_a": "对讲机", "option_b": "酒",
         "option_c": "药品", "correct": ["A", "C"], "explanation": "安全第一。", "points": "2"},
        {"kind": "truefalse", "stem": "大风天可以出海。", "truefalse": "false",
         "explanation": "不可以。", "points": "1"},
        {"kind": "fill", "stem": "出海要穿____。", "fill_answers": "救生衣\n救生背心",
         "explanation": "救生衣。", "points": "1", "key": "fill-1"},
    ]
    for data in forms:
        response = web.post(f"/authoring/courses/{course.id}/quizzes/{check.id}/questions/new",
                            data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    questions = bank.live_questions(check)
    assert [(q.kind, tuple(q.answer)) for q in questions] == [
        ("single", (0,)), ("multiple", (0, 2)), ("truefalse", (False,)),
        ("fill", ("救生衣", "救生背心"))]
    assert questions[3].key == "fill-1" and questions[0].key == "before-sea-q1"
    response = web.post(f"/authoring/courses/{course.id}/quizzes/{check.id}",
                        data={"mastery_required": "3"})
    assert response.status_code == 302 and check.mastery_required == 3
    response = web.post(f"/authoring/courses/{course.id}/publish", data={})
    db.session.refresh(course)
    assert course.status == "published" and course.version == 2
    reader = client_for(member)
    assert "渔船上的党课" in reader.get("/courses/").get_data(as_text=True)
    assert "救生衣" in reader.get("/courses/boat-lessons/lessons/before-sea").get_data(
        as_text=True)


def test_a_bad_question_shows_its_problems_and_saves_nothing(client_for, trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    quiz = bank.final_quiz(course)
    before = db.session.scalar(select(func.count(Question.id)))
    response = client_for(trainer).post(
        f"/authoring/courses/{course.id}/quizzes/{quiz.id}/questions/new",
        data={"kind": "single", "stem": "题", "option_a": "甲", "option_b": "乙",
              "correct": ["C"], "explanation": "解", "points": "1"})
    assert response.status_code == 200
    assert "正确答案不在选项之中" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Question.id))) == before


def test_settings_errors_are_shown(client_for, trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    quiz = bank.final_quiz(course)
    response = client_for(trainer).post(
        f"/authoring/courses/{course.id}/quizzes/{quiz.id}",
        data={"pass_percent": "60", "draw": "9", "max_attempts": "3",
              "time_limit_minutes": "0", "grading": "highest",
              "multiple_scoring": "all_or_nothing"})
    assert "题库只有 4 题" in response.get_data(as_text=True)
    assert quiz.draw == 3


def test_preview_works_without_script(client_for, trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    lesson = services.live_lessons(course)[0]
    web = client_for(trainer)
    body = "**新的**正文<script>alert(1)</script>"
    before = (lesson.body, lesson.version)
    response = web.post(f"/authoring/courses/{course.id}/lessons/{lesson.id}",
                        data={"title": lesson.title, "minutes": "5", "body": body,
                              "action": "preview"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<strong>新的</strong>" in page
    assert "<script>alert(1)</script>" not in page
    response = web.post(f"/authoring/courses/{course.id}/lessons/{lesson.id}/preview",
                        data={"title": lesson.title, "minutes": "5", "body": body})
    assert "<strong>新的</strong>" in response.get_data(as_text=True)
    db.session.refresh(lesson)
    assert (lesson.body, lesson.version) == before


def test_preview_fragment_is_the_sanitised_html(client_for, trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    lesson = services.live_lessons(course)[0]
    response = client_for(trainer).post(
        f"/authoring/courses/{course.id}/lessons/{lesson.id}/preview?fragment=1",
        data={"body": "# 题目\n<img src=x onerror=alert(1)>\n[a](javascript:alert(1))"})
    html = response.get_data(as_text=True)
    assert html.startswith("<h2>题目</h2>")
    assert "<img" not in html and "href=\"javascript" not in html
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_preview_as_member_shows_drafts_and_records_nothing(client_for, trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course  # a draft
    lesson = services.live_lessons(course)[0]
    check = bank.lesson_check(lesson)
    web = client_for(trainer)
    before = _rows()
    page = web.get(f"/authoring/courses/{course.id}/lessons/{lesson.id}/as-member")
    assert page.status_code == 200
    assert "<strong>田间地头</strong>" in page.get_data(as_text=True)
    quiz_page = web.get(f"/authoring/courses/{course.id}/quizzes/{check.id}/as-member")
    text = quiz_page.get_data(as_text=True)
    assert quiz_page.status_code == 200 and "第1题（single）题干" in text
    # as a member sees it: no answers, no explanations
    assert "解析1：因为如此" not in text
    assert _rows() == before


@pytest.mark.parametrize("direction, expected", [("up", [1, 0]), ("down", [1, 0])])
def test_lessons_move_through_the_page(client_for, trainer, make_course, direction, expected):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    lessons = services.live_lessons(course)
    moved = lessons[1] if direction == "up" else lessons[0]
    client_for(trainer).post(
        f"/authoring/courses/{course.id}/lessons/{moved.id}/move", data={"direction": direction})
    assert [lesson.id for lesson in services.live_lessons(course)] == [
        lessons[i].id for i in expected]


def test_archiving_a_lesson_hides_it_from_members(client_for, trainer, member, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer).course
    lesson = services.live_lessons(course)[1]
    web = client_for(trainer)
    web.post(f"/authoring/courses/{course.id}/lessons/{lesson.id}/archive", data={})
    reader = client_for(member)
    # the course is published: the archiving waits for 发布修改
    assert reader.get(f"/courses/{course.slug}/lessons/{lesson.key}").status_code == 200
    web.post(f"/authoring/courses/{course.id}/changes/publish", data={})
    assert reader.get(f"/courses/{course.slug}/lessons/{lesson.key}").status_code == 404
    assert lesson.title not in reader.get(f"/courses/{course.slug}/").get_data(as_text=True)


def test_co_author_added_by_phone_can_edit(client_for, trainer, other_trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    outsider = client_for(other_trainer)
    assert outsider.get(f"/authoring/courses/{course.id}").status_code == 404
    client_for(trainer).post(f"/authoring/courses/{course.id}/authors",
                             data={"phone": other_trainer.phone})
    assert outsider.get(f"/authoring/courses/{course.id}").status_code == 200
    assert course.title in outsider.get("/authoring/").get_data(as_text=True)


def test_publish_problems_are_listed(client_for, trainer):
    web = client_for(trainer)
    web.post("/authoring/courses/new", data={"title": "空课", "summary": "无", "category": "理论",
                                             "credit_hours": "1", "audience": str(trainer.org_id)})
    course = db.session.scalar(select(Course))
    response = web.post(f"/authoring/courses/{course.id}/publish", data={},
                        follow_redirects=True)
    assert "课程至少要有一课" in response.get_data(as_text=True)
    assert course.status == "draft"


def test_template_download_is_an_xlsx_the_reader_takes(client_for, trainer):
    from lms.quizzes.formats import read_xlsx

    response = client_for(trainer).get("/authoring/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    result = read_xlsx(response.data)
    assert result.ok and {q.kind for q in result.questions} == {
        "single", "multiple", "truefalse", "fill"}


def test_saving_a_lesson_warns_of_an_image_the_course_does_not_have(client_for, trainer,
                                                                     make_course):
    from tests.helpers import EDITOR_COURSE as spec

    course = make_course(**spec, owner=trainer, status="draft", media=False).course
    lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id))
    web = client_for(trainer)
    page = web.post(f"/authoring/courses/{course.id}/lessons/{lesson.id}", data={
        "title": lesson.title, "minutes": "4", "body": "看图：\n\n![渔船](media/没有这张.png)",
        "audio": "", "action": "save"}, follow_redirects=True).get_data(as_text=True)
    assert "已保存" in page and "图片“media/没有这张.png”不是本课程已上传的文件" in page
    quiet = web.post(f"/authoring/courses/{course.id}/lessons/{lesson.id}", data={
        "title": lesson.title, "minutes": "4", "body": "没有图。", "audio": "",
        "action": "save"}, follow_redirects=True).get_data(as_text=True)
    assert "不是本课程已上传的文件" not in quiet


def test_a_choice_question_without_a_ticked_answer_says_so(client_for, trainer, make_course):
    course = make_course(**EDITOR_COURSE, owner=trainer, status="draft").course
    final = bank.ensure_final_quiz(trainer, course)
    page = client_for(trainer).post(
        f"/authoring/courses/{course.id}/quizzes/{final.id}/questions/new",
        data={"kind": "single", "stem": "出海前要穿什么？", "option_a": "救生衣",
              "option_b": "拖鞋", "explanation": "救生衣能保命。", "points": "1"},
        follow_redirects=True).get_data(as_text=True)
    assert "还没有勾选正确答案" in page
