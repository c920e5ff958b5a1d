"""Member pages run a fixed number of queries whatever the member's history holds."""
from __future__ import annotations

from datetime import date

import pytest

from lms.extensions import db
from lms.progress import years
from lms.progress.models import CourseAssignment, StudyHours


def _history(member, secretary, tree, make_course, grade, finish_lessons, courses: int):
    """``courses`` courses: one passed, the others part-way, with results and hours."""
    for n in range(courses):
        made = make_course(lessons=3, check=1, check_on=(0, 1), final=1)
        db.session.add(CourseAssignment(course_id=made.course.id, org_id=tree["a"].id,
                                        due_on=date(2099, 1, n + 1), assigned_by_id=secretary.id))
        db.session.commit()
        finish_lessons(member, made, only={0, 1} if n else None)
        grade.check(member, made.checks[1], passed=False)
        if not n:
            grade.final(member, made.final)
    for i in range(courses * 3):
        db.session.add(StudyHours(user_id=member.id, year=years.this_year(), category="meeting",
                                  hours=1, source="manual", reason=f"党课{i}"))
    db.session.commit()
    return made


@pytest.mark.parametrize("url", ["/study/", "/study/record", "/courses/",
                                 "/courses/{slug}/", "/courses/{slug}/lessons/l1",
                                 "/courses/{slug}/lessons/l3"])
def test_member_pages_keep_a_fixed_query_count(client, login, member, secretary, tree,
                                               make_course, grade, finish_lessons,
                                               count_queries, url):
    made = _history(member, secretary, tree, make_course, grade, finish_lessons, 1)
    target = url.format(slug=made.course.slug)
    login(member)
    client.get(target)
    db.session.commit()  # requests share the test's session: start each from the same state
    with count_queries() as small:
        assert client.get(target).status_code == 200
    _history(member, secretary, tree, make_course, grade, finish_lessons, 6)
    db.session.commit()
    with count_queries() as large:
        assert client.get(target).status_code == 200
    assert large[0] == small[0], target
    assert small[0] <= 14, (target, small[0])


def test_what_my_study_costs(client, login, member, secretary, tree, make_course, grade,
                             finish_lessons, count_queries):
    _history(member, secretary, tree, make_course, grade, finish_lessons, 3)
    login(member)
    client.get("/study/")
    db.session.commit()
    with count_queries() as n:
        client.get("/study/")
    # user, roles (nav + target), hours, required, in progress, resume, results, and the
    # branch's next meetings with my attendance (meetings)
    assert n[0] <= 9, n[0]
