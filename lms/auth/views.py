"""Sign-in, sign-out and the user's own account page."""
from datetime import datetime

from babel.dates import format_skeleton
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, to_user_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import bindparam, select

from lms.auth import bp, services
from lms.auth.forms import ChangePasswordForm, LoginForm
from lms.auth.models import FONT_SIZES, User
from lms.core.clock import utcnow
from lms.core.errors import DomainError
from lms.core.i18n import N_
from lms.core.web import client_ip, safe_next_url
from lms.extensions import db, limiter, login_manager

login_manager.login_view = "auth.login"
login_manager.login_message = N_("请先登录。")
login_manager.localize_callback = _
login_manager.session_protection = None  # the session token in the id does this job


#: runs on every request of a signed-in user: built once (a prepared select is cheaper per
#: call than Session.get, whose identity-map lookup never hits in a fresh request)
_USER_BY_ID = select(User).where(User.id == bindparam("id"))


@login_manager.user_loader
def load_user(user_id: str):
    """The cookie holds "<id>.<session token>"; a rotated token (sign-out) loads nobody."""
    ident, _, token = user_id.partition(".")
    if not ident.isdigit() or not token:
        return None
    user = db.session.scalar(_USER_BY_ID, {"id": int(ident)})
    if user is None or user.session_token != token or not user.active:
        return None
    return user


def lifts_at(until: datetime) -> str:
    """When a lock lifts, in the deployment's zone (Asia/Shanghai): "16:38" today, with the date
    on another day ("3月2日 16:38"; "Mar 2 16:38" in English)."""
    local = to_user_timezone(until)
    time = local.strftime("%H:%M")
    if local.date() == to_user_timezone(utcnow()).date():
        return time
    return f"{format_skeleton('MMMd', local, locale=get_locale())} {time}"


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.phone.data, form.password.data, ip=client_ip())
        except services.SignInLocked as locked:
            flash(_(services.SIGN_IN_LOCKED, time=lifts_at(locked.until)), "error")
        except services.SignInFailed as failure:
            flash(_(str(failure)), "error")
        else:
            target = safe_next_url(form.next.data, url_for("core.home"))
            session.clear()  # a fresh session: nothing from before sign-in carries over
            login_user(user)
            session.permanent = True
            session["seen"] = utcnow().timestamp()
            if user.must_change_password:
                flash(_("请先设置一个新密码。"), "info")
                return redirect(url_for("auth.change_password"))
            return redirect(target)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    services.end_session(current_user, ip=client_ip())
    logout_user()
    session.clear()
    flash(_("您已安全退出。"), "info")
    return redirect(url_for("auth.login"))


@bp.get("/account")
@login_required
def account():
    return render_template("auth/account.html")


@bp.post("/account/font-size")
@login_required
def font_size():
    """The size switch at the foot of every page keeps the choice with the account (app.js
    posts it; the page works the same without it)."""
    size = request.form.get("size", "")
    if size not in FONT_SIZES:
        return {"error": _("没有这个字号。")}, 400
    services.set_font_size(current_user, size)
    return {"size": size}


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if user.must_change_password:
        del form.current  # the one-time code was spent signing in: the session is the proof
    if form.validate_on_submit():
        try:
            services.change_password(user, form.current.data if "current" in form else None,
                                     form.new.data, ip=client_ip())
        except DomainError as error:
            flash(error.translated(), "error")
        else:
            # the token rotated: sign in again on this device with the new token
            session.clear()
            login_user(user)
            session.permanent = True
            session["seen"] = utcnow().timestamp()
            flash(_("密码已修改。其他设备上的登录已失效。"), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@bp.before_app_request
def force_password_change():
    """After a reset the member must choose a password before doing anything else."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in ("auth.change_password", "auth.logout", "static",
                                         "core.set_language")):
        return redirect(url_for("auth.change_password"))
    return None
