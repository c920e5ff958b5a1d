"""The branch view and roll-up: scope, filters, sort allowlist, exports, assignments, manual
hours, and fixed query counts."""
from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from lms.audit.models import AuditLog
from lms.extensions import db
from lms.progress import years
from lms.progress.models import CourseAssignment, LessonProgress, StudyHours

ROW_LINK = re.compile(r'href="/branch/members/(\d+)\?year=\d+">([^<]+)</a>')


def _hours(user, hours, year=None):
    db.session.add(StudyHours(user_id=user.id, year=year or years.this_year(), category="meeting",
                              hours=hours, source="manual", reason="党课"))
    db.session.commit()


def _screen(client, url) -> list[tuple[int, str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    body = response.get_data(as_text=True).split('members-table', 1)[1]
    return [(int(i), name) for i, name in ROW_LINK.findall(body.split("</table>", 1)[0])]


@pytest.fixture
def branch_a(make_user, tree, member, member_b, secretary, secretary_b):
    """支部 A: the secretary, 张三 (in the 党小组), 王五 (on track), 赵六 (exempt); 支部 B: two."""
    on_track = make_user("王五", org=tree["a"])
    exempt = make_user("赵六", org=tree["a"], is_exempt=True, exempt_reason="久病")
    make_user("不是党员的讲师", org=tree["a"], status=None)  # staff without a member status
    _hours(member, 10)
    _hours(on_track, 33)
    _hours(member_b, 40)
    return {"member": member, "on_track": on_track, "exempt": exempt, "secretary": secretary}


def _scoped_count(path: str) -> int:
    return db.session.scalar(text(
        "SELECT count(*) FROM users u JOIN organizations o ON o.id = u.org_id "
        "WHERE o.path LIKE :prefix AND u.status IS NOT NULL AND u.active = :yes"),
        {"prefix": path + "%", "yes": True})


# ---- scope ---------------------------------------------------------------------------------

def test_a_secretary_sees_their_branch_and_nobody_of_another(client, login, tree, branch_a,
                                                            member_b, secretary_b):
    login(branch_a["secretary"])
    assert client.get("/branch/").headers["Location"].endswith(f"/branch/{tree['a'].id}")
    rows = _screen(client, f"/branch/{tree['a'].id}")
    names = [name for _, name in rows]
    assert len(rows) == _scoped_count(tree["a"].path) == 4
    assert "张三" in names and "王书记" in names
    assert member_b.name not in names and secretary_b.name not in names
    page = client.get(f"/branch/{tree['a'].id}").get_data(as_text=True)
    assert member_b.name not in page and "乙村" not in page


@pytest.mark.parametrize("node", ["b", "town", "county"])
def test_nodes_outside_the_scope_answer_404(client, login, tree, branch_a, node):
    login(branch_a["secretary"])
    org_id = tree[node].id
    assert client.get(f"/branch/{org_id}").status_code == 404
    assert client.get(f"/branch/{org_id}/export.csv").status_code == 404
    assert client.get(f"/branch/{org_id}/assign").status_code == 404


def test_members_of_another_branch_answer_404(client, login, branch_a, member_b):
    login(branch_a["secretary"])
    assert client.get(f"/branch/members/{member_b.id}").status_code == 404
    response = client.post(f"/branch/members/{member_b.id}/hours",
                           data={"hours": "2", "occurred_on": years.today().isoformat(), "category": "meeting",
                                 "reason": "越权登记"})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(StudyHours).where(
        StudyHours.user_id == member_b.id)) == 1


def test_a_group_leader_or_member_has_no_branch_view(client, login, make_user, tree, member):
    leader = make_user("组长", org=tree["a1"], roles=[("group_leader", tree["a1"])])
    for user in (member, leader):
        login(user)
        assert client.get("/branch/").status_code == 403
        assert client.get(f"/branch/{tree['a1'].id}").status_code == 403
        client.post("/logout")


def test_the_organizer_sees_the_branch(client, login, make_user, tree, branch_a):
    organizer = make_user("组织委员", org=tree["a"], roles=[("organizer", tree["a"])])
    login(organizer)
    assert len(_screen(client, f"/branch/{tree['a'].id}")) == _scoped_count(tree["a"].path)


# ---- filters, sort, injection --------------------------------------------------------------

def test_filter_behind_target_skips_the_exempt_and_those_on_track(client, login, tree,
                                                                  branch_a):
    login(branch_a["secretary"])
    names = [n for _, n in _screen(client, f"/branch/{tree['a'].id}?filter=behind")]
    assert sorted(names) == sorted(["张三", "王书记"])


def test_filter_required_overdue(client, login, tree, branch_a, make_course):
    made = make_course(lessons=3, check=1, final=1)
    db.session.add(CourseAssignment(course_id=made.course.id, org_id=tree["a1"].id,
                                    due_on=date(2000, 1, 1)))
    db.session.commit()
    login(branch_a["secretary"])
    assert [n for _, n in _screen(client, f"/branch/{tree['a'].id}?filter=overdue")] == ["张三"]
    page = client.get(f"/branch/{tree['a'].id}").get_data(as_text=True)
    assert "逾期 1 门" in page and "0 / 1 门" in page


def test_sort_by_hours_and_last_study(client, login, tree, branch_a, make_course):
    login(branch_a["secretary"])
    by_hours = [n for _, n in _screen(client, f"/branch/{tree['a'].id}?sort=hours&order=desc")]
    assert by_hours[:2] == ["王五", "张三"]
    made = make_course(lessons=3, check=1, final=1)
    db.session.add(LessonProgress(user_id=branch_a["exempt"].id, lesson_id=made.lessons[0].id,
                                  course_id=made.course.id))
    db.session.commit()
    by_last = [n for _, n in _screen(client, f"/branch/{tree['a'].id}?sort=last&order=desc")]
    assert by_last[0] == "赵六"


@pytest.mark.parametrize("query", [
    "sort=name;DROP TABLE users--",
    "sort=hours)%20desc,(select%201",
    "order=desc;DELETE FROM study_hours",
    "order=asc%20nulls%20first",
    "filter=1=1%20OR%20TRUE",
    "filter=behind'--",
    "year=2026)%20OR%201=1--",
])
def test_injection_strings_are_ignored(client, login, tree, branch_a, query):
    login(branch_a["secretary"])
    default = _screen(client, f"/branch/{tree['a'].id}")
    assert _screen(client, f"/branch/{tree['a'].id}?{query}") == default
    assert db.session.scalar(select(func.count()).select_from(StudyHours)) == 3


@pytest.mark.parametrize("q", ["' OR '1'='1", "%", "_", "张%' --"])
def test_the_name_search_is_a_literal(client, login, tree, branch_a, q):
    login(branch_a["secretary"])
    from urllib.parse import quote

    assert _screen(client, f"/branch/{tree['a'].id}?q={quote(q)}") == []


# ---- exports -------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["", "filter=behind", "sort=hours&order=desc", "q=张"])
def test_the_export_holds_exactly_the_rows_on_screen(client, login, tree, branch_a, query):
    login(branch_a["secretary"])
    screen = [name for _, name in _screen(client, f"/branch/{tree['a'].id}?{query}")]
    response = client.get(f"/branch/{tree['a'].id}/export.csv?{query}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][0] == "姓名"
    assert [r[0] for r in rows[1:]] == screen
    xlsx = client.get(f"/branch/{tree['a'].id}/export.xlsx?{query}")
    sheet = load_workbook(io.BytesIO(xlsx.get_data()), read_only=True).worksheets[0]
    assert [r[0] for r in list(sheet.iter_rows(values_only=True))[1:]] == screen


def test_exports_defuse_formulas_and_are_audited(client, login, make_user, tree, branch_a):
    make_user("=HYPERLINK(\"http://evil\",\"x\")", org=tree["a"])
    login(branch_a["secretary"])
    rows = list(csv.reader(io.StringIO(client.get(
        f"/branch/{tree['a'].id}/export.csv").get_data().decode("utf-8-sig"))))
    evil = [r[0] for r in rows if "HYPERLINK" in r[0]]
    assert evil == ["'=HYPERLINK(\"http://evil\",\"x\")"]
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "progress.export"))
    assert log.actor_id == branch_a["secretary"].id and log.target == tree["a"].code


def test_a_member_row_in_the_export(client, login, tree, branch_a):
    login(branch_a["secretary"])
    rows = list(csv.reader(io.StringIO(client.get(
        f"/branch/{tree['a'].id}/export.csv").get_data().decode("utf-8-sig"))))
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["王五"][5:8] == ["33.0", "32.0", "已达标"]
    assert by_name["赵六"][7] == "不作硬性要求"
    assert by_name["王书记"][6] == "56.0"  # 书记: the cadre target


def test_activists_and_candidates_have_no_target(client, login, client_for, admin, make_user,
                                                  tree, branch_a):
    make_user("积极分子小李", org=tree["a"], status="activist")
    candidate = make_user("发展对象小周", org=tree["a"], status="candidate")
    _hours(candidate, 6)
    login(branch_a["secretary"])
    page = client.get(f"/branch/{tree['a'].id}").get_data(as_text=True)
    row = next(r for r in page.split("<tr>") if "发展对象小周" in r)
    assert "6 / —" in row and "不设年度学时目标" in row and "未达标" not in row
    names = [n for _, n in _screen(client, f"/branch/{tree['a'].id}?filter=behind")]
    assert sorted(names) == sorted(["张三", "王书记"])  # 积极分子小李 has 0 hours, and no target
    rows = list(csv.reader(io.StringIO(client.get(
        f"/branch/{tree['a'].id}/export.csv").get_data().decode("utf-8-sig"))))
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["发展对象小周"][5:8] == ["6.0", "", "不设年度学时目标"]
    rows = list(csv.reader(io.StringIO(client_for(admin).get(
        f"/branch/{tree['town'].id}/export.csv").get_data().decode("utf-8-sig"))))
    a = {r[0]: r for r in rows[1:]}["甲村党支部"]
    # 免学: 赵六 (exempt); 无年度目标: the two; on track: 王五 of 张三, 王书记 and him
    assert rows[0][1:6] == ["党员人数", "免学", "无年度目标", "达标人数", "达标率"]
    assert a[1:6] == [str(_scoped_count(tree["a"].path)), "1", "2", "1", "33%"]
    page = client_for(admin).get(f"/branch/{tree['town'].id}").get_data(as_text=True)
    row = next(r for r in page.split("<tr>") if "甲村党支部" in r)
    assert "免学 1" in row and "无年度目标 2" in row


# ---- roll-up -------------------------------------------------------------------------------

def test_the_township_roll_up_has_one_row_per_branch(client, login, admin, tree, branch_a,
                                                     member_b, make_course, grade,
                                                     finish_lessons):
    made = make_course(lessons=1, final=1)
    db.session.add(CourseAssignment(course_id=made.course.id, org_id=tree["town"].id,
                                    due_on=date(2099, 1, 1)))
    db.session.commit()
    finish_lessons(member_b, made)
    grade.final(member_b, made.final)
    login(admin)
    page = client.get(f"/branch/{tree['town'].id}").get_data(as_text=True)
    table = page.split('rollup-table', 1)[1].split("</table>", 1)[0]
    assert "甲村党支部" in table and "乙村党支部" in table
    assert "张三" not in page  # a roll-up names organisations, not members
    rows = list(csv.reader(io.StringIO(client.get(
        f"/branch/{tree['town'].id}/export.csv").get_data().decode("utf-8-sig"))))
    by_org = {r[0]: r for r in rows[1:]}
    a, b = by_org["甲村党支部"], by_org["乙村党支部"]
    assert a[1:6] == [str(_scoped_count(tree["a"].path)), "1", "0", "1", "33%"]
    assert b[1:6] == [str(_scoped_count(tree["b"].path)), "0", "0", "1", "50%"]
    assert a[7:10] == ["0", "4", "0%"] and b[7:10] == ["1", "2", "50%"]
    assert by_org["合计"][1] == str(_scoped_count(tree["town"].path))


def test_the_county_rolls_up_into_townships(client, login, admin, tree, branch_a):
    login(admin)
    response = client.get(f"/branch/{tree['county'].id}")
    assert response.status_code == 200
    assert "测试镇党委" in response.get_data(as_text=True)


# ---- assignments and manual hours over HTTP ------------------------------------------------

def test_assign_and_withdraw_a_required_course(client, login, tree, branch_a, make_course):
    made = make_course(lessons=3, check=1, final=1, title="必修课程甲")
    login(branch_a["secretary"])
    form = client.get(f"/branch/{tree['a'].id}/assign").get_data(as_text=True)
    assert "必修课程甲" in form
    due = date(years.this_year() + 1, 6, 30).isoformat()
    response = client.post(f"/branch/{tree['a'].id}/assign",
                           data={"course": made.course.id, "due_on": due},
                           follow_redirects=True)
    assert "已把《必修课程甲》布置为" in response.get_data(as_text=True)
    assignment = db.session.scalar(select(CourseAssignment))
    assert (assignment.org_id, assignment.due_on.isoformat()) == (tree["a"].id, due)
    client.post(f"/branch/assignments/{assignment.id}/withdraw")
    assert db.session.scalar(select(func.count()).select_from(CourseAssignment)) == 0


def test_a_secretary_cannot_withdraw_another_branchs_assignment(client, login, tree, branch_a,
                                                                make_course):
    made = make_course(lessons=3, check=1, final=1)
    other = CourseAssignment(course_id=made.course.id, org_id=tree["b"].id,
                             due_on=date(2099, 1, 1))
    db.session.add(other)
    db.session.commit()
    login(branch_a["secretary"])
    assert client.post(f"/branch/assignments/{other.id}/withdraw").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(CourseAssignment)) == 1


def test_a_secretary_enters_hours_on_the_members_record(client, login, tree, branch_a):
    login(branch_a["secretary"])
    member = branch_a["member"]
    page = client.get(f"/branch/members/{member.id}").get_data(as_text=True)
    assert "登记学时" in page
    response = client.post(f"/branch/members/{member.id}/hours",
                           data={"hours": "2.5", "occurred_on": years.today().isoformat(),
                                 "category": "meeting", "reason": "送学上门：学习惠民政策"},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已登记 2.5 学时" in page and "送学上门：学习惠民政策" in page
    assert "合计 12.5 学时" in page
    missing = client.post(f"/branch/members/{member.id}/hours",
                          data={"hours": "2", "occurred_on": years.today().isoformat(), "category": "meeting",
                                "reason": ""})
    assert missing.status_code == 400


def test_members_cannot_enter_hours(client, login, branch_a):
    member = branch_a["member"]
    login(member)
    response = client.post(f"/branch/members/{member.id}/hours",
                           data={"hours": "50", "occurred_on": years.today().isoformat(),
                                 "category": "manual", "reason": "自己给自己加"})
    assert response.status_code == 403


# ---- query counts --------------------------------------------------------------------------

def _grow(make_user, tree, make_course, secretary, n: int = 15):
    """More members, hours, progress and assignments: the query count must not move."""
    made = make_course(lessons=3, final=1)
    db.session.add(CourseAssignment(course_id=made.course.id, org_id=tree["a"].id,
                                    due_on=date(2000, 1, 1), assigned_by_id=secretary.id))
    for i in range(n):
        user = make_user(f"党员{i}", org=tree["a1"] if i % 2 else tree["a"],
                         is_exempt=i % 5 == 0)
        for lesson in made.lessons:
            db.session.add(LessonProgress(user_id=user.id, lesson_id=lesson.id,
                                          course_id=made.course.id))
        db.session.add(StudyHours(user_id=user.id, year=years.this_year(), category="manual",
                                  hours=i, source="manual", reason="x"))
    db.session.commit()


@pytest.mark.parametrize("url", ["/branch/{a}", "/branch/{a}?filter=behind&sort=last",
                                 "/branch/{a}/export.csv", "/branch/{town}",
                                 "/branch/{town}/export.xlsx"])
def test_branch_pages_keep_a_fixed_query_count(client, login, admin, tree, branch_a,
                                               count_queries, make_user, make_course,
                                               url):
    url = url.format(a=tree["a"].id, town=tree["town"].id)
    login(admin)
    client.get(url)
    db.session.commit()  # requests share the test's session: start each from the same state
    with count_queries() as before:
        assert client.get(url).status_code == 200
    _grow(make_user, tree, make_course, branch_a["secretary"])
    db.session.commit()
    with count_queries() as after:
        assert client.get(url).status_code == 200
    assert after[0] == before[0], url
