"""Question import: upload → preview (nothing written) → confirm (all or nothing); the template.

Between preview and confirm the file waits in lms.core.staging under a random token bound to the
uploader's id, so the confirm step re-reads exactly the previewed bytes and nobody else can name
them.
"""
from __future__ import annotations

import io
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.authoring import bp
from lms.authoring.bank import final_quiz, lesson_check
from lms.authoring.bank_import import FORMAT_LABELS, import_questions, plan_import
from lms.authoring.drafts import working_lessons
from lms.authoring.forms import ImportConfirmForm, ImportForm
from lms.authoring.views.common import course_or_404
from lms.core import staging
from lms.core.errors import DomainError
from lms.core.forms import options
from lms.core.web import client_ip, error_texts
from lms.courses.models import Lesson
from lms.extensions import db
from lms.orgs.access import requires
from lms.quizzes.formats import MAX_BYTES, template_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _park(data: bytes) -> str:
    return staging.park("questions", current_user.id, data)


def _parked(token: str) -> Path:
    return staging.parked("questions", current_user.id, token)


def _targets(course):
    pairs = [("final", _("结业测验"))]
    pairs += [(lesson.key, _("第 %(n)d 课《%(t)s》随堂测验", n=n, t=lesson.title))
              for n, lesson in enumerate(working_lessons(course), start=1)]
    return options(pairs)


def _page(course, form, **extra):
    return render_template("authoring/import.html", course=course, form=form,
                           formats=FORMAT_LABELS, letters="ABCDEF",
                           max_mb=MAX_BYTES // 1024 // 1024, **extra)


@bp.route("/courses/<int:course_id>/import", methods=["GET", "POST"])
@requires("author")
def import_bank(course_id: int):
    course = course_or_404(course_id)
    form = ImportForm()
    form.target.choices = _targets(course)
    if request.method == "GET":
        form.target.data = request.args.get("target", "final")
    if not form.validate_on_submit():
        if request.method == "POST":
            flash(_("请选择文件和导入到哪个测验。"), "error")
        return _page(course, form)
    file = form.file.data
    data = file.read(MAX_BYTES + 1)
    filename = (file.filename or "")[:200]
    if len(data) > MAX_BYTES:
        return _page(course, form, problems=[_("文件太大，上限是 %(n)d MB。", n=MAX_BYTES // 1024 // 1024)])
    try:
        plan = plan_import(course, form.target.data, data, filename, form.format.data,
                           form.mode.data)
    except DomainError as error:
        return _page(course, form, problems=error_texts(error))
    confirm = None
    if plan.ok:
        confirm = ImportConfirmForm(token=_park(data), filename=filename,
                                    target=form.target.data, format=plan.format,
                                    mode=form.mode.data)
    return _page(course, form, plan=plan, confirm=confirm, filename=filename)


@bp.post("/courses/<int:course_id>/import/confirm")
@requires("author")
def import_confirm(course_id: int):
    course = course_or_404(course_id)
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        path = _parked(form.token.data)
        plan = import_questions(current_user, course, form.target.data or "", path.read_bytes(),
                                form.filename.data or "", form.format.data or "",
                                form.mode.data or "add", ip=client_ip())
    except DomainError as error:
        upload = ImportForm()
        upload.target.choices = _targets(course)
        return _page(course, upload, problems=error_texts(error))
    path.unlink(missing_ok=True)
    flash(_("已导入 %(new)d 道新题，更新 %(upd)d 道。", new=plan.count("new"),
            upd=plan.count("update")), "success")
    if plan.refused:
        flash(_("%(n)d 道不支持的题没有导入。", n=len(plan.refused)), "success")
    if plan.target == "final":
        quiz = final_quiz(course)
    else:
        lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id,
                                                        Lesson.key == plan.target))
        quiz = lesson_check(lesson)
    return redirect(url_for("authoring.quiz", course_id=course.id, quiz_id=quiz.id) + "#bank")


@bp.get("/template.xlsx")
@requires("author")
def template():
    return send_file(io.BytesIO(template_xlsx()), as_attachment=True,
                     download_name="题库模板.xlsx", mimetype=XLSX)
