"""Paper and sharing: the printable lesson sheet with the check's questions and no answers, the
course sheet and poster, and the title and description WeChat's chat card shows."""
from __future__ import annotations

from sqlalchemy import select

from lms.courses import links
from lms.extensions import db
from lms.quizzes.models import Attempt


def test_the_lesson_sheet_carries_the_questions_never_the_answers(client_for, member,
                                                                  make_course):
    made = make_course(lessons=2, check=2, mastery=1, final=1, time_limit_minutes=20,
                       media=True, hours=1)
    client = client_for(member)
    page = client.get(f"/courses/{made.course.slug}/lessons/l1/sheet").get_data(as_text=True)
    assert "第1课的课文" in page and "第2课的课文" not in page
    assert "第1题（single）题干" in page and "第2题（multiple）题干" in page
    assert "☐ 甲1" in page and "☐ 乙1" in page and "答对 1 题即通过" in page
    assert "解析1" not in page and "checked" not in page
    assert f'src="/courses/{made.course.slug}/lessons/l1/qr.svg"' in page
    assert f"/s/{links.short_code('l', made.lessons[0].id)}" in page
    # reading a sheet starts nothing
    assert db.session.scalars(select(Attempt)).all() == []


def test_the_course_sheet_holds_every_live_lesson_and_the_poster_its_qr_code(
        client_for, member, make_course):
    made = make_course(lessons=3, check=2, mastery=1, check_on=(0, 2), final=1,
                       time_limit_minutes=20, media=True, hours=1)
    made.lessons[1].archived = True
    db.session.commit()
    client = client_for(member)
    page = client.get(f"/courses/{made.course.slug}/sheet").get_data(as_text=True)
    assert "第1课的课文" in page and "第3课的课文" in page and "第2课的课文" not in page
    assert page.count('class="sheet"') == 2 and page.count("第2题（multiple）题干") == 2
    poster = client.get(f"/courses/{made.course.slug}/poster").get_data(as_text=True)
    assert made.course.title in poster and "学完可得 1 学时" in poster
    assert f'src="/courses/{made.course.slug}/qr.svg"' in poster
    assert f"/s/{links.short_code('c', made.course.id)}" in poster


def test_paper_needs_a_course_the_member_may_see(client_for, member, make_course):
    made = make_course(lessons=1, final=1, time_limit_minutes=20, media=True, hours=1)
    made.course.status = "draft"
    db.session.commit()
    client = client_for(member)
    for url in (f"/courses/{made.course.slug}/sheet", f"/courses/{made.course.slug}/poster",
                f"/courses/{made.course.slug}/lessons/l1/sheet"):
        assert client.get(url).status_code == 404
    assert client_for(None).get(f"/courses/{made.course.slug}/sheet").status_code == 302


def test_pages_give_wechat_a_title_and_a_description(client_for, member, make_course):
    made = make_course(lessons=1, final=1, time_limit_minutes=20, media=True, hours=1,
                       title="合作社怎样办")
    client = client_for(member)
    lesson = client.get(f"/courses/{made.course.slug}/lessons/l1").get_data(as_text=True)
    assert "<title>第1课 · 合作社怎样办 · 田埂课堂</title>" in lesson
    assert f'<meta name="description" content="{made.course.summary}">' in lesson
    assert '<meta property="og:title" content="第1课 · 合作社怎样办">' in lesson
    course = client.get(f"/courses/{made.course.slug}/").get_data(as_text=True)
    assert f'<meta name="description" content="{made.course.summary}">' in course
    assert '<meta property="og:title" content="合作社怎样办 · 田埂课堂">' in course


def test_signing_out_knows_how_to_warn(client_for, member):
    page = client_for(member).get("/study/").get_data(as_text=True)
    assert 'data-unsent="还有 {n} 条学习记录没有上传。' in page
