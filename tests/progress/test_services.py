"""Completion rules, exactly-once crediting, the append-only ledger, targets and years."""
from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from lms.audit.models import AuditLog
from lms.auth.models import User
from lms.core.errors import Conflict, NotAllowed, ValidationFailed
from lms.database import begin_write
from lms.extensions import db
from lms.progress import queries, services, years
from lms.progress.models import (
    CourseAssignment,
    CourseCompletion,
    Enrollment,
    LedgerIsAppendOnly,
    LessonProgress,
    StudyHours,
)
from lms.reports import tables


def _count(model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.session.scalar(stmt)


def _progress(user, lesson) -> LessonProgress | None:
    return db.session.scalar(select(LessonProgress).where(
        LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id))


def _entries(user) -> list[StudyHours]:
    return list(db.session.scalars(select(StudyHours).where(StudyHours.user_id == user.id)))


# ---- lesson completion ---------------------------------------------------------------------

def test_reading_a_lesson_without_a_check_completes_it(member, make_course):
    made = make_course(lessons=2, final=1)
    row = services.mark_read(member, made.lessons[0])
    assert row.reached_end_at is not None and row.completed_at is not None
    assert _count(Enrollment, user_id=member.id) == 1  # starting a lesson enrols
    assert _count(CourseCompletion) == 0


def test_i_have_read_it_is_refused_where_a_check_decides(member, make_course):
    made = make_course(lessons=1, check=1, final=1)
    with pytest.raises(Conflict):
        services.mark_read(member, made.lessons[0])
    assert _progress(member, made.lessons[0]) is None


def test_a_failed_check_reaches_the_end_without_completing(member, make_course, grade):
    made = make_course(lessons=1, check=1, final=1)
    grade.check(member, made.checks[0], passed=False)
    row = _progress(member, made.lessons[0])
    assert row.reached_end_at is not None and row.completed_at is None
    grade.check(member, made.checks[0], passed=True)
    db.session.refresh(row)
    assert row.completed_at is not None


def test_a_passed_check_completes_its_lesson_and_course_once(member, make_course, grade):
    made = make_course(lessons=1, check=1)
    grade.check(member, made.checks[0], passed=True)
    grade.check(member, made.checks[0], passed=True)
    assert _progress(member, made.lessons[0]).completed_at is not None
    assert _count(CourseCompletion, user_id=member.id) == 1
    assert _count(StudyHours, user_id=member.id) == 1


def test_visiting_records_first_and_last_seen_and_enrols(member, make_course):
    made = make_course(lessons=3, check=1, final=1)
    with freeze_time("2026-03-01 01:00:00"):
        services.record_visit(member, made.lessons[1])
    with freeze_time("2026-03-05 01:00:00"):
        services.record_visit(member, made.lessons[1])
    row = _progress(member, made.lessons[1])
    assert row.first_seen_at == datetime(2026, 3, 1, 1)
    assert row.last_seen_at == datetime(2026, 3, 5, 1)
    assert row.completed_at is None  # seeing earns nothing
    assert _count(Enrollment, user_id=member.id) == 1


# ---- course completion, both orders --------------------------------------------------------

def test_lessons_first_then_the_final_quiz(member, make_course, grade, finish_lessons):
    made = make_course(lessons=3, check=1, check_on=(0, 2), final=1, hours=2.5)
    finish_lessons(member, made)
    assert _count(CourseCompletion) == 0  # final quiz still to pass
    grade.final(member, made.final, passed=False)
    assert _count(CourseCompletion) == 0
    grade.final(member, made.final, passed=True)
    completion = db.session.scalar(select(CourseCompletion))
    assert completion.user_id == member.id and completion.course_version == made.course.version
    [entry] = _entries(member)
    assert (entry.hours, entry.category, entry.source, entry.source_id) == (
        2.5, "online", "course", made.course.id)
    assert entry.year == years.year_of(completion.completed_at)
    assert entry.org_path.endswith(f"/{member.org_id}/")  # where the member was, kept


def test_final_quiz_first_then_the_last_lesson(member, make_course, grade,
                                               finish_lessons):
    made = make_course(lessons=3, check=1, check_on=(1,), final=1)
    finish_lessons(member, made, only={0, 1})
    grade.final(member, made.final, passed=True)
    assert _count(CourseCompletion) == 0  # a lesson is still open
    services.mark_read(member, made.lessons[2])
    assert _count(CourseCompletion, user_id=member.id) == 1
    assert sum(e.hours for e in _entries(member)) == 2


def test_a_course_without_a_final_quiz_completes_with_its_lessons(member, make_course,
                                                                  finish_lessons):
    made = make_course(lessons=2, check=1)
    finish_lessons(member, made)
    assert _count(CourseCompletion, user_id=member.id) == 1


def test_archived_lessons_are_not_required(member, make_course, finish_lessons, grade):
    made = make_course(lessons=3, final=1)
    made.lessons[2].archived = True
    db.session.commit()
    finish_lessons(member, made, only={0, 1})
    grade.final(member, made.final)
    assert _count(CourseCompletion, user_id=member.id) == 1


def test_someone_elses_pass_does_not_count(member, member_b, make_course, grade,
                                           finish_lessons):
    made = make_course(lessons=1, final=1)
    grade.attempt(member_b, made.final, passed=True)
    db.session.commit()
    finish_lessons(member, made)
    assert _count(CourseCompletion) == 0


# ---- exactly once --------------------------------------------------------------------------

def test_completing_twice_credits_once(member, make_course, grade, finish_lessons):
    made = make_course(lessons=1, final=1)
    finish_lessons(member, made)
    grade.final(member, made.final)
    grade.final(member, made.final)  # a second passed attempt
    begin_write()
    assert services.try_complete_course(member, made.course.id) is None
    db.session.commit()
    assert _count(CourseCompletion) == 1
    assert len(_entries(member)) == 1


def test_the_database_refuses_a_second_course_credit(member, make_course):
    made = make_course(lessons=3, check=1, final=1)
    for _ in range(2):
        db.session.add(StudyHours(user_id=member.id, year=2026, category="online", hours=2,
                                  source="course", source_id=made.course.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_racing_completions_credit_once(app, member, make_course, grade, finish_lessons):
    """Eight requests finish the same course at the same moment: one completion, one entry."""
    made = make_course(lessons=2, check=1, final=1)
    finish_lessons(member, made)
    grade.attempt(member, made.final, passed=True)  # passed, but nobody told progress yet
    db.session.commit()
    assert _count(CourseCompletion) == 0
    db.session.commit()  # end this read: the workers must not wait on it (nor we on a snapshot)
    user_id, course_id = member.id, made.course.id
    barrier = threading.Barrier(8)
    errors = []

    def worker():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                begin_write()  # as the grading transaction does, before its first read
                user = db.session.get(User, user_id)
                services.try_complete_course(user, course_id)
                db.session.commit()
            except Exception as error:  # noqa: BLE001  (reported below)
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    db.session.rollback()  # a fresh snapshot
    assert _count(CourseCompletion, user_id=user_id) == 1
    assert _count(StudyHours, user_id=user_id) == 1


# ---- the ledger is append-only -------------------------------------------------------------

@pytest.fixture
def entry(member):
    row = StudyHours(user_id=member.id, year=2026, category="manual", hours=2, source="manual",
                     reason="党课")
    db.session.add(row)
    db.session.commit()
    return row


def test_a_ledger_entry_cannot_be_changed(entry):
    entry.hours = 20
    with pytest.raises(LedgerIsAppendOnly):
        db.session.commit()
    db.session.rollback()


def test_a_ledger_entry_cannot_be_deleted(entry):
    db.session.delete(entry)
    with pytest.raises(LedgerIsAppendOnly):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("statement", [
    lambda: update(StudyHours).values(hours=99),
    lambda: delete(StudyHours),
])
def test_bulk_statements_on_the_ledger_are_refused(entry, statement):
    with pytest.raises(LedgerIsAppendOnly):
        db.session.execute(statement())
    db.session.rollback()
    assert db.session.scalar(select(StudyHours.hours)) == 2


# ---- targets, years, exemption -------------------------------------------------------------

def test_targets_by_role(member, secretary, make_user, tree):
    leader = make_user("组长", org=tree["a1"], roles=[("group_leader", tree["a1"])])
    organizer = make_user("组织委员", org=tree["a"], roles=[("organizer", tree["a"])])
    year = years.this_year()
    assert queries.standing(member, year).target == 32
    assert queries.standing(leader, year).target == 32  # 党小组长 is not a 支委 role
    assert queries.standing(secretary, year).target == 56
    assert queries.standing(organizer, year).target == 56


def test_targets_are_configurable(app_factory, make_user, tree):
    other = app_factory(HOURS_TARGET_MEMBER=30, HOURS_TARGET_CADRE=50)
    with other.app_context():
        user = db.session.get(User, make_user("党员", org=tree["a"]).id)
        assert queries.standing(user, 2026).target == 30
        assert years.target_hours(True) == 50


@pytest.mark.parametrize(("utc", "year"), [
    ("2025-12-31 15:59:59", 2025),  # 23:59:59 on 31 December in Beijing
    ("2025-12-31 16:00:00", 2026),  # midnight in Beijing: already the new year
    ("2026-01-01 00:30:00", 2026),
])
def test_hours_count_for_the_local_calendar_year(member, make_course, finish_lessons,
                                                 grade, utc, year):
    made = make_course(lessons=1, final=1)
    finish_lessons(member, made)
    with freeze_time(utc):
        grade.final(member, made.final)
        assert years.this_year() == year
        assert queries.standing(member, year).hours == 2
        assert queries.standing(member, year - 1 if year == 2026 else year + 1).hours == 0
    [entry] = _entries(member)
    assert entry.year == year


@pytest.mark.parametrize(("status", "target"), [
    ("full", 32), ("probationary", 32),  # 正式 and 预备 are party members
    ("candidate", 0), ("activist", 0),   # 发展对象 and 入党积极分子 are not yet
])
def test_party_members_have_the_member_target_and_non_members_none(make_user, tree, status,
                                                                   target):
    user = make_user("甲", org=tree["a"], status=status)
    mine = queries.standing(user, years.this_year())
    assert (mine.target, mine.has_target) == (target, bool(target))
    [row] = [r for r in tables.member_rows(tree["a"], year=years.this_year())
             if r.user_id == user.id]
    assert (row.target, row.has_target, row.behind) == (target, bool(target), bool(target))


def test_without_a_target_nobody_is_behind_and_the_hours_still_count(make_user, tree):
    activist = make_user("积极分子", org=tree["a"], status="activist")
    db.session.add(StudyHours(user_id=activist.id, year=years.this_year(), category="meeting",
                              hours=3, source="manual", reason="党课"))
    db.session.commit()
    mine = queries.standing(activist, years.this_year())
    assert mine.hours == 3 and not mine.exempt
    behind = tables.member_rows(tree["a"], year=years.this_year(), filters=("behind",))
    assert activist.id not in [r.user_id for r in behind]


def test_a_target_for_non_members_can_be_set(app_factory, make_user, tree):
    other = app_factory(HOURS_TARGET_NON_MEMBER=12)
    with other.app_context():
        candidate = db.session.get(User, make_user("发展对象", org=tree["a"],
                                                   status="candidate").id)
        assert queries.standing(candidate, 2026).target == 12
        behind = tables.member_rows(tree["a"], year=2026, filters=("behind",))
        assert candidate.id in [r.user_id for r in behind]


def test_yearly_totals_are_sums_over_the_ledger(member):
    for year, hours in [(2025, 10), (2026, 3), (2026, 4.5)]:
        db.session.add(StudyHours(user_id=member.id, year=year, category="manual", hours=hours,
                                  source="manual", reason="x"))
    db.session.commit()
    assert queries.standing(member, 2026).hours == 7.5
    assert queries.standing(member, 2025).hours == 10


def test_exempt_members_are_never_behind(make_user, tree):
    old = make_user("林老根", org=tree["a"], is_exempt=True, exempt_reason="年过八旬")
    mine = queries.standing(old, years.this_year())
    assert mine.exempt and not mine.on_track
    rows = tables.member_rows(tree["a"], year=years.this_year(), filters=("behind",))
    assert old.id not in [r.user_id for r in rows]
    [row] = [r for r in tables.member_rows(tree["a"], year=years.this_year())
             if r.user_id == old.id]
    assert row.exempt and not row.behind


# ---- manual entry --------------------------------------------------------------------------

def _manual(actor, member, **kw):
    fields = {"hours": 2, "year": years.this_year(), "category": "meeting",
              "reason": "3月党课，集中学习"}
    fields.update(kw)
    return services.record_manual_hours(actor, member, **fields)


def test_a_secretary_enters_hours_for_a_member_of_the_subtree(secretary, member):
    entry = _manual(secretary, member, ip="10.0.0.1")
    assert (entry.source, entry.recorded_by_id, entry.reason) == (
        "manual", secretary.id, "3月党课，集中学习")
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "hours.manual"))
    assert log.actor_id == secretary.id and member.phone in log.target
    assert queries.standing(member, years.this_year()).hours == 2


def test_a_secretary_of_another_branch_may_not(secretary_b, member):
    with pytest.raises(NotAllowed):
        _manual(secretary_b, member)
    assert _count(StudyHours) == 0


@pytest.mark.parametrize(("fields", "message"), [
    ({"reason": " "}, "原因"),
    ({"reason": "x" * 201}, "原因"),
    ({"hours": 0}, "学时"),
    ({"hours": 101}, "学时"),
    ({"hours": float("nan")}, "学时"),
    ({"category": "online"}, "类别"),
    ({"year": 2001}, "年"),
])
def test_manual_entries_are_checked(secretary, member, fields, message):
    with pytest.raises(ValidationFailed, match=message):
        _manual(secretary, member, **fields)
    assert _count(StudyHours) == 0


def test_nobody_enters_hours_for_themselves(secretary):
    with pytest.raises(ValidationFailed):
        _manual(secretary, secretary)


def test_a_correction_is_a_negative_entry_that_cannot_go_below_zero(secretary, member):
    _manual(secretary, member, hours=4)
    _manual(secretary, member, hours=-1.5, reason="更正：重复登记")
    assert queries.standing(member, years.this_year()).hours == 2.5
    with pytest.raises(ValidationFailed):
        _manual(secretary, member, hours=-3, reason="更正")
    assert _count(StudyHours) == 2


# ---- assignments ---------------------------------------------------------------------------

def test_assigning_a_course_reaches_the_whole_subtree(secretary, member, member_b,
                                                      make_course, tree):
    made = make_course(lessons=3, check=1, final=1)
    due = date(years.this_year() + 1, 3, 1)
    services.assign_course(secretary, made.course, tree["a"], due)
    mine = queries.my_study(member)  # member sits in a 党小组 under 支部 A
    assert [(line.title, line.due_on) for line in mine.required] == [(made.course.title, due)]
    assert queries.my_study(member_b).required == []
    assert db.session.scalar(select(AuditLog.action).where(
        AuditLog.action == "course.assign")) == "course.assign"


def test_assigning_again_moves_the_due_date(secretary, make_course, tree):
    made = make_course(lessons=3, check=1, final=1)
    services.assign_course(secretary, made.course, tree["a"], date(2099, 1, 1))
    services.assign_course(secretary, made.course, tree["a"], date(2099, 6, 1))
    assert db.session.scalar(select(CourseAssignment.due_on)) == date(2099, 6, 1)
    assert _count(CourseAssignment) == 1


def test_assigning_outside_the_scope_or_into_the_past_is_refused(secretary, secretary_b,
                                                                 make_course, tree):
    made = make_course(lessons=3, check=1, final=1)
    with pytest.raises(NotAllowed):
        services.assign_course(secretary_b, made.course, tree["a"], date(2099, 1, 1))
    with pytest.raises(NotAllowed):
        services.assign_course(secretary, made.course, tree["town"], date(2099, 1, 1))
    with pytest.raises(ValidationFailed):
        services.assign_course(secretary, made.course, tree["a"], date(2000, 1, 1))
    closed = make_course(lessons=3, check=1, final=1, audience=tree["b"])
    with pytest.raises(ValidationFailed):
        services.assign_course(secretary, closed.course, tree["a"], date(2099, 1, 1))
    assert _count(CourseAssignment) == 0


def test_required_done_and_overdue_in_the_branch_view(secretary, member, make_user, tree,
                                                      make_course, finish_lessons, grade):
    other = make_user("钱七", org=tree["a"])
    made = make_course(lessons=1, final=1)
    db.session.add(CourseAssignment(course_id=made.course.id, org_id=tree["a"].id,
                                    due_on=date(2000, 1, 1), assigned_by_id=secretary.id))
    db.session.commit()
    finish_lessons(member, made)
    grade.final(member, made.final)
    rows = {r.user_id: r for r in tables.member_rows(tree["a"], year=years.this_year())}
    assert (rows[member.id].assigned, rows[member.id].done, rows[member.id].overdue) == (1, 1, 0)
    assert (rows[other.id].assigned, rows[other.id].done, rows[other.id].overdue) == (1, 0, 1)
    overdue = tables.member_rows(tree["a"], year=years.this_year(), filters=("overdue",))
    assert {r.user_id for r in overdue} == {other.id, secretary.id}  # the secretary is a member too


def test_last_lesson_and_final_quiz_at_the_same_moment_complete_once(app, member,
                                                                     make_course, grade,
                                                                     finish_lessons):
    """The two triggers race in separate transactions: whichever commits second must see the
    first (write skew would leave the course incomplete), and the credit is written once."""
    from lms.quizzes.models import Quiz
    from lms.quizzes.signals import final_quiz_passed

    courses = []
    for _ in range(4):
        made = make_course(lessons=2, final=1)
        finish_lessons(member, made, only={0})
        courses.append((made.lessons[1].id, made.final.id, made.course.id))
    db.session.commit()
    user_id = member.id
    errors = []

    def read_last(lesson_id, barrier):
        from lms.courses.models import Lesson

        with app.app_context():
            try:
                user, lesson = db.session.get(User, user_id), db.session.get(Lesson, lesson_id)
                barrier.wait(timeout=10)
                services.mark_read(user, lesson)
            except Exception as error:  # noqa: BLE001
                errors.append(error)
            finally:
                db.session.remove()

    def pass_final(quiz_id, barrier):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                begin_write()
                user, quiz = db.session.get(User, user_id), db.session.get(Quiz, quiz_id)
                attempt = grade.attempt(user, quiz, passed=True)
                final_quiz_passed.send(quiz, user=user, course_id=quiz.course_id,
                                       attempt=attempt)
                db.session.commit()
            except Exception as error:  # noqa: BLE001
                errors.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    for lesson_id, quiz_id, _course_id in courses:
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=read_last, args=(lesson_id, barrier)),
                   threading.Thread(target=pass_final, args=(quiz_id, barrier))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert errors == []
    db.session.rollback()
    for _lesson_id, _quiz_id, course_id in courses:
        assert _count(CourseCompletion, user_id=user_id, course_id=course_id) == 1
        assert _count(StudyHours, user_id=user_id, source_id=course_id) == 1


def test_manual_hours_carry_the_date_of_the_activity(secretary, member):
    """An entry for last December is dated last December, and counts for last year."""
    from datetime import timedelta

    last_year = years.this_year() - 1
    entry = _manual(secretary, member, occurred_on=date(last_year, 12, 20))
    assert entry.year == last_year and years.local_date(entry.recorded_at) == f"{last_year}-12-20"
    lines = queries.ledger(member.id, last_year)
    assert [years.local_date(line.recorded_at) for line in lines] == [f"{last_year}-12-20"]
    with pytest.raises(ValidationFailed, match="不能晚于今天"):
        _manual(secretary, member, occurred_on=years.today() + timedelta(days=1))
    with pytest.raises(ValidationFailed):
        _manual(secretary, member, occurred_on=date(last_year - 1, 6, 1))
