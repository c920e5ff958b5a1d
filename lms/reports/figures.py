"""The charts of each page, built from the figures: numbers in, ``charts.Chart`` out."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from lms.core.i18n import N_
from lms.progress import years
from lms.reports import charts, queries


def hours_by_month(user_id: int, year: int, standing) -> charts.Chart:
    """A member's hours, added up month by month, against the year's target line."""
    monthly = queries.monthly_hours(user_id, year)
    last = years.today().month if year == years.this_year() else 12
    running, items, rows = 0.0, [], []
    for month in range(1, last + 1):
        running += monthly[month - 1]
        label = _("%(m)d月", m=month)
        items.append((label, round(running, 2)))
        rows.append([label, charts.number(monthly[month - 1]), charts.number(running)])
    has_line = standing.has_target and not standing.exempt
    return charts.columns_with_line(
        _("%(y)d 年累计学时", y=year), items, standing.target if has_line else None,
        _("年度目标 %(t)s", t=charts.number(standing.target)),
        header=[_("月份"), _("当月学时"), _("累计学时")], rows=rows)


# ---- a branch: its members by state, its required courses ---------------------------------

#: the states a member's year can be in, in the order they are shown
STATES = ("on_track", "going", "behind", "no_target")
STATE_LABELS = {"on_track": N_("达标"), "going": N_("进行中"), "behind": N_("落后"),
                "no_target": N_("不作硬性要求")}


def pace(year: int) -> float:
    """The share of ``year`` gone by (1 for a past year): a member is 落后 when their hours are
    below this share of the target, 进行中 when they are at or above it but short of it."""
    today = years.today()
    if year < today.year:
        return 1.0
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    return ((today - start).days + 1) / (end - start).days


def member_state(row, share: float) -> str:
    if row.exempt or not row.has_target:
        return "no_target"
    if row.hours >= row.target:
        return "on_track"
    return "behind" if row.hours < row.target * share else "going"


def members_by_state(rows, year: int) -> charts.Chart:
    share = pace(year)
    counts = dict.fromkeys(STATES, 0)
    for row in rows:
        counts[member_state(row, share)] += 1
    total = sum(counts.values())
    items = [(_(STATE_LABELS[k]), counts[k]) for k in STATES]
    table = [[label, n, f"{round(n * 100 / total)}%" if total else "—"] for label, n in items]
    chart = charts.bars(_("党员学时情况（%(y)d 年）", y=year), items, unit=_("人"),
                        header=[_("状态"), _("人数"), _("占比")], rows=table, kind="state")
    chart.summary = _("落后：学时低于按今天折算的年度进度；进行中：未达到年度目标，但不低于进度。")
    return chart


def required_courses(course_rows) -> charts.Chart:
    items = [(r.title, r.percent) for r in course_rows]
    table = [[r.title, r.due_on.isoformat(), r.required, r.done, f"{r.percent}%"]
             for r in course_rows]
    return charts.bars(_("必修课程完成率"), items, maximum=100, unit="%",
                       header=[_("课程"), _("截止日期"), _("应完成"), _("已完成"),
                               _("完成率")], rows=table, kind="done")


# ---- a township or county: its organisations side by side on outcomes ---------------------

def _percent(part: int, whole: int) -> int | None:
    return round(part * 100 / whole) if whole else None


def _shown(value: int | None) -> str:
    return "—" if value is None else f"{value}%"


def outcomes_side_by_side(rows, year: int, meetings: dict | None) -> charts.Chart:
    """Each child organisation's share of members on track, required-course completion and
    (this year, once meetings are kept) meetings held against due. Outcomes only: never time
    online, clicks or points."""
    series = [_("学时达标率"), _("必修完成率")] + ([_("会议按期召开率")] if meetings is not None
                                                   else [])
    groups, table = [], []
    for row in rows:
        name = row.name if row.org_id else row.name + "（" + _("本级") + "）"
        values = [row.on_track_percent, row.done_percent]
        if meetings is not None:
            held, due = meetings.get(row.org_id, (0, 0))
            values.append(_percent(held, due))
        groups.append((name, values))
        table.append([name] + [_shown(v) for v in values])
    return charts.grouped(_("各组织对比（%(y)d 年）", y=year), groups, series,
                          header=[_("组织")] + series, rows=table)


def meetings_by_child(node, year: int) -> dict | None:
    """{child organisation id: (periods held, periods due)} this year, from the meetings
    domain's roll-up of every branch under ``node`` (None for another year: meetings count
    what is due so far this year)."""
    if year != years.this_year():
        return None
    from sqlalchemy import select

    from lms.extensions import db
    from lms.meetings import oversight
    from lms.orgs.models import Organization

    paths = dict(db.session.execute(select(Organization.id, Organization.path).where(
        Organization.path.startswith(node.path), Organization.kind.in_(oversight.BRANCH_KINDS))
    ).all())
    out: dict = {}
    for branch in oversight.rollup(node):
        child = node.child_toward(paths.get(branch.org_id, ""))
        held, due = out.get(child, (0, 0))
        out[child] = (held + branch.held, due + branch.due)
    return out
