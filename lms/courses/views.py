"""Catalogue, course page, lesson reader, short links, QR codes and media."""
from __future__ import annotations

import io

from flask import abort, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.core.hooks import page_extras
from lms.courses import bp, links, media
from lms.courses.models import CATEGORIES, Course, Lesson, MediaFile
from lms.courses.queries import catalogue as catalogue_rows
from lms.courses.queries import course_lessons, lesson_page, visible_course, visible_to
from lms.extensions import db

YEAR = 365 * 24 * 3600


@bp.get("/courses/")
@login_required
def catalogue():
    category = request.args.get("category", "")
    if category not in CATEGORIES:
        category = ""
    q = request.args.get("q", "")[:50]
    rows = catalogue_rows(current_user, category=category, q=q)
    return render_template("courses/catalogue.html", rows=rows, categories=CATEGORIES,
                           category=category, q=q,
                           **page_extras("catalogue", user=current_user,
                                         courses=[r[0] for r in rows]))


def _course_or_404(slug: str, user=None) -> Course:
    course = visible_course(user or current_user, slug)
    if course is None:
        abort(404)
    return course


@bp.get("/courses/<slug>/")
@login_required
def course(slug: str):
    course = _course_or_404(slug)
    lessons = course_lessons(course)
    return render_template("courses/course.html", course=course, lessons=lessons,
                           short_url=links.short_url("c", course.id),
                           **page_extras("course", user=current_user, course=course,
                                         lessons=lessons))


@bp.get("/courses/<slug>/lessons/<key>")
@login_required
def lesson(slug: str, key: str):
    user = current_user._get_current_object()
    course = _course_or_404(slug, user)
    page = lesson_page(course, key)
    if page is None:
        abort(404)
    current, lessons, index, audio = page.lesson, page.lessons, page.index, page.audio
    return render_template(
        "courses/lesson.html", course=course, lesson=current, number=index + 1,
        total=len(lessons), previous=lessons[index - 1] if index > 0 else None,
        next=lessons[index + 1] if index + 1 < len(lessons) else None,
        audio_url=media.media_url(audio.sha256, media.extension_for(audio.content_type))
        if audio else None,
        audio_type=audio.content_type if audio else None,
        short_url=links.short_url("l", current.id),
        **page_extras("lesson", user=user, course=course, lesson=current, lessons=lessons))


@bp.get("/s/<code>")
def short_link(code: str):
    """Short links resolve with one lookup. They open without a sign-in (they are shared in chat
    groups), so only published courses and live lessons resolve: a draft's slug stays unknown.
    Who may read the course is decided by the page the link leads to."""
    ident = links.from_base36(code[1:]) if code else None
    if ident is None or code[0] not in "cl":
        abort(404)
    if code[0] == "c":
        slug = db.session.scalar(select(Course.slug).where(
            Course.id == ident, Course.status == "published"))
        if slug is None:
            abort(404)
        return redirect(url_for("courses.course", slug=slug))
    row = db.session.execute(select(Course.slug, Lesson.key).join(
        Lesson, Lesson.course_id == Course.id).where(
        Lesson.id == ident, Lesson.archived.is_(False), Course.status == "published")).first()
    if row is None:
        abort(404)
    return redirect(url_for("courses.lesson", slug=row[0], key=row[1]))


def _svg(data: bytes):
    response = send_file(io.BytesIO(data), mimetype="image/svg+xml",
                         max_age=86400)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.get("/courses/<slug>/qr.svg")
@login_required
def course_qr(slug: str):
    course = _course_or_404(slug)
    return _svg(links.qr_svg(links.short_url("c", course.id)))


@bp.get("/courses/<slug>/lessons/<key>/qr.svg")
@login_required
def lesson_qr(slug: str, key: str):
    course = _course_or_404(slug)
    lesson_id = db.session.scalar(select(Lesson.id).where(
        Lesson.course_id == course.id, Lesson.key == key, Lesson.archived.is_(False)))
    if lesson_id is None:
        abort(404)
    return _svg(links.qr_svg(links.short_url("l", lesson_id)))


@bp.get("/media/<sha>.<ext>")
@login_required
def media_file(sha: str, ext: str):
    """Content-addressed: the name is the hash, so the answer may be cached for a year.

    Served only to those who may see a course holding the file (published and open to them), or
    who may edit one (a draft's authors, through the "media" page extra): knowing a draft's
    file hash is not enough."""
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        abort(404)
    row = db.session.scalar(select(MediaFile).join(Course, Course.id == MediaFile.course_id)
                            .where(MediaFile.sha256 == sha, visible_to(current_user)).limit(1))
    if row is None:
        rows = list(db.session.scalars(select(MediaFile).where(MediaFile.sha256 == sha)))
        courses = [db.session.get(Course, r.course_id) for r in rows]
        if not rows or not page_extras("media", user=current_user, courses=courses).get(
                "may_edit"):
            abort(404)
        row = rows[0]
    suffix = "." + ext
    if media.EXTENSIONS.get(suffix) != row.content_type:
        abort(404)
    path = media.stored_path(sha, suffix)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=row.content_type, conditional=True, max_age=YEAR)
    response.headers["Cache-Control"] = f"private, max-age={YEAR}, immutable"
    return response
