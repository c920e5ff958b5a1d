"""No dead ends on the way through a course: the final quiz waits for the lessons, every result
says what comes next, and a member whose attempts ran out can be given more."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditLog
from lms.core.errors import Conflict, NotAllowed, ValidationFailed
from lms.extensions import db
from lms.quizzes import services as quiz_services
from lms.quizzes.models import AttemptGrant
from tests.helpers import answers_for


def _start(user, quiz):
    return quiz_services.start_attempt(user, quiz.id).attempt


def _answer_right(attempt) -> dict:
    return answers_for(attempt, right=len(attempt.snapshot))


def _answer_wrong(attempt) -> dict:
    return answers_for(attempt, right=0)


def test_the_final_quiz_waits_for_the_lessons(app, member, make_course, finish_lessons):
    made = make_course(lessons=3, check=1, final=1)
    with pytest.raises(Conflict, match="学完全部课文"):
        _start(member, made.final)
    finish_lessons(member, made, only=(0, 1))
    with pytest.raises(Conflict):
        _start(member, made.final)
    finish_lessons(member, made, only=(2,))
    assert _start(member, made.final).state == "in_progress"


def test_a_course_may_open_its_final_quiz_first(app, member, make_course):
    made = make_course(lessons=2, check=1, final=1)
    made.final.open_before_lessons = True
    db.session.commit()
    assert _start(member, made.final).state == "in_progress"


def test_an_unstarted_course_leads_with_the_lessons(client, login, member, make_course):
    made = make_course(lessons=3, check=1, final=1)
    login(member)
    page = client.get(f"/courses/{made.course.slug}/").get_data(as_text=True)
    start = page.index("开始学习")
    assert f"/courses/{made.course.slug}/lessons/l1" in page[start - 200:start]
    assert "进入结业测验" not in page and "还差 3 课" in page
    quiz_page = client.get(f"/quizzes/{made.final.id}").get_data(as_text=True)
    assert "学完全部课文后才能参加结业测验，还差 3 课" in quiz_page
    assert "开始答题" not in quiz_page
    refused = client.post(f"/quizzes/{made.final.id}/start", follow_redirects=True)
    assert "请先学完全部课文，再参加结业测验。" in refused.get_data(as_text=True)


def test_each_result_says_what_comes_next(client, login, member, make_course,
                                         finish_lessons, grade):
    made = make_course(lessons=3, check=1, final=1, hours=2)
    login(member)
    slug = made.course.slug
    grade.check(member, made.checks[0])
    page = client.get(f"/courses/{slug}/lessons/l1").get_data(as_text=True)
    assert "下一课：第2课" in page
    finish_lessons(member, made, only=(1, 2))
    page = client.get(f"/courses/{slug}/lessons/l3").get_data(as_text=True)
    assert "下一步：结业测验" in page and f"/quizzes/{made.final.id}" in page
    attempt = _start(member, made.final)
    quiz_services.submit_attempt(member, attempt.id, _answer_right(attempt))
    review = client.get(f"/quizzes/attempts/{attempt.id}/review").get_data(as_text=True)
    assert "已计入 2 学时" in review and "回到我的学习" in review


def test_a_passed_final_with_lessons_unread_says_how_many_are_left(
        client, login, member, make_course):
    made = make_course(lessons=3, final=1, hours=2)
    made.final.open_before_lessons = True
    db.session.commit()
    login(member)
    attempt = _start(member, made.final)
    quiz_services.submit_attempt(member, attempt.id, _answer_right(attempt))
    review = client.get(f"/quizzes/attempts/{attempt.id}/review").get_data(as_text=True)
    assert "还差 3 课，学完即计入 2 学时" in review and "下一课：第1课" in review


def _use_up(member, made, finish_lessons, tries: int = 2):
    made.final.max_attempts = tries
    db.session.commit()
    finish_lessons(member, made)
    for _ in range(tries):
        attempt = _start(member, made.final)
        quiz_services.submit_attempt(member, attempt.id, _answer_wrong(attempt))


def test_the_secretary_gives_more_attempts_and_the_member_sees_who_and_why(
        client_for, member, secretary, make_course, finish_lessons):
    made = make_course(lessons=1, final=1)
    _use_up(member, made, finish_lessons)
    with pytest.raises(Conflict, match="支部书记或本课程的讲师"):
        _start(member, made.final)
    staff = client_for(secretary)
    record = staff.get(f"/branch/members/{member.id}").get_data(as_text=True)
    assert "测验次数已用完" in record and made.course.title in record
    done = staff.post(f"/quizzes/{made.final.id}/members/{member.id}/grant",
                      data={"extra": "1", "reason": "已补学课文，申请重考"},
                      follow_redirects=True)
    assert "已给" in done.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action == "quiz.grant_attempts", AuditLog.ok.is_(True))) == 1
    own = client_for(member).get(f"/quizzes/{made.final.id}").get_data(as_text=True)
    assert "已补学课文，申请重考" in own and secretary.name in own and "还剩 1 次" in own
    assert _start(member, made.final).state == "in_progress"


def test_nobody_gives_attempts_out_of_reach_or_to_themselves(
        app, member, secretary, secretary_b, trainer, make_course, finish_lessons):
    made = make_course(lessons=1, final=1)
    _use_up(member, made, finish_lessons)
    with pytest.raises(NotAllowed):
        quiz_services.grant_attempts(secretary_b, member, made.final.id, extra=1, reason="想")
    with pytest.raises(NotAllowed):
        quiz_services.grant_attempts(member, member, made.final.id, extra=1, reason="想")
    with pytest.raises(NotAllowed):  # a trainer who does not own the course
        quiz_services.grant_attempts(trainer, member, made.final.id, extra=1, reason="想")
    assert db.session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action == "quiz.grant_attempts", AuditLog.ok.is_(False))) == 3
    for extra, reason in ((0, "理由"), (4, "理由"), (1, "  ")):
        with pytest.raises(ValidationFailed):
            quiz_services.grant_attempts(secretary, member, made.final.id, extra=extra,
                                         reason=reason)
    made.course.owner_id = trainer.id
    db.session.commit()
    quiz_services.grant_attempts(trainer, member, made.final.id, extra=2, reason="系统故障")
    assert db.session.scalar(select(func.sum(AttemptGrant.extra))) == 2


def test_a_refused_grant_over_http_is_404_and_nothing_is_written(
        client_for, member, secretary_b, make_course, finish_lessons):
    made = make_course(lessons=1, final=1)
    _use_up(member, made, finish_lessons)
    response = client_for(secretary_b).post(
        f"/quizzes/{made.final.id}/members/{member.id}/grant",
        data={"extra": "1", "reason": "越权"})
    assert response.status_code == 404  # the same as a member or quiz that does not exist
    bad_form = client_for(secretary_b).post(
        f"/quizzes/{made.final.id}/members/{member.id}/grant", data={"extra": "9"})
    assert bad_form.status_code == 404
    assert db.session.scalar(select(func.count(AttemptGrant.id))) == 0


def test_the_course_page_keeps_its_query_count(client, login, member, make_course,
                                               finish_lessons, count_queries):
    made = make_course(lessons=2, check=1, final=1)
    many = make_course(lessons=12, check=1, check_on=(0, 3, 7), final=1)
    login(member)
    counts = []
    for course in (made, many):
        client.get(f"/courses/{course.course.slug}/")
        finish_lessons(member, course, only=(0,))
        with count_queries() as queries:
            client.get(f"/courses/{course.course.slug}/")
        counts.append(len(queries))
    assert counts[0] == counts[1]


# ---- 5. who is overdue -----------------------------------------------------------------------

def _assign_overdue(secretary, member, make_course):
    from datetime import timedelta

    from lms.orgs.models import Organization
    from lms.progress import services as progress_services
    from lms.progress import years

    made = make_course(lessons=1, check=1, final=1, title="必修测试课")
    branch = db.session.get(Organization, member.org_id)
    db.session.add(progress_services.CourseAssignment(
        course_id=made.course.id, org_id=branch.id, due_on=years.today() - timedelta(days=5),
        assigned_by_id=secretary.id))
    db.session.commit()
    return made, branch


def _overdue_counts(branch):
    from lms.progress import years
    from lms.reports.tables import member_rows

    return {r.name: r.overdue for r in member_rows(branch, year=years.this_year())}


def test_a_member_who_joined_long_ago_is_overdue(client, login, member, secretary,
                                                 make_course):
    from datetime import timedelta

    from lms.core.clock import utcnow

    member.created_at = utcnow() - timedelta(days=90)
    db.session.commit()
    made, branch = _assign_overdue(secretary, member, make_course)
    login(member)
    assert "已逾期" in client.get("/study/").get_data(as_text=True)
    assert "已逾期" in client.get(f"/courses/{made.course.slug}/").get_data(as_text=True)
    assert "必修，已逾期" in client.get("/courses/").get_data(as_text=True)
    assert _overdue_counts(branch)[member.name] == 1


def test_exempt_members_see_no_overdue_tags(client, login, member, secretary,
                                            make_course):
    from datetime import timedelta

    from lms.core.clock import utcnow

    member.created_at = utcnow() - timedelta(days=90)
    member.is_exempt, member.exempt_reason = True, "年老体弱"
    db.session.commit()
    made, branch = _assign_overdue(secretary, member, make_course)
    login(member)
    for url in ("/study/", f"/courses/{made.course.slug}/", "/courses/"):
        assert "逾期" not in client.get(url).get_data(as_text=True), url
    assert _overdue_counts(branch)[member.name] == 0


def test_a_member_imported_today_gets_a_due_date_from_joining(client, login, member, secretary,
                                                              make_course):
    from datetime import timedelta

    from lms.core.clock import utcnow
    from lms.progress import years

    member.created_at = utcnow()  # imported today
    db.session.commit()
    made, branch = _assign_overdue(secretary, member, make_course)
    login(member)
    own_due = (years.today() + timedelta(days=30)).isoformat()
    page = client.get("/study/").get_data(as_text=True)
    assert "已逾期" not in page and own_due in page
    assert own_due in client.get(f"/courses/{made.course.slug}/").get_data(as_text=True)
    assert "已逾期" not in client.get("/courses/").get_data(as_text=True)
    assert _overdue_counts(branch)[member.name] == 0


# ---- 7. assignments say what they do ----------------------------------------------------------

def test_reassigning_says_it_moves_the_due_date_and_withdrawing_asks_first(
        client_for, secretary, tree, make_course):
    from datetime import timedelta

    from lms.progress import years

    made = make_course(lessons=1, check=1, final=1, title="再布置的课")
    staff = client_for(secretary)
    first, later = years.today() + timedelta(days=10), years.today() + timedelta(days=40)
    form = staff.get(f"/branch/{tree['a'].id}/assign").get_data(as_text=True)
    assert "会把截止日期改为这里填的日期" in form
    staff.post(f"/branch/{tree['a'].id}/assign",
               data={"course": made.course.id, "due_on": first.isoformat()})
    moved = staff.post(f"/branch/{tree['a'].id}/assign",
                       data={"course": made.course.id, "due_on": later.isoformat()},
                       follow_redirects=True).get_data(as_text=True)
    assert f"截止日期由 {first.isoformat()} 改为 {later.isoformat()}" in moved
    # 撤销 opens a question first; the button that withdraws says 确定撤销
    assert "确定撤销吗？" in moved and "确定撤销</button>" in moved


# ---- 14. one word for one thing ---------------------------------------------------------------

def test_one_name_for_the_final_quiz_and_the_one_time_code():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pot = (root / "lms" / "translations" / "messages.pot").read_text(encoding="utf-8")
    assert "期末测验" not in pot and "结业测验" in pot
    for other in ("临时密码", "一次性密码", "重置码"):
        assert other not in pot, other
    po = (root / "lms" / "translations" / "en" / "LC_MESSAGES" / "messages.po").read_text(
        encoding="utf-8")
    english = [line for line in po.splitlines() if line.startswith("msgstr")]
    assert not [line for line in english if "one-time code" in line.lower()]
