"""The admin's view of the audit log: filter and page, never edit."""
from datetime import datetime

from flask import abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import distinct, select

from lms.audit import bp
from lms.audit.models import AuditLog
from lms.audit.queries import audit_query
from lms.core.nav import add_nav
from lms.core.pagination import paginate
from lms.extensions import db

add_nav(bp, "audit.index", "审计日志", 90, lambda user: user.is_admin)


def _date(value: str):
    try:
        return datetime.strptime(value, "%Y-%m-%d") if value else None
    except ValueError:
        return None


@bp.get("/")
@login_required
def index():
    if not current_user.is_admin:
        abort(403)
    args = request.args
    filters = {"action": args.get("action", ""), "actor": args.get("actor", "").strip(),
               "ok": args.get("ok", ""), "since": _date(args.get("since", "")),
               "until": _date(args.get("until", ""))}
    page = paginate(audit_query(**filters), args.get("page", 1, type=int))
    actions = list(db.session.scalars(select(distinct(AuditLog.action)).order_by(AuditLog.action)))
    return render_template("audit/index.html", page=page, actions=actions, args=args)
