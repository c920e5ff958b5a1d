"""Role × route matrix (issue 14): every route of ``app.url_map`` against a table of outcomes.

Each role signs in on its own client, against one world: county → town → branch A (with a 党小组)
and branch B; a published course owned by one trainer (lesson, check, final quiz, an image); an
attempt of the member of A; a meeting of A. Every GET is sent by every role. POSTs are sent by
the roles that must be turned away from A's and the owner's objects (anonymous, the member of
B, the trainer who does not own the course, B's secretary), each on a fresh sign-in, so a POST
that gets through cannot hide behind another; what allowed roles may POST is each domain's own
tests' business.

Adding a route? Run ``FIELDSIDE_MATRIX_PRINT=1 pytest -s tests/test_route_matrix.py``, check
the new line says what the route should do for each role, and add it to :data:`EXPECTED`.

Outcomes, one letter per role in :data:`ROLES`: ``L`` sent to sign in (or 401), ``D`` denied
(403/404), ``O`` served (2xx/3xx; for a POST also a 400/409 from the view's own checks), ``B``
a GET refused as malformed (400), ``.`` not sent. A 5xx is always a failure. A route without a table entry fails the test: add one,
deliberately, with the route.

``FIELDSIDE_MATRIX_PRINT=1`` prints the observed table (to review, never to paste unread).
"""
from __future__ import annotations

import os
import re

import pytest

from lms.extensions import db
from tests.helpers import sign_in as login

ROLES = ("anon", "member", "member_b", "owner", "trainer", "sec_a", "sec_b", "town", "county",
         "admin")
#: roles whose POSTs are sent
POSTERS = ("anon", "member_b", "trainer", "sec_b")
MISSING = 999_999  # an id no object has


@pytest.fixture
def world(app, make_user, tree):
    from lms.audit.models import AuditLog
    from lms.authoring import bank, services, uploads
    from lms.courses import links
    from lms.meetings import services as meetings
    from lms.orgs.models import Membership
    from lms.quizzes import services as quizzes
    from tests.helpers import png, sample_questions

    users = {
        "member": make_user("甲村党员", org=tree["a1"]),
        "member_b": make_user("乙村党员", org=tree["b"]),
        "owner": make_user("县讲师", org=tree["county"], roles=[("trainer", tree["county"])]),
        "trainer": make_user("镇讲师", org=tree["town"], roles=[("trainer", tree["town"])]),
        "sec_a": make_user("甲村书记", org=tree["a"], roles=[("secretary", tree["a"])]),
        "sec_b": make_user("乙村书记", org=tree["b"], roles=[("secretary", tree["b"])]),
        "town": make_user("镇书记", org=tree["town"], roles=[("secretary", tree["town"])]),
        "county": make_user("县组织委员", org=tree["county"],
                            roles=[("organizer", tree["county"])]),
        "admin": make_user("管理员", status=None, is_admin=True),
    }
    owner = users["owner"]
    course = services.create_course(owner, title="矩阵课程", summary="简介", category="理论",
                                    required=True, credit_hours=1, audience=tree["county"],
                                    slug="matrix")
    lesson = services.add_lesson(owner, course, title="第一课", minutes=30)
    services.update_lesson(owner, lesson, title="第一课", minutes=30, body="正文。", audio=None)
    check = bank.ensure_check(owner, lesson)
    for q in sample_questions("c")[:2]:
        bank.save_question(owner, check, None, q)
    final = bank.ensure_final_quiz(owner, course)
    for q in sample_questions("f"):
        bank.save_question(owner, final, None, q)
    question = bank.live_questions(final)[0]
    image = uploads.upload_media(owner, course, "photo.png", png())
    services.publish_course(owner, course)
    attempt = quizzes.start_attempt(users["member"], check.id).attempt
    from datetime import timedelta

    from lms.core.clock import utcnow as now
    begins = now().replace(microsecond=0) - timedelta(minutes=10)
    meeting = meetings.save_meeting(users["sec_a"], tree["a"], meetings.MeetingData(
        kind="lecture", title="三月党课", starts_at=begins, ends_at=begins + timedelta(hours=1),
        hours=1, place="村部"))
    membership = db.session.scalar(db.select(Membership).where(
        Membership.user_id == users["sec_a"].id))
    values = {
        "course_id": course.id, "lesson_id": lesson.id, "quiz_id": final.id,
        "question_id": question.id, "attempt_id": attempt.id,
        "org_id": tree["a"].id, "user_id": users["member"].id, "meeting_id": meeting.id,
        "membership_id": membership.id, "slug": course.slug, "key": lesson.key,
        "sha": image.sha256, "ext": "png", "fmt": "xlsx", "code": links.short_code(
            "c", course.id), "filename": "css/app.css", "entry_id": MISSING,
        "certificate_id": MISSING, "assignment_id": MISSING,
        "audit_id": db.session.scalar(db.select(db.func.min(AuditLog.id))),
    }
    return users, values


#: the value of an argument on one endpoint where the general one does not fit
OVERRIDES = {
    "core.set_language": {"code": "en"},
    "authoring.remove_author": {"user_id": "trainer"},
    "authoring.export_quiz": {"fmt": "gift"},
    "audit.entry": {"entry_id": "audit_id"},
}


#: what a POST carries where an empty form would stop at the view's own input check before the
#: question of who may do it is asked
POST_DATA = {
    "quizzes.save_answer": {"shown": "k", "q-k": "1"},
    "quizzes.grant": {"extra": "1", "reason": "补考申请"},
}


def path_for(rule, values: dict, users: dict) -> str:
    path = rule.rule
    special = OVERRIDES.get(rule.endpoint, {})
    for name in rule.arguments:
        value = special.get(name, values[name])
        if value in users:
            value = users[value].id
        elif isinstance(value, str) and value in values:
            value = values[value]
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(value), path)
    return path


def outcome(response, method: str) -> str:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status == 401 or (status in (301, 302, 303) and "/login" in location):
        return "L"
    if status in (403, 404):
        return "D"
    if status >= 500:
        return "X"
    if method == "POST" and status in (400, 409):
        return "O"
    if status == 400:
        return "B"  # a GET the view refuses as malformed (a QR token missing, say)
    return "O" if status < 400 else "?"


def sign_in(app, user):
    client = app.test_client()
    if user is not None:
        login(client, user)
    return client


def observe(app, users, values) -> dict[str, str]:
    """Every GET first (one signed-in client per role), then the POSTs (a fresh sign-in each:
    a POST that signs out, or changes what a role may see, touches no other request)."""
    seen: dict[str, str] = {}
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint, r.rule))
    clients = {role: sign_in(app, users.get(role)) for role in ROLES}
    for method in ("GET", "POST"):
        for rule in rules:
            if method not in rule.methods:
                continue
            path = path_for(rule, values, users)
            letters = []
            for role in ROLES:
                if method == "GET":
                    response = clients[role].get(path)
                elif role in POSTERS:
                    response = sign_in(app, users.get(role)).post(
                        path, data=POST_DATA.get(rule.endpoint, {}))
                else:
                    letters.append(".")
                    continue
                letters.append(outcome(response, method))
                response.close()
            seen[f"{rule.endpoint} {method} {rule.rule}"] = "".join(letters)
    return dict(sorted(seen.items()))


EXPECTED: dict[str, str] = {
    # endpoint METHOD rule: one letter per role, in the order of ROLES:
    # anon, member, member_b, owner, trainer, sec_a, sec_b, town, county, admin
    'audit.entry GET /audit/<int:entry_id>':
        'LDDDDDDDDO',
    'audit.index GET /audit/':
        'LDDDDDDDDO',
    'auth.account GET /account':
        'LOOOOOOOOO',
    'auth.change_password GET /account/password':
        'LOOOOOOOOO',
    'auth.change_password POST /account/password':
        'L.O.O.O...',
    'auth.font_size POST /account/font-size':
        'L.O.O.O...',
    'auth.login GET /login':
        'OOOOOOOOOO',
    'auth.login POST /login':
        'O.O.O.O...',
    'auth.logout POST /logout':
        'L.L.L.L...',
    'authoring.add_author POST /authoring/courses/<int:course_id>/authors':
        'L.D.D.D...',
    'authoring.add_lesson POST /authoring/courses/<int:course_id>/lessons':
        'L.D.D.D...',
    'authoring.archive_lesson POST /authoring/courses/<int:course_id>/lessons/<int:lesson_id>/archive':
        'L.D.D.D...',
    'authoring.changes GET /authoring/courses/<int:course_id>/changes':
        'LDDODDDDDO',
    'authoring.course GET /authoring/courses/<int:course_id>':
        'LDDODDDDDO',
    'authoring.course POST /authoring/courses/<int:course_id>':
        'L.D.D.D...',
    'authoring.create_check POST /authoring/courses/<int:course_id>/lessons/<int:lesson_id>/check':
        'L.D.D.D...',
    'authoring.create_final POST /authoring/courses/<int:course_id>/final':
        'L.D.D.D...',
    'authoring.discard_changes POST /authoring/courses/<int:course_id>/changes/discard':
        'L.D.D.D...',
    'authoring.export_pack GET /authoring/courses/<int:course_id>/pack.zip':
        'LDDODDDDDO',
    'authoring.export_quiz GET /authoring/courses/<int:course_id>/quizzes/<int:quiz_id>/export.<fmt>':
        'LDDODDDDDO',
    'authoring.guide GET /authoring/guide':
        'LDDOODDDDO',
    'authoring.import_bank GET /authoring/courses/<int:course_id>/import':
        'LDDODDDDDO',
    'authoring.import_bank POST /authoring/courses/<int:course_id>/import':
        'L.D.D.D...',
    'authoring.import_confirm POST /authoring/courses/<int:course_id>/import/confirm':
        'L.D.D.D...',
    'authoring.index GET /authoring/':
        'LDDOODDDDO',
    'authoring.lesson GET /authoring/courses/<int:course_id>/lessons/<int:lesson_id>':
        'LDDODDDDDO',
    'authoring.lesson POST /authoring/courses/<int:course_id>/lessons/<int:lesson_id>':
        'L.D.D.D...',
    'authoring.lesson_as_member GET /authoring/courses/<int:course_id>/lessons/<int:lesson_id>/as-member':
        'LDDODDDDDO',
    'authoring.move_lesson POST /authoring/courses/<int:course_id>/lessons/<int:lesson_id>/move':
        'L.D.D.D...',
    'authoring.new_course GET /authoring/courses/new':
        'LDDOODDDDO',
    'authoring.new_course POST /authoring/courses/new':
        'L.D.O.D...',
    'authoring.new_question GET /authoring/courses/<int:course_id>/quizzes/<int:quiz_id>/questions/new':
        'LDDODDDDDO',
    'authoring.new_question POST /authoring/courses/<int:course_id>/quizzes/<int:quiz_id>/questions/new':
        'L.D.D.D...',
    'authoring.preview POST /authoring/courses/<int:course_id>/lessons/<int:lesson_id>/preview':
        'L.D.D.D...',
    'authoring.publish POST /authoring/courses/<int:course_id>/publish':
        'L.D.D.D...',
    'authoring.publish_changes POST /authoring/courses/<int:course_id>/changes/publish':
        'L.D.D.D...',
    'authoring.question GET /authoring/courses/<int:course_id>/quizzes/<int:quiz_id>/questions/<int:question_id>':
        'LDDODDDDDO',
    'authoring.question POST /authoring/courses/<int:course_id>/quizzes/<int:quiz_id>/questions/<int:question_id>':
        'L.D.D.D...',
    'authoring.quiz GET /authoring/courses/<int:course_id>/quizzes/<int:quiz_id>':
        'LDDODDDDDO',
    'authoring.quiz POST /authoring/courses/<int:course_id>/quizzes/<int:quiz_id>':
        'L.D.D.D...',
    'authoring.quiz_as_member GET /authoring/courses/<int:course_id>/quizzes/<int:quiz_id>/as-member':
        'LDDODDDDDO',
    'authoring.remove_author POST /authoring/courses/<int:course_id>/authors/<int:user_id>/remove':
        'L.D.D.D...',
    'authoring.record_audio POST /authoring/courses/<int:course_id>/lessons/<int:lesson_id>/audio':
        'L.D.D.D...',
    'authoring.remove_question POST /authoring/courses/<int:course_id>/quizzes/<int:quiz_id>/questions/<int:question_id>/remove':
        'L.D.D.D...',
    'authoring.restore_lesson POST /authoring/courses/<int:course_id>/lessons/<int:lesson_id>/restore':
        'L.D.D.D...',
    'authoring.restore_question POST /authoring/courses/<int:course_id>/quizzes/<int:quiz_id>/questions/<int:question_id>/restore':
        'L.D.D.D...',
    'authoring.template GET /authoring/template.xlsx':
        'LDDOODDDDO',
    'authoring.unpublish POST /authoring/courses/<int:course_id>/unpublish':
        'L.D.D.D...',
    'authoring.upload POST /authoring/courses/<int:course_id>/media':
        'L.D.D.D...',
    'core.healthz GET /healthz':
        'OOOOOOOOOO',
    'core.home GET /':
        'LOOOOOOOOO',
    'core.set_language GET /lang/<code>':
        'OOOOOOOOOO',
    'core.sync_whoami GET /sync/whoami':
        'LOOOOOOOOO',
    'courses.catalogue GET /courses/':
        'LOOOOOOOOO',
    'courses.course GET /courses/<slug>/':
        'LOOOOOOOOO',
    'courses.course_qr GET /courses/<slug>/qr.svg':
        'LOOOOOOOOO',
    'courses.lesson GET /courses/<slug>/lessons/<key>':
        'LOOOOOOOOO',
    'courses.lesson_qr GET /courses/<slug>/lessons/<key>/qr.svg':
        'LOOOOOOOOO',
    'courses.media_file GET /media/<sha>.<ext>':
        'LOOOOOOOOO',
    'courses.short_link GET /s/<code>':
        'OOOOOOOOOO',
    'meetings.book GET /meetings/org/<int:org_id>/book':
        'LDDDDODOOO',
    'meetings.checkin GET /m/<int:meeting_id>/in':
        'LBBBBBBBBB',
    'meetings.checkin POST /m/<int:meeting_id>/in':
        'L.O.O.O...',
    'meetings.close POST /meetings/<int:meeting_id>/close':
        'L.D.D.D...',
    'meetings.correct POST /meetings/<int:meeting_id>/correct':
        'L.D.D.D...',
    'meetings.edit GET /meetings/<int:meeting_id>/edit':
        'LDDDDODOOO',
    'meetings.edit POST /meetings/<int:meeting_id>/edit':
        'L.D.D.D...',
    'meetings.home_visit GET /meetings/home-visits/new':
        'LDDOOOOOOO',
    'meetings.home_visit POST /meetings/home-visits/new':
        'L.D.O.O...',
    'meetings.index GET /meetings/':
        'LDDDDOOOOO',
    'meetings.marks GET /meetings/<int:meeting_id>/marks':
        'LDDDDODOOO',
    'meetings.minutes GET /meetings/<int:meeting_id>/minutes':
        'LDDDDODOOO',
    'meetings.new GET /meetings/new':
        'LDDDDOOOOO',
    'meetings.new POST /meetings/new':
        'L.D.D.O...',
    'meetings.qr GET /meetings/<int:meeting_id>/qr':
        'LDDDDODOOO',
    'meetings.qr_svg GET /meetings/<int:meeting_id>/qr.svg':
        'LDDDDODOOO',
    'meetings.roll GET /meetings/<int:meeting_id>/roll':
        'LDDDDODOOO',
    'meetings.scan GET /m/<int:meeting_id>':
        'BBBBBBBBBB',
    'meetings.sheet GET /meetings/<int:meeting_id>/sheet':
        'LDDDDODOOO',
    'meetings.show GET /meetings/<int:meeting_id>':
        'LDDDDODOOO',
    'meetings.ticks POST /meetings/<int:meeting_id>/ticks':
        'L.D.D.D...',
    'offline.manifest GET /manifest.webmanifest':
        'OOOOOOOOOO',
    'offline.not_saved GET /offline/':
        'OOOOOOOOOO',
    'offline.save_course POST /offline/courses/<slug>/save':
        'L.O.O.O...',
    'offline.service_worker GET /sw.js':
        'OOOOOOOOOO',
    'offline.sync_items POST /offline/sync':
        'L.O.O.O...',
    'orgs.add_member POST /orgs/<int:org_id>/members':
        'L.D.D.D...',
    'orgs.create_child POST /orgs/<int:org_id>/children':
        'L.D.D.D...',
    'orgs.detail GET /orgs/<int:org_id>':
        'LDDDDODOOO',
    'orgs.grant_role POST /orgs/members/<int:user_id>/roles':
        'L.D.D.D...',
    'orgs.index GET /orgs/':
        'LDDDDOOOOO',
    'orgs.member GET /orgs/members/<int:user_id>':
        'LDDDDODOOO',
    'orgs.member POST /orgs/members/<int:user_id>':
        'L.D.D.D...',
    'orgs.move POST /orgs/<int:org_id>/move':
        'L.D.D.D...',
    'orgs.rename POST /orgs/<int:org_id>/rename':
        'L.D.D.D...',
    'orgs.reset_password POST /orgs/members/<int:user_id>/reset-password':
        'L.D.D.D...',
    'orgs.unlock POST /orgs/members/<int:user_id>/unlock':
        'L.D.D.D...',
    'orgs.revoke_role POST /orgs/roles/<int:membership_id>/revoke':
        'L.D.D.D...',
    'orgs.roster_export GET /orgs/<int:org_id>/roster.xlsx':
        'LDDDDODOOO',
    'orgs.roster_import GET /orgs/roster/import':
        'LDDDDOOOOO',
    'orgs.roster_import POST /orgs/roster/import':
        'L.D.D.O...',
    'orgs.roster_template GET /orgs/roster/template.xlsx':
        'LDDDDOOOOO',
    'progress.assign GET /branch/<int:org_id>/assign':
        'LDDDDODOOO',
    'progress.assign POST /branch/<int:org_id>/assign':
        'L.D.D.D...',
    'progress.done POST /study/lessons/<int:lesson_id>/done':
        'L.O.O.O...',
    'progress.enrol POST /study/courses/<slug>/enrol':
        'L.O.O.O...',
    'progress.manual_hours POST /branch/members/<int:user_id>/hours':
        'L.D.D.D...',
    'progress.member_record GET /branch/members/<int:user_id>':
        'LDDDDODOOO',
    'progress.my_study GET /study/':
        'LOOOOOOOOO',
    'progress.record_page GET /study/record':
        'LOOOOOOOOO',
    'progress.seen POST /study/lessons/<int:lesson_id>/seen':
        'L.O.O.O...',
    'progress.withdraw POST /branch/assignments/<int:assignment_id>/withdraw':
        'L.D.D.D...',
    'quizzes.grant POST /quizzes/<int:quiz_id>/members/<int:user_id>/grant':
        'L.D.D.D...',
    'quizzes.practise POST /wrong-answers/<int:entry_id>/check':
        'L.D.D.D...',
    'quizzes.quiz_page GET /quizzes/<int:quiz_id>':
        'LOOOOOOOOO',
    'quizzes.review GET /quizzes/attempts/<int:attempt_id>/review':
        'LDDDDDDDDD',
    'quizzes.save_answer POST /quizzes/attempts/<int:attempt_id>/answer':
        'L.D.D.D...',
    'quizzes.start POST /quizzes/<int:quiz_id>/start':
        'L.O.O.O...',
    'quizzes.stats GET /quizzes/stats/<int:course_id>':
        'LDDODDDDDO',
    'quizzes.stats_index GET /quizzes/stats/':
        'LDDOODDDDO',
    'quizzes.submit POST /quizzes/attempts/<int:attempt_id>/submit':
        'L.D.D.D...',
    'quizzes.take GET /quizzes/attempts/<int:attempt_id>':
        'LODDDDDDDD',
    'quizzes.wrong_answers GET /wrong-answers/':
        'LOOOOOOOOO',
    'reports.branch GET /branch/<int:org_id>':
        'LDDDDODOOO',
    'reports.branch_archive GET /branch/<int:org_id>/archive.<fmt>':
        'LDDDDODOOO',
    'reports.branch_export GET /branch/<int:org_id>/export.<fmt>':
        'LDDDDODOOO',
    'reports.branch_index GET /branch/':
        'LDDDDOOOOO',
    'reports.certificate_pdf GET /certificates/<int:certificate_id>.pdf':
        'LDDDDDDDDD',
    'reports.member_record_pdf GET /branch/members/<int:user_id>/record.pdf':
        'LDDDDODOOO',
    'reports.own_record_pdf GET /study/record.pdf':
        'LOOOOOOOOO',
    'reports.revoke POST /branch/certificates/<int:certificate_id>/revoke':
        'L.D.D.D...',
    'reports.verify GET /verify/':
        'OOOOOOOOOO',
    'reports.verify GET /verify/<path:code>':
        'DDDDDDDDDD',
    'static GET /static/<path:filename>':
        'OOOOOOOOOO',
    'offline.course_sheet GET /courses/<slug>/sheet':
        'LOOOOOOOOO',
    'offline.lesson_sheet GET /courses/<slug>/lessons/<key>/sheet':
        'LOOOOOOOOO',
    'offline.poster GET /courses/<slug>/poster':
        'LOOOOOOOOO',
}


def test_every_route_answers_every_role_as_the_table_says(app, world):
    users, values = world
    seen = observe(app, users, values)
    if os.environ.get("FIELDSIDE_MATRIX_PRINT"):
        width = max(map(len, seen))
        print("\n# " + " ".join(ROLES))
        for key, letters in seen.items():
            print(f"    {key!r}:{' ' * (width - len(key))} {letters!r},")
    assert not [k for k, v in seen.items() if "X" in v], "5xx answers"
    assert sorted(set(seen) - set(EXPECTED)) == [], "routes without a table entry"
    assert sorted(set(EXPECTED) - set(seen)) == [], "table entries without a route"
    wrong = {k: (EXPECTED[k], v) for k, v in seen.items() if EXPECTED[k] != v}
    assert wrong == {}
