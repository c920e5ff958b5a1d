"""Adding, ordering, archiving and editing lessons; the Markdown preview; media uploads."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.authoring import bp, drafts, photos, services
from lms.authoring.bank import lesson_check
from lms.authoring.forms import LessonForm, MediaForm, NewLessonForm
from lms.authoring.uploads import MAX_AUDIO_BYTES, MAX_IMAGE_BYTES, course_media, upload_media
from lms.authoring.views.common import course_or_404, lesson_or_404
from lms.core.errors import DomainError, ValidationFailed
from lms.core.forms import EmptyForm, options
from lms.core.i18n import N_
from lms.core.web import client_ip, error_texts, flash_error
from lms.courses import media
from lms.courses.queries import lesson_audio
from lms.orgs.access import requires


@bp.post("/courses/<int:course_id>/lessons")
@requires("author")
def add_lesson(course_id: int):
    course = course_or_404(course_id)
    form = NewLessonForm()
    if form.validate_on_submit():
        try:
            lesson = services.add_lesson(current_user, course, title=form.title.data,
                                         minutes=form.minutes.data, key=form.key.data or "",
                                         ip=client_ip())
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已添加。"), "success")
            return redirect(url_for("authoring.lesson", course_id=course.id,
                                    lesson_id=lesson.id))
    else:
        flash(_("请填写课名和 1 到 60 分钟的阅读时间。"), "error")
    return redirect(url_for("authoring.course", course_id=course.id))


@bp.post("/courses/<int:course_id>/lessons/<int:lesson_id>/move")
@requires("author")
def move_lesson(course_id: int, lesson_id: int):
    course = course_or_404(course_id)
    lesson = lesson_or_404(course, lesson_id)
    if EmptyForm().validate_on_submit():
        try:
            services.move_lesson(current_user, lesson, request.form.get("direction", ""),
                                 ip=client_ip())
        except DomainError as error:
            flash_error(error)
    return redirect(url_for("authoring.course", course_id=course.id) + "#lessons")


def _set_archived(course_id: int, lesson_id: int, archived: bool):
    course = course_or_404(course_id)
    lesson = lesson_or_404(course, lesson_id)
    if EmptyForm().validate_on_submit():
        try:
            services.set_lesson_archived(current_user, lesson, archived, ip=client_ip())
            flash(_("已归档，学员不再看到这一课。") if archived else _("已恢复。"), "success")
        except DomainError as error:
            flash_error(error)
    return redirect(url_for("authoring.course", course_id=course.id) + "#lessons")


@bp.post("/courses/<int:course_id>/lessons/<int:lesson_id>/archive")
@requires("author")
def archive_lesson(course_id: int, lesson_id: int):
    return _set_archived(course_id, lesson_id, True)


@bp.post("/courses/<int:course_id>/lessons/<int:lesson_id>/restore")
@requires("author")
def restore_lesson(course_id: int, lesson_id: int):
    return _set_archived(course_id, lesson_id, False)


def _editor(course, lesson, form, preview=None, status=200):
    files = course_media(course)
    return render_template(
        "authoring/lesson.html", course=course, lesson=lesson, form=form, preview=preview,
        files=files, media_form=MediaForm(lesson_id=lesson.id), button=EmptyForm(),
        check=lesson_check(lesson), changes=drafts.pending_count(course), urls={f.path: media.media_url(
            f.sha256, media.extension_for(f.content_type)) for f in files},
        image_limit=MAX_IMAGE_BYTES // 1024 // 1024, photo_side=photos.LONG_SIDE,
        photo_kb=photos.BUDGET // 1024, audio_limit=MAX_AUDIO_BYTES // 1024 // 1024), status


def _lesson_form(course, lesson, data=None) -> LessonForm:
    form = LessonForm(obj=lesson if data is None else None)
    form.audio.choices = options([("", _("（无）"))] + [
        (f.path, f.path) for f in course_media(course) if f.content_type.startswith("audio/")])
    if data is None:
        form.audio.data = lesson.audio or ""
    return form


@bp.route("/courses/<int:course_id>/lessons/<int:lesson_id>", methods=["GET", "POST"])
@requires("author")
def lesson(course_id: int, lesson_id: int):
    course = course_or_404(course_id)
    lesson = drafts.working(lesson_or_404(course, lesson_id))
    form = _lesson_form(course, lesson, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate_on_submit():
        if request.form.get("action") == "preview":
            return _editor(course, lesson, form, services.preview_html(course, form.body.data))
        try:
            changed = services.update_lesson(
                current_user, lesson, title=form.title.data, minutes=form.minutes.data,
                body=form.body.data or "", audio=form.audio.data or None, ip=client_ip())
        except DomainError as error:
            flash_error(error)
        else:
            if not changed:
                flash(_("没有改动。"), "success")
            elif drafts.drafting(course):
                flash(_("已保存为未发布的修改：学员仍看到已发布的内容，点“发布修改”后才看到新内容。"),
                      "success")
            else:
                flash(_("已保存（第 %(v)d 版）。", v=lesson.version), "success")
            for src in services.missing_images(course, form.body.data or ""):
                flash(_("图片“%(src)s”不是本课程已上传的文件，学员只会看到图片的说明文字。请先在下方上传，"
                        "再用 media/文件名 引用。", src=src), "warning")
            return redirect(url_for("authoring.lesson", course_id=course.id,
                                    lesson_id=lesson.id))
    return _editor(course, lesson, form)


@bp.post("/courses/<int:course_id>/lessons/<int:lesson_id>/preview")
@requires("author")
def preview(course_id: int, lesson_id: int):
    """The body as members will see it. ``?fragment=1`` (the editor's script) answers only the
    sanitised HTML; a plain form post gets the editor back with the preview, nothing saved."""
    course = course_or_404(course_id)
    lesson = drafts.working(lesson_or_404(course, lesson_id))
    if not EmptyForm().validate_on_submit():
        abort(400)
    body = request.form.get("body", "")
    if len(body.encode("utf-8")) > services.MAX_BODY_BYTES:
        abort(413)
    html = services.preview_html(course, body)
    if request.args.get("fragment"):
        return html, 200, {"Content-Type": "text/html; charset=utf-8"}
    form = _lesson_form(course, lesson, request.form)
    form.validate()
    return _editor(course, lesson, form, html)


@bp.get("/courses/<int:course_id>/lessons/<int:lesson_id>/as-member")
@requires("author")
def lesson_as_member(course_id: int, lesson_id: int):
    """The lesson as a member's phone shows it, unpublished changes included; nothing is
    recorded (the reader's page extras, which record progress, are not called)."""
    course = course_or_404(course_id)
    lesson = drafts.working(lesson_or_404(course, lesson_id))
    lessons = drafts.working_lessons(course)
    number = next((i for i, item in enumerate(lessons, 1) if item.id == lesson.id), 0)
    audio = lesson_audio(lesson)
    return render_template(
        "authoring/lesson_as_member.html", course=course, lesson=lesson, number=number,
        total=len(lessons), check=lesson_check(lesson), changes=drafts.pending_count(course),
        audio_url=media.media_url(audio.sha256, media.extension_for(audio.content_type))
        if audio else None, audio_type=audio.content_type if audio else None)


@bp.post("/courses/<int:course_id>/media")
@requires("author")
def upload(course_id: int):
    course = course_or_404(course_id)
    form = MediaForm()
    lesson_id = request.form.get("lesson_id", type=int)
    back = (url_for("authoring.lesson", course_id=course.id, lesson_id=lesson_id)
            if lesson_id else url_for("authoring.course", course_id=course.id))
    if not form.validate_on_submit():
        flash(_("请选择要上传的文件。"), "error")
        return redirect(back)
    file = form.file.data
    data = file.read()
    try:
        row = upload_media(current_user, course, file.filename or "", data, ip=client_ip())
    except DomainError as error:
        flash_error(error)
    else:
        if row.content_type.startswith("image/") and row.size != len(data):
            flash(_("已上传图片 %(path)s，存为 %(kb)d KB（原文件 %(orig)d KB）：大图已为手机缩小，"
                    "拍摄地点等附带信息已去掉。", path=row.path, kb=-(-row.size // 1024),
                    orig=-(-len(data) // 1024)), "success")
        else:
            kind = _("音频") if row.content_type.startswith("audio/") else _("图片")
            flash(_("已上传%(kind)s %(path)s。", kind=kind, path=row.path), "success")
    return redirect(back + "#media")


#: what a phone's MediaRecorder sends (the type may carry ``;codecs=opus``); the bytes are
#: checked again by upload_media, which is what decides
RECORDED_TYPES = ("audio/webm", "audio/ogg", "audio/mp4")


@bp.post("/courses/<int:course_id>/lessons/<int:lesson_id>/audio")
@requires("author")
def record_audio(course_id: int, lesson_id: int):
    """A recording made in the editor (authoring.js, MediaRecorder): stored through the media
    upload (type from the bytes, size limit, quotas) and made the lesson's audio. Answers JSON
    for the script: ``{"path": ...}`` or ``{"error": message}``."""
    course = course_or_404(course_id)
    lesson = drafts.working(lesson_or_404(course, lesson_id))
    file = request.files.get("file")
    if not EmptyForm().validate_on_submit() or file is None:
        return {"error": _("录音没有收到，请再试一次。")}, 400
    declared = (file.mimetype or "").split(";")[0].strip().lower()
    try:
        if declared not in RECORDED_TYPES:
            raise ValidationFailed(N_("录音的格式不对：只收 WebM、OGG 或 MP4 音频。"))
        data = file.read(MAX_AUDIO_BYTES + 1)
        file.close()
        proven = media.sniff(data[:64])
        if proven is not None and not proven[1].startswith("audio/"):
            raise ValidationFailed(N_("录音的格式不对：只收 WebM、OGG 或 MP4 音频。"))
        row = upload_media(current_user, course, f"{lesson.key}-recording", data,
                           ip=client_ip())
        services.update_lesson(current_user, lesson, title=lesson.title, minutes=lesson.minutes,
                               body=lesson.body, audio=row.path, ip=client_ip())
    except DomainError as error:
        return {"error": " ".join(error_texts(error))}, 400
    if drafts.drafting(course):
        flash(_("已保存录音 %(path)s，作为本课的音频。这是未发布的修改，点“发布修改”后学员才听到。",
                path=row.path), "success")
    else:
        flash(_("已保存录音 %(path)s，作为本课的音频。", path=row.path), "success")
    return {"path": row.path, "next": url_for("authoring.lesson", course_id=course.id,
                                              lesson_id=lesson.id) + "#media"}
