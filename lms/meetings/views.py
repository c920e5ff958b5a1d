"""Meeting pages: the list, plan and record, the roster on a phone (ticks through the outbox),
the QR code and self check-in, closing, corrections, the printable minute page and 签到表, the
year's meeting book, 送学上门; and the parts on 学习情况 and 我的学习 (page extras).

Out-of-scope meetings and organisations answer 404, the same as missing ones.
"""
from __future__ import annotations

import io
from datetime import UTC, datetime, time

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from lms.auth.models import User
from lms.core.errors import DomainError
from lms.core.forms import EmptyForm, options
from lms.core.hooks import add_page_extra
from lms.core.receipts import read_batch
from lms.core.sheets import write_xlsx
from lms.core.web import client_ip, flash_error
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.meetings import bp, oversight, queries, services
from lms.meetings.forms import (
    EVERY_LABELS,
    KIND_LABELS,
    MARK_LABELS,
    STATE_LABELS,
    CorrectForm,
    HomeVisitForm,
    MeetingForm,
)
from lms.meetings.models import Meeting
from lms.orgs.access import can, in_scope, scope_paths
from lms.orgs.lookup import org_or_404
from lms.orgs.models import Organization
from lms.progress import years

#: a scanned code becomes a ticket that survives signing in for this long
TICKET_SECONDS = 300
VIEW_CAPABILITIES = ("view_meetings", "record_meetings", "record_group_meetings")


def _scope() -> list[str] | None:
    """Path prefixes where the user sees meetings; None: everywhere."""
    found: set[str] = set()
    for capability in VIEW_CAPABILITIES:
        paths = scope_paths(current_user, capability)
        if paths is None:
            return None
        found.update(paths)
    return sorted(found)


def _sees_any() -> None:
    if not current_user.is_authenticated:
        abort(401)
    if not any(can(current_user, c) for c in VIEW_CAPABILITIES):
        abort(403)


def _meeting_or_404(meeting_id: int, *, record: bool = False) -> tuple[Meeting, Organization]:
    meeting = db.session.get(Meeting, meeting_id)
    org = db.session.get(Organization, meeting.org_id) if meeting else None
    if org is None or not services.may_view(current_user, org):
        abort(404)
    if record and not services.may_record(current_user, org, meeting.kind):
        abort(403)
    return meeting, org


def _local(moment: datetime) -> datetime:
    return years.local(moment)


def _utc(day, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=years.zone()).astimezone(UTC).replace(tzinfo=None)


@bp.app_template_filter("local_time")
def local_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return _local(value).strftime(fmt) if value else ""


def _labels() -> dict:
    return {"kind_labels": KIND_LABELS, "mark_labels": MARK_LABELS,
            "every_labels": EVERY_LABELS, "state_labels": STATE_LABELS}


# ---- list, plan and record ----------------------------------------------------------------

@bp.get("/meetings/")
@login_required
def index():
    _sees_any()
    paths = _scope()
    year = request.args.get("year", type=int) or years.this_year()
    rows = queries.meetings_in_scope(paths, year)
    return render_template("meetings/index.html", rows=rows, year=year,
                           may_plan=bool(_recordable_orgs()), today=years.today(), **_labels())


def _recordable_orgs() -> list[Organization]:
    paths: set[str] | None = set()
    for capability in ("record_meetings", "record_group_meetings"):
        found = scope_paths(current_user, capability)
        if found is None:
            paths = None
            break
        paths.update(found)
    if paths is not None and not paths:
        return []
    stmt = (select(Organization).where(Organization.kind.in_(services.MEETING_ORG_KINDS),
                                       in_scope(Organization.path, sorted(paths) if paths
                                                is not None else None))
            .order_by(Organization.path).limit(500))
    return [o for o in db.session.scalars(stmt) if services.may_record(current_user, o)]


def _lesson_choices():
    rows = db.session.execute(
        select(Lesson.id, Course.title, Lesson.position, Lesson.title)
        .join(Course, Course.id == Lesson.course_id)
        .where(Course.status == "published", Lesson.archived.is_(False))
        .order_by(Course.title, Lesson.position)).all()
    return options([(0, _("（不关联）"))] + [
        (r[0], f"{r[1]} · {r[2]}. {r[3]}") for r in rows])


def _data_from(form: MeetingForm) -> services.MeetingData:
    starts = _utc(form.day.data, form.starts.data)
    ends = _utc(form.day.data, form.ends.data)
    return services.MeetingData(
        kind=form.kind.data, title=form.title.data, starts_at=starts, ends_at=ends,
        place=form.place.data or "", host=form.host.data or "",
        minute_taker=form.minute_taker.data or "", topics=form.topics.data or "",
        remarks=form.remarks.data or "", decisions=form.decisions.data or "",
        dissent=form.dissent.data or "",
        hours=float(form.hours.data) if form.hours.data is not None else 0,
        lesson_id=form.lesson.data or None, makeup_due_on=form.makeup_due_on.data,
        allow_guests=bool(form.allow_guests.data))


@bp.route("/meetings/new", methods=["GET", "POST"])
@login_required
def new():
    orgs = _recordable_orgs()
    if not orgs:
        abort(403)
    form = MeetingForm()
    form.org.choices = options((o.id, o.name) for o in orgs)
    form.lesson.choices = _lesson_choices()
    if request.method == "GET":
        wanted = request.args.get("org", type=int)
        if any(o.id == wanted for o in orgs):
            form.org.data = wanted
        form.day.data = form.day.data or years.today()
        form.starts.data = form.starts.data or time(9, 0)
        form.ends.data = form.ends.data or time(11, 0)
    if form.validate_on_submit():
        org = next(o for o in orgs if o.id == form.org.data)
        try:
            meeting = services.save_meeting(current_user, org, _data_from(form), ip=client_ip())
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已保存会议：%(t)s", t=meeting.title), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template("meetings/form.html", form=form, meeting=None)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit(meeting_id: int):
    meeting, org = _meeting_or_404(meeting_id, record=True)
    form = MeetingForm(obj=None if request.method == "POST" else meeting)
    form.org.choices = options([(org.id, org.name)])
    form.lesson.choices = _lesson_choices()
    if request.method == "GET":
        start, end = _local(meeting.starts_at), _local(meeting.ends_at)
        form.org.data, form.day.data = org.id, start.date()
        form.starts.data, form.ends.data = start.time(), end.time()
        form.lesson.data = meeting.lesson_id or 0
    if form.validate_on_submit():
        try:
            services.save_meeting(current_user, org, _data_from(form), meeting=meeting,
                                  ip=client_ip())
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已保存会议记录。"), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template("meetings/form.html", form=form, meeting=meeting)


@bp.get("/meetings/<int:meeting_id>")
@login_required
def show(meeting_id: int):
    meeting, org = _meeting_or_404(meeting_id)
    lines = services.roster(meeting, org)
    lesson = queries.lesson_line(meeting.lesson_id) if meeting.lesson_id else None
    return render_template(
        "meetings/show.html", meeting=meeting, org=org, lines=lines,
        counts=services.counts(lines), lesson=lesson, button=EmptyForm(),
        may_record=services.may_record(current_user, org, meeting.kind),
        correct_form=CorrectForm(formdata=None), now=datetime.now(UTC).replace(tzinfo=None),
        **_labels())


# ---- the roster on a phone ------------------------------------------------------------------

@bp.get("/meetings/<int:meeting_id>/roll")
@login_required
def roll(meeting_id: int):
    meeting, org = _meeting_or_404(meeting_id, record=True)
    lines = services.roster(meeting, org)
    return render_template("meetings/roll.html", meeting=meeting, org=org, lines=lines,
                           counts=services.counts(lines), **_labels())


@bp.post("/meetings/<int:meeting_id>/ticks")
@login_required
def ticks(meeting_id: int):
    """The outbox's batch of taps: {"items": [{"id", "user", "status", "late", "reason"}]};
    each answered once per client id (a copy gets the first answer back)."""
    _meeting_or_404(meeting_id, record=True)
    try:
        items = read_batch(request.get_json(silent=True))
        results, tally = services.tick_batch(current_user, meeting_id, items)
    except DomainError as error:
        return jsonify(error=error.translated()), error.status_code
    for result in results:
        if "error" in result:
            result["error"] = _(result["error"])
    return jsonify(results=results, counts=tally.as_dict())


@bp.get("/meetings/<int:meeting_id>/marks")
@login_required
def marks(meeting_id: int):
    """Each person's mark and the counts, asked every few seconds while the roster is open
    (QR check-ins arrive from other phones)."""
    meeting, org = _meeting_or_404(meeting_id)
    lines = services.roster(meeting, org)
    response = jsonify(counts=services.counts(lines).as_dict(), closed=meeting.closed,
                       marks={str(line.user_id): [line.mark, line.late, line.method]
                              for line in lines},
                       guests=[[line.user_id, line.name, line.guest_org_name]
                               for line in lines if line.guest])
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/meetings/<int:meeting_id>/close")
@login_required
def close(meeting_id: int):
    meeting, _org = _meeting_or_404(meeting_id, record=True)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.close_meeting(current_user, meeting.id, ip=client_ip())
    except DomainError as error:
        flash_error(error)
    else:
        flash(_("会议记录已签发，到会党员的学时已记入学习档案。"), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


@bp.post("/meetings/<int:meeting_id>/correct")
@login_required
def correct(meeting_id: int):
    meeting, _org = _meeting_or_404(meeting_id, record=True)
    form = CorrectForm()
    if not form.validate_on_submit():
        flash(_("请选择要更正的人、出勤情况，并写明原因。"), "error")
    else:
        try:
            services.correct(current_user, meeting.id, form.user.data, form.status.data,
                             form.reason.data, ip=client_ip())
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已更正出勤，学时随之调整。"), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


# ---- QR code and self check-in ------------------------------------------------------------

def _checkin_url(meeting: Meeting) -> str:
    return url_for("meetings.scan", meeting_id=meeting.id, t=services.qr_token(meeting.id),
                   _external=True)


@bp.get("/meetings/<int:meeting_id>/qr")
@login_required
def qr(meeting_id: int):
    meeting, org = _meeting_or_404(meeting_id, record=True)
    return render_template("meetings/qr.html", meeting=meeting, org=org,
                           period=services.QR_PERIOD)


@bp.get("/meetings/<int:meeting_id>/qr.svg")
@login_required
def qr_svg(meeting_id: int):
    from lms.courses.links import qr_svg as make_svg

    meeting, _org = _meeting_or_404(meeting_id, record=True)
    response = make_response(make_svg(_checkin_url(meeting)))
    response.headers["Content-Type"] = "image/svg+xml"
    response.headers["Cache-Control"] = "no-store"
    return response


def _tickets() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="meeting-checkin")


@bp.get("/m/<int:meeting_id>")
def scan(meeting_id: int):
    """What the QR code opens: the code is checked now (it lives a minute), then exchanged for
    a ticket that survives signing in."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    try:
        services.check_token(meeting, request.args.get("t"))
    except DomainError as error:
        return render_template("meetings/checkin.html", meeting=None,
                               error=error.translated()), error.status_code
    ticket = _tickets().dumps(meeting.id)
    return redirect(url_for("meetings.checkin", meeting_id=meeting.id, ticket=ticket))


@bp.route("/m/<int:meeting_id>/in", methods=["GET", "POST"])
@login_required
def checkin(meeting_id: int):
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    ticket = request.values.get("ticket", "")
    try:
        if _tickets().loads(ticket, max_age=TICKET_SECONDS) != meeting.id:
            raise BadSignature("other meeting")
    except SignatureExpired:
        return render_template("meetings/checkin.html", meeting=None,
                               error=_("二维码已过期，请扫描现场的新二维码")), 400
    except BadSignature:
        return render_template("meetings/checkin.html", meeting=None,
                               error=_("这个二维码无效，请扫描会场上的二维码。")), 400
    org = db.session.get(Organization, meeting.org_id)
    form = EmptyForm()
    done = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            done = services.check_in(current_user, meeting.id, ip=client_ip())
        except DomainError as error:
            return render_template("meetings/checkin.html", meeting=meeting, org=org,
                                   error=error.translated(), form=form, ticket=ticket,
                                   **_labels()), error.status_code
    return render_template("meetings/checkin.html", meeting=meeting, org=org, form=form,
                           ticket=ticket, done=done, error=None, **_labels())


# ---- paper and the meeting book ------------------------------------------------------------

@bp.get("/meetings/<int:meeting_id>/minutes")
@login_required
def minutes(meeting_id: int):
    """The A4 page for the 会议记录本."""
    meeting, org = _meeting_or_404(meeting_id)
    lines = services.roster(meeting, org)
    lesson = queries.lesson_line(meeting.lesson_id) if meeting.lesson_id else None
    return render_template("meetings/minutes.html", meeting=meeting, org=org, lines=lines,
                           counts=services.counts(lines), lesson=lesson, **_labels())


@bp.get("/meetings/<int:meeting_id>/sheet")
@login_required
def sheet(meeting_id: int):
    """The printable 签到表: names and a blank signature column, with the check-in QR code."""
    from lms.courses.links import qr_svg as make_svg

    meeting, org = _meeting_or_404(meeting_id, record=True)
    lines = [line for line in services.roster(meeting, org) if not line.guest]
    svg = make_svg(url_for("meetings.scan", meeting_id=meeting.id,
                           t=services.printed_token(meeting.id), _external=True)).decode()
    return render_template("meetings/sheet.html", meeting=meeting, org=org, lines=lines,
                           svg=svg, **_labels())


BOOK_HEADER = ["日期", "开始", "结束", "类型", "会议名称", "地点", "主持人", "记录人", "学时",
               "应到", "实到", "请假", "缺席", "状态"]


@bp.get("/meetings/org/<int:org_id>/book")
@login_required
def book(org_id: int):
    org = org_or_404(org_id, "view_meetings")
    year = request.args.get("year", type=int) or years.this_year()
    rows = queries.book_rows(org, year)
    if request.args.get("format") == "xlsx":
        data = write_xlsx(BOOK_HEADER, [_book_line(r) for r in rows], title=str(year))
        return send_file(io.BytesIO(data), as_attachment=True,
                         download_name=f"meetings-{org.code}-{year}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument"
                                  ".spreadsheetml.sheet")
    return render_template("meetings/book.html", org=org, year=year,
                           pairs=[(r, _book_line(r)) for r in rows], header=BOOK_HEADER,
                           **_labels())


def _book_line(r) -> list:
    start = _local(r.starts_at)
    return [start.strftime("%Y-%m-%d"), start.strftime("%H:%M"),
            _local(r.ends_at).strftime("%H:%M"), str(KIND_LABELS[r.kind]), r.title, r.place,
            r.host, r.minute_taker, r.hours, r.expected, r.present, r.leave, r.absent,
            "已签发" if r.state == "closed" else "未签发"]


# ---- 送学上门 ----------------------------------------------------------------------------------

@bp.route("/meetings/home-visits/new", methods=["GET", "POST"])
@login_required
def home_visit():
    paths = scope_paths(current_user, "record_home_visits")
    if paths is not None and not paths:
        abort(403)
    members = list(db.session.execute(
        select(User.id, User.name, Organization.name)
        .join(Organization, Organization.id == User.org_id)
        .where(in_scope(Organization.path, paths), User.status.isnot(None),
               User.active.is_(True))
        .order_by(User.is_exempt.desc(), Organization.path, User.name).limit(2000)))
    form = HomeVisitForm()
    form.member.choices = options((m[0], f"{m[1]}（{m[2]}）") for m in members)
    if request.method == "GET":
        form.visited_on.data = years.today()
        wanted = request.args.get("member", type=int)
        if wanted:
            form.member.data = wanted
    if form.validate_on_submit():
        member = db.session.get(User, form.member.data)
        try:
            services.record_home_visit(current_user, member, visited_on=form.visited_on.data,
                                       topic=form.topic.data, hours=float(form.hours.data),
                                       ip=client_ip())
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已登记送学上门，%(h)s 学时记入%(n)s的学习档案。",
                    h=f"{float(form.hours.data):g}", n=member.name), "success")
            return redirect(url_for("meetings.home_visit"))
    return render_template("meetings/home_visit.html", form=form,
                           recent=queries.recent_home_visits(paths))


# ---- parts on 学习情况 and 我的学习 ------------------------------------------------------------

def _branch_extra(org, **_kw):
    if not services.may_view(current_user, org):
        return {}
    if org.kind in oversight.BRANCH_KINDS or org.kind == "group":
        return {"sections": [("meetings/_schedule.html", {
            "org": org, "schedule": oversight.branch_schedule(org),
            "may_plan": services.may_record(current_user, org), **_labels()})]}
    rows = oversight.rollup(org)
    areas = oversight.by_child(org, rows) if org.kind == "county" else None
    return {"sections": [("meetings/_rollup.html", {
        "org": org, "rows": rows, "areas": areas,
        "missing_theme_day": [r for r in rows if not r.theme_day], **_labels()})]}


def _my_study_extra(user, **_kw):
    if not user.org_id:
        return {}
    upcoming, recent = queries.for_member(user)
    if not upcoming and not recent:
        return {}
    return {"sections": [("meetings/_my_study.html", {
        "upcoming": upcoming, "recent": recent, **_labels()})]}


def _record_extra(member, year, **_kw):
    rows = queries.attended(member.id, year)
    return {"sections": [("meetings/_record.html", {"rows": rows, "year": year, **_labels()})]}


add_page_extra(bp, "branch", _branch_extra)
add_page_extra(bp, "record", _record_extra)
add_page_extra(bp, "my_study", _my_study_extra)
