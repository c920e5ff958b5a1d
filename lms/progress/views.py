"""我的学习, 学习档案, enrol/seen/read posts, course assignments and manual hours (the branch
view, its roll-up and exports are in `lms.reports`).

Thin: arguments checked against allowlists, services called, errors flashed. Out-of-scope nodes
and members answer 404, the same as missing ones.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.auth.models import STATUS_LABELS, User
from lms.core.errors import DomainError
from lms.core.forms import EmptyForm, options
from lms.core.hooks import add_page_extra, add_provider, page_extras
from lms.core.web import client_ip, flash_error
from lms.courses.models import Course, Lesson
from lms.courses.queries import course_lessons, next_lesson_key, visible_course, visible_lesson
from lms.extensions import db
from lms.orgs.access import can, requires
from lms.orgs.lookup import member_or_404, org_or_404
from lms.orgs.models import Organization
from lms.progress import bp, queries, services, years
from lms.progress.forms import (
    CATEGORY_LABELS,
    SOURCE_LABELS,
    AssignForm,
    ManualHoursForm,
)
from lms.progress.models import CourseAssignment


@bp.app_template_filter("hours_text")
def hours_text(value) -> str:
    return f"{round(float(value or 0), 2):g}"


@bp.app_template_filter("local_date")
def local_date(value) -> str:
    return years.local_date(value)


def _year_arg() -> int:
    now = years.this_year()
    year = request.args.get("year", type=int)
    return year if year is not None and now - 20 <= year <= now else now


# ---- the member's own pages -----------------------------------------------------------------

@bp.get("/study/")
@login_required
def my_study():
    study = queries.my_study(current_user)
    return render_template("progress/my_study.html", study=study,
                           category_labels=CATEGORY_LABELS, today=years.today(),
                           **page_extras("my_study", user=current_user, study=study))


@bp.get("/study/record")
@login_required
def record_page():
    return _render_record(current_user, own=True)


def _render_record(member: User, *, own: bool, manual_form=None):
    year = _year_arg()
    org = db.session.get(Organization, member.org_id) if member.org_id else None
    may_enter = not own and org is not None and can(current_user, "manage_members", org) \
        and member.id != current_user.id
    if may_enter and manual_form is None:
        manual_form = ManualHoursForm(formdata=None, occurred_on=years.today(),
                                      category="meeting")
    standing = queries.standing(member, year)
    return render_template(
        "progress/record.html", member=member, org=org, own=own, year=year,
        years_list=queries.ledger_years(member.id), lines=queries.ledger(member.id, year),
        standing=standing, category_labels=CATEGORY_LABELS,
        source_labels=SOURCE_LABELS, status_labels=STATUS_LABELS,
        manual_form=manual_form if may_enter else None,
        **page_extras("record", user=current_user, member=member, org=org, own=own, year=year,
                      standing=standing))


def _visible_lesson_or_404(lesson_id: int) -> Lesson:
    lesson = visible_lesson(current_user, lesson_id)
    if lesson is None:
        abort(404)
    return lesson


@bp.post("/study/courses/<slug>/enrol")
@login_required
def enrol(slug: str):
    course = visible_course(current_user, slug)
    if course is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.enroll(current_user, course)
    flash(_("已加入学习：%(title)s", title=course.title), "success")
    return redirect(url_for("courses.course", slug=course.slug))


@bp.post("/study/lessons/<int:lesson_id>/seen")
@login_required
def seen(lesson_id: int):
    """Posted by progress.js when a lesson page opens; a failure there costs the member nothing."""
    lesson = _visible_lesson_or_404(lesson_id)
    services.record_visit(current_user, lesson)
    return "", 204


@bp.post("/study/lessons/<int:lesson_id>/done")
@login_required
def done(lesson_id: int):
    """“我读完了” on a lesson without a check."""
    lesson = _visible_lesson_or_404(lesson_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    course = db.session.get(Course, lesson.course_id)
    try:
        services.mark_read(current_user, lesson)
    except DomainError as error:
        flash_error(error)
        return redirect(url_for("courses.lesson", slug=course.slug, key=lesson.key))
    flash(_("本课已完成。"), "success")
    following = next_lesson_key(lesson)
    if following:
        return redirect(url_for("courses.lesson", slug=course.slug, key=following))
    return redirect(url_for("courses.course", slug=course.slug))


# ---- sections on the course pages -----------------------------------------------------------

def _lesson_extra(user, course, lesson, lessons, **_kw):
    has_check, completed_at = queries.lesson_mark(user, lesson)
    step = queries.next_step(user, course, lessons, after=lesson) if completed_at else None
    return {"sections": [("progress/_lesson.html", {
        "lesson_id": lesson.id, "has_check": has_check, "completed_at": completed_at,
        "step": step, "form": EmptyForm()})]}


def _course_extra(user, course, lessons, **_kw):
    mark = queries.course_mark(user, course, lessons)
    step = (queries.next_step(user, course, lessons, done=mark.done_lessons)
            if mark.enrolled else None)
    return {"sections": [("progress/_course.html", {"mark": mark, "course": course,
                                                     "step": step, "form": EmptyForm()})],
            "lesson_states": {lesson_id: _("已完成") for lesson_id in mark.done_lessons}}


def _quiz_result_extra(user, course, attempt, **_kw):
    """After a final quiz: what stands between the member and the hours."""
    if not attempt.passed:
        return {}
    lessons = course_lessons(course)
    return {"sections": [("progress/_next_step_card.html",
                          {"step": queries.next_step(user, course, lessons)})]}


def _catalogue_extra(user, courses, **_kw):
    states = {}
    for course_id, (state, due_on) in queries.catalogue_marks(user).items():
        if state == "done":
            states[course_id] = _("已完成")
            continue
        text = _("学习中") if state == "started" else _("未开始")
        if due_on is not None:
            due_on = queries.as_date(due_on)
            own = years.due_for(user, due_on).isoformat()
            text += " · " + (_("必修，已逾期（截止 %(d)s）", d=own)
                             if years.is_overdue(user, due_on) else _("必修，截止 %(d)s", d=own))
        states[course_id] = text
    return {"course_states": states}


add_page_extra(bp, "lesson", _lesson_extra)
add_page_extra(bp, "course", _course_extra)
add_page_extra(bp, "catalogue", _catalogue_extra)
add_page_extra(bp, "quiz_result", _quiz_result_extra)
add_provider(bp, "lessons_left", queries.lessons_left)


# ---- assigning courses (the branch view itself is in lms.reports) -------------------------

@bp.route("/branch/<int:org_id>/assign", methods=["GET", "POST"])
@requires("assign_courses")
def assign(org_id: int):
    org = org_or_404(org_id, "assign_courses")
    form = AssignForm()
    courses = queries.assignable_courses(org)
    form.course.choices = options((c.id, c.title) for c in courses)
    if form.validate_on_submit():
        course = next(c for c in courses if c.id == form.course.data)
        before = queries.assignment_due(course.id, org.id)
        try:
            services.assign_course(current_user, course, org, form.due_on.data, ip=client_ip())
        except DomainError as error:
            flash_error(error)
        else:
            if before is not None:
                flash(_("《%(title)s》已经是%(org)s的必修课：截止日期由 %(old)s 改为 %(d)s。",
                        title=course.title, org=org.name, old=before.isoformat(),
                        d=form.due_on.data.isoformat()), "success")
            else:
                flash(_("已把《%(title)s》布置为%(org)s的必修课，截止 %(d)s。", title=course.title,
                        org=org.name, d=form.due_on.data.isoformat()), "success")
            return redirect(url_for("reports.branch", org_id=org.id))
    return render_template("progress/assign.html", org=org, form=form)


@bp.post("/branch/assignments/<int:assignment_id>/withdraw")
@requires("assign_courses")
def withdraw(assignment_id: int):
    assignment = db.session.get(CourseAssignment, assignment_id)
    org = db.session.get(Organization, assignment.org_id) if assignment else None
    if org is None or not can(current_user, "assign_courses", org):
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    back = request.form.get("back", type=int) or org.id
    services.withdraw_assignment(current_user, assignment, ip=client_ip())
    flash(_("已撤销这项必修布置。"), "success")
    return redirect(url_for("reports.branch", org_id=back))


@bp.get("/branch/members/<int:user_id>")
@requires("view_reports")
def member_record(user_id: int):
    return _render_record(member_or_404(user_id, "view_reports")[0], own=False)


@bp.post("/branch/members/<int:user_id>/hours")
@requires("manage_members")
def manual_hours(user_id: int):
    member, _org = member_or_404(user_id, "view_reports")
    form = ManualHoursForm()
    if not form.validate_on_submit():
        flash(_("请填写学时、学习日期、类别和原因。"), "error")
        return _render_record(member, own=False, manual_form=form), 400
    try:
        services.record_manual_hours(current_user, member, hours=float(form.hours.data),
                                     occurred_on=form.occurred_on.data,
                                     category=form.category.data, reason=form.reason.data,
                                     ip=client_ip())
    except DomainError as error:
        flash_error(error)
        return _render_record(member, own=False, manual_form=form), error.status_code
    flash(_("已登记 %(h)s 学时。", h=hours_text(form.hours.data)), "success")
    return redirect(url_for("progress.member_record", user_id=member.id,
                            year=form.occurred_on.data.year))
