"""What is due: each kind of meeting against its statutory frequency (``MEETING_FREQUENCY``),
for one branch (this month's and quarter's due and overdue) and for a township or county (per
branch: periods held against periods due this year, the attendance rate, and whether this
month's 主题党日 was held). A fixed number of queries whatever the size of the tree.

A period counts as held when a closed record of that kind falls in it (local calendar). A kind
is *overdue* when its previous period had none and the current one has none yet, *due* when
the current period has none yet, *planned* when one is planned in it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import case, distinct, func, literal, select

from lms.extensions import db
from lms.meetings.models import Meeting
from lms.orgs.models import Organization
from lms.progress import years

#: organisation kinds that hold their own meetings (a 党小组's 党小组会 counts for its branch)
BRANCH_KINDS = ("village_committee", "general_branch", "branch")


def frequency() -> dict[str, str]:
    return {kind: every for kind, every in current_app.config["MEETING_FREQUENCY"].items()
            if every in ("month", "quarter", "year")}


def period_of(day: date, every: str) -> tuple[int, int]:
    """(year, index) of the month, quarter or year ``day`` falls in."""
    if every == "month":
        return day.year, day.month
    if every == "quarter":
        return day.year, (day.month - 1) // 3 + 1
    return day.year, 1


def previous(period: tuple[int, int], every: str) -> tuple[int, int]:
    year, index = period
    if every == "year" or index == 1:
        return (year - 1, {"month": 12, "quarter": 4, "year": 1}[every])
    return year, index - 1


def _start_of_previous_year(today: date) -> datetime:
    """UTC moment of 1 January last year, local: every period this module reads starts later."""
    local = datetime(today.year - 1, 1, 1, tzinfo=years.zone())
    return local.astimezone(UTC).replace(tzinfo=None)


@dataclass
class KindStatus:
    kind: str
    every: str
    state: str  # done / planned / due / overdue / none (no 党小组 to hold it)
    held: int = 0


def branch_schedule(org: Organization, today: date | None = None) -> list[KindStatus]:
    """Each scheduled kind's state for ``org`` this period (two queries)."""
    today = today or years.today()
    rows = db.session.execute(
        select(Meeting.kind, Meeting.starts_at, Meeting.state, Meeting.org_id)
        .join(Organization, Organization.id == Meeting.org_id)
        .where(Organization.path.startswith(org.path),
               Meeting.starts_at >= _start_of_previous_year(today))).all()
    groups = db.session.scalar(select(func.count(Organization.id)).where(
        Organization.path.startswith(org.path), Organization.kind == "group"))
    out = []
    for kind, every in frequency().items():
        if kind == "group" and not groups and org.kind != "group":
            out.append(KindStatus(kind, every, "none"))
            continue
        now = period_of(today, every)
        before = previous(now, every)
        held_now = planned_now = held_before = 0
        for r_kind, starts_at, state, _org_id in rows:
            if r_kind != kind:
                continue
            period = period_of(years.local(starts_at).date(), every)
            if period == now:
                held_now += state == "closed"
                planned_now += state == "planned"
            elif period == before:
                held_before += state == "closed"
        state = ("done" if held_now else "planned" if planned_now
                 else "overdue" if not held_before else "due")
        out.append(KindStatus(kind, every, state, held_now))
    return out


@dataclass
class BranchRollup:
    org_id: int
    name: str
    path: str = ""
    held: int = 0  # periods with a closed record, over the scheduled kinds, this year
    due: int = 0  # periods begun this year, over the scheduled kinds
    expected: int = 0
    present: int = 0
    theme_day: bool = False  # this month's 主题党日 held
    meetings: int = 0
    by_kind: dict = field(default_factory=dict)

    @property
    def rate(self) -> int | None:
        return round(self.present * 100 / self.expected) if self.expected else None


def _periods_begun(today: date, every: str) -> int:
    return period_of(today, every)[1]


def _utc(year: int, month: int) -> datetime:
    if month > 12:
        year, month = year + 1, month - 12
    return datetime(year, month, 1, tzinfo=years.zone()).astimezone(UTC).replace(tzinfo=None)


def _index(column, starts: list[datetime]):
    """Which of the periods beginning at ``starts`` (ascending) ``column`` falls in, 1-based,
    as SQL: boundaries worked out here in the local calendar, compared in the database."""
    return sum((case((column >= moment, 1), else_=0) for moment in starts[1:]), literal(1))


def rollup(node: Organization, today: date | None = None) -> list[BranchRollup]:
    """One row per branch under ``node`` (two queries): this year's closed meetings grouped
    in SQL per organisation and kind, with the distinct months and quarters held up to today,
    应到 and 实到 summed from the closed records, and whether this month's 主题党日 was held."""
    today = today or years.today()
    orgs = db.session.execute(
        select(Organization.id, Organization.name, Organization.path, Organization.kind)
        .where(Organization.path.startswith(node.path)).order_by(Organization.path)).all()
    rows = {org_id: BranchRollup(org_id, name, path)
            for org_id, name, path, kind in orgs if kind in BRANCH_KINDS}
    path_of = {org_id: path for org_id, _name, path, _kind in orgs}
    months = [_utc(today.year, m) for m in range(1, 13)]
    quarters = [_utc(today.year, m) for m in (1, 4, 7, 10)]
    this_month = _utc(today.year, today.month)
    tomorrow = (datetime.combine(today, datetime.min.time(), tzinfo=years.zone())
                .astimezone(UTC).replace(tzinfo=None) + timedelta(days=1))
    month_index = _index(Meeting.starts_at, months)
    quarter_index = _index(Meeting.starts_at, quarters)
    # org_id IN (the subtree's ids), not a join filtered by path: SQLite then reads
    # ix_meetings_org_starts per organisation instead of scanning the table
    grouped = db.session.execute(
        select(Meeting.org_id, Meeting.kind, func.count(),
               func.count(distinct(month_index)), func.count(distinct(quarter_index)),
               func.sum(Meeting.expected_count), func.sum(Meeting.present_count),
               func.max(case((Meeting.starts_at >= this_month, 1), else_=0)))
        .where(Meeting.org_id.in_(select(Organization.id).where(
                   Organization.path.startswith(node.path))),
               Meeting.state == "closed", Meeting.starts_at >= months[0],
               Meeting.starts_at < tomorrow)
        .group_by(Meeting.org_id, Meeting.kind)).all()
    branch_of_path = {row.path: org_id for org_id, row in rows.items()}
    schedule = frequency()
    for org_id, kind, n, n_months, n_quarters, expected, present, now in grouped:
        branch_id = org_id if org_id in rows else _enclosing(path_of.get(org_id, ""),
                                                              branch_of_path)
        row = rows.get(branch_id)
        if row is None:
            continue
        row.meetings += int(n)
        row.expected += int(expected or 0)
        row.present += int(present or 0)
        if kind == "theme_day" and now:
            row.theme_day = True
        every = schedule.get(kind)
        if every and kind != "group" and org_id == branch_id:
            row.held += int({"month": n_months, "quarter": n_quarters}.get(every, 1))
    due = sum(_periods_begun(today, every) for kind, every in schedule.items()
              if kind != "group")
    for row in rows.values():
        row.due = due
    return list(rows.values())


@dataclass
class AreaRollup:
    """The branches under one child of a county (a township): their sums."""

    org_id: int
    name: str
    branches: int = 0
    held: int = 0
    due: int = 0
    expected: int = 0
    present: int = 0
    missing_theme_day: int = 0

    @property
    def rate(self) -> int | None:
        return round(self.present * 100 / self.expected) if self.expected else None

    @property
    def held_percent(self) -> int | None:
        return round(self.held * 100 / self.due) if self.due else None


def by_child(node: Organization, rows: list[BranchRollup]) -> list[AreaRollup]:
    """``rollup``'s rows folded into ``node``'s children (one query for their names), for a
    county: one line per township, each a link down to its branches."""
    children = db.session.execute(
        select(Organization.id, Organization.name).where(Organization.parent_id == node.id)
        .order_by(Organization.code)).all()
    areas = {org_id: AreaRollup(org_id, name) for org_id, name in children}
    for row in rows:
        area = areas.get(node.child_toward(row.path))
        if area is None:
            continue
        area.branches += 1
        area.held += row.held
        area.due += row.due
        area.expected += row.expected
        area.present += row.present
        area.missing_theme_day += not row.theme_day
    return [area for area in areas.values() if area.branches]


def _enclosing(path: str, branch_of_path: dict[str, int]) -> int | None:
    """The branch whose path is the longest prefix of ``path`` (a 党小组's meeting)."""
    parts = path.strip("/").split("/")
    for n in range(len(parts) - 1, 0, -1):
        found = branch_of_path.get("/" + "/".join(parts[:n]) + "/")
        if found is not None:
            return found
    return None
