"""The QR code's token with the clock frozen: valid now and in the next window, expired after
that, forged, another meeting's, and outside the meeting's window."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from lms.core.errors import ValidationFailed
from lms.meetings import services

START = datetime(2026, 3, 5, 1, 0, 0)  # 09:00 in Beijing


@pytest.fixture
def meetings(secretary, tree):
    made = []
    for title in ("党课", "支委会"):
        data = services.MeetingData(kind="lecture", title=title, starts_at=START,
                                    ends_at=START + timedelta(hours=1), hours=1)
        made.append(services.save_meeting(secretary, tree["a"], data))
    return made


def test_token_windows(meetings):
    meeting, other = meetings
    with freeze_time(START + timedelta(minutes=10, seconds=1)) as clock:
        token = services.qr_token(meeting.id)
        services.check_token(meeting, token)  # valid now
        clock.tick(timedelta(seconds=30))
        services.check_token(meeting, token)  # the next window still takes it
        assert services.qr_token(meeting.id) != token  # but a new code is shown
        clock.tick(timedelta(seconds=30))
        with pytest.raises(ValidationFailed, match="二维码已过期，请扫描现场的新二维码"):
            services.check_token(meeting, token)
        fresh = services.qr_token(meeting.id)
        services.check_token(meeting, fresh)
        with pytest.raises(ValidationFailed, match="无效"):
            services.check_token(other, fresh)  # another meeting's code
        window = fresh.split(".")[0]
        for forged in (f"{window}.{'0' * 20}", f"{int(window) + 5}.{fresh.split('.')[1]}",
                       "nonsense", "", None):
            with pytest.raises(ValidationFailed, match="无效|过期"):
                services.check_token(meeting, forged)


@pytest.mark.parametrize("offset, ok", [
    (timedelta(minutes=-31), False), (timedelta(minutes=-29), True),
    (timedelta(minutes=89), True), (timedelta(minutes=91), False)])
def test_window_is_30_minutes_either_side(meetings, offset, ok):
    meeting = meetings[0]
    with freeze_time(START + offset):
        token = services.qr_token(meeting.id)
        if ok:
            services.check_token(meeting, token)
        else:
            with pytest.raises(ValidationFailed, match="签到时间"):
                services.check_token(meeting, token)


def test_check_in_outside_the_window_is_refused(meetings, member):
    with freeze_time(START + timedelta(hours=3)):
        with pytest.raises(ValidationFailed, match="签到时间"):
            services.check_in(member, meetings[0].id)


def test_printed_sheet_code_works_only_in_its_meetings_window(meetings):
    meeting, other = meetings
    token = services.printed_token(meeting.id)
    with freeze_time(START + timedelta(minutes=50)):
        services.check_token(meeting, token)
        with pytest.raises(ValidationFailed, match="无效"):
            services.check_token(other, token)
        with pytest.raises(ValidationFailed, match="无效"):
            services.check_token(meeting, "p." + "0" * 20)
    with freeze_time(START + timedelta(hours=2)):
        with pytest.raises(ValidationFailed, match="签到时间"):
            services.check_token(meeting, token)
