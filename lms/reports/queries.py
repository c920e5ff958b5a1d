"""Read-only figures for the charts: one statement each, whatever the data size."""
from __future__ import annotations

from sqlalchemy import bindparam, select

from lms.extensions import db
from lms.progress import years
from lms.progress.models import StudyHours

_YEAR_LINES = select(StudyHours.recorded_at, StudyHours.hours).where(
    StudyHours.user_id == bindparam("user_id"), StudyHours.year == bindparam("year"))


def monthly_hours(user_id: int, year: int) -> list[float]:
    """The member's hours of ``year`` by local month of entry (12 values). An entry counted
    for a year other than the one it was made in (a manual entry for last year) goes in
    December or January of ``year``, whichever is nearer."""
    months = [0.0] * 12
    for recorded_at, hours in db.session.execute(_YEAR_LINES,
                                                 {"user_id": user_id, "year": year}):
        moment = years.local(recorded_at)
        month = moment.month if moment.year == year else (12 if moment.year < year else 1)
        months[month - 1] += float(hours)
    return [round(m, 2) for m in months]


def ledgers_under(node, year: int) -> dict[int, list]:
    """Every ledger line of ``year`` of the members placed under ``node``, by member, oldest
    first (one query): (recorded_at, category, hours, title or reason)."""
    from sqlalchemy import and_

    from lms.auth.models import User
    from lms.courses.models import Course
    from lms.orgs.models import Organization

    subtree = select(Organization.id).where(Organization.path.startswith(node.path))
    rows = db.session.execute(
        select(StudyHours.user_id, StudyHours.recorded_at, StudyHours.category,
               StudyHours.hours, Course.title, StudyHours.reason)
        .join(User, User.id == StudyHours.user_id)
        .outerjoin(Course, and_(StudyHours.source == "course",
                                Course.id == StudyHours.source_id))
        .where(User.org_id.in_(subtree), StudyHours.year == year)
        .order_by(StudyHours.user_id, StudyHours.recorded_at, StudyHours.id))
    out: dict[int, list] = {}
    for user_id, recorded_at, category, hours, title, reason in rows:
        out.setdefault(user_id, []).append((recorded_at, category, float(hours), title or reason))
    return out
