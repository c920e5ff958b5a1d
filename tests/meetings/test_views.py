"""Meeting pages through HTTP: scope answers 404, the roster's ticks through the outbox's
endpoint, closing, the pages a fixed number of queries, the paper and the meeting book."""
from __future__ import annotations

import io
from datetime import timedelta

from freezegun import freeze_time
from openpyxl import load_workbook
from sqlalchemy import func, select

from lms.core.clock import utcnow
from lms.extensions import db
from lms.meetings import services
from lms.meetings.models import Attendance, Meeting
from lms.progress.models import StudyHours


def test_plan_through_the_form(client_for, secretary, tree, lesson):
    c = client_for(secretary)
    assert c.get("/meetings/new").status_code == 200
    today = services.years.today().isoformat()
    response = c.post("/meetings/new", data={
        "org": tree["a"].id, "kind": "lecture", "title": "渔船上的党课", "day": today,
        "starts": "09:00", "ends": "10:30", "place": "渔港村 3 号船", "host": "王书记",
        "minute_taker": "李委员", "hours": "1.5", "lesson": lesson.id, "topics": "学习第一课"})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    meeting = db.session.scalar(select(Meeting))
    assert (meeting.title, float(meeting.hours), meeting.lesson_id) == ("渔船上的党课", 1.5,
                                                                        lesson.id)
    page = c.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "渔港村 3 号船" in page and "第一课" in page


def test_bad_hours_on_the_form_say_so(client_for, secretary, tree):
    c = client_for(secretary)
    response = c.post("/meetings/new", data={
        "org": tree["a"].id, "kind": "lecture", "title": "党课", "day": "2026-03-01",
        "starts": "09:00", "ends": "10:00", "hours": "1.3", "lesson": 0})
    assert response.status_code == 200
    assert "0.5" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Meeting.id))) == 0


def test_other_branch_meetings_are_404(client_for, plan, secretary, secretary_b, tree, member):
    meeting = plan(secretary_b, org=tree["b"])
    c = client_for(secretary)
    for path in ("", "/roll", "/minutes", "/qr", "/marks"):
        assert c.get(f"/meetings/{meeting.id}{path}").status_code == 404
    assert c.post(f"/meetings/{meeting.id}/ticks", json={"items": []}).status_code == 404
    assert "乙村" not in c.get("/meetings/").get_data(as_text=True)
    # a member sees no meeting pages and cannot tick
    m = client_for(member)
    assert m.get("/meetings/").status_code == 403
    assert m.get(f"/meetings/{meeting.id}/roll").status_code == 404


def test_ticks_endpoint_runs_each_id_once(client_for, plan, secretary, member):
    meeting = plan(secretary)
    c = client_for(secretary)
    body = {"items": [{"id": "a1b2c3d4e5", "user": member.id, "status": "present"},
                      {"id": "a1b2c3d4e6", "user": secretary.id, "status": "leave",
                       "reason": "开会"}]}
    first = c.post(f"/meetings/{meeting.id}/ticks", json=body).get_json()
    assert [r["ok"] for r in first["results"]] == [True, True]
    assert first["counts"]["present"] == 1 and first["counts"]["leave"] == 1
    again = c.post(f"/meetings/{meeting.id}/ticks", json=body).get_json()
    assert [r["replayed"] for r in again["results"]] == [True, True]
    assert db.session.scalar(select(func.count(Attendance.id))) == 2
    assert c.post(f"/meetings/{meeting.id}/ticks", json={"nope": 1}).status_code == 400


def test_close_through_the_page_and_my_study_shows_it(client_for, plan, secretary, member):
    meeting = plan(secretary, hours=2)
    c = client_for(secretary)
    c.post(f"/meetings/{meeting.id}/ticks", json={"items": [
        {"id": "close-0001", "user": member.id, "status": "present"}]})
    response = c.post(f"/meetings/{meeting.id}/close", follow_redirects=True)
    assert "已签发" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.sum(StudyHours.hours)).where(
        StudyHours.user_id == member.id)) == 2
    page = client_for(member).get("/study/").get_data(as_text=True)
    assert "三月党课" in page and "2 学时" in page


def test_roll_page_queries_do_not_grow_with_the_roster(client_for, plan, secretary, make_user,
                                                       tree, count_queries):
    meeting = plan(secretary)
    c = client_for(secretary)
    counts = []
    for size in (5, 40):
        for i in range(size):
            make_user(f"党员{size}-{i}", org=tree["a1"] if i % 2 else tree["a"])
        c.get(f"/meetings/{meeting.id}/roll")
        with count_queries() as n:
            response = c.get(f"/meetings/{meeting.id}/roll")
        assert response.status_code == 200
        counts.append(n[0])
    assert counts[0] == counts[1], counts
    assert counts[1] <= 8, counts


def test_show_and_marks_fixed_queries(client_for, plan, secretary, make_user, tree,
                                      count_queries):
    meeting = plan(secretary)
    c = client_for(secretary)
    seen = []
    for size in (3, 30):
        for i in range(size):
            make_user(f"成员{size}-{i}", org=tree["a"])
        for path in ("", "/marks", "/minutes"):
            c.get(f"/meetings/{meeting.id}{path}")
        with count_queries() as n:
            c.get(f"/meetings/{meeting.id}")
            c.get(f"/meetings/{meeting.id}/marks")
            c.get(f"/meetings/{meeting.id}/minutes")
        seen.append(n[0])
    assert seen[0] == seen[1], seen


def test_branch_page_shows_due_and_overdue(client_for, plan, secretary, tree):
    c = client_for(secretary)
    page = c.get(f"/branch/{tree['a'].id}").get_data(as_text=True)
    assert "组织生活" in page and 'data-state="overdue"' in page
    plan(secretary, kind="theme_day", title="主题党日")
    services.close_meeting(secretary, db.session.scalar(select(Meeting.id)))
    page = c.get(f"/branch/{tree['a'].id}").get_data(as_text=True)
    assert 'data-state="done"' in page


def test_rollup_shows_meetings_per_branch_and_missing_theme_day(
        client_for, plan, secretary, make_user, tree, member):
    leader = make_user("镇书记", org=tree["town"], roles=[("secretary", tree["town"])])
    meeting = plan(secretary, kind="theme_day", title="主题党日")
    services.tick_batch(secretary, meeting.id, [
        {"id": "roll-up-01", "user": member.id, "status": "present"}])
    services.close_meeting(secretary, meeting.id)
    page = client_for(leader).get(f"/branch/{tree['town'].id}").get_data(as_text=True)
    assert "本月尚未开展主题党日" in page
    part = page[page.index("本月尚未开展主题党日"):]
    assert "乙村党支部" in part[:part.index("</p>")]
    assert "甲村党支部" not in part[:part.index("</p>")]
    assert "50%" in page  # 1 of 2 on the roster (张三 present, 王书记 absent)


def test_minutes_sheet_and_book(client_for, plan, secretary, member):
    meeting = plan(secretary, host="王书记", decisions="明年修路")
    c = client_for(secretary)
    services.tick_batch(secretary, meeting.id, [
        {"id": "book-00001", "user": member.id, "status": "present"}])
    services.close_meeting(secretary, meeting.id)
    minutes = c.get(f"/meetings/{meeting.id}/minutes").get_data(as_text=True)
    assert "明年修路" in minutes and "应到 2 人，实到 1 人" in minutes
    meeting2 = plan(secretary, start=timedelta(days=1), title="下月党课")
    sheet = c.get(f"/meetings/{meeting2.id}/sheet").get_data(as_text=True)
    assert "<svg" in sheet and "张三" in sheet
    book = c.get(f"/meetings/org/{meeting.org_id}/book").get_data(as_text=True)
    assert "三月党课" in book and "下月党课" in book
    data = c.get(f"/meetings/org/{meeting.org_id}/book?format=xlsx").data
    rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("日期", "开始", "结束", "类型", "会议名称")
    first = [r for r in rows[1:] if r[4] == "三月党课"][0]
    assert first[9:13] == (2, 1, 0, 1)


def test_home_visit_page_credits_and_shows_in_the_record(client_for, secretary, make_user,
                                                         tree):
    elder = make_user("林老根", org=tree["a"], is_exempt=True)
    c = client_for(secretary)
    response = c.post("/meetings/home-visits/new", data={
        "member": elder.id, "visited_on": services.years.today().isoformat(),
        "topic": "读党章", "hours": "1"}, follow_redirects=True)
    assert "已登记送学上门" in response.get_data(as_text=True)
    record = c.get(f"/branch/members/{elder.id}").get_data(as_text=True)
    assert "送学上门" in record


def test_qr_check_in_flow(client_for, plan, secretary, member, app):
    meeting = plan(secretary)
    token = services.qr_token(meeting.id)
    anonymous = client_for(None)
    response = anonymous.get(f"/m/{meeting.id}?t={token}")
    assert response.status_code == 302 and "/in?ticket=" in response.headers["Location"]
    ticket_url = response.headers["Location"]
    assert anonymous.get(ticket_url).status_code == 302  # sign in first
    c = client_for(member)
    assert "我到了" in c.get(ticket_url).get_data(as_text=True)
    ticket = ticket_url.split("ticket=")[1]
    page = c.post(f"/m/{meeting.id}/in", data={"ticket": ticket}).get_data(as_text=True)
    assert "已签到" in page
    row = db.session.scalar(select(Attendance).where(Attendance.user_id == member.id))
    assert (row.status, row.method) == ("present", "qr")
    assert client_for(secretary).get(f"/meetings/{meeting.id}/qr.svg").data.startswith(b"<svg")


def test_a_forwarded_photo_of_the_code_expires(client_for, plan, secretary, member):
    meeting = plan(secretary)
    with freeze_time(utcnow()) as clock:
        token = services.qr_token(meeting.id)
        clock.tick(timedelta(seconds=75))
        page = client_for(None).get(f"/m/{meeting.id}?t={token}")
        assert page.status_code == 400
        assert "二维码已过期，请扫描现场的新二维码" in page.get_data(as_text=True)


def test_record_lists_meetings_attended_and_home_visits(client_for, plan, secretary, member):
    meeting = plan(secretary, hours=1.5, title="四月党课")
    services.tick_batch(secretary, meeting.id, [
        {"id": "record-0001", "user": member.id, "status": "present"}])
    services.close_meeting(secretary, meeting.id)
    services.record_home_visit(secretary, member, visited_on=services.years.today(),
                               topic="上门读党章", hours=1)
    page = client_for(member).get("/study/record").get_data(as_text=True)
    part = page[page.index("参加的组织生活和送学上门"):]
    assert "四月党课" in part and "上门读党章" in part and "1.5" in part


def test_county_view_folds_branches_into_townships(client_for, plan, secretary, make_user,
                                                   tree, member):
    county_staff = make_user("县组织委员", org=tree["county"],
                             roles=[("organizer", tree["county"])])
    meeting = plan(secretary, kind="theme_day", title="主题党日")
    services.tick_batch(secretary, meeting.id, [
        {"id": "county-0001", "user": member.id, "status": "present"}])
    services.close_meeting(secretary, meeting.id)
    page = client_for(county_staff).get(f"/branch/{tree['county'].id}").get_data(as_text=True)
    part = page[page.index('id="meetings-rollup-title"'):]
    assert f'/branch/{tree["town"].id}' in part and "测试镇党委" in part
    assert "本月未开主题党日" in part and "乙村党支部" in part  # the one still missing
    assert "50%" in part
