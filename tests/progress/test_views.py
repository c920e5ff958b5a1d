"""Pages: wiring, 我的学习, 学习档案, the course-page sections, posts, and CSRF."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.progress import years
from lms.progress.models import CourseAssignment, Enrollment, LessonProgress, StudyHours
from tests.helpers import sign_in_with_csrf


def _add_hours(user, hours, *, year=None, source="manual", source_id=None, reason="党课"):
    db.session.add(StudyHours(user_id=user.id, year=year or years.this_year(),
                              category="meeting" if source == "manual" else "online",
                              hours=hours, source=source, source_id=source_id, reason=reason))
    db.session.commit()


def _lesson_url(made, i):
    return f"/courses/{made.course.slug}/lessons/{made.lessons[i].key}"


def test_members_land_on_my_study_and_it_leads_the_menu(client, login, member):
    login(member)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/study/")
    page = client.get("/study/").get_data(as_text=True)
    nav = page.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]
    assert nav.index("我的学习") < nav.index("课程")
    assert "学习情况" not in nav  # members have no branch view


def test_my_study_shows_hours_against_the_target_in_words(client, login, member):
    _add_hours(member, 12)
    login(member)
    page = client.get("/study/").get_data(as_text=True)
    assert "已获 12 学时，年度目标 32 学时" in page
    assert '<progress class="hours-bar" max="32" value="12"' in page
    assert "还差 20 学时" in page and "完成 37%" in page


def test_my_study_for_an_exempt_member_says_no_hard_requirement(client, login, make_user, tree):
    old = make_user("林老根", org=tree["a"], is_exempt=True, exempt_reason="年过八旬")
    login(old)
    page = client.get("/study/").get_data(as_text=True)
    assert "不作硬性要求" in page and "还差" not in page


@pytest.mark.parametrize("status", ["activist", "candidate"])
def test_my_study_and_the_record_of_a_non_member_show_hours_without_a_target(
        client, login, make_user, tree, status):
    person = make_user("小李", org=tree["a"], status=status)
    _add_hours(person, 5)
    login(person)
    page = client.get("/study/").get_data(as_text=True)
    assert "已获 5 学时" in page and "不设年度学时目标" in page
    assert "年度目标" not in page and "<progress" not in page and "还差" not in page
    record = client.get("/study/record").get_data(as_text=True)
    assert "合计 5 学时" in record and "不设年度学时目标" in record and "未达标" not in record


def test_my_study_lists_required_in_progress_and_results(client, login, member, secretary,
                                                         make_course, grade, tree):
    required = make_course(lessons=3, check=1, final=1, title="必修的课")
    db.session.add(CourseAssignment(course_id=required.course.id, org_id=tree["a"].id,
                                    due_on=date(2000, 1, 1), assigned_by_id=secretary.id))
    started = make_course(lessons=3, check=1, final=1, title="在学的课")
    db.session.commit()
    grade.check(member, started.checks[0], passed=True)
    grade.check(member, required.checks[0], passed=False)
    login(member)
    page = client.get("/study/").get_data(as_text=True)
    # the member joined after the due date: their own due date is their joining + 30 days
    own_due = years.due_for(member, date(2000, 1, 1)).isoformat()
    assert "必修的课" in page and "已逾期" in page and f"截止 {own_due}" in page
    assert "在学的课" in page and "已完成 1 / 3 课" in page
    assert f'href="{_lesson_url(started, 1)}"' in page  # resume: the first lesson not done
    assert "继续学习：第2课" in page
    assert "随堂测验：第1课" in page and "通过" in page and "未通过" in page


def test_the_record_lists_every_entry_of_the_year_with_its_source(client, login, member,
                                                                  make_course):
    made = make_course(lessons=3, check=1, final=1, title="党课进田间")
    _add_hours(member, 2, source="course", source_id=made.course.id, reason="党课进田间")
    _add_hours(member, 4, reason="主题党日集体学习")
    _add_hours(member, 9, year=years.this_year() - 1, reason="去年的党课")
    login(member)
    page = client.get("/study/record").get_data(as_text=True)
    assert "课程结业" in page and "党课进田间" in page and "主题党日集体学习" in page
    assert "去年的党课" not in page and "合计 6 学时" in page
    last = client.get(f"/study/record?year={years.this_year() - 1}").get_data(as_text=True)
    assert "去年的党课" in last and "党课进田间" not in last
    assert "data-print" in page  # a print button (progress.js) and print CSS in app.css


@pytest.mark.parametrize("year", ["abc", "1900", "99999", "2026;DROP TABLE study_hours"])
def test_a_bad_year_falls_back_to_this_year(client, login, member, year):
    login(member)
    response = client.get(f"/study/record?year={year}")
    assert response.status_code == 200
    assert f"{years.this_year()} 年" in response.get_data(as_text=True)


# ---- the course pages ----------------------------------------------------------------------

def test_a_lesson_without_a_check_offers_i_have_read_it(client, login, member, make_course):
    made = make_course(lessons=2, check=1, final=1)
    login(member)
    with_check = client.get(_lesson_url(made, 0)).get_data(as_text=True)
    assert "我读完了" not in with_check and "随堂测验" in with_check
    without = client.get(_lesson_url(made, 1)).get_data(as_text=True)
    assert "我读完了" in without and f"/study/lessons/{made.lessons[1].id}/done" in without
    assert "js/progress.js" in without and "data-seen-url" in without


def test_opening_pages_writes_nothing(client, login, member, make_course):
    made = make_course(lessons=3, check=1, final=1)
    login(member)
    for url in ("/study/", "/study/record", "/courses/", f"/courses/{made.course.slug}/",
                _lesson_url(made, 0)):
        assert client.get(url).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 0
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 0


def test_the_seen_post_records_progress_and_enrols(client, login, member, make_course):
    made = make_course(lessons=3, check=1, final=1)
    login(member)
    assert client.post(f"/study/lessons/{made.lessons[0].id}/seen").status_code == 204
    row = db.session.scalar(select(LessonProgress))
    assert (row.user_id, row.lesson_id, row.completed_at) == (member.id, made.lessons[0].id, None)
    assert db.session.scalar(select(Enrollment.user_id)) == member.id


def test_i_have_read_it_completes_the_lesson_and_moves_on(client, login, member,
                                                          make_course):
    made = make_course(lessons=3, check=1, final=1)
    login(member)
    response = client.post(f"/study/lessons/{made.lessons[1].id}/done")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(_lesson_url(made, 2))
    course_page = client.get(f"/courses/{made.course.slug}/").get_data(as_text=True)
    assert course_page.count('class="tag tag-done">已完成') == 1
    assert "已完成 1 / 3 课" in course_page
    lesson_page = client.get(_lesson_url(made, 1)).get_data(as_text=True)
    assert "本课已完成" in lesson_page and "我读完了" not in lesson_page


def test_i_have_read_it_on_a_checked_lesson_changes_nothing(client, login, member,
                                                            make_course):
    made = make_course(lessons=1, check=1, final=1)
    login(member)
    response = client.post(f"/study/lessons/{made.lessons[0].id}/done", follow_redirects=True)
    assert "答完并通过测验才算完成" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 0


def test_lessons_the_member_cannot_see_answer_404(client, login, member, make_course,
                                                  tree):
    hidden = make_course(lessons=3, check=1, final=1, audience=tree["b"])
    login(member)
    lesson_id = hidden.lessons[0].id
    assert client.post(f"/study/lessons/{lesson_id}/seen").status_code == 404
    assert client.post(f"/study/lessons/{lesson_id}/done").status_code == 404
    assert client.post(f"/study/courses/{hidden.course.slug}/enrol").status_code == 404
    assert client.post("/study/lessons/999999/seen").status_code == 404


def test_enrolling_on_the_course_page(client, login, member, make_course):
    made = make_course(lessons=3, check=1, final=1)
    login(member)
    page = client.get(f"/courses/{made.course.slug}/").get_data(as_text=True)
    # an unstarted course leads with 开始学习 (the first lesson); joining is the quieter button
    assert "开始学习" in page and "加入我的学习" in page
    response = client.post(f"/study/courses/{made.course.slug}/enrol", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已加入学习" in page and "下一课：" in page and "加入我的学习</button>" not in page
    client.post(f"/study/courses/{made.course.slug}/enrol")  # twice: still one enrolment
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 1


def test_the_catalogue_marks_courses(client, login, member, secretary, make_course,
                                     finish_lessons, grade, tree):
    done = make_course(lessons=1, final=1, title="学完的课")
    started = make_course(lessons=3, check=1, final=1, title="在学的课")
    required = make_course(lessons=3, check=1, final=1, title="布置的课")
    db.session.add(CourseAssignment(course_id=required.course.id, org_id=tree["a"].id,
                                    due_on=date(2099, 1, 31), assigned_by_id=secretary.id))
    db.session.commit()
    finish_lessons(member, done)
    grade.final(member, done.final)
    client_page = None
    login(member)
    client.post(f"/study/lessons/{started.lessons[0].id}/seen")
    client_page = client.get("/courses/").get_data(as_text=True)
    assert "已完成" in client_page and "学习中" in client_page
    assert "未开始 · 必修，截止 2099-01-31" in client_page


def test_csrf_is_required_on_posts(app_factory, make_course, member):
    made = make_course(lessons=3, check=1, final=1)
    lesson_id, slug = made.lessons[0].id, made.course.slug
    db.session.commit()
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()  # no app context held open here: each request gets its own g
    sign_in_with_csrf(client, member)
    assert client.post(f"/study/lessons/{lesson_id}/seen").status_code == 400
    assert client.post(f"/study/lessons/{lesson_id}/done").status_code == 400
    assert client.post(f"/study/courses/{slug}/enrol").status_code == 400
    page = client.get(f"/courses/{slug}/lessons/l1").get_data(as_text=True)
    token = page.split('data-csrf="', 1)[1].split('"', 1)[0]
    response = client.post(f"/study/lessons/{lesson_id}/seen", headers={"X-CSRFToken": token})
    assert response.status_code == 204  # what progress.js sends


def test_pages_need_sign_in(client):
    for url in ("/study/", "/study/record", "/branch/"):
        assert client.get(url).status_code == 302
