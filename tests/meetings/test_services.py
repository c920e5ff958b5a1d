"""Meeting services: who may record and see what, the roster and its counts, closing with the
hours exactly once, 补学 through the assignment service, corrections and bad input."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditLog
from lms.core.errors import Conflict, NotAllowed, ValidationFailed
from lms.extensions import db
from lms.meetings import services
from lms.meetings.models import Attendance
from lms.progress import years
from lms.progress.models import MemberAssignment, StudyHours
from lms.reports import tables


def hours_of(user):
    return float(db.session.scalar(select(func.coalesce(func.sum(StudyHours.hours), 0)).where(
        StudyHours.user_id == user.id)))


def tick(actor, meeting, user, status, client_id, **extra):
    results, tally = services.tick_batch(actor, meeting.id, [
        {"id": client_id, "user": user.id, "status": status, **extra}])
    return results[0], tally


def test_secretary_of_a_cannot_record_or_see_b(plan, secretary, secretary_b, tree):
    meeting = plan(secretary_b, org=tree["b"])
    assert not services.may_view(secretary, tree["b"])
    assert not services.may_record(secretary, tree["b"])
    with pytest.raises(NotAllowed):
        plan(secretary, org=tree["b"])
    with pytest.raises(NotAllowed):
        services.tick_batch(secretary, meeting.id, [])
    with pytest.raises(NotAllowed):
        services.close_meeting(secretary, meeting.id)


def test_a_member_cannot_record(plan, member, tree):
    with pytest.raises(NotAllowed):
        plan(member)
    with pytest.raises(NotAllowed):
        plan(member, org=tree["a1"], kind="group")


def test_group_leader_records_only_the_groups_group_meeting(plan, make_user, tree):
    leader = make_user("组长", org=tree["a1"], roles=[("group_leader", tree["a1"])])
    assert plan(leader, org=tree["a1"], kind="group").kind == "group"
    with pytest.raises(NotAllowed):
        plan(leader, org=tree["a1"], kind="lecture")
    with pytest.raises(NotAllowed):
        plan(leader, org=tree["a"], kind="group")
    with pytest.raises(NotAllowed):
        plan(leader, org=tree["a"], kind="general")


def test_organizer_and_propaganda_record_the_branch(plan, make_user, tree):
    for role in ("organizer", "propaganda"):
        committee = make_user(role, org=tree["a"], roles=[(role, tree["a"])])
        assert plan(committee).org_id == tree["a"].id


def test_roster_has_probationary_flags_mobile_and_leaves_out_others(
        plan, secretary, make_user, tree):
    probationary = make_user("预备", org=tree["a1"], status="probationary")
    mobile = make_user("外出", org=tree["a"], is_mobile=True, mobile_where="宁波")
    make_user("积极分子", org=tree["a"], status="activist")
    make_user("乙村", org=tree["b"])
    meeting = plan(secretary)
    lines = {line.name: line for line in services.roster(meeting, tree["a"])}
    assert set(lines) == {"王书记", "预备", "外出"}
    assert lines["预备"].status == "probationary" and lines[mobile.name].mobile
    assert services.counts(list(lines.values())).expected == 3
    assert probationary.id in {line.user_id for line in lines.values()}


def test_ticks_count_and_a_copy_changes_nothing(plan, secretary, member, make_user, tree):
    other = make_user("李明", org=tree["a"])
    meeting = plan(secretary)
    result, tally = tick(secretary, meeting, member, "present", "tap-00000001", late=True)
    assert result["ok"] and not result["replayed"]
    assert (tally.expected, tally.present, tally.late, tally.unmarked) == (3, 1, 1, 2)
    again, _tally = tick(secretary, meeting, member, "present", "tap-00000001", late=True)
    assert again["ok"] and again["replayed"]
    result, tally = tick(secretary, meeting, other, "leave", "tap-00000002", reason="住院")
    assert result["ok"] and (tally.leave, tally.present) == (1, 1)
    row = db.session.scalar(select(Attendance).where(Attendance.user_id == other.id))
    assert row.reason == "住院"
    # the same mark again under a new id: idempotent, no error, still one row
    result, tally = tick(secretary, meeting, other, "leave", "tap-00000003", reason="住院")
    assert result["ok"] and tally.leave == 1
    assert db.session.scalar(select(func.count(Attendance.id))) == 2


def test_ticking_someone_outside_the_roster_is_refused(plan, secretary, member_b):
    meeting = plan(secretary)
    result, tally = tick(secretary, meeting, member_b, "present", "tap-00000010")
    assert not result["ok"] and "名单" in result["error"]
    assert tally.present == 0
    result, _tally = tick(secretary, meeting, member_b, "maybe", "tap-00000011")
    assert not result["ok"] and "请选择" in result["error"]


def test_close_credits_present_once_marks_the_rest_absent_and_assigns_makeup(
        plan, secretary, member, make_user, tree, lesson):
    away = make_user("请假的", org=tree["a"])
    missing = make_user("没来的", org=tree["a1"], status="probationary")
    meeting = plan(secretary, lesson_id=lesson.id, hours=2)
    tick(secretary, meeting, member, "present", "tap-00000020")
    tick(secretary, meeting, secretary, "present", "tap-00000021")
    tick(secretary, meeting, away, "leave", "tap-00000022", reason="外出")
    services.close_meeting(secretary, meeting.id)
    services.close_meeting(secretary, meeting.id)  # again: nothing changes
    assert hours_of(member) == 2 and hours_of(secretary) == 2
    assert hours_of(away) == 0 and hours_of(missing) == 0
    entries = db.session.scalars(select(StudyHours).where(StudyHours.source == "meeting")).all()
    assert sorted(e.user_id for e in entries) == sorted([member.id, secretary.id])
    assert all(e.category == "meeting" and e.source_id == meeting.id for e in entries)
    absent = db.session.scalar(select(Attendance).where(Attendance.user_id == missing.id))
    assert absent.status == "absent"
    makeup = db.session.scalars(select(MemberAssignment)).all()
    assert sorted(m.user_id for m in makeup) == sorted([away.id, missing.id])
    assert all(m.course_id == lesson.course_id for m in makeup)
    # where secretaries look: the branch view counts the make-up as a required course
    rows = {r.name: r for r in tables.member_rows(tree["a"], year=years.this_year())}
    assert (rows["请假的"].assigned, rows["请假的"].done) == (1, 0)
    assert rows["张三"].assigned == 0
    assert db.session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action == "meeting.close")) == 1


def test_ticks_after_closing_are_refused(plan, secretary, member):
    meeting = plan(secretary)
    services.close_meeting(secretary, meeting.id)
    result, _tally = tick(secretary, meeting, member, "present", "tap-00000030")
    assert not result["ok"] and "已签发" in result["error"]
    assert hours_of(member) == 0


def test_a_future_meeting_cannot_be_closed(plan, secretary):
    meeting = plan(secretary, start=timedelta(hours=2))
    with pytest.raises(ValidationFailed, match="还没有开始"):
        services.close_meeting(secretary, meeting.id)
    db.session.refresh(meeting)
    assert meeting.state == "planned"


@pytest.mark.parametrize("hours", [-1, 8.5, 1.25, "abc", float("nan")])
def test_hours_outside_0_to_8_or_not_in_half_steps(plan, secretary, hours):
    with pytest.raises(ValidationFailed, match="0.5"):
        plan(secretary, hours=hours)


def test_correction_after_closing_reverses_in_the_ledger(plan, secretary, member):
    meeting = plan(secretary, hours=1.5)
    tick(secretary, meeting, member, "present", "tap-00000040")
    services.close_meeting(secretary, meeting.id)
    assert hours_of(member) == 1.5
    with pytest.raises(ValidationFailed):
        services.correct(secretary, meeting.id, member.id, "absent", "")
    services.correct(secretary, meeting.id, member.id, "absent", "他那天在县城，记错了")
    assert hours_of(member) == 0
    lines = db.session.scalars(select(StudyHours).where(StudyHours.user_id == member.id)
                               .order_by(StudyHours.id)).all()
    assert [float(x.hours) for x in lines] == [1.5, -1.5] and "记错了" in lines[1].reason
    services.correct(secretary, meeting.id, member.id, "present", "核对签到表，确实到了")
    assert hours_of(member) == 1.5
    db.session.refresh(meeting)
    assert meeting.present_count == 1
    assert db.session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action == "meeting.correct")) == 2


def test_correction_needs_a_closed_meeting(plan, secretary, member):
    meeting = plan(secretary)
    tick(secretary, meeting, member, "present", "tap-00000050")
    with pytest.raises(Conflict):
        services.correct(secretary, meeting.id, member.id, "absent", "改一下")


def test_checkin_after_closing_credits_once(plan, secretary, member):
    meeting = plan(secretary)
    services.close_meeting(secretary, meeting.id)
    assert hours_of(member) == 0
    services.check_in(member, meeting.id)
    services.check_in(member, meeting.id)
    assert hours_of(member) == 2


def test_guests_only_when_allowed_and_named_with_their_branch(plan, secretary, member_b, tree):
    closed_door = plan(secretary)
    with pytest.raises(NotAllowed):
        services.check_in(member_b, closed_door.id)
    open_door = plan(secretary, allow_guests=True, title="主题党日")
    row = services.check_in(member_b, open_door.id)
    assert row.guest and row.guest_org_name == "乙村党支部" and row.method == "qr"
    tally = services.counts(services.roster(open_door, tree["a"]))
    assert tally.guests == 1 and tally.present == 0


def test_home_visit_credits_once(secretary, make_user, tree):
    elder = make_user("林老根", org=tree["a"], is_exempt=True, exempt_reason="年老体弱")
    visit = services.record_home_visit(secretary, elder, visited_on=years.today(),
                                       topic="读《党章》第一章", hours=1)
    entry = db.session.scalar(select(StudyHours).where(StudyHours.user_id == elder.id))
    assert (entry.source, entry.source_id, float(entry.hours)) == ("home_visit", visit.id, 1)
    with pytest.raises(ValidationFailed):
        services.record_home_visit(secretary, elder, visited_on=years.today(), topic="读",
                                   hours=1)
    with pytest.raises(ValidationFailed):
        services.record_home_visit(secretary, elder, visited_on=years.today(),
                                   topic="读《党章》", hours=9)


def test_home_visit_outside_scope(secretary_b, make_user, tree):
    elder = make_user("林老根", org=tree["a"])
    with pytest.raises(NotAllowed):
        services.record_home_visit(secretary_b, elder, visited_on=years.today(),
                                   topic="读《党章》", hours=1)


def test_committee_meeting_roster_is_the_committee(plan, secretary, member, make_user, tree):
    organizer = make_user("组织委员", org=tree["a"], roles=[("organizer", tree["a"])])
    meeting = plan(secretary, kind="committee", title="支委会")
    names = {line.name for line in services.roster(meeting, tree["a"])}
    assert names == {"王书记", organizer.name}
    result, _tally = tick(secretary, meeting, member, "present", "tap-00000060")
    assert not result["ok"]


def test_frequencies_are_configured_in_one_place(app_factory):
    from lms.meetings import oversight

    app = app_factory(MEETING_FREQUENCY={"lecture": "month", "theme_day": "none"})
    with app.app_context():
        assert oversight.frequency() == {"lecture": "month"}
