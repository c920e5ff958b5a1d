"""`python run.py --demo`: a year of study for some demo members, so every view shows something.

Rows are written as the real flow would leave them (lesson progress, passed Attempt rows with
their snapshot and responses, completions, ledger entries), dated across this year up to now.
Idempotent: a member who already has progress or hours is left alone, and assignments are
matched by course and organisation.
"""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from lms.auth.models import User
from lms.core import kinds
from lms.core.clock import utcnow
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.orgs.models import Organization
from lms.progress import years
from lms.progress.models import (
    CourseAssignment,
    CourseCompletion,
    Enrollment,
    LessonProgress,
    StudyHours,
)
from lms.quizzes import snapshot
from lms.quizzes.models import Attempt, Question, Quiz, Response
from lms.quizzes.wrong_answers import record_results

#: phone → courses as (course index, lessons done or None for all + final passed), and
#: hand-entered hours as (fraction of the year so far, hours, category, reason)
HISTORY = {
    "13900000011": {  # 张桂英: every course passed, regular branch study — on track
        "courses": [(0, None), (1, None), (2, None)],
        "manual": [(0.1, 8, "manual", "县委党校春训集中培训一天"), (0.3, 4, "meeting", "主题党日集体学习"),
                   (0.5, 4, "meeting", "第二季度党课"), (0.7, 4, "meeting", "主题党日集体学习"),
                   (0.8, 4, "meeting", "第三季度党课"), (0.9, 4, "meeting", "党员大会专题学习"),
                   (0.95, 4, "meeting", "党小组会集体学习")],
    },
    "13900000010": {  # 林阿水: one course passed, halfway through a second
        "courses": [(0, None), (1, 3)],
        "manual": [(0.2, 4, "meeting", "主题党日集体学习"), (0.6, 4, "meeting", "第二季度党课")],
    },
    "13900000012": {  # 王小明: started late, failed one check — behind target
        "courses": [(0, 2)],
        "failed_check": (0, 2),
        "manual": [(0.7, 2, "meeting", "主题党日集体学习")],
    },
    "13900000004": {  # 林大海, 支部书记 (target 56)
        "courses": [(1, None), (0, None)],
        "manual": [(0.05, 16, "manual", "县委党校村党组织书记轮训两天"),
                   (0.4, 4, "meeting", "第二季度党课（主讲）"), (0.75, 4, "meeting", "第三季度党课（主讲）")],
    },
    "13900000005": {  # 陈美玲, 组织委员
        "courses": [(0, None), (1, 4)],
        "manual": [(0.3, 4, "meeting", "支委会集体学习")],
    },
    "13900000016": {  # 林老根: 不作硬性要求, study brought home
        "courses": [],
        "manual": [(0.35, 2, "manual", "送学上门：组织委员上门讲解党课"),
                   (0.85, 2, "manual", "送学上门：学习惠民政策")],
    },
    "13900000020": {  # 刘稻花, 稻香村
        "courses": [(0, None), (2, None)],
        "manual": [(0.15, 8, "manual", "县委党校春训集中培训一天"), (0.45, 8, "meeting", "党员冬训、春训集中学习"),
                   (0.65, 4, "meeting", "主题党日集体学习"), (0.8, 4, "meeting", "党课"),
                   (0.9, 8, "manual", "县委党校冬训集中培训一天")],
    },
}
#: the shipped courses, as HISTORY's course indexes name them (others follow by id)
COURSE_ORDER = ("dangke-tianjian", "cungangbu-nengli", "xinxing-nongmin")
RECORDER = "13900000005"  # 陈美玲 (组织委员) enters 渔港村's hand-recorded hours
RECORDER_DX = "13900000007"  # 何春生 for 稻香村


def register(bp) -> None:
    def _add(state):
        from lms.demo import on_demo

        on_demo(state.app, add_study_history)
    bp.record_once(_add)


class _Clock:
    """Moments spread over this year (local calendar) up to now."""

    def __init__(self):
        self.now = utcnow()
        start_local = datetime(years.this_year(), 1, 1, 8, 0, tzinfo=years.zone())
        self.start = start_local.astimezone(UTC).replace(tzinfo=None)
        self.span = max(self.now - self.start, timedelta(hours=1))

    def at(self, fraction: float, minutes: int = 0) -> datetime:
        moment = self.start + self.span * min(max(fraction, 0.0), 0.98)
        return min(moment + timedelta(minutes=minutes), self.now - timedelta(minutes=1))


def _add_attempt(user: User, quiz: Quiz, questions: list[Question], at: datetime, number: int,
                 *, wrong: int = 0) -> Attempt:
    """A submitted attempt as grading leaves it: the first ``wrong`` presented questions
    answered wrongly, the rest right; the 错题本 updated as grading does."""
    rng = random.Random(f"{user.id}-{quiz.id}-{number}")  # the same history on every run
    entries = [snapshot.present(q, rng) for q in questions]
    total = sum(e["points"] for e in entries)
    score = sum(e["points"] for i, e in enumerate(entries) if i >= wrong)
    mastery = min(quiz.mastery_required or len(entries), len(entries)) \
        if quiz.lesson_id is not None else None
    if mastery is not None:
        passed = len(entries) - wrong >= mastery
    else:
        passed = total > 0 and score * 100 >= quiz.pass_percent * total
    attempt = Attempt(user_id=user.id, quiz_id=quiz.id, number=number, state="submitted",
                      started_at=at - timedelta(minutes=3), submitted_at=at, score=score,
                      max_score=total, passed=passed, snapshot=entries,
                      rules={"mastery_required": mastery, "pass_percent": quiz.pass_percent,
                             "multiple_scoring": quiz.multiple_scoring})
    db.session.add(attempt)
    db.session.flush()
    results = []
    for i, entry in enumerate(entries):
        right = i >= wrong
        stored = _answer(entry, right)
        db.session.add(Response(attempt_id=attempt.id, question_key=entry["key"], answer=stored,
                                saved_at=at - timedelta(minutes=1), correct=right,
                                points=entry["points"] if right else 0,
                                answer_text=snapshot.answer_text(entry, stored)))
        results.append((entry, right))
    record_results(user.id, quiz, results, at)
    return attempt


def _answer(entry: dict, right: bool) -> list:
    """A stored answer (shown-order terms) that is right or wrong for the entry."""
    return kinds.get(entry["kind"]).demo_answer(entry, right)


def _study_course(user: User, course: Course, lessons: list[Lesson], quizzes: dict,
                  questions: dict, clock: _Clock, start: float, lessons_done: int | None,
                  org_path: str, failed_lesson: int | None) -> None:
    count = len(lessons) if lessons_done is None else min(lessons_done, len(lessons))
    step = 0.04
    db.session.add(Enrollment(user_id=user.id, course_id=course.id, source="self",
                              enrolled_at=clock.at(start)))
    numbers: dict[int, int] = {}
    for index, lesson in enumerate(lessons[:count + (1 if failed_lesson is not None else 0)]):
        at = clock.at(start + step * index, minutes=5)
        check = quizzes.get(lesson.id)
        failed_here = failed_lesson == index
        completed = index < count and not failed_here
        db.session.add(LessonProgress(
            user_id=user.id, lesson_id=lesson.id, course_id=course.id,
            first_seen_at=at - timedelta(minutes=lesson.minutes), last_seen_at=at,
            reached_end_at=at, completed_at=at if completed else None))
        if check is not None and questions.get(check.id):
            if failed_here:
                numbers[check.id] = numbers.get(check.id, 0) + 1
                _add_attempt(user, check, questions[check.id], at, numbers[check.id],
                             wrong=len(questions[check.id]))
            if completed:
                numbers[check.id] = numbers.get(check.id, 0) + 1
                _add_attempt(user, check, questions[check.id], at, numbers[check.id])
    if lessons_done is not None:
        return
    final = quizzes.get(None)
    done_at = clock.at(start + step * len(lessons), minutes=20)
    if final is not None and questions.get(final.id):
        drawn = questions[final.id][:final.draw or None]
        _add_attempt(user, final, drawn, done_at, 1, wrong=1)
    db.session.add(CourseCompletion(user_id=user.id, course_id=course.id, completed_at=done_at,
                                    course_version=course.version))
    if float(course.credit_hours or 0) > 0:
        db.session.add(StudyHours(user_id=user.id, year=years.year_of(done_at),
                                  category="online", hours=float(course.credit_hours),
                                  source="course", source_id=course.id, reason=course.title,
                                  recorded_at=done_at, org_path=org_path))


def add_study_history(app: Flask) -> None:
    clock = _Clock()
    phones = [*HISTORY, RECORDER, RECORDER_DX, "13900000003"]
    users = {u.phone: u for u in db.session.scalars(select(User).where(User.phone.in_(phones)))}
    orgs = {o.code: o for o in db.session.scalars(select(Organization).where(
        Organization.code.in_(["LH-DW", "LH-DW-YG"])))}
    paths = {o.id: o.path for o in db.session.scalars(select(Organization))}
    courses = sorted(db.session.scalars(select(Course).where(Course.status == "published")),
                     key=lambda c: (COURSE_ORDER.index(c.slug) if c.slug in COURSE_ORDER
                                    else len(COURSE_ORDER), c.id))
    lessons = {c.id: list(db.session.scalars(select(Lesson).where(
        Lesson.course_id == c.id, Lesson.archived.is_(False)).order_by(Lesson.position)))
        for c in courses}
    quizzes: dict[int, dict] = {}
    for quiz in db.session.scalars(select(Quiz).where(Quiz.archived.is_(False))):
        quizzes.setdefault(quiz.course_id, {})[quiz.lesson_id] = quiz
    questions: dict[int, list[Question]] = {}
    for q in db.session.scalars(select(Question).where(Question.archived.is_(False))
                                .order_by(Question.position)):
        questions.setdefault(q.quiz_id, []).append(q)
    started = set(db.session.scalars(select(LessonProgress.user_id))) | set(
        db.session.scalars(select(StudyHours.user_id)))

    for phone, plan in HISTORY.items():
        user = users.get(phone)
        if user is None or user.id in started:
            continue
        org_path = paths.get(user.org_id, "")
        failed = plan.get("failed_check")
        for n, (index, done) in enumerate(plan["courses"]):
            if index >= len(courses):
                continue
            course = courses[index]
            _study_course(user, course, lessons[course.id], quizzes.get(course.id, {}),
                          questions, clock, start=0.05 + 0.25 * n, lessons_done=done,
                          org_path=org_path,
                          failed_lesson=failed[1] if failed and failed[0] == index else None)
        recorder = users.get(RECORDER_DX if phone == "13900000020" else RECORDER)
        if recorder is not None and recorder.id == user.id:
            recorder = users.get("13900000003")  # nobody records their own hours
        for fraction, hours, category, reason in plan["manual"]:
            at = clock.at(fraction)
            db.session.add(StudyHours(user_id=user.id, year=years.year_of(at), category=category,
                                      hours=hours, source="manual", reason=reason,
                                      recorded_by_id=recorder.id if recorder else None,
                                      recorded_at=at, org_path=org_path))

    secretary = users.get("13900000003")
    wanted = []
    if courses and "LH-DW" in orgs:  # this year's required course for the whole township
        wanted.append((courses[0], orgs["LH-DW"], datetime(years.this_year(), 12, 20).date()))
    if len(courses) > 1 and "LH-DW-YG" in orgs:  # one already past its due date
        wanted.append((courses[1], orgs["LH-DW-YG"], years.today() - timedelta(days=20)))
    for course, org, due_on in wanted:
        exists = db.session.scalar(select(CourseAssignment.id).where(
            CourseAssignment.course_id == course.id, CourseAssignment.org_id == org.id))
        if exists is None:
            db.session.add(CourseAssignment(course_id=course.id, org_id=org.id, due_on=due_on,
                                            assigned_by_id=secretary.id if secretary else None,
                                            assigned_at=clock.at(0.02)))
    db.session.commit()
