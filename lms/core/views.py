"""Home, language choice and a health check."""
from flask import current_app, make_response, redirect, request, url_for
from flask_login import current_user

from lms.core import bp
from lms.core.web import safe_next_url


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(current_app.config.get("HOME_ENDPOINT", "courses.catalogue")))


@bp.get("/lang/<code>")
def set_language(code: str):
    """Choosing a language only sets a cookie: a GET that changes no data."""
    target = safe_next_url(request.args.get("next"), url_for("core.home"))
    response = make_response(redirect(target))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax",
                            httponly=True)
    return response


@bp.get("/healthz")
def healthz():
    return {"ok": True}
