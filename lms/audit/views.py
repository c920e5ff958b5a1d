"""The admin's view of the audit log: filter and page, never edit."""
import json
from datetime import datetime, timedelta

from flask import abort, render_template, request
from flask_babel import to_utc
from flask_login import current_user, login_required
from sqlalchemy import distinct, select

from lms.audit import bp
from lms.audit.labels import action_label
from lms.audit.models import AuditLog
from lms.audit.queries import audit_query
from lms.core.i18n import N_
from lms.core.nav import add_nav
from lms.core.web import paginate
from lms.extensions import db

add_nav(bp, "audit.index", N_("审计日志"), 90, lambda user: user.is_admin)


def _day_start(value: str, days_later: int = 0) -> datetime | None:
    """The start of a calendar day typed in the filter, as naive UTC.

    The page shows times in the deployment's zone (Asia/Shanghai), so a day means that zone's
    day: 3 月 2 日 starts at 3 月 1 日 16:00 UTC.
    """
    if not value:
        return None
    try:
        return to_utc(datetime.strptime(value, "%Y-%m-%d") + timedelta(days=days_later))
    except (ValueError, OverflowError):  # not a date, or beyond year 1 or 9999 in UTC
        return None


@bp.get("/")
@login_required
def index():
    if not current_user.is_admin:
        abort(403)
    args = request.args
    filters = {"action": args.get("action", ""), "actor": args.get("actor", "").strip(),
               "ok": args.get("ok", ""), "since": _day_start(args.get("since", "")),
               "before": _day_start(args.get("until", ""), days_later=1)}
    page = paginate(audit_query(**filters), args.get("page", 1, type=int))
    actions = list(db.session.scalars(select(distinct(AuditLog.action)).order_by(AuditLog.action)))
    return render_template("audit/index.html", page=page, actions=actions, args=args,
                           label=action_label)


@bp.get("/<int:entry_id>")
@login_required
def entry(entry_id: int):
    """One entry in full, with its detail laid out field by field."""
    if not current_user.is_admin:
        abort(403)
    row = db.session.get(AuditLog, entry_id)
    if row is None:
        abort(404)
    try:
        detail = json.loads(row.detail) if row.detail else {}
    except ValueError:
        detail = {"": row.detail}
    if not isinstance(detail, dict):
        detail = {"": detail}
    return render_template("audit/entry.html", row=row, label=action_label, detail=detail)
