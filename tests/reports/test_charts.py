"""Each chart shows the same numbers as the table beside it, and the numbers are right."""
from __future__ import annotations

from datetime import datetime

from freezegun import freeze_time

from lms.extensions import db
from lms.progress.models import StudyHours
from lms.reports import charts
from tests.reports.charts_helpers import bars, figure, table, target_line


def _entry(member, hours, when: datetime, year: int = 2026):
    db.session.add(StudyHours(user_id=member.id, year=year, category="meeting", hours=hours,
                              source="manual", reason="学习", recorded_at=when))


@freeze_time("2026-05-20 04:00:00")
def test_my_study_hours_by_month_against_the_target(client, login, member):
    _entry(member, 2, datetime(2026, 1, 10, 2))
    _entry(member, 3, datetime(2026, 3, 2, 2))
    _entry(member, 1.5, datetime(2026, 3, 31, 17))  # 1 April 01:00 in Beijing
    _entry(member, 4, datetime(2025, 12, 20, 2))  # a 2025 entry: not this year's
    db.session.commit()
    login(member)
    fig = figure(client.get("/study/").get_data(as_text=True), "hours-by-month")
    assert bars(fig) == [("1月", "2"), ("2月", "2"), ("3月", "5"), ("4月", "6.5"),
                         ("5月", "6.5")]
    assert table(fig) == [["1月", "2", "2"], ["2月", "0", "2"], ["3月", "3", "5"],
                          ["4月", "1.5", "6.5"], ["5月", "0", "6.5"]]
    assert [b[1] for b in bars(fig)] == [row[2] for row in table(fig)]
    assert target_line(fig) == "32"


@freeze_time("2026-05-20 04:00:00")
def test_a_past_year_on_the_record_page_has_twelve_months(client, login, member):
    _entry(member, 4, datetime(2025, 12, 20, 2), year=2025)
    db.session.commit()
    login(member)
    fig = figure(client.get("/study/record?year=2025").get_data(as_text=True),
                 "hours-by-month")
    assert len(bars(fig)) == 12 and bars(fig)[-1] == ("12月", "4")
    assert [b[1] for b in bars(fig)] == [row[2] for row in table(fig)]


def test_no_target_draws_no_line(client, login, make_user, tree):
    activist = make_user("积极分子", org=tree["a"], status="activist")
    login(activist)
    fig = figure(client.get("/study/").get_data(as_text=True), "hours-by-month")
    assert target_line(fig) is None


def test_labels_and_values_are_escaped():
    chart = charts.bars("标题<script>", [("<b>甲</b>", 3)])
    assert "<script>" not in chart.svg and "<b>" not in chart.svg
    assert "&lt;b&gt;" in chart.svg


# ---- a branch and a township ----------------------------------------------------------------

def _member_hours(member, hours):
    db.session.add(StudyHours(user_id=member.id, year=2026, category="manual", hours=hours,
                              source="manual", reason="x", recorded_at=datetime(2026, 3, 1)))


@freeze_time("2026-07-02 04:00:00")
def test_a_branch_by_state_and_its_required_courses(client, login, tree, member, secretary,
                                                    make_user, complete_course):
    from datetime import date

    from lms.progress.models import CourseAssignment

    on_track, going = make_user("王五", org=tree["a"]), make_user("孙七", org=tree["a"])
    make_user("赵六", org=tree["a"], is_exempt=True, exempt_reason="久病")
    make_user("积极分子", org=tree["a"], status="activist")
    _member_hours(member, 10)    # below half of 32 at the start of July: 落后
    _member_hours(on_track, 33)  # 达标
    _member_hours(going, 20)     # short of 32 but ahead of the pace: 进行中
    # the secretary (a cadre: 56) has nothing: 落后
    db.session.commit()
    made = complete_course(member, title="党章")
    db.session.add(CourseAssignment(course_id=made.course.id, org_id=tree["a"].id,
                                    due_on=date(2026, 9, 1), assigned_by_id=secretary.id))
    db.session.commit()
    login(secretary)
    for url in (f"/branch/{tree['a'].id}", f"/branch/{tree['a'].id}?filter=behind&q=张"):
        page = client.get(url).get_data(as_text=True)
        states = figure(page, "states")
        assert bars(states) == [("达标", "1"), ("进行中", "1"), ("落后", "2"),
                                ("不作硬性要求", "2")]
        assert table(states) == [["达标", "1", "17%"], ["进行中", "1", "17%"],
                                 ["落后", "2", "33%"], ["不作硬性要求", "2", "33%"]]
        required = figure(page, "required")
        # required of the six members; 张三 completed it
        assert bars(required) == [("党章", "17")]
        assert table(required) == [["党章", "2026-09-01", "6", "1", "17%"]]


def test_a_branch_without_required_courses_has_no_course_chart(client, login, tree, secretary):
    login(secretary)
    page = client.get(f"/branch/{tree['a'].id}").get_data(as_text=True)
    assert 'id="states-table"' in page and 'id="required-table"' not in page


def test_a_township_side_by_side_on_outcomes(client, login, tree, member, member_b, make_user,
                                             admin):
    from lms.progress import years
    from lms.reports import tables

    year = years.this_year()
    for user, hours in ((member, 40), (member_b, 1), (make_user("王五", org=tree["a"]), 50)):
        db.session.add(StudyHours(user_id=user.id, year=year, category="manual", hours=hours,
                                  source="manual", reason="x"))
    db.session.commit()
    login(admin)
    fig = figure(client.get(f"/branch/{tree['town'].id}").get_data(as_text=True), "outcomes")
    rows, _total = tables.rollup_rows(tree["town"], year=year)
    assert [r[0] for r in table(fig)] == [r.name for r in rows] == ["甲村党支部", "乙村党支部"]
    assert [r[1] for r in table(fig)] == [f"{r.on_track_percent}%" for r in rows] == \
        ["100%", "0%"]
    shown = dict(bars(fig))
    for row in table(fig):
        assert shown[f"{row[0]} · 学时达标率"] + "%" == row[1]
        assert row[2] == "—" and shown[f"{row[0]} · 必修完成率"] == ""
        assert shown[f"{row[0]} · 会议按期召开率"] + "%" == row[3]
    old = figure(client.get(f"/branch/{tree['town'].id}?year={year - 1}")
                 .get_data(as_text=True), "outcomes")
    assert "会议按期召开率" not in old  # meetings count what is due so far this year
