"""Every learning event gives its xAPI statement, through the real services: a final quiz
failed or passed, lessons and checks studied offline as online, a meeting attended (guests,
late check-ins and corrections too). Each statement valid as ralph reads xAPI 1.0.3, the actor
an opaque account."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.reports.models import XapiStatement
from tests.helpers import answers_for


@pytest.fixture(autouse=True)
def lrs_configured(app):
    app.config.update(XAPI_ENDPOINT="http://127.0.0.1:9/xAPI")


def said(user=None) -> list[dict]:
    """The statements queued (for ``user``), each checked as the LRS would check it."""
    from ralph.models.xapi.base.statements import BaseXapiStatement

    rows = db.session.scalars(select(XapiStatement).where(
        *([XapiStatement.user_id == user.id] if user else [])).order_by(XapiStatement.id))
    bodies = []
    for row in rows:
        body = json.loads(row.body)
        BaseXapiStatement.model_validate(body)
        assert body["id"] == row.statement_id and body["verb"]["id"].endswith("/" + row.verb)
        assert set(body["actor"]) == {"objectType", "account"}
        assert len(body["actor"]["account"]["name"]) == 32
        if user is not None:
            assert user.phone not in row.body and user.name not in row.body
        bodies.append(body)
    return bodies


def verbs(bodies) -> list[tuple[str, str]]:
    """(verb, the object's path after the home page) of each statement."""
    return [(b["verb"]["id"].rsplit("/", 1)[1],
             b["object"]["id"].split("/", 3)[3] if b["object"]["objectType"] == "Activity"
             else b["object"]["id"]) for b in bodies]


def test_a_failed_final_quiz_is_a_failed_statement_and_a_passed_one_completes(
        member, make_course, finish_lessons):
    from lms.quizzes import services

    made = make_course(lessons=1, final=2, title="党章学习")
    finish_lessons(member, made)
    db.session.execute(XapiStatement.__table__.delete())
    db.session.commit()
    failed = services.start_attempt(member, made.final.id).attempt
    services.submit_attempt(member, failed.id, answers_for(failed, right=0))
    bodies = said(member)
    final = f"courses/{made.course.slug}/final"
    assert verbs(bodies) == [("failed", final)]
    assert bodies[0]["result"]["success"] is False
    assert bodies[0]["result"]["score"] == {"raw": 0.0, "min": 0, "max": 2.0, "scaled": 0.0}
    assert bodies[0]["object"]["definition"]["name"] == {"zh-CN": "党章学习 · 结业测验"}
    passed = services.start_attempt(member, made.final.id).attempt
    services.submit_attempt(member, passed.id, answers_for(passed, right=2))
    assert verbs(said(member))[1:] == [("passed", final),
                                       ("completed", f"courses/{made.course.slug}")]


def test_studying_offline_gives_the_statements_studying_online_gives(
        app, member, member_b, make_course):
    from lms.offline import sync
    from lms.progress import services as progress
    from lms.quizzes import services as quizzes
    from tests.offline.test_sync import answer_items, read_item, saved

    made = make_course(lessons=3, check=2, mastery=1, check_on=(0, 1), media=True)
    online = saved(app, member, made)
    failed = online[made.checks[0].id]  # the first check failed once, then passed
    quizzes.submit_attempt(member, failed.id, answers_for(failed, right=0))
    for item in answer_items(member, saved(app, member, made).values()):
        quizzes.submit_attempt(member, item["attempt"], item["answers"])
    progress.mark_read(member, made.lessons[2])
    offline = saved(app, member_b, made)
    wrong = answer_items(member_b, [offline[made.checks[0].id]], right=False)
    sync.sync(member_b, {"items": wrong})
    offline = saved(app, member_b, made)
    sync.sync(member_b, {"items": answer_items(member_b, offline.values())
                         + [read_item(member_b, made.lessons[2])]})
    on, off = verbs(said(member)), verbs(said(member_b))
    assert sorted(on) == sorted(off)
    lessons = [f"courses/{made.course.slug}/lessons/{lesson.key}" for lesson in made.lessons]
    assert sorted(on) == sorted(
        [("experienced", path) for path in lessons] + [("completed", path) for path in lessons]
        + [("failed", lessons[0] + "/check")]
        + [("passed", path + "/check") for path in lessons[:2]]
        + [("completed", f"courses/{made.course.slug}")])


def test_a_meeting_is_attended_by_everyone_present_and_corrections_follow(
        plan, secretary, member, member_b, make_user, tree):
    from lms.meetings import services
    from tests.meetings.test_services import tick

    late = make_user("迟到的", org=tree["a"])
    away = make_user("没来的", org=tree["a1"])
    meeting = plan(secretary, allow_guests=True, title="主题党日")
    tick(secretary, meeting, member, "present", "tap-00000101")
    services.check_in(member_b, meeting.id)  # a guest from branch B
    services.close_meeting(secretary, meeting.id)
    path = f"meetings/{meeting.id}"
    attended = {s["actor"]["account"]["name"] for s in said() if s["verb"]["id"].endswith(
        "attended")}
    assert len(attended) == 2 and verbs(said(member)) == [("attended", path)]
    assert verbs(said(member_b)) == [("attended", path)]
    assert said(away) == [] and said(late) == []
    services.check_in(late, meeting.id)  # after closing: credited, and said
    services.correct(secretary, meeting.id, away.id, "present", "名单漏登")
    assert verbs(said(late)) == verbs(said(away)) == [("attended", path)]
    first = said(member)[0]["id"]
    services.correct(secretary, meeting.id, member.id, "absent", "误点为到会")
    services.correct(secretary, meeting.id, member.id, "absent", "再次核对")  # no change
    assert verbs(said(member)) == [("attended", path), ("voided", first)]
    services.correct(secretary, meeting.id, member.id, "present", "核实到会")
    services.correct(secretary, meeting.id, member.id, "leave", "其实请假")
    statements = said(member)
    assert verbs(statements)[2:] == [("attended", path), ("voided", statements[2]["id"])]
