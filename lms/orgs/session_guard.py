"""Staff sessions end after a spell of idleness (等保 登录连接超时自动退出)."""
from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from lms.core.clock import utcnow
from lms.orgs import bp
from lms.orgs.access import is_staff


@bp.before_app_request
def end_idle_staff_sessions():
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = utcnow().timestamp()
    seen = session.get("seen", 0)
    idle_limit = current_app.config["STAFF_IDLE_MINUTES"] * 60
    if now - seen > idle_limit and is_staff(current_user):
        logout_user()
        session.clear()
        flash(_("您已超过 %(minutes)d 分钟未操作，请重新登录。",
                minutes=current_app.config["STAFF_IDLE_MINUTES"]), "info")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET"
                                else None))
    if now - seen > 60:  # refresh at most once a minute to keep cookies stable
        session["seen"] = now
    return None
