"""Course list, create, settings, publishing, co-authors and the pack download."""
from __future__ import annotations

import io

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from lms.authoring import bp, drafts, services
from lms.authoring.bank import final_quiz
from lms.authoring.export import export_course_zip
from lms.authoring.forms import AuthorForm, CourseForm, NewCourseForm, NewLessonForm
from lms.authoring.permissions import can_manage_authors, editable_courses
from lms.authoring.views.common import (
    audience_choices,
    audience_org,
    course_lessons_all,
    course_or_404,
)
from lms.core.errors import DomainError
from lms.core.forms import EmptyForm
from lms.core.web import client_ip, flash_error
from lms.extensions import db
from lms.orgs.access import requires
from lms.quizzes.models import Question, Quiz


@bp.get("/")
@requires("author")
def index():
    courses = editable_courses(current_user)
    return render_template("authoring/index.html", courses=courses,
                           changed=drafts.courses_with_changes(c.id for c in courses))


@bp.route("/courses/new", methods=["GET", "POST"])
@requires("author")
def new_course():
    form = NewCourseForm()
    form.audience.choices = audience_choices()
    if form.validate_on_submit():
        try:
            course = services.create_course(
                current_user, title=form.title.data, summary=form.summary.data,
                category=form.category.data, required=form.required.data,
                credit_hours=form.credit_hours.data, audience=audience_org(form.audience.data),
                slug=form.slug.data or "", ip=client_ip())
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已创建草稿课程。接着添加第一课吧。"), "success")
            return redirect(url_for("authoring.course", course_id=course.id))
    return render_template("authoring/course_new.html", form=form)


@bp.route("/courses/<int:course_id>", methods=["GET", "POST"])
@requires("author")
def course(course_id: int):
    course = course_or_404(course_id)
    form = CourseForm(obj=course if request.method == "GET" else None)
    form.audience.choices = audience_choices(course)
    if request.method == "GET":
        form.audience.data = course.audience_org_id or 0
    elif form.validate_on_submit():
        try:
            services.update_course(
                current_user, course, title=form.title.data, summary=form.summary.data,
                category=form.category.data, required=form.required.data,
                credit_hours=form.credit_hours.data, audience=audience_org(form.audience.data),
                ip=client_ip())
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for("authoring.course", course_id=course.id))
    lessons = course_lessons_all(course)
    checks = {q.lesson_id: q for q in db.session.scalars(select(Quiz).where(
        Quiz.course_id == course.id, Quiz.lesson_id.isnot(None)))}
    changes = sum(lesson.changed for lesson in lessons)
    counts = dict(db.session.execute(select(Question.quiz_id, func.count(Question.id)).where(
        Question.course_id == course.id, Question.archived.is_(False))
        .group_by(Question.quiz_id)).all())
    return render_template(
        "authoring/course.html", course=course, form=form, lessons=lessons, checks=checks,
        counts=counts, final=final_quiz(course), lesson_form=NewLessonForm(),
        button=EmptyForm(), author_form=AuthorForm(), co_authors=services.co_authors(course),
        manage_authors=can_manage_authors(current_user, course), changes=changes,
        problems=services.publish_problems(course, [x for x in lessons if not x.archived]))


@bp.get("/courses/<int:course_id>/changes")
@requires("author")
def changes(course_id: int):
    """预览: what 发布修改 would give members, lesson by lesson, with what still keeps it from
    being published."""
    course = course_or_404(course_id)
    lessons = course_lessons_all(course)
    live = [lesson for lesson in lessons if not lesson.archived]
    return render_template(
        "authoring/changes.html", course=course, lessons=lessons, button=EmptyForm(),
        changes=sum(lesson.changed for lesson in lessons),
        leaving=[x for x in lessons if x.archived and not x.lesson.archived],
        numbers={lesson.id: n for n, lesson in enumerate(live, start=1)},
        published={lesson.id: n for n, lesson in enumerate(services.live_lessons(course), 1)},
        problems=services.publish_problems(course, live))


@bp.post("/courses/<int:course_id>/changes/publish")
@requires("author")
def publish_changes(course_id: int):
    course = course_or_404(course_id)
    if EmptyForm().validate_on_submit():
        try:
            services.publish_changes(current_user, course, ip=client_ip())
            flash(_("修改已发布（第 %(v)d 版），学员现在看到的是新内容。", v=course.version),
                  "success")
        except DomainError as error:
            flash_error(error)
    return redirect(url_for("authoring.course", course_id=course_id))


@bp.post("/courses/<int:course_id>/changes/discard")
@requires("author")
def discard_changes(course_id: int):
    course = course_or_404(course_id)
    if EmptyForm().validate_on_submit():
        try:
            services.discard_changes(current_user, course, ip=client_ip())
            flash(_("已放弃修改，课程回到已发布的内容。"), "success")
        except DomainError as error:
            flash_error(error)
    return redirect(url_for("authoring.course", course_id=course_id))


@bp.post("/courses/<int:course_id>/publish")
@requires("author")
def publish(course_id: int):
    course = course_or_404(course_id)
    if EmptyForm().validate_on_submit():
        try:
            services.publish_course(current_user, course, ip=client_ip())
            flash(_("已发布（第 %(v)d 版），学员现在可以看到这门课。", v=course.version), "success")
        except DomainError as error:
            flash_error(error)
    return redirect(url_for("authoring.course", course_id=course.id))


@bp.post("/courses/<int:course_id>/unpublish")
@requires("author")
def unpublish(course_id: int):
    course = course_or_404(course_id)
    if EmptyForm().validate_on_submit():
        try:
            services.unpublish_course(current_user, course, ip=client_ip())
            flash(_("已撤回为草稿，学员暂时看不到这门课。"), "success")
        except DomainError as error:
            flash_error(error)
    return redirect(url_for("authoring.course", course_id=course.id))


@bp.post("/courses/<int:course_id>/authors")
@requires("author")
def add_author(course_id: int):
    course = course_or_404(course_id)
    form = AuthorForm()
    if form.validate_on_submit():
        try:
            user = services.add_co_author(current_user, course, form.phone.data, ip=client_ip())
            flash(_("%(name)s 现在可以编辑这门课。", name=user.name), "success")
        except DomainError as error:
            flash_error(error)
    return redirect(url_for("authoring.course", course_id=course.id))


@bp.post("/courses/<int:course_id>/authors/<int:user_id>/remove")
@requires("author")
def remove_author(course_id: int, user_id: int):
    course = course_or_404(course_id)
    if EmptyForm().validate_on_submit():
        try:
            services.remove_co_author(current_user, course, user_id, ip=client_ip())
            flash(_("已取消合作编写。"), "success")
        except DomainError as error:
            flash_error(error)
    return redirect(url_for("authoring.course", course_id=course.id))


@bp.get("/courses/<int:course_id>/pack.zip")
@requires("author")
def export_pack(course_id: int):
    course = course_or_404(course_id)
    try:
        data, name = export_course_zip(current_user, course, ip=client_ip())
    except DomainError as error:
        flash_error(error)
        return redirect(url_for("authoring.course", course_id=course.id))
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                     mimetype="application/zip")
