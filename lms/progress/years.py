"""Local calendar and yearly targets.

Hours count for the calendar year where the members live (BABEL_DEFAULT_TIMEZONE, Asia/Shanghai
by default): a course passed at 23:30 on 31 December Beijing time (15:30 UTC) counts for that
year, one passed at 00:30 on 1 January for the next, whatever the server's own zone.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from lms.core.clock import utcnow
from lms.orgs.models import CADRE_ROLES


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def local(moment: datetime) -> datetime:
    """A stored naive-UTC moment in local time."""
    return moment.replace(tzinfo=UTC).astimezone(zone())


def year_of(moment: datetime) -> int:
    return local(moment).year


def this_year() -> int:
    return year_of(utcnow())


def today() -> date:
    return local(utcnow()).date()


def holds_cadre_role(memberships) -> bool:
    """书记 and 支委 (CADRE_ROLES) have the higher target."""
    return any(m.role in CADRE_ROLES for m in memberships)


def target_hours(cadre: bool) -> float:
    config = current_app.config
    return float(config["HOURS_TARGET_CADRE"] if cadre else config["HOURS_TARGET_MEMBER"])
