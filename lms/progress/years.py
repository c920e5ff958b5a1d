"""Local calendar and yearly targets.

Hours count for the calendar year where the members live (BABEL_DEFAULT_TIMEZONE, Asia/Shanghai
by default): a course passed at 23:30 on 31 December Beijing time (15:30 UTC) counts for that
year, one passed at 00:30 on 1 January for the next, whatever the server's own zone.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import case

from lms.core.clock import utcnow
from lms.orgs.models import CADRE_ROLES


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def local(moment: datetime) -> datetime:
    """A stored naive-UTC moment in local time."""
    return moment.replace(tzinfo=UTC).astimezone(zone())


def local_date(moment: datetime | None) -> str:
    """A stored moment's local date as YYYY-MM-DD ("" for none)."""
    return local(moment).strftime("%Y-%m-%d") if moment else ""


def year_of(moment: datetime) -> int:
    return local(moment).year


def this_year() -> int:
    return year_of(utcnow())


def today() -> date:
    return local(utcnow()).date()


#: 发展对象 and 入党积极分子 are not party members yet: the party member's yearly target (党员每年
#: 集中学习培训不少于32学时) does not bind them; they study to their 培养 plan instead
NON_MEMBER_STATUSES = ("candidate", "activist")


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The local calendar year as naive-UTC [start, end)."""
    def start(y):
        return datetime(y, 1, 1, tzinfo=zone()).astimezone(UTC).replace(tzinfo=None)
    return start(year), start(year + 1)


def local_noon(day: date) -> datetime:
    """Noon of a local calendar day as naive UTC: a moment that is that day (and year)
    wherever the members live."""
    return datetime.combine(day, time(12), zone()).astimezone(UTC).replace(tzinfo=None)


def joined_by() -> datetime:
    """Members whose account was made before this moment are past their own grace for a
    required course: a member placed today gets ``NEW_MEMBER_DAYS`` from their joining, even for
    an assignment whose due date passed before they came (the start of the local day, as UTC)."""
    start = datetime.combine(today() - timedelta(days=_new_member_days()), time(0), zone())
    return start.astimezone(UTC).replace(tzinfo=None)


def _new_member_days() -> int:
    return int(current_app.config.get("NEW_MEMBER_DAYS", 30))


def due_for(user, due_on: date | None) -> date | None:
    """A member's own due date for a required course: the assignment's, or their joining +
    ``NEW_MEMBER_DAYS`` when that is later."""
    if due_on is None:
        return None
    joined = getattr(user, "created_at", None)
    if joined is None:
        return due_on
    return max(due_on, local(joined).date() + timedelta(days=_new_member_days()))


def is_overdue(user, due_on: date | None, completed: bool = False) -> bool:
    """Past the member's own due date, not completed, and the member is not exempt (不作硬性
    要求 members are never shown as overdue)."""
    if completed or due_on is None or getattr(user, "is_exempt", False):
        return False
    return due_for(user, due_on) < today()


def holds_cadre_role(memberships) -> bool:
    """书记 and 支委 (CADRE_ROLES) have the higher target."""
    return any(m.role in CADRE_ROLES for m in memberships)


def _targets() -> tuple[float, float, float]:
    """The configured targets: cadre, not yet a party member, party member."""
    config = current_app.config
    return (float(config["HOURS_TARGET_CADRE"]), float(config["HOURS_TARGET_NON_MEMBER"]),
            float(config["HOURS_TARGET_MEMBER"]))


def target_hours(cadre: bool, status: str | None = None) -> float:
    """A year's target: HOURS_TARGET_CADRE for 书记 and 支委, HOURS_TARGET_NON_MEMBER for 发展对象
    and 入党积极分子 (0 by default: none; their hours are kept, but they are never "behind"),
    HOURS_TARGET_MEMBER for everyone else."""
    cadre_target, non_member_target, member_target = _targets()
    if cadre:
        return cadre_target
    return non_member_target if status in NON_MEMBER_STATUSES else member_target


def target_case(cadre, status):
    """``target_hours`` as a SQL expression over a cadre flag and a status column."""
    cadre_target, non_member_target, member_target = _targets()
    return case((cadre, cadre_target), (status.in_(NON_MEMBER_STATUSES), non_member_target),
                else_=member_target)
