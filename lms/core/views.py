"""Home, language choice, a health check, and who is signed in for the phone's outbox."""
from flask import current_app, jsonify, make_response, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

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
    """For the load balancer and the monitor: the database answers, and Redis where the rate
    limits live there. 503 with the name of what failed otherwise (no details: it is public)."""
    from sqlalchemy import text

    from lms.extensions import db

    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        current_app.logger.exception("healthz: the database did not answer")
        db.session.rollback()
        checks["database"] = "failed"
    uri = current_app.config.get("RATELIMIT_STORAGE_URI", "memory://")
    if uri.startswith(("redis", "rediss")):
        try:
            # a client of its own on the configured URI (the limiter's is one per process and
            # absent while rate limits are off), made once per app
            storage = current_app.extensions.get("fieldside_health_redis")
            if storage is None:
                from limits.storage import storage_from_string

                storage = current_app.extensions["fieldside_health_redis"] = \
                    storage_from_string(uri)
            checks["redis"] = "ok" if storage.check() else "failed"
        except Exception:  # noqa: BLE001
            checks["redis"] = "failed"
    ok = all(value == "ok" for value in checks.values())
    response = jsonify(ok=ok, **checks)
    response.status_code = 200 if ok else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/sync/whoami")
def sync_whoami():
    """Who is signed in, and a fresh CSRF token: the outbox (static/js/outbox.js) asks before
    sending a queue, so it sends only the signed-in member's items, with a token that has not
    expired during days without signal."""
    if not current_user.is_authenticated:
        response = jsonify(member=None)
        response.status_code = 401
    else:
        response = jsonify(member=current_user.id, token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response
