"""The branch view's tables (members of a node with this year's hours, target, required courses and
last study date) and the roll-up for a township or county (one row per child organisation).

Aggregation happens in SQL over the viewer's node only, in a fixed number of queries: the
ledger is summed per member with the (user_id, year) index, assignments are expanded to the
nodes they reach before members join them on org_id, and the roll-up groups by organisation.
Callers check the viewer's scope first (views answer 404 outside it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, literal, not_, or_, select, true, union_all
from sqlalchemy.orm import aliased

from lms.auth.models import User
from lms.courses.models import Course
from lms.extensions import db
from lms.orgs.models import CADRE_ROLES, Membership, Organization
from lms.progress import years
from lms.progress.models import (
    CourseAssignment,
    CourseCompletion,
    LessonProgress,
    MemberAssignment,
    StudyHours,
)

SORTS = ("name", "gap", "hours", "last")
ORDERS = ("asc", "desc")
FILTERS = ("behind", "overdue")
#: node kinds shown as one row per child organisation; the others list their members
ROLLUP_KINDS = ("county", "township")


def _in_subtree(node: Organization):
    return Organization.path.startswith(node.path)


def _members(node: Organization):
    """Members (a status, an active account) placed anywhere under ``node``, as a CTE that
    every other part joins. The subtree's users are found through ix_users_org_id: ``org_id IN
    (the subtree's ids)``, not a join filtered by path, which SQLite runs as a scan of every
    user. SQLite computes the CTE once (materialised); PostgreSQL inlines it (NOT MATERIALIZED)
    so that its planner sees the users' statistics: a CTE's columns have none, and the
    estimates it makes without them for a county are off by orders of magnitude, which
    buys the roll-up a JIT-compiled plan (some 70 ms of compiling on every request)."""
    subtree = select(Organization.id).where(_in_subtree(node))
    return (select(User.id.label("user_id"), User.name.label("name"),
                   User.status.label("status"), User.is_exempt.label("exempt"),
                   User.created_at.label("joined"), User.org_id.label("org_id"),
                   User.phone.label("phone"), Organization.name.label("org_name"))
            .join(Organization, Organization.id == User.org_id)
            .where(User.org_id.in_(subtree), User.status.isnot(None), User.active.is_(True))
            .cte("members").prefix_with("NOT MATERIALIZED", dialect="postgresql"))


def _hours(members, year: int, *, whole: bool = False):
    """Each member's hours of ``year``, summed over the ledger.

    ``whole``: sum the whole year's ledger instead of looking each member up (the root of the
    tree, where the subtree is everyone): one range of ix_study_hours_year_user_hours read in
    member order, instead of one index probe per member; people outside the subtree drop out
    where the caller joins the members."""
    stmt = (select(StudyHours.user_id, func.sum(StudyHours.hours).label("hours"))
            .where(StudyHours.year == year))
    if not whole:
        stmt = stmt.where(StudyHours.user_id.in_(select(members.c.user_id)))
    return stmt.group_by(StudyHours.user_id).subquery("hours")


def _cadres(members, *, whole: bool = False):
    """Holders of a 支委 role, joined (a correlated EXISTS per member misleads the PostgreSQL
    planner on a county-sized tree into a costly, JIT-compiled plan). ``whole``: every holder
    (a few per branch), without matching them against the members first."""
    stmt = select(Membership.user_id).where(Membership.role.in_(sorted(CADRE_ROLES)))
    if not whole:
        stmt = stmt.where(Membership.user_id.in_(select(members.c.user_id)))
    return stmt.group_by(Membership.user_id).subquery("cadres")


def _due_in(model, year: int | None):
    """Required during ``year`` (always when None): assigned before it ended and not due before
    it began. The year filter of 学习情况 applies to the required courses as well as to the
    hours: last year's page shows what was required last year. The current year also keeps
    every earlier requirement, since one not done is still owed (and overdue) now."""
    if year is None or year >= years.this_year():
        return true()
    return and_(model.due_on >= date(year, 1, 1), model.assigned_at < years.year_bounds(year)[1])


def _by_org(node: Organization, year: int | None = None):
    """(course, organisation, due date) for every published assignment reaching a node under
    ``node`` (required during ``year`` when given): each assignment reaches every node below its own;
    expanded to nodes first (few rows), so members join on org_id equality instead of a LIKE
    per member."""
    assigned_at, reached = aliased(Organization), aliased(Organization)
    return (select(CourseAssignment.course_id, reached.id.label("org_id"),
                   func.min(CourseAssignment.due_on).label("due_on"))
            .join(assigned_at, assigned_at.id == CourseAssignment.org_id)
            .join(reached, reached.path.startswith(assigned_at.path))
            .join(Course, and_(Course.id == CourseAssignment.course_id,
                               Course.status == "published"))
            .where(reached.path.startswith(node.path),
                   _due_in(CourseAssignment, year))
            .group_by(CourseAssignment.course_id, reached.id))


def _own_assignments(members, year: int | None = None):
    """(member, course, due date) for courses required of single members (补学), published
    (required during ``year`` when given)."""
    return (select(MemberAssignment.user_id, MemberAssignment.course_id,
                   MemberAssignment.due_on)
            .join(Course, and_(Course.id == MemberAssignment.course_id,
                               Course.status == "published"))
            .where(MemberAssignment.user_id.in_(select(members.c.user_id)),
                   _due_in(MemberAssignment, year)))


def _required_of_members(node: Organization, members, year: int | None = None):
    """(member, course, due date): every published course required of each member, by the
    branch (an assignment reaching their node) or of them alone (补学), during ``year``."""
    by_org = _by_org(node, year).subquery("by_org")
    reach = union_all(
        select(members.c.user_id, by_org.c.course_id, by_org.c.due_on)
        .select_from(members).join(by_org, by_org.c.org_id == members.c.org_id),
        _own_assignments(members, year)).subquery("reach")
    return (select(reach.c.user_id, reach.c.course_id,
                   func.min(reach.c.due_on).label("due_on"))
            .group_by(reach.c.user_id, reach.c.course_id).subquery("per_course"))


def _yearly_parts(node: Organization, members, year: int, today: date):
    """Per-member subqueries: hours of ``year``, required courses (the branch's and the
    member's own 补学), 支委 roles."""
    per_course = _required_of_members(node, members, year)
    # overdue as progress.years.is_overdue says: not for exempt members, and not before a new
    # member's own due date (their joining + NEW_MEMBER_DAYS) has passed
    late = and_(CourseCompletion.id.is_(None), per_course.c.due_on < today,
                members.c.exempt.is_(False), members.c.joined < years.joined_by())
    required = (select(per_course.c.user_id,
                       func.count().label("assigned"),
                       func.count(CourseCompletion.id).label("done"),
                       func.sum(case((late, 1), else_=0)).label("overdue"))
                .select_from(per_course)
                .join(members, members.c.user_id == per_course.c.user_id)
                .outerjoin(CourseCompletion,
                           and_(CourseCompletion.user_id == per_course.c.user_id,
                                CourseCompletion.course_id == per_course.c.course_id))
                .group_by(per_course.c.user_id).subquery("required"))
    return _hours(members, year), required, _cadres(members)


@dataclass
class MemberRow:
    user_id: int
    name: str
    status: str
    org_name: str
    phone: str
    exempt: bool
    cadre: bool
    hours: float
    target: float
    assigned: int
    done: int
    overdue: int
    last_study: datetime | None

    @property
    def behind(self) -> bool:
        return not self.exempt and self.hours < self.target

    @property
    def has_target(self) -> bool:
        """False for 发展对象 and 入党积极分子 while HOURS_TARGET_NON_MEMBER is 0."""
        return self.target > 0


def member_rows(node: Organization, *, year: int, filters=(), sort: str = "name",
                order: str = "asc", q: str = "") -> list[MemberRow]:
    """Each member under ``node`` with ``year``'s hours, target, required courses (due that
    during it) and last study (that year), in one query. ``sort``: "name" (by pinyin, as a Chinese
    reader expects, not by code point), "gap" (hours still short of the target, largest first
    when descending), "hours" or "last"; ``sort``, ``order`` and ``filters`` outside the
    allowlists are ignored; ``q`` is a name fragment (LIKE-escaped)."""
    today = years.today()
    members = _members(node)
    hours, required, cadres = _yearly_parts(node, members, year, today)
    start, end = years.year_bounds(year)
    last = (select(LessonProgress.user_id, func.max(LessonProgress.last_seen_at).label("last"))
            .where(LessonProgress.user_id.in_(select(members.c.user_id)),
                   LessonProgress.last_seen_at >= start, LessonProgress.last_seen_at < end)
            .group_by(LessonProgress.user_id).subquery("last"))
    m = members.c
    cadre = cadres.c.user_id.isnot(None)
    hours_col = func.coalesce(hours.c.hours, 0)
    target_col = years.target_case(cadre, m.status)
    overdue_col = func.coalesce(required.c.overdue, 0)
    stmt = (select(m.user_id, m.name, m.status, m.org_name, m.exempt, cadre.label("cadre"),
                   hours_col, func.coalesce(required.c.assigned, 0),
                   func.coalesce(required.c.done, 0), overdue_col, last.c.last, target_col,
                   m.phone)
            .select_from(members)
            .outerjoin(hours, hours.c.user_id == m.user_id)
            .outerjoin(required, required.c.user_id == m.user_id)
            .outerjoin(last, last.c.user_id == m.user_id)
            .outerjoin(cadres, cadres.c.user_id == m.user_id))
    if "behind" in filters:
        stmt = stmt.where(m.exempt.is_(False), hours_col < target_col)
    if "overdue" in filters:
        stmt = stmt.where(overdue_col > 0)
    q = (q or "").strip()
    if q:
        stmt = stmt.where(m.name.contains(q, autoescape=True))
    # no target (exempt, or none set): no shortfall, so they sort after everyone short of one
    gap = case((or_(m.exempt, target_col <= 0), -1.0), (hours_col >= target_col, 0.0),
               else_=target_col - hours_col)
    columns = {"hours": hours_col, "gap": gap,
               "last": func.coalesce(last.c.last, datetime(1970, 1, 1))}
    column = columns.get(sort, m.name)
    column = column.desc() if order == "desc" else column.asc()
    stmt = stmt.order_by(column, m.name, m.user_id)
    rows = [MemberRow(user_id=r[0], name=r[1], status=r[2], org_name=r[3], exempt=bool(r[4]),
                      cadre=bool(r[5]), hours=round(float(r[6]), 2),
                      target=float(r[11]), assigned=int(r[7]),
                      done=int(r[8]), overdue=int(r[9]), last_study=r[10], phone=r[12])
            for r in db.session.execute(stmt)]
    if sort not in columns:
        rows.sort(key=lambda r: (pinyin_key(r.name), r.user_id), reverse=order == "desc")
    return rows


def pinyin_key(name: str) -> tuple:
    """A Chinese name's sort key: its syllables in pinyin with tone numbers (王 wang2 before
    吴 wu2 before 张 zhang1), then the characters themselves for names that sound the same."""
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(name, style=Style.TONE3, errors="default")), name


@dataclass
class RollupRow:
    org_id: int | None  # None: members placed on the node itself
    name: str
    kind: str
    members: int = 0
    #: 免学: members not held to study (不作硬性要求: old age or illness)
    exempt: int = 0
    #: 无年度目标: 发展对象 and 入党积极分子 while HOURS_TARGET_NON_MEMBER is 0
    untargeted: int = 0
    on_track: int = 0
    hours: float = 0.0
    assigned: int = 0
    done: int = 0

    @property
    def no_target(self) -> int:
        """Members no target binds, for either reason."""
        return self.exempt + self.untargeted

    @property
    def with_target(self) -> int:
        return self.members - self.no_target

    @property
    def average_hours(self) -> float:
        return round(self.hours / self.members, 1) if self.members else 0.0

    @property
    def on_track_percent(self) -> int | None:
        return round(self.on_track * 100 / self.with_target) if self.with_target else None

    @property
    def done_percent(self) -> int | None:
        return round(self.done * 100 / self.assigned) if self.assigned else None


def rollup_rows(node: Organization, *, year: int) -> tuple[list[RollupRow], RollupRow]:
    """One row per child of ``node`` (plus the node's own members), and the total.

    SQL groups by organisation (two queries in all); the per-organisation sums are then folded
    into the child each organisation sits under. Only the hours need a row per member (who is
    on track); required courses are counted per organisation: assigned = members × courses
    reaching the organisation, done = completions of those courses by its members.
    """
    whole = node.parent_id is None
    members = _members(node)
    hours, cadres = _hours(members, year, whole=whole), _cadres(members, whole=whole)
    m = members.c
    hours_col = func.coalesce(hours.c.hours, 0)
    target_col = years.target_case(cadres.c.user_id.isnot(None), m.status)
    no_target = or_(m.exempt, target_col <= 0)
    per_org = (select(m.org_id, func.count().label("members"),
                      func.sum(case((m.exempt, 1), else_=0)).label("exempt"),
                      func.sum(case((and_(not_(m.exempt), target_col <= 0), 1), else_=0))
                      .label("untargeted"),
                      func.sum(case((and_(not_(no_target), hours_col >= target_col), 1),
                                    else_=0)).label("on_track"),
                      func.sum(hours_col).label("hours"))
               .select_from(members)
               .outerjoin(hours, hours.c.user_id == m.user_id)
               .outerjoin(cadres, cadres.c.user_id == m.user_id)
               .group_by(m.org_id).subquery("per_org"))
    by_org = _by_org(node, year).cte("by_org")
    courses_at = (select(by_org.c.org_id, func.count().label("n"))
                  .group_by(by_org.c.org_id).subquery("courses_at"))
    done_at = (select(m.org_id, func.count().label("n"))
               .select_from(CourseCompletion)
               .join(members, m.user_id == CourseCompletion.user_id)
               .join(by_org, and_(by_org.c.org_id == m.org_id,
                                  by_org.c.course_id == CourseCompletion.course_id))
               .group_by(m.org_id).subquery("done_at"))
    # 补学 required of single members, where the branch does not require the course already
    own = _own_assignments(members, year).subquery("own")
    own_at = (select(m.org_id, func.count().label("n"),
                     func.count(CourseCompletion.id).label("done"))
              .select_from(own)
              .join(members, m.user_id == own.c.user_id)
              .outerjoin(by_org, and_(by_org.c.org_id == m.org_id,
                                      by_org.c.course_id == own.c.course_id))
              .outerjoin(CourseCompletion, and_(CourseCompletion.user_id == own.c.user_id,
                                                CourseCompletion.course_id == own.c.course_id))
              .where(by_org.c.course_id.is_(None))
              .group_by(m.org_id).subquery("own_at"))
    p = per_org.c
    grouped = db.session.execute(
        select(p.org_id, p.members, p.exempt, p.untargeted, p.on_track, p.hours,
               p.members * func.coalesce(courses_at.c.n, 0) + func.coalesce(own_at.c.n, 0),
               func.coalesce(done_at.c.n, 0) + func.coalesce(own_at.c.done, 0))
        .outerjoin(courses_at, courses_at.c.org_id == p.org_id)
        .outerjoin(done_at, done_at.c.org_id == p.org_id)
        .outerjoin(own_at, own_at.c.org_id == p.org_id)).all()
    orgs = db.session.execute(
        select(Organization.id, Organization.path, Organization.name, Organization.kind,
               Organization.parent_id, Organization.code)
        .where(_in_subtree(node)).order_by(Organization.code)).all()
    children = {o.id: RollupRow(org_id=o.id, name=o.name, kind=o.kind)
                for o in orgs if o.parent_id == node.id}
    own = RollupRow(org_id=None, name=node.name, kind=node.kind)
    child_of = {o.id: node.child_toward(o.path) for o in orgs}
    total = RollupRow(org_id=node.id, name=node.name, kind=node.kind)
    for org_id, members, exempt, untargeted, on_track, hours_sum, assigned, done in grouped:
        target = children.get(child_of.get(org_id), own)
        for row in (target, total):
            row.members += int(members)
            row.exempt += int(exempt or 0)
            row.untargeted += int(untargeted or 0)
            row.on_track += int(on_track or 0)
            row.hours += float(hours_sum or 0)
            row.assigned += int(assigned or 0)
            row.done += int(done or 0)
    rows = list(children.values())
    if own.members:
        rows.insert(0, own)
    return rows, total


# ---- what the branch view shows around the table ----------------------------------------------

def assignments_reaching(node: Organization) -> list:
    """(assignment, course title, organisation) for every assignment that reaches anyone here:
    on this node, above it, or inside its subtree; soonest due first."""
    return db.session.execute(
        select(CourseAssignment, Course.title, Organization)
        .join(Course, Course.id == CourseAssignment.course_id)
        .join(Organization, Organization.id == CourseAssignment.org_id)
        .where(or_(_in_subtree(node), literal(node.path).startswith(Organization.path)))
        .order_by(CourseAssignment.due_on, Course.title)).all()


@dataclass
class CourseCompletionRow:
    title: str
    due_on: date
    required: int  #: members it is required of
    done: int  #: of those, members who completed it

    @property
    def percent(self) -> int:
        return round(self.done * 100 / self.required) if self.required else 0


def required_by_course(node: Organization, year: int | None = None
                       ) -> list[CourseCompletionRow]:
    """Each required course of the members under ``node`` (during ``year`` when given): of how
    many it is required and how many completed it (one query); soonest due first."""
    members = _members(node)
    per_course = _required_of_members(node, members, year)
    rows = db.session.execute(
        select(Course.title, func.min(per_course.c.due_on), func.count(),
               func.count(CourseCompletion.id))
        .select_from(per_course)
        .join(Course, Course.id == per_course.c.course_id)
        .outerjoin(CourseCompletion,
                   and_(CourseCompletion.user_id == per_course.c.user_id,
                        CourseCompletion.course_id == per_course.c.course_id))
        .group_by(Course.id, Course.title)
        .order_by(func.min(per_course.c.due_on), Course.title)).all()
    return [CourseCompletionRow(r[0], r[1], int(r[2]), int(r[3])) for r in rows]
