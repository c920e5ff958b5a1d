"""Hours exactly once against a running server (threads and http.client), on SQLite and on
PostgreSQL (TEST_DATABASE_URL): closing requests race with roster ticks and QR check-ins, and
afterwards everyone marked present holds exactly one meeting entry and nobody else holds one."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from lms.core.clock import utcnow
from lms.extensions import db
from lms.meetings import services
from lms.meetings.models import Attendance, Meeting
from lms.progress.models import StudyHours
from tests.helpers import Browser, run_all


def test_closing_races_ticks_and_check_ins_hours_once(app, live_server, secretary, make_user,
                                                      tree):
    members = [make_user(f"党员{i}", org=tree["a"] if i % 2 else tree["a1"]) for i in range(24)]
    begins = utcnow() - timedelta(minutes=20)
    meeting = services.save_meeting(secretary, tree["a"], services.MeetingData(
        kind="theme_day", title="主题党日", starts_at=begins, ends_at=begins + timedelta(hours=1),
        hours=1.5))
    meeting_id = meeting.id
    ticked, scanning = members[:12], members[12:]
    tick_ids = [m.id for m in ticked]
    phones_of = [(m.phone, m.id) for m in scanning]
    db.session.commit()

    recorder = Browser(live_server)
    recorder.login(secretary.phone)
    # every member scans first (their ticket survives a slow sign-in), then taps at once
    tickets = []
    for phone_number, _user_id in phones_of:
        phone = Browser(live_server)
        phone.login(phone_number)
        status, _data = phone.request(
            "GET", f"/m/{meeting_id}?t={services.qr_token(meeting_id)}")
        assert status == 302
        tickets.append((phone, phone.location.split("ticket=", 1)[1]))

    def tick(user_id, n):
        return recorder.request("POST", f"/meetings/{meeting_id}/ticks", json={"items": [
            {"id": f"race-tick-{n:04d}", "user": user_id, "status": "present"}]})[0]

    def check_in(phone, ticket):
        return phone.request("POST", f"/m/{meeting_id}/in", {"ticket": ticket})[0]

    def close():
        return recorder.request("POST", f"/meetings/{meeting_id}/close", {})[0]

    jobs = [lambda u=u, n=n: tick(u, n) for n, u in enumerate(tick_ids)]
    jobs += [lambda p=p, t=t: check_in(p, t) for p, t in tickets]
    jobs += [close for _ in range(3)]
    results = run_all(jobs)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert all(status == 200 for status in results[:len(jobs) - 3]), results
    assert results[-3:] == [302, 302, 302]

    db.session.commit()
    assert db.session.get(Meeting, meeting_id).state == "closed"
    present = set(db.session.scalars(select(Attendance.user_id).where(
        Attendance.meeting_id == meeting_id, Attendance.status == "present")))
    credited = Counter(db.session.scalars(select(StudyHours.user_id).where(
        StudyHours.source == "meeting", StudyHours.source_id == meeting_id)))
    assert set(credited) == present
    assert set(credited.values()) == {1}
    # every QR check-in counts, whether it came before or after the closing
    assert {user_id for _phone, user_id in phones_of} <= present
    # a tick that lost the race to the closing was refused, and its member stands absent
    marked = dict(db.session.execute(select(Attendance.user_id, Attendance.status).where(
        Attendance.meeting_id == meeting_id)).all())
    assert all(marked[u] in ("present", "absent") for u in tick_ids)
    assert len(marked) == 25  # 24 members and the secretary, each once
