"""At 360 px in Chromium: the recorder ticks the roster (one tap a member, the counts follow),
a tap made with the network off is kept on the phone and sent once when it returns; a member
checks in from a second browser with the QR code's link and the recorder's counts follow; the
recorder closes the meeting, the member's 我的学习 shows the hours, and the minute page prints."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.core.clock import utcnow
from lms.core.receipts import SyncReceipt
from lms.extensions import db
from lms.meetings import services
from lms.meetings.models import Attendance
from tests.helpers import PASSWORD, browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.csrf]


def mark_of(user):
    db.session.commit()
    return db.session.scalar(select(Attendance.status).where(Attendance.user_id == user.id))


def settled(page, user_id):
    page.wait_for_function(
        f"() => (document.querySelector('li[data-user=\"{user_id}\"]')"
        ".getAttribute('data-pending') || '0') === '0'", timeout=20000)


def test_roster_offline_tap_qr_check_in_close_and_print(
        browser, phone_page, live_server, secretary, member, make_user, tree, outside_hosts):
    sailor = make_user("出海的", org=tree["a"], is_mobile=True, mobile_where="舟山渔场")
    probationary = make_user("预备的", org=tree["a1"], status="probationary")
    data = services.MeetingData(kind="lecture", title="渔船上的党课",
                                starts_at=utcnow() - timedelta(minutes=5),
                                ends_at=utcnow() + timedelta(hours=1), hours=2, place="3 号船")
    meeting = services.save_meeting(secretary, tree["a"], data)
    page = phone_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    browser_sign_in(page, secretary)
    page.goto(f"{page.base}/meetings/{meeting.id}/roll")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.inner_text("[data-count=expected]") == "4"
    roll = page.inner_text("#roll")
    assert "预备" in roll and "流动" in roll

    # one tap: 到, saved at once, counted at once
    page.click(f"li[data-user='{probationary.id}'] button[data-set=present]")
    assert page.inner_text("[data-count=present]") == "1"
    settled(page, probationary.id)
    assert mark_of(probationary) == "present"

    # the signal drops: the tap is kept on the phone, counted, and sent once it returns
    page.context.set_offline(True)
    page.click(f"li[data-user='{sailor.id}'] button[data-set=leave]")
    page.fill(f"li[data-user='{sailor.id}'] input.reason", "出海捕鱼")
    page.press(f"li[data-user='{sailor.id}'] input.reason", "Tab")
    assert page.inner_text("[data-count=leave]") == "1"
    assert page.evaluate("FieldsideOutbox.pending().length") == 2
    page.wait_for_timeout(500)
    assert mark_of(sailor) is None
    page.context.set_offline(False)
    page.evaluate("FieldsideOutbox.flush()")
    settled(page, sailor.id)
    assert page.evaluate("FieldsideOutbox.pending().length") == 0
    db.session.commit()
    row = db.session.scalar(select(Attendance).where(Attendance.user_id == sailor.id))
    assert (row.status, row.reason) == ("leave", "出海捕鱼")
    assert db.session.scalar(select(func.count(SyncReceipt.id))) == 3
    db.session.commit()
    # the same items sent again (a resend after a lost answer) change nothing
    again = page.evaluate("""async ([url, user]) => {
        const who = await (await fetch('/sync/whoami')).json();
        const r = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRFToken': who.token}, body: JSON.stringify({items: [{id: 'resend-000001',
            user: user, status: 'leave', reason: '出海捕鱼'}]})});
        const r2 = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRFToken': who.token}, body: JSON.stringify({items: [{id: 'resend-000001',
            user: user, status: 'leave', reason: '出海捕鱼'}]})});
        return [(await r.json()).results[0].replayed, (await r2.json()).results[0].replayed];
    }""", [f"/meetings/{meeting.id}/ticks", sailor.id])
    assert again == [False, True]

    # the recorder shows the QR code: an image drawn by the server, renewed as it changes
    page.goto(f"{page.base}/meetings/{meeting.id}/qr")
    page.wait_for_function("() => document.getElementById('qr').naturalWidth > 0")
    first = page.get_attribute("#qr", "src")
    page.wait_for_function("() => document.getElementById('qr').src.indexOf('at=') > 0",
                           timeout=15000)
    assert page.get_attribute("#qr", "src") != first
    page.goto(f"{page.base}/meetings/{meeting.id}/roll")

    # the QR code's link opened on the member's own phone: sign in, one tap, 到
    other = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True,
                                has_touch=True, locale="zh-CN")
    try:
        phone = other.new_page()
        phone.goto(f"{live_server}/m/{meeting.id}?t={services.qr_token(meeting.id)}")
        phone.fill("input[name=phone]", member.phone)
        phone.fill("input[name=password]", PASSWORD)
        phone.click("button[type=submit]")
        phone.wait_for_load_state("load")
        phone.click("text=我到了，签到")
        assert "已签到" in phone.inner_text("#checked-in")
        assert mark_of(member) == "present"

        # the recorder's page follows within a few seconds
        page.wait_for_function(
            "() => document.querySelector('[data-count=present]').textContent === '2'",
            timeout=15000)
        assert page.get_attribute(f"li[data-user='{member.id}']", "data-mark") == "present"

        # the recorder closes; the member sees the hours
        page.goto(f"{page.base}/meetings/{meeting.id}")
        page.click("text=签发会议记录")
        assert "已签发" in page.inner_text("main")
        phone.goto(f"{live_server}/study/")
        assert "渔船上的党课" in phone.inner_text("main")
        assert "2 学时" in phone.inner_text("main")
    finally:
        other.close()

    page.goto(f"{page.base}/meetings/{meeting.id}/minutes")
    assert "出海捕鱼" in page.inner_text("main")
    assert page.pdf(format="A4")[:4] == b"%PDF"
    assert errors == []
    assert outside_hosts(page.requested) == []
