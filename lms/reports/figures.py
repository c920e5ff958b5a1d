"""The charts of each page, built from the figures: numbers in, ``charts.Chart`` out."""
from __future__ import annotations

from flask_babel import gettext as _

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
