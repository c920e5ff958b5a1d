"""Reads behind 我的学习, 学习档案, the marks on the course pages and assigning a course (the
branch view's tables are in lms/reports/tables.py).

Every function runs a fixed number of queries whatever the data size; totals are sums over the
ledger, computed in SQL.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Integer, and_, bindparam, distinct, func, literal, select, union_all
from sqlalchemy.orm import aliased

from lms.auth.models import User
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.orgs.access import memberships_of
from lms.orgs.models import Organization
from lms.progress import years
from lms.progress.models import (
    CourseAssignment,
    CourseCompletion,
    Enrollment,
    LessonProgress,
    MemberAssignment,
    StudyHours,
)
from lms.quizzes.models import Attempt, Quiz

RECENT_RESULTS = 5


# ---- shared pieces --------------------------------------------------------------------------

def as_date(value) -> date | None:
    """SQLite returns an untyped scalar subquery or aggregate of dates as text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _min_due_for_org(org_id, course_id=None):
    """Earliest due date of the assignments over ``org_id`` (its own node or an ancestor)."""
    assigned_at = aliased(Organization)
    member_org = aliased(Organization)
    stmt = (select(func.min(CourseAssignment.due_on))
            .join(assigned_at, assigned_at.id == CourseAssignment.org_id)
            .join(member_org, member_org.path.startswith(assigned_at.path))
            .where(member_org.id == org_id))
    if course_id is not None:
        stmt = stmt.where(CourseAssignment.course_id == course_id)
    return stmt


@dataclass
class Standing:
    """A member's year: hours against their target."""

    year: int
    hours: float
    target: float
    exempt: bool
    by_category: dict[str, float] = field(default_factory=dict)

    @property
    def percent(self) -> int:
        return min(100, int(self.hours * 100 // self.target)) if self.target else 100

    @property
    def remaining(self) -> float:
        return max(0.0, round(self.target - self.hours, 2))

    @property
    def on_track(self) -> bool:
        return self.hours >= self.target

    @property
    def has_target(self) -> bool:
        """False for 发展对象 and 入党积极分子 while HOURS_TARGET_NON_MEMBER is 0."""
        return self.target > 0


#: 我的学习 is every member's home page: its statements are built once, with parameters
#: (docs/architecture.md, "What every page costs")
_HOURS_BY_CATEGORY = (select(StudyHours.category, func.sum(StudyHours.hours))
                      .where(StudyHours.user_id == bindparam("user_id"),
                             StudyHours.year == bindparam("year"))
                      .group_by(StudyHours.category))


def standing(user: User, year: int) -> Standing:
    rows = db.session.execute(_HOURS_BY_CATEGORY, {"user_id": user.id, "year": year}).all()
    by_category = {category: float(total) for category, total in rows}
    cadre = years.holds_cadre_role(memberships_of(user))
    return Standing(year=year, hours=round(sum(by_category.values()), 2),
                    target=years.target_hours(cadre, user.status), exempt=user.is_exempt,
                    by_category=by_category)


# ---- 我的学习 ---------------------------------------------------------------------------------

@dataclass
class CourseLine:
    course_id: int
    slug: str
    title: str
    due_on: date | None = None
    completed_at: datetime | None = None
    lessons: int = 0
    done: int = 0
    resume_key: str | None = None
    resume_title: str | None = None
    #: past the member's own due date (years.is_overdue), set when the line is built
    overdue: bool = False


@dataclass
class Result:
    course_title: str
    course_slug: str
    lesson_title: str | None  # None: the final quiz
    submitted_at: datetime
    score: float
    max_score: float
    passed: bool


@dataclass
class MyStudy:
    standing: Standing
    required: list[CourseLine]
    in_progress: list[CourseLine]
    results: list[Result]


def _required_courses():
    """Courses required of the member: assigned to their branch (or above), or to them alone
    (补学 for a missed lesson), with the earliest due date."""
    assigned_at, member_org = aliased(Organization), aliased(Organization)
    reach = union_all(
        select(CourseAssignment.course_id, CourseAssignment.due_on)
        .join(assigned_at, assigned_at.id == CourseAssignment.org_id)
        .join(member_org, member_org.path.startswith(assigned_at.path))
        .where(member_org.id == bindparam("org_id")),
        select(MemberAssignment.course_id, MemberAssignment.due_on)
        .where(MemberAssignment.user_id == bindparam("user_id"))).subquery("reach")
    return (select(Course.id, Course.slug, Course.title, func.min(reach.c.due_on),
                   CourseCompletion.completed_at)
            .select_from(reach)
            .join(Course, Course.id == reach.c.course_id)
            .outerjoin(CourseCompletion, and_(CourseCompletion.course_id == Course.id,
                                              CourseCompletion.user_id == bindparam("user_id")))
            .where(Course.status == "published")
            .group_by(Course.id, Course.slug, Course.title, CourseCompletion.completed_at)
            .order_by(func.min(reach.c.due_on), Course.title))


def _courses_under_way():
    user_id = bindparam("user_id")
    enrolled = select(Enrollment.course_id).where(Enrollment.user_id == user_id)
    totals = (select(Lesson.course_id, func.count(Lesson.id).label("n"))
              .where(Lesson.archived.is_(False), Lesson.course_id.in_(enrolled))
              .group_by(Lesson.course_id).subquery())
    progress = (select(LessonProgress.course_id,
                       func.count(LessonProgress.completed_at).label("done"),
                       func.max(LessonProgress.last_seen_at).label("seen"))
                .join(Lesson, and_(Lesson.id == LessonProgress.lesson_id,
                                   Lesson.archived.is_(False)))
                .where(LessonProgress.user_id == user_id)
                .group_by(LessonProgress.course_id).subquery())

    def first_open(column):
        """The first live lesson of the course not yet complete (where to resume)."""
        return (select(column)
                .outerjoin(LessonProgress, and_(LessonProgress.lesson_id == Lesson.id,
                                                LessonProgress.user_id == user_id))
                .where(Lesson.course_id == Course.id, Lesson.archived.is_(False),
                       LessonProgress.completed_at.is_(None))
                .order_by(Lesson.position).limit(1).correlate(Course).scalar_subquery())

    return (select(Course.id, Course.slug, Course.title, func.coalesce(totals.c.n, 0),
                   func.coalesce(progress.c.done, 0), first_open(Lesson.key),
                   first_open(Lesson.title))
            .select_from(Enrollment)
            .join(Course, Course.id == Enrollment.course_id)
            .outerjoin(totals, totals.c.course_id == Course.id)
            .outerjoin(progress, progress.c.course_id == Course.id)
            .outerjoin(CourseCompletion, and_(CourseCompletion.course_id == Course.id,
                                              CourseCompletion.user_id == user_id))
            .where(Enrollment.user_id == user_id, CourseCompletion.id.is_(None))
            .order_by(func.coalesce(progress.c.seen, Enrollment.enrolled_at).desc()))


def _recent_results():
    return (select(Course.title, Course.slug, Lesson.title, Attempt.submitted_at, Attempt.score,
                   Attempt.max_score, Attempt.passed)
            .select_from(Attempt)
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .join(Course, Course.id == Quiz.course_id)
            .outerjoin(Lesson, Lesson.id == Quiz.lesson_id)
            .where(Attempt.user_id == bindparam("user_id"), Attempt.state == "submitted")
            .order_by(Attempt.submitted_at.desc(), Attempt.id.desc())
            .limit(bindparam("limit", type_=Integer)))


_REQUIRED_COURSES = _required_courses()
_COURSES_UNDER_WAY = _courses_under_way()
_RECENT_RESULTS = _recent_results()


def my_study(user: User) -> MyStudy:
    """Everything 我的学习 shows, in five queries (and the roles, cached per request)."""
    mine = standing(user, years.this_year())
    required: list[CourseLine] = []
    if user.org_id:
        rows = db.session.execute(_REQUIRED_COURSES,
                                  {"user_id": user.id, "org_id": user.org_id}).all()
        required = [CourseLine(course_id=r[0], slug=r[1], title=r[2],
                               due_on=years.due_for(user, as_date(r[3])), completed_at=r[4],
                               overdue=years.is_overdue(user, as_date(r[3]), r[4] is not None))
                    for r in rows]
    rows = db.session.execute(_COURSES_UNDER_WAY, {"user_id": user.id}).all()
    in_progress = [CourseLine(course_id=r[0], slug=r[1], title=r[2], lessons=r[3], done=r[4],
                              resume_key=r[5], resume_title=r[6]) for r in rows]
    resume = {line.course_id: line for line in in_progress}
    for line in required:
        if line.course_id in resume:
            line.resume_key = resume[line.course_id].resume_key
            line.resume_title = resume[line.course_id].resume_title

    return MyStudy(standing=mine, required=required, in_progress=in_progress,
                   results=recent_results(user))


def recent_results(user: User, limit: int = RECENT_RESULTS) -> list[Result]:
    rows = db.session.execute(_RECENT_RESULTS, {"user_id": user.id, "limit": limit}).all()
    return [Result(*r) for r in rows]


# ---- 学习档案 ---------------------------------------------------------------------------------

@dataclass
class LedgerLine:
    recorded_at: datetime
    category: str
    hours: float
    source: str
    title: str  # the course's title, or the reason given
    reason: str
    recorded_by: str | None


def ledger(user_id: int, year: int) -> list[LedgerLine]:
    """Every entry of the member's year, oldest first, with where it came from (one query)."""
    recorder = aliased(User)
    rows = db.session.execute(
        select(StudyHours.recorded_at, StudyHours.category, StudyHours.hours, StudyHours.source,
               Course.title, StudyHours.reason, recorder.name)
        .outerjoin(Course, and_(StudyHours.source == "course",
                                Course.id == StudyHours.source_id))
        .outerjoin(recorder, recorder.id == StudyHours.recorded_by_id)
        .where(StudyHours.user_id == user_id, StudyHours.year == year)
        .order_by(StudyHours.recorded_at, StudyHours.id)).all()
    return [LedgerLine(recorded_at=r[0], category=r[1], hours=float(r[2]), source=r[3],
                       title=r[4] or r[5], reason=r[5], recorded_by=r[6]) for r in rows]


def ledger_years(user_id: int) -> list[int]:
    """Years with entries, plus this year; newest first."""
    found = set(db.session.scalars(select(distinct(StudyHours.year)).where(
        StudyHours.user_id == user_id)))
    found.add(years.this_year())
    return sorted(found, reverse=True)


# ---- marks on the course pages --------------------------------------------------------------

#: asked on every lesson page, so built once (with parameters)
_LESSON_MARK = select(
    select(Quiz.id).where(Quiz.lesson_id == bindparam("lesson_id"),
                          Quiz.archived.is_(False)).limit(1).scalar_subquery(),
    select(LessonProgress.completed_at).where(
        LessonProgress.user_id == bindparam("user_id"),
        LessonProgress.lesson_id == bindparam("lesson_id")).scalar_subquery())


def lesson_mark(user: User, lesson: Lesson) -> tuple[bool, datetime | None]:
    """(has a live check, completed at) in one query."""
    row = db.session.execute(_LESSON_MARK, {"lesson_id": lesson.id, "user_id": user.id}).one()
    return row[0] is not None, row[1]


@dataclass
class CourseMark:
    enrolled: bool
    completed_at: datetime | None
    due_on: date | None
    done_lessons: set[int]
    resume_key: str | None
    #: past the member's own due date (years.is_overdue)
    overdue: bool = False


def done_lessons(user: User, course: Course) -> set[int]:
    """Ids of the course's lessons the member has finished (one query)."""
    return set(db.session.scalars(select(LessonProgress.lesson_id).where(
        LessonProgress.user_id == user.id, LessonProgress.course_id == course.id,
        LessonProgress.completed_at.isnot(None))))


def course_mark(user: User, course: Course, lessons: list[Lesson]) -> CourseMark:
    """Enrolment, completion, due date and done lessons for the course page (two queries)."""
    enrolled = select(Enrollment.id).where(Enrollment.user_id == user.id,
                                           Enrollment.course_id == course.id).scalar_subquery()
    completed = select(CourseCompletion.completed_at).where(
        CourseCompletion.user_id == user.id,
        CourseCompletion.course_id == course.id).scalar_subquery()
    due = (_min_due_for_org(user.org_id, course.id).scalar_subquery() if user.org_id
           else literal(None))
    row = db.session.execute(select(enrolled, completed, due)).one()
    done = done_lessons(user, course)
    resume = next((lesson.key for lesson in lessons if lesson.id not in done), None)
    due_on = as_date(row[2])
    return CourseMark(enrolled=row[0] is not None, completed_at=row[1],
                      due_on=years.due_for(user, due_on),
                      overdue=years.is_overdue(user, due_on, row[1] is not None),
                      done_lessons=done, resume_key=resume)


def catalogue_marks(user: User) -> dict[int, tuple[str, date | None]]:
    """course id → ("done" | "started" | "required", due date) for the catalogue (two queries)."""
    marks: dict[int, tuple[str, date | None]] = {}
    if user.org_id:
        assigned_at, member_org = aliased(Organization), aliased(Organization)
        for course_id, due_on in db.session.execute(
                select(CourseAssignment.course_id, func.min(CourseAssignment.due_on))
                .join(assigned_at, assigned_at.id == CourseAssignment.org_id)
                .join(member_org, member_org.path.startswith(assigned_at.path))
                .where(member_org.id == user.org_id)
                .group_by(CourseAssignment.course_id)):
            marks[course_id] = ("required", due_on)
    for course_id, completed_at in db.session.execute(
            select(Enrollment.course_id, CourseCompletion.completed_at)
            .outerjoin(CourseCompletion, and_(CourseCompletion.user_id == Enrollment.user_id,
                                              CourseCompletion.course_id == Enrollment.course_id))
            .where(Enrollment.user_id == user.id)):
        due = marks.get(course_id, (None, None))[1]
        marks[course_id] = ("done" if completed_at else "started", due)
    return marks


# ---- assigning a course ---------------------------------------------------------------------

def assignment_due(course_id: int, org_id: int) -> date | None:
    """The due date of the course's assignment on exactly this node, if there is one."""
    return db.session.scalar(select(CourseAssignment.due_on).where(
        CourseAssignment.course_id == course_id, CourseAssignment.org_id == org_id))


def assignable_courses(node: Organization) -> list[Course]:
    """Published courses open to ``node``, required ones first."""
    from lms.progress.services import course_open_to

    courses = db.session.scalars(select(Course).where(Course.status == "published")
                                 .order_by(Course.required.desc(), Course.title))
    return [c for c in courses if course_open_to(c, node)]

# ---- what comes next --------------------------------------------------------------------------

def lessons_left(user: User, course_id: int) -> int:
    """Live lessons of the course the member has not finished (one query)."""
    done = select(LessonProgress.id).where(
        LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user.id,
        LessonProgress.completed_at.isnot(None)).exists()
    return db.session.scalar(select(func.count(Lesson.id)).where(
        Lesson.course_id == course_id, Lesson.archived.is_(False), ~done))


@dataclass
class NextStep:
    """Where a member goes after a result: ``kind`` is "lesson" (the next unfinished one),
    "final" (every lesson counts, the final quiz waits), "finish_lessons" (the final is passed,
    ``lessons_left`` stand between the member and the hours) or "done" (hours credited)."""

    kind: str
    course: Course
    lesson: Lesson | None = None
    lessons_left: int = 0
    final_quiz_id: int | None = None


def next_step(user: User, course: Course, lessons: list[Lesson],
              after: Lesson | None = None, done: set[int] | None = None) -> NextStep | None:
    """The member's next step in a course (two queries; one when the caller already has the
    ``done`` lesson ids, as the course page does); None when there is nothing to do."""
    completed = select(CourseCompletion.id).where(
        CourseCompletion.user_id == user.id,
        CourseCompletion.course_id == course.id).scalar_subquery()
    final = select(Quiz.id).where(Quiz.course_id == course.id, Quiz.lesson_id.is_(None),
                                  Quiz.archived.is_(False)).scalar_subquery()
    passed = select(Attempt.id).where(
        Attempt.user_id == user.id, Attempt.quiz_id == final,
        Attempt.passed.is_(True)).limit(1).scalar_subquery()
    row = db.session.execute(select(completed, final, passed)).one()
    if row[0] is not None:
        return NextStep("done", course)
    if done is None:
        done = done_lessons(user, course)
    pending = [lesson for lesson in lessons if lesson.id not in done]
    if pending:
        later = [lesson for lesson in pending
                 if after is not None and lesson.position > after.position]
        kind = "finish_lessons" if row[2] is not None else "lesson"
        return NextStep(kind, course, lesson=(later or pending)[0], lessons_left=len(pending),
                        final_quiz_id=row[1])
    if row[1] is not None and row[2] is None:
        return NextStep("final", course, final_quiz_id=row[1])
    return None
