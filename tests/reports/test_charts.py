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
