"""我的学习, 学习档案, enrol/seen/read posts, the branch view, assignments and manual hours.

Thin: arguments checked against allowlists, services called, errors flashed. Out-of-scope nodes
and members answer 404, the same as missing ones.
"""
from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import literal, or_, select

from lms.audit.services import record
from lms.auth.models import STATUS_LABELS, User
from lms.core.errors import DomainError
from lms.core.forms import EmptyForm, options
from lms.core.hooks import add_page_extra, page_extras
from lms.core.sheets import write_csv, write_xlsx
from lms.core.web import client_ip, flash_error
from lms.courses.models import Course, Lesson
from lms.courses.queries import visible_course, visible_lesson
from lms.extensions import db
from lms.orgs.access import can, in_scope, requires, scope_paths
from lms.orgs.lookup import member_or_404, org_or_404
from lms.orgs.models import Organization
from lms.progress import bp, queries, reports, services, years
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
    return years.local(value).strftime("%Y-%m-%d") if value else ""


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
        manual_form = ManualHoursForm(formdata=None, year=years.this_year(), category="meeting")
    return render_template(
        "progress/record.html", member=member, org=org, own=own, year=year,
        years_list=queries.ledger_years(member.id), lines=queries.ledger(member.id, year),
        standing=queries.standing(member, year), category_labels=CATEGORY_LABELS,
        source_labels=SOURCE_LABELS, status_labels=STATUS_LABELS,
        manual_form=manual_form if may_enter else None,
        **page_extras("record", user=current_user, member=member, org=org, own=own, year=year))


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
    following = db.session.scalar(
        select(Lesson.key).where(Lesson.course_id == course.id, Lesson.archived.is_(False),
                                 Lesson.position > lesson.position)
        .order_by(Lesson.position).limit(1))
    if following:
        return redirect(url_for("courses.lesson", slug=course.slug, key=following))
    return redirect(url_for("courses.course", slug=course.slug))


# ---- sections on the course pages -----------------------------------------------------------

def _lesson_extra(user, course, lesson, lessons, **_kw):
    has_check, completed_at = queries.lesson_mark(user, lesson)
    return {"sections": [("progress/_lesson.html", {
        "lesson_id": lesson.id, "has_check": has_check, "completed_at": completed_at,
        "form": EmptyForm()})]}


def _course_extra(user, course, lessons, **_kw):
    mark = queries.course_mark(user, course, lessons)
    return {"sections": [("progress/_course.html", {"mark": mark, "course": course,
                                                     "form": EmptyForm()})],
            "lesson_states": {lesson_id: _("已完成") for lesson_id in mark.done_lessons}}


def _catalogue_extra(user, courses, **_kw):
    states = {}
    today = years.today()
    for course_id, (state, due_on) in queries.catalogue_marks(user).items():
        if state == "done":
            states[course_id] = _("已完成")
            continue
        text = _("学习中") if state == "started" else _("未开始")
        if due_on is not None:
            text += " · " + (_("必修，已逾期（截止 %(d)s）", d=due_on.isoformat())
                             if due_on < today else _("必修，截止 %(d)s", d=due_on.isoformat()))
        states[course_id] = text
    return {"course_states": states}


add_page_extra(bp, "lesson", _lesson_extra)
add_page_extra(bp, "course", _course_extra)
add_page_extra(bp, "catalogue", _catalogue_extra)


# ---- branch view ----------------------------------------------------------------------------

def _branch_args() -> dict:
    """Only allowlisted values pass; anything else falls back to the default."""
    sort = request.args.get("sort", "name")
    order = request.args.get("order", "asc")
    return {
        "year": _year_arg(),
        "filters": tuple(f for f in reports.FILTERS if f in request.args.getlist("filter")),
        "sort": sort if sort in reports.SORTS else "name",
        "order": order if order in reports.ORDERS else "asc",
        "q": request.args.get("q", "")[:50],
    }


@bp.get("/branch/")
@requires("view_reports")
def branch_index():
    paths = scope_paths(current_user, "view_reports")
    stmt = select(Organization).order_by(Organization.path)
    stmt = stmt.where(Organization.parent_id.is_(None)) if paths is None \
        else stmt.where(Organization.path.in_(paths))
    tops = list(db.session.scalars(stmt))
    # a node inside another one in the list adds nothing
    tops = [o for o in tops if not any(o is not p and o.path.startswith(p.path) for p in tops)]
    if len(tops) == 1:
        return redirect(url_for("progress.branch", org_id=tops[0].id))
    return render_template("progress/branch_index.html", tops=tops)


def _ancestors_in_scope(org: Organization) -> list[Organization]:
    ids = [int(part) for part in org.path.strip("/").split("/")[:-1]]
    if not ids:
        return []
    rows = db.session.scalars(select(Organization).where(
        Organization.id.in_(ids),
        in_scope(Organization.path, scope_paths(current_user, "view_reports")))
        .order_by(Organization.depth))
    return list(rows)


def _assignments(org: Organization):
    """Assignments that reach anyone here: on this node, above it, or inside its subtree."""
    return db.session.execute(
        select(CourseAssignment, Course.title, Organization)
        .join(Course, Course.id == CourseAssignment.course_id)
        .join(Organization, Organization.id == CourseAssignment.org_id)
        .where(or_(Organization.path.startswith(org.path),
                   literal(org.path).startswith(Organization.path)))
        .order_by(CourseAssignment.due_on, Course.title)).all()


@bp.get("/branch/<int:org_id>")
@requires("view_reports")
def branch(org_id: int):
    org = org_or_404(org_id, "view_reports")
    args = _branch_args()
    common = {"org": org, "args": args, "crumbs": _ancestors_in_scope(org),
              "assignments": _assignments(org), "button": EmptyForm(),
              "can_assign": can(current_user, "assign_courses", org),
              "status_labels": STATUS_LABELS, "today": years.today(),
              "this_year": years.this_year(), **page_extras("branch", org=org)}
    if org.kind in reports.ROLLUP_KINDS:
        rows, total = reports.rollup_rows(org, year=args["year"])
        return render_template("progress/rollup.html", rows=rows, total=total, **common)
    rows = reports.member_rows(org, **args)
    return render_template("progress/branch.html", rows=rows, **common)


MEMBER_HEADER = ["姓名", "所在组织", "党员状态", "年度", "本年学时", "目标学时", "完成情况",
                 "必修已完成", "必修已布置", "逾期必修", "最近学习"]
ROLLUP_HEADER = ["组织", "党员人数", "不作硬性要求", "达标人数", "达标率", "人均学时",
                 "必修完成", "必修应完成", "必修完成率"]


def member_export_rows(rows, year: int) -> list[list]:
    return [[r.name, r.org_name, STATUS_LABELS.get(r.status, ""), year, r.hours,
             r.target if r.has_target else "",
             "不作硬性要求" if r.exempt else "不设年度学时目标" if not r.has_target else
             "未达标" if r.behind else "已达标",
             r.done, r.assigned, r.overdue, local_date(r.last_study)] for r in rows]


def rollup_export_rows(rows, total) -> list[list]:
    def line(r, name):
        return [name, r.members, r.no_target, r.on_track,
                "" if r.on_track_percent is None else f"{r.on_track_percent}%",
                r.average_hours, r.done, r.assigned,
                "" if r.done_percent is None else f"{r.done_percent}%"]
    return [line(r, r.name if r.org_id else f"{r.name}（本级）") for r in rows] + \
        [line(total, "合计")]


@bp.get("/branch/<int:org_id>/export.<fmt>")
@requires("view_reports")
def branch_export(org_id: int, fmt: str):
    """The rows on screen for the same arguments, as a spreadsheet (formula-defused)."""
    if fmt not in ("xlsx", "csv"):
        abort(404)
    org = org_or_404(org_id, "view_reports")
    args = _branch_args()
    if org.kind in reports.ROLLUP_KINDS:
        rollup, total = reports.rollup_rows(org, year=args["year"])
        header, rows = ROLLUP_HEADER, rollup_export_rows(rollup, total)
    else:
        header = MEMBER_HEADER
        rows = member_export_rows(reports.member_rows(org, **args), args["year"])
    record("progress.export", actor=current_user, target=org.code, ip=client_ip(),
           detail={"format": fmt, "rows": len(rows), "year": args["year"],
                   "filters": list(args["filters"])})
    db.session.commit()
    name = f"study-{org.code}-{args['year']}.{fmt}"
    if fmt == "csv":
        data, mimetype = write_csv(header, rows), "text/csv"
    else:
        data = write_xlsx(header, rows, title=f"{args['year']}")
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name, mimetype=mimetype)


@bp.route("/branch/<int:org_id>/assign", methods=["GET", "POST"])
@requires("assign_courses")
def assign(org_id: int):
    org = org_or_404(org_id, "assign_courses")
    form = AssignForm()
    courses = list(db.session.scalars(select(Course).where(Course.status == "published")
                                      .order_by(Course.required.desc(), Course.title)))
    courses = [c for c in courses if services.course_open_to(c, org)]
    form.course.choices = options((c.id, c.title) for c in courses)
    if form.validate_on_submit():
        course = next(c for c in courses if c.id == form.course.data)
        try:
            services.assign_course(current_user, course, org, form.due_on.data, ip=client_ip())
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已把《%(title)s》布置为%(org)s的必修课，截止 %(d)s。", title=course.title,
                    org=org.name, d=form.due_on.data.isoformat()), "success")
            return redirect(url_for("progress.branch", org_id=org.id))
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
    return redirect(url_for("progress.branch", org_id=back))


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
        flash(_("请填写学时、年度、类别和原因。"), "error")
        return _render_record(member, own=False, manual_form=form), 400
    try:
        services.record_manual_hours(current_user, member, hours=float(form.hours.data),
                                     year=form.year.data, category=form.category.data,
                                     reason=form.reason.data, ip=client_ip())
    except DomainError as error:
        flash_error(error)
        return _render_record(member, own=False, manual_form=form), error.status_code
    flash(_("已登记 %(h)s 学时。", h=hours_text(form.hours.data)), "success")
    return redirect(url_for("progress.member_record", user_id=member.id, year=form.year.data))
