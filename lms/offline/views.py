"""The manifest, the service worker at the site root, the "not saved" page and saving a course."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import abort, current_app, g, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import inspect

from lms.core.errors import DomainError
from lms.core.web import static_url
from lms.courses import links
from lms.courses.queries import visible_course
from lms.offline import bp, services, sheets, sync

HERE = Path(__file__).resolve().parent
#: what a release keeps on the phone for the saved pages: the CSS and JS a member's pages load
SHELL_FILES = ("css/app.css", "js/app.js", "js/lesson.js", "js/quiz.js", "js/progress.js",
               "js/outbox.js", "js/offline.js", "icons/icon-192.png")


def _shell_urls() -> list[str]:
    return [static_url(name) for name in SHELL_FILES] + [url_for("offline.not_saved")]


def service_worker_source() -> tuple[str, str]:
    """(release, script): the release is a hash of the script and of every shell file's
    fingerprint, so a deployment that changes any of them ships a new worker, which replaces
    the old shell cache. Worked out once per process outside debug mode."""
    cached = current_app.extensions.get("fieldside_sw")
    if cached and not current_app.debug:
        return cached
    shell = _shell_urls()
    template = (HERE / "sw.js").read_text(encoding="utf-8")
    release = hashlib.sha256("\n".join(
        [template, current_app.config.get("OFFLINE_RELEASE", ""), *shell]).encode()
    ).hexdigest()[:12]
    script = (template.replace("__VERSION__", release)
              .replace("__SHELL__", json.dumps(shell))
              .replace("__FALLBACK__", url_for("offline.not_saved")))
    current_app.extensions["fieldside_sw"] = (release, script)
    return release, script


@bp.get("/sw.js")
def service_worker():
    _release, script = service_worker_source()
    response = current_app.response_class(script, mimetype="text/javascript")
    # the browser must ask every time it checks for a new release
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    icons = [{"src": static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
             {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
             {"src": static_url("icons/maskable-512.png"), "sizes": "512x512",
              "type": "image/png", "purpose": "maskable"}]
    body = {"name": _("田埂课堂"), "short_name": _("田埂课堂"), "lang": "zh-CN",
            "description": _("党员学习：读课文、答小题、记学时，没有信号也能学。"),
            "start_url": url_for("core.home"), "scope": "/", "display": "standalone",
            "background_color": "#fbfaf7", "theme_color": "#b3261e", "icons": icons}
    response = current_app.response_class(json.dumps(body, ensure_ascii=False),
                                          mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/offline/")
def not_saved():
    """What the phone shows for a page it has not kept when there is no signal (kept in the
    shell cache, so it names no member and carries no token)."""
    return render_template("offline/not_saved.html")


@bp.post("/offline/courses/<slug>/save")
@login_required
def save_course(slug: str):
    """Prepare a course for the phone: start its offline checks, list the URLs to keep."""
    user = current_user._get_current_object()
    course = visible_course(user, slug)
    if course is None:
        return jsonify(error=_("没有这门课。")), 404
    items = services.prepare_course(user, course)
    return jsonify(course=slug, cache=services.cache_name(user.id, slug),
                   items=[{"url": i.url, "size": i.size} for i in items],
                   total=sum(i.size for i in items))


@bp.after_app_request
def name_the_member(response):
    """Each page says whose it is, so the service worker keeps and serves one member's saved
    courses only. Read only where the page already loaded the user (no query added)."""
    user = g.get("_login_user")
    if response.mimetype == "text/html" and getattr(user, "is_authenticated", False):
        # the identity key, not user.id: after a commit that would load the user again
        state = inspect(user, raiseerr=False)
        if state is not None and state.identity:
            response.headers["X-Fieldside-Member"] = str(state.identity[0])
    return response


#: a full batch of answered checks is a few tens of KB; refuse far bigger bodies unread
MAX_SYNC_BYTES = 512 * 1024


@bp.post("/offline/sync")
@login_required
def sync_items():
    """The outbox's batch (static/js/outbox.js): a result per item, or 400/413 for a batch
    that is not one (the phone keeps it)."""
    if (request.content_length or 0) > MAX_SYNC_BYTES:
        return jsonify(error=_("一次上传的内容太大。")), 413
    payload = request.get_json(silent=True)
    get_locale()  # chosen now, from the loaded member: after the commit it would reload them
    try:
        results = sync.sync(current_user._get_current_object(), payload)
    except DomainError as error:
        return jsonify(error=error.translated()), error.status_code
    for result in results:
        if "error" in result:
            result["error"] = _(result["error"])
    response = jsonify(results=results)
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- paper ------------------------------------------------------------------------------------

def _course_or_404(slug: str):
    course = visible_course(current_user._get_current_object(), slug)
    if course is None:
        abort(404)
    return course


@bp.get("/courses/<slug>/lessons/<key>/sheet")
@login_required
def lesson_sheet(slug: str, key: str):
    """One lesson on paper: its text, its check's questions (no answers), a QR code back."""
    course = _course_or_404(slug)
    lessons = sheets.sheet_lessons(course, key)
    if not lessons:
        abort(404)
    return _sheet(course, lessons, whole=False)


@bp.get("/courses/<slug>/sheet")
@login_required
def course_sheet(slug: str):
    """The whole course on paper, for a phone that cannot keep it."""
    course = _course_or_404(slug)
    return _sheet(course, sheets.sheet_lessons(course), whole=True)


def _sheet(course, lessons, *, whole: bool):
    return render_template("offline/sheet.html", course=course, lessons=lessons, whole=whole,
                           short_urls={s.lesson.id: links.short_url("l", s.lesson.id)
                                       for s in lessons})


@bp.get("/courses/<slug>/poster")
@login_required
def poster(slug: str):
    """An A4 poster for the village notice board: title, 学时, a large QR code, the short link."""
    course = _course_or_404(slug)
    return render_template("offline/poster.html", course=course,
                           short_url=links.short_url("c", course.id))
