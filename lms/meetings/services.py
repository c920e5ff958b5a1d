"""Writes for meetings: plan and record, tick the roster, QR check-in, close (签发) with the
hours, corrections after closing, and 送学上门.

Rules:

* Who records: ``record_meetings`` over the meeting's organisation (书记, 组织委员, 宣传委员 of
  the branch or above); a 党小组长 (``record_group_meetings``) only the group's 党小组会.
* The roster (应到) is every 正式 and 预备党员 placed in the meeting's organisation or below
  (for a 支委会, the 支委 of the organisation); guests (members of other branches checking in by QR) are listed apart.
* Every write to one meeting's attendance, and its closing, first locks the meeting's row
  (``FOR UPDATE``; SQLite has a single writer already), so a QR check-in arriving while the
  meeting closes is either seen by the closing or sees the meeting closed and credits itself:
  the hours reach everyone present exactly once, in whatever order things happen. The ledger's
  unique ``(user, source, source_id)`` is the backstop.
"""
from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, insert, or_, select

from lms.audit.services import record
from lms.auth.models import User
from lms.core.clock import utcnow
from lms.core.errors import Conflict, DomainError, NotAllowed, NotFound, ValidationFailed
from lms.core.i18n import N_
from lms.core.receipts import run_once
from lms.courses.models import Lesson
from lms.database import begin_write
from lms.extensions import db
from lms.meetings import signals
from lms.meetings.models import (
    ATTENDANCE,
    KINDS,
    TEACHING_KINDS,
    Attendance,
    HomeVisit,
    Meeting,
)
from lms.orgs.access import can
from lms.orgs.models import CADRE_ROLES, Membership, Organization
from lms.progress import services as progress
from lms.progress import years

#: who is on a meeting's roster (应到): party members, 预备党员 included
ROSTER_STATUSES = ("full", "probationary")
#: the QR code changes every this many seconds; a code is accepted in its own window and the
#: one after (so one just scanned at a change still works): a photo of it dies within a minute
QR_PERIOD = 30
#: check-in is open from this long before the start to this long after the planned end
QR_MARGIN = timedelta(minutes=30)
MAX_HOURS = 8
#: days to make up a missed lesson when the record names no date
MAKEUP_DAYS = 30
#: kinds recorded on a 党小组, and organisation kinds meetings are held by
GROUP_KIND = "group"
MEETING_ORG_KINDS = ("village_committee", "general_branch", "branch", "group")


# ---- who may ------------------------------------------------------------------------------

def may_record(user, org: Organization, kind: str | None = None) -> bool:
    """Whether ``user`` records meetings of ``kind`` (any kind when None) for ``org``."""
    if org.kind not in MEETING_ORG_KINDS:
        return False
    if org.kind == "group":
        if kind not in (None, GROUP_KIND):
            return False
        return can(user, "record_meetings", org) or can(user, "record_group_meetings", org)
    return kind != GROUP_KIND and can(user, "record_meetings", org)


def may_view(user, org: Organization) -> bool:
    return can(user, "view_meetings", org) or may_record(user, org)


def _authorize_record(user, org: Organization, kind: str) -> None:
    if not may_record(user, org, kind):
        raise NotAllowed(N_("您没有权限登记这个党组织的这类会议。"))


# ---- plan and record ----------------------------------------------------------------------

@dataclass
class MeetingData:
    kind: str
    title: str
    starts_at: datetime  # naive UTC
    ends_at: datetime
    place: str = ""
    host: str = ""
    minute_taker: str = ""
    topics: str = ""
    remarks: str = ""
    decisions: str = ""
    dissent: str = ""
    hours: float = 0
    lesson_id: int | None = None
    makeup_due_on: date | None = None
    allow_guests: bool = False


def check_hours(value) -> float:
    """0–8 in steps of 0.5, else ValidationFailed."""
    try:
        hours = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed(N_("学时应在 0 到 8 之间，以 0.5 为单位，例如 1.5。")) from None
    if math.isnan(hours) or not 0 <= hours <= MAX_HOURS or (hours * 2) != int(hours * 2):
        raise ValidationFailed(N_("学时应在 0 到 8 之间，以 0.5 为单位，例如 1.5。"))
    return hours


def _check(data: MeetingData) -> MeetingData:
    if data.kind not in KINDS:
        raise ValidationFailed(N_("请选择会议类型。"))
    data.title = (data.title or "").strip()
    if not 2 <= len(data.title) <= 120:
        raise ValidationFailed(N_("请填写会议名称（2 到 120 个字）。"))
    if data.ends_at <= data.starts_at or data.ends_at - data.starts_at > timedelta(hours=12):
        raise ValidationFailed(N_("结束时间应晚于开始时间，且会议不超过 12 小时。"))
    data.hours = check_hours(data.hours)
    if data.lesson_id is not None:
        if data.kind not in TEACHING_KINDS:
            raise ValidationFailed(N_("只有党课和主题党日可以关联课程中的一课。"))
        lesson = db.session.get(Lesson, data.lesson_id)
        if lesson is None or lesson.archived:
            raise ValidationFailed(N_("没有这一课。"))
    else:
        data.makeup_due_on = None
    for name, limit in (("place", 120), ("host", 60), ("minute_taker", 60)):
        setattr(data, name, (getattr(data, name) or "").strip()[:limit])
    return data


def save_meeting(actor: User, org: Organization, data: MeetingData,
                 meeting: Meeting | None = None, ip: str = "") -> Meeting:
    """Plan a meeting, or change its record before it is closed."""
    data = _check(data)
    _authorize_record(actor, org, data.kind)
    begin_write()
    if meeting is not None:
        meeting = _locked(meeting.id)
        if meeting.closed:
            db.session.rollback()
            raise Conflict(N_("这次会议的记录已签发，不能再修改。"))
    else:
        meeting = Meeting(org_id=org.id, created_by_id=actor.id, created_at=utcnow())
        db.session.add(meeting)
    for name, value in vars(data).items():
        setattr(meeting, name, value)
    db.session.flush()
    record("meeting.save", actor=actor, target=f"{org.code} #{meeting.id}", ip=ip,
           detail={"kind": data.kind, "title": data.title,
                   "starts_at": data.starts_at.isoformat()})
    db.session.commit()
    return meeting


def _locked(meeting_id: int) -> Meeting:
    """The meeting's row, locked until the transaction ends, and read afresh."""
    meeting = db.session.scalar(select(Meeting).where(Meeting.id == meeting_id)
                                .with_for_update().execution_options(populate_existing=True))
    if meeting is None:
        raise NotFound(N_("没有这次会议。"))
    return meeting


# ---- the roster ----------------------------------------------------------------------------

@dataclass
class RosterLine:
    user_id: int
    name: str
    status: str | None
    org_name: str
    mobile: bool
    exempt: bool
    mark: str | None  # None: not marked yet
    late: bool
    reason: str
    method: str | None
    guest: bool
    guest_org_name: str


@dataclass
class Counts:
    expected: int = 0  # 应到
    present: int = 0  # 实到 (of the roster)
    leave: int = 0
    absent: int = 0
    unmarked: int = 0
    late: int = 0
    guests: int = 0

    def as_dict(self) -> dict:
        return dict(vars(self))


def _subtree_ids(org: Organization):
    return select(Organization.id).where(Organization.path.startswith(org.path))


def _on_roster_clause(meeting: Meeting, org: Organization):
    """Who is expected: the members of ``org``'s subtree; for a 支委会, the 支委 of ``org``."""
    clause = and_(User.org_id.in_(_subtree_ids(org)), User.status.in_(ROSTER_STATUSES),
                  User.active.is_(True))
    if meeting.kind == "committee":
        clause = and_(User.active.is_(True), User.id.in_(select(Membership.user_id).where(
            Membership.org_id == org.id, Membership.role.in_(sorted(CADRE_ROLES)))))
    return clause


def roster(meeting: Meeting, org: Organization) -> list[RosterLine]:
    """The roster with each person's mark, and the guests, in one query."""
    on_roster = _on_roster_clause(meeting, org)
    rows = db.session.execute(
        select(User.id, User.name, User.status, Organization.name, User.is_mobile,
               User.is_exempt, Attendance.status, Attendance.late, Attendance.reason,
               Attendance.method, Attendance.guest, Attendance.guest_org_name)
        .outerjoin(Organization, Organization.id == User.org_id)
        .outerjoin(Attendance, and_(Attendance.user_id == User.id,
                                    Attendance.meeting_id == meeting.id))
        .where(or_(on_roster, Attendance.id.isnot(None)))
        .order_by(Attendance.guest.is_(True), Organization.path, User.name, User.id)).all()
    return [RosterLine(user_id=r[0], name=r[1], status=r[2], org_name=r[3] or "",
                       mobile=bool(r[4]), exempt=bool(r[5]), mark=r[6], late=bool(r[7]),
                       reason=r[8] or "", method=r[9], guest=bool(r[10]),
                       guest_org_name=r[11] or "") for r in rows]


def counts(lines: list[RosterLine]) -> Counts:
    out = Counts()
    for line in lines:
        if line.guest:
            out.guests += line.mark == "present"
            continue
        out.expected += 1
        if line.mark == "present":
            out.present += 1
            out.late += line.late
        elif line.mark == "leave":
            out.leave += 1
        elif line.mark == "absent":
            out.absent += 1
        else:
            out.unmarked += 1
    return out


def _on_roster(meeting: Meeting, org: Organization, user_id: int) -> bool:
    return db.session.scalar(select(User.id).where(
        User.id == user_id, _on_roster_clause(meeting, org))) is not None


def _attendance(meeting_id: int, user_id: int) -> Attendance | None:
    return db.session.scalar(select(Attendance).where(
        Attendance.meeting_id == meeting_id, Attendance.user_id == user_id))


def _set_mark(meeting: Meeting, user_id: int, *, status: str, late: bool, reason: str,
              method: str, by: int | None, guest_org_name: str | None = None) -> Attendance:
    row = _attendance(meeting.id, user_id)
    if row is None:
        row = Attendance(meeting_id=meeting.id, user_id=user_id, method=method,
                         guest=guest_org_name is not None, guest_org_name=guest_org_name or "")
        db.session.add(row)
    row.status, row.late = status, bool(late) and status == "present"
    row.reason = reason if status == "leave" else ""
    row.marked_by_id, row.marked_at = by, utcnow()
    if method == "qr" or row.method is None:
        row.method = method
    db.session.flush()
    return row


def _check_mark(status: object, reason: object) -> str:
    if status not in ATTENDANCE:
        raise ValidationFailed(N_("请选择到、请假或缺席。"))
    reason = reason.strip() if isinstance(reason, str) else ""
    if len(reason) > 120:
        raise ValidationFailed(N_("请假原因最多 120 个字。"))
    return reason


def tick(actor: User, meeting: Meeting, org: Organization, user_id: object, status: object,
         late: object = False, reason: object = "") -> dict:
    """One tap on the roster; no commit. The meeting is locked by the caller."""
    if meeting.closed:
        raise Conflict(N_("这次会议的记录已签发，点名不能再改；如需更正，请在会议记录页使用“更正出勤”。"))
    reason = _check_mark(status, reason)
    if not isinstance(user_id, int) or not _on_roster(meeting, org, user_id):
        raise NotAllowed(N_("这位不在本次会议的名单上，不能登记。"))
    row = _set_mark(meeting, user_id, status=status, late=bool(late), reason=reason,
                    method="roster", by=actor.id)
    return {"user": user_id, "status": row.status, "late": row.late}


def tick_batch(actor: User, meeting_id: int, items: list[dict]) -> tuple[list[dict], Counts]:
    """Ticks posted by the phone's outbox, each run once for its client id; one commit."""
    begin_write()
    try:
        meeting = _locked(meeting_id)
        org = db.session.get(Organization, meeting.org_id)
        _authorize_record(actor, org, meeting.kind)
    except DomainError:
        db.session.rollback()
        raise
    results = []
    for item in items:
        client_id = item.get("id")
        try:
            outcome = run_once(actor.id, client_id, "attendance", lambda item=item: tick(
                actor, meeting, org, item.get("user"), item.get("status"),
                item.get("late"), item.get("reason")))
        except DomainError as error:
            results.append({"id": client_id, "ok": False, "error": str(error)})
        else:
            results.append({"id": client_id, "ok": True, "replayed": outcome.replayed,
                            **outcome.result})
    db.session.commit()
    return results, counts(roster(meeting, org))


# ---- closing, the hours and 补学 ------------------------------------------------------------

def close_meeting(actor: User, meeting_id: int, ip: str = "") -> Meeting:
    """签发: those not marked become 缺席, everyone present is credited the hours once, and a
    lesson taught is assigned as 补学 to the absent and those on leave. Closing again changes
    nothing."""
    begin_write()
    meeting = _locked(meeting_id)
    org = db.session.get(Organization, meeting.org_id)
    try:
        _authorize_record(actor, org, meeting.kind)
        if meeting.closed:
            db.session.rollback()
            return meeting
        now = utcnow()
        if meeting.starts_at > now:
            raise ValidationFailed(N_("会议还没有开始，不能签发记录。"))
    except Exception:
        db.session.rollback()
        raise
    lines = roster(meeting, org)
    unmarked = [line.user_id for line in lines if line.mark is None and not line.guest]
    if unmarked:
        db.session.execute(insert(Attendance), [
            {"meeting_id": meeting.id, "user_id": user_id, "status": "absent", "late": False,
             "reason": "", "method": "roster", "guest": False, "guest_org_name": "",
             "marked_by_id": actor.id, "marked_at": now} for user_id in unmarked])
    meeting.state, meeting.closed_at, meeting.closed_by_id = "closed", now, actor.id
    tally = counts(lines)
    meeting.expected_count, meeting.present_count = tally.expected, tally.present
    present = [line.user_id for line in lines if line.mark == "present"]
    credited = _credit(meeting, present, actor.id)
    signals.meeting_closed.send(meeting, attended=present)
    makeup = 0
    if meeting.lesson_id and meeting.kind in TEACHING_KINDS:
        lesson = db.session.get(Lesson, meeting.lesson_id)
        missed = [line.user_id for line in lines if not line.guest and line.mark != "present"]
        due = meeting.makeup_due_on or (years.local(now).date() + timedelta(days=MAKEUP_DAYS))
        makeup = progress.assign_course_to_members(
            actor, lesson.course_id, missed, due, f"补学：{meeting.title}")
    record("meeting.close", actor=actor, target=f"{org.code} #{meeting.id}", ip=ip,
           detail={"credited": len(credited), "absent_unmarked": len(unmarked),
                   "makeup": makeup, "hours": meeting.hours})
    db.session.commit()
    return meeting


def _credit(meeting: Meeting, user_ids: list[int], by: int | None) -> list[int]:
    if not user_ids or not meeting.hours:
        return []
    paths = dict(db.session.execute(
        select(User.id, Organization.path).outerjoin(Organization, Organization.id == User.org_id)
        .where(User.id.in_(user_ids))).all())
    return progress.credit_once(
        [(user_id, paths.get(user_id) or "") for user_id in user_ids], source="meeting",
        source_id=meeting.id, hours=float(meeting.hours), year=years.year_of(meeting.starts_at),
        category="meeting", reason=f"{meeting.title}", recorded_by_id=by)


def correct(actor: User, meeting_id: int, user_id: int, status: str, reason: str,
            ip: str = "") -> Attendance:
    """Change a mark after closing, with a reason: the ledger follows with an entry of its own
    (a reversing one when a member marked 到 was not there), audited."""
    begin_write()
    try:
        meeting = _locked(meeting_id)
        org = db.session.get(Organization, meeting.org_id)
        _authorize_record(actor, org, meeting.kind)
        if not meeting.closed:
            raise Conflict(N_("会议记录还没有签发，直接在点名页修改即可。"))
        why = (reason or "").strip()
        if not 2 <= len(why) <= 120:
            raise ValidationFailed(N_("请写明更正原因（2 到 120 个字）。"))
        _check_mark(status, "")
        row = _attendance(meeting.id, user_id)
        if row is None:
            raise NotAllowed(N_("这位不在本次会议的名单上，不能登记。"))
    except Exception:
        db.session.rollback()
        raise
    before = row.status
    _set_mark(meeting, user_id, status=status, late=row.late, reason=why, method=row.method,
              by=actor.id, guest_org_name=row.guest_org_name if row.guest else None)
    if (before == "present") != (status == "present"):
        if not row.guest:
            meeting.present_count += 1 if status == "present" else -1
        signals.attendance_changed.send(meeting, user_id=user_id, present=status == "present")
    hours, year = float(meeting.hours or 0), years.year_of(meeting.starts_at)
    path = db.session.scalar(select(Organization.path).join(User, User.org_id == Organization.id)
                             .where(User.id == user_id)) or ""
    text = f"更正：{meeting.title}（{why}）"
    if hours and before == "present" and status != "present":
        progress.adjust_hours(user_id, hours=-hours, year=year, category="meeting", reason=text,
                              recorded_by_id=actor.id, org_path=path)
    elif hours and before != "present" and status == "present":
        if not _credit(meeting, [user_id], actor.id):  # credited once and reversed before
            progress.adjust_hours(user_id, hours=hours, year=year, category="meeting",
                                  reason=text, recorded_by_id=actor.id, org_path=path)
    record("meeting.correct", actor=actor, target=f"{org.code} #{meeting.id} user {user_id}",
           ip=ip, detail={"from": before, "to": status, "reason": why})
    db.session.commit()
    return row


# ---- QR self check-in ----------------------------------------------------------------------

def _window(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1)).total_seconds() // QR_PERIOD)


def _sign(meeting_id: int, window: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"meeting-qr:{meeting_id}:{window}".encode(), hashlib.sha256)
    return digest.hexdigest()[:20]


def qr_token(meeting_id: int, moment: datetime | None = None) -> str:
    """The code shown now: ``<window>.<signature>``, a new one every QR_PERIOD seconds."""
    window = _window(moment or utcnow())
    return f"{window}.{_sign(meeting_id, window)}"


#: the printed 签到表's code: it cannot change every 30 s, so it is good for the whole check-in
#: window of its own meeting (and nothing else)
PRINTED = "p"


def printed_token(meeting_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"meeting-sheet:{meeting_id}".encode(), hashlib.sha256)
    return f"{PRINTED}.{digest.hexdigest()[:20]}"


def check_open(meeting: Meeting, moment: datetime | None = None) -> None:
    moment = moment or utcnow()
    if not meeting.starts_at - QR_MARGIN <= moment <= meeting.ends_at + QR_MARGIN:
        raise ValidationFailed(N_("现在不是这次会议的签到时间（会前 30 分钟到会后 30 分钟）。"))


def check_token(meeting: Meeting, token: object, moment: datetime | None = None) -> None:
    """Raise ValidationFailed unless ``token`` is this meeting's code of now (or of the window
    just before), or its printed sheet's code, and the meeting's check-in window is open."""
    moment = moment or utcnow()
    if isinstance(token, str) and token.startswith(PRINTED + "."):
        if not hmac.compare_digest(printed_token(meeting.id), token):
            raise ValidationFailed(N_("这个二维码无效，请扫描会场上的二维码。"))
        check_open(meeting, moment)
        return
    window_text, _, signature = (token if isinstance(token, str) else "").partition(".")
    if not window_text.isdigit() or not hmac.compare_digest(
            _sign(meeting.id, int(window_text)), signature):
        raise ValidationFailed(N_("这个二维码无效，请扫描会场上的二维码。"))
    check_open(meeting, moment)
    if not 0 <= _window(moment) - int(window_text) <= 1:
        raise ValidationFailed(N_("二维码已过期，请扫描现场的新二维码"))


def check_in(member: User, meeting_id: int, ip: str = "") -> Attendance:
    """A member who scanned a valid code (the view checked it) is marked 到 (method QR); on a
    closed meeting they are credited at once. Checking in twice changes nothing."""
    begin_write()
    try:
        meeting = _locked(meeting_id)
        check_open(meeting)
        org = db.session.get(Organization, meeting.org_id)
        guest_org = None
        if not _on_roster(meeting, org, member.id):
            if not (meeting.allow_guests and member.status in ROSTER_STATUSES and member.active):
                raise NotAllowed(N_("您不在这次会议的名单上，本次会议也没有开放外支部党员签到。"))
            home = db.session.get(Organization, member.org_id) if member.org_id else None
            guest_org = home.name if home else ""
        row = _attendance(meeting.id, member.id)
        if row is None or row.status != "present":
            row = _set_mark(meeting, member.id, status="present", late=False, reason="",
                            method="qr", by=member.id, guest_org_name=guest_org)
            if meeting.closed:
                _credit(meeting, [member.id], member.id)
                if guest_org is None:
                    meeting.present_count += 1
                signals.attendance_changed.send(meeting, user_id=member.id, present=True)
            record("meeting.checkin", actor=member, target=f"{org.code} #{meeting.id}", ip=ip,
                   detail={"guest": guest_org is not None, "after_close": meeting.closed})
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return row


# ---- 送学上门 --------------------------------------------------------------------------------

def record_home_visit(actor: User, member: User, *, visited_on: date, topic: str, hours,
                      lesson_id: int | None = None, ip: str = "") -> HomeVisit:
    """A lesson taken to a member's home, credited to their ledger once (source home_visit)."""
    org = db.session.get(Organization, member.org_id) if member.org_id else None
    if org is None or not can(actor, "record_home_visits", org):
        raise NotAllowed(N_("您没有权限为这位党员登记送学上门。"))
    topic = (topic or "").strip()
    if not 2 <= len(topic) <= 200:
        raise ValidationFailed(N_("请写明学习内容（2 到 200 个字）。"))
    hours = check_hours(hours)
    if hours == 0:
        raise ValidationFailed(N_("学时应在 0 到 8 之间，以 0.5 为单位，例如 1.5。"))
    if visited_on > years.today() or visited_on.year < years.this_year() - 1:
        raise ValidationFailed(N_("送学日期不能晚于今天，也不能早于去年。"))
    begin_write()
    visit = HomeVisit(user_id=member.id, visited_on=visited_on, topic=topic, hours=hours,
                      lesson_id=lesson_id, recorded_by_id=actor.id, recorded_at=utcnow())
    db.session.add(visit)
    db.session.flush()
    progress.credit_once([(member.id, org.path)], source="home_visit", source_id=visit.id,
                         hours=hours, year=visited_on.year, category="manual",
                         reason=f"送学上门：{topic}", recorded_by_id=actor.id)
    record("meeting.home_visit", actor=actor, target=f"{member.phone} {member.name}", ip=ip,
           detail={"on": visited_on.isoformat(), "hours": hours, "topic": topic})
    db.session.commit()
    return visit
