"""The demo's study history: real rows, every view has something, idempotent."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from lms.auth.models import User
from lms.demo import create_demo
from lms.extensions import db
from lms.orgs.models import Organization
from lms.progress import queries, years
from lms.progress.models import (
    CourseAssignment,
    CourseCompletion,
    Enrollment,
    LessonProgress,
    StudyHours,
)
from lms.quizzes.models import Attempt, Response
from lms.reports import tables

ROOT = Path(__file__).resolve().parents[2]
TABLES = (Enrollment, LessonProgress, CourseCompletion, StudyHours, CourseAssignment, Attempt,
          Response)


def _counts():
    return {t.__tablename__: db.session.scalar(select(func.count()).select_from(t))
            for t in TABLES}


def test_demo_history_is_real_and_idempotent(app, client):
    from lms.authoring.pack_sync import import_folders

    import_folders([ROOT / "courses"])
    create_demo(app, echo=lambda *_: None)
    first = _counts()
    assert all(first.values()), first
    password = create_demo(app, echo=lambda *_: None)  # each run prints a new password
    assert _counts() == first

    users = {u.phone: u for u in db.session.scalars(select(User))}
    year = years.this_year()
    on_track = queries.standing(users["13900000011"], year)
    behind = queries.standing(users["13900000012"], year)
    assert on_track.on_track and not behind.on_track
    assert queries.standing(users["13900000016"], year).exempt

    # every course credit in the ledger matches a completion, and passed attempts back it
    credits = db.session.scalar(select(func.count()).select_from(StudyHours).where(
        StudyHours.source == "course"))
    assert credits == first["course_completions"]
    bad = db.session.scalar(select(func.count()).select_from(Attempt).where(
        (Attempt.score > Attempt.max_score) | (Attempt.state != "submitted")))
    assert bad == 0

    branch = db.session.scalar(select(Organization).where(Organization.code == "LH-DW-YG"))
    rows = tables.member_rows(branch, year=year)
    assert any(r.overdue for r in rows) and any(r.behind for r in rows)

    client.post("/login", data={"phone": "13900000011", "password": password})
    page = client.get("/study/").get_data(as_text=True)
    assert "已达到本年目标" in page and "最近成绩" in page
    assert "课程结业" in client.get("/study/record").get_data(as_text=True)
    client.post("/logout")
    client.post("/login", data={"phone": "13900000004", "password": password})
    page = client.get(f"/branch/{branch.id}").get_data(as_text=True)
    assert "张桂英" in page and "逾期" in page
    client.post("/logout")
    client.post("/login", data={"phone": "13900000003", "password": password})
    town = db.session.scalar(select(Organization).where(Organization.code == "LH-DW"))
    page = client.get(f"/branch/{town.id}").get_data(as_text=True)
    assert "渔港村党支部" in page and "稻香村党支部" in page
