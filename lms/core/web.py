"""Request-level pieces every page shares: headers, error pages, locale, template helpers."""
from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from lms.core.errors import DomainError
from lms.core.i18n import N_, translated_text
from lms.extensions import db

#: same-origin everything; no inline script; speech synthesis and media need nothing extra
CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
       "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")


def set_security_headers(response):
    headers = response.headers
    if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
        # fingerprinted: the URL changes whenever the file does, so it may be kept for a year
        headers["Cache-Control"] = "public, max-age=31536000, immutable"
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


ERROR_TEXT = {
    400: (N_("请求有误"), N_("提交的内容无法处理。如果是表单已过期，请返回刷新后再试。")),
    403: (N_("没有权限"), N_("您没有查看这个页面的权限。")),
    404: (N_("页面不存在"), N_("找不到这个页面，可能链接有误或内容已下线。")),
    405: (N_("请求有误"), N_("这个页面不接受这种请求。")),
    409: (N_("内容已变化"), N_("这项操作已经完成，或内容刚被修改过。请刷新后再看。")),
    413: (N_("文件太大"), N_("上传的文件超过了大小限制。")),
    429: (N_("操作太频繁"), N_("请求次数太多，请稍等一分钟再试。")),
    507: (N_("磁盘已满"), N_("服务器磁盘已满，刚才的内容没有保存。请联系管理员清理空间后再试。")),
    500: (N_("出错了"), N_("服务器出了点问题，请稍后再试。我们已记录下来。")),
}


#: the page when even the error page cannot be drawn (the database is gone, say)
BARE_ERROR = ("<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\">"
              "<title>{code}</title><h1>{code}</h1><p>服务器出了点问题，请稍后再试。</p></html>")


def render_error(error):
    """Every error page. A failed write leaves the session's transaction unusable, and the page
    (its menu reads the signed-in user's roles) would fail on it: roll back first. Should the
    page still fail, a plain one is sent, so the response keeps the security headers
    (after_request runs on it) instead of the server's bare 500."""
    from lms.extensions import db

    code = error.code if isinstance(error, HTTPException) else \
        getattr(error, "status_code", 500) if isinstance(error, DomainError) else 500
    title, text = ERROR_TEXT.get(code, ERROR_TEXT[500])
    try:
        db.session.rollback()
        return render_template("errors/error.html", code=code, title=_(title),
                               text=_(text)), code
    except Exception:  # noqa: BLE001 - the last resort must not raise
        current_app.logger.exception("the error page for %s failed", code)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001
            pass
        return BARE_ERROR.format(code=code), code


def error_texts(error) -> list[str]:
    """A domain error's message and every problem it lists, in the reader's language."""
    return [translated_text(error)] + [translated_text(p) for p in getattr(error, "problems", [])]


def flash_error(error) -> None:
    """A domain error and every problem it lists, as error flashes."""
    for text in error_texts(error):
        flash(text, "error")


def paginate(stmt, page: int, per_page: int = 50):
    """One page of ``stmt`` (Flask-SQLAlchemy's ``Pagination``: two statements, the page and a
    count). A page below 1 or past the end shows the first or the last, rather than a 404."""
    result = db.paginate(stmt, page=max(1, page), per_page=per_page, error_out=False)
    if result.page > 1 and result.page > result.pages:
        result = db.paginate(stmt, page=max(1, result.pages), per_page=per_page, error_out=False)
    return result


def select_locale() -> str:
    from flask_login import current_user

    choices = current_app.config["LANGUAGES"]
    user = current_user._get_current_object()
    if getattr(user, "is_authenticated", False) and user.locale in choices:
        return user.locale
    chosen = request.cookies.get("lang")
    return chosen if chosen in choices else current_app.config["BABEL_DEFAULT_LOCALE"]


def safe_next_url(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site, else ``default`` (no open redirect)."""
    if not target:
        return default
    target = target.strip()
    if any(ch in target for ch in "\\\r\n\t") or not target.startswith("/") \
            or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def client_ip() -> str:
    return request.remote_addr or ""


@cache
def _fingerprint(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def _static_version(filename: str) -> str:
    path = Path(current_app.static_folder) / filename
    try:
        return _fingerprint(str(path), path.stat().st_mtime)
    except OSError:
        return "0"


def static_url(filename: str) -> str:
    """A static file's URL with a content hash, so browsers may cache it for a year.

    Static files change with a deployment, which restarts the workers: outside debug mode each
    file's hash is worked out once per process (in debug, on every page, so edits show)."""
    if current_app.debug:
        version = _static_version(filename)
    else:
        versions = current_app.extensions.setdefault("fieldside_static_versions", {})
        version = versions.get(filename)
        if version is None:
            version = versions[filename] = _static_version(filename)
    return url_for("static", filename=filename, v=version)


def template_context() -> dict:
    from flask_babel import get_locale
    from flask_login import current_user

    from lms.core.nav import nav_for

    return {"current_locale": str(get_locale()), "static_url": static_url,
            "nav_items": lambda: nav_for(current_user._get_current_object())}
