"""What every editor page shares: loading what the URL names (404 unless the user may edit it)
and the audience choices."""
from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from lms.authoring.drafts import Working, working_lessons
from lms.authoring.permissions import can_edit
from lms.core.forms import options
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.orgs.queries import visible_orgs
from lms.quizzes.models import Question, Quiz


def course_or_404(course_id: int) -> Course:
    """A course the user may edit; any other looks missing (nobody learns what others write)."""
    course = db.session.get(Course, course_id)
    if course is None or not can_edit(current_user, course):
        abort(404)
    return course


def lesson_or_404(course: Course, lesson_id: int) -> Lesson:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or lesson.course_id != course.id:
        abort(404)
    return lesson


def quiz_or_404(course: Course, quiz_id: int) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or quiz.course_id != course.id:
        abort(404)
    return quiz


def question_or_404(quiz: Quiz, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.quiz_id != quiz.id:
        abort(404)
    return question


def audience_choices(course: Course | None = None):
    """Every organisation where the user may author (plus the course's own); "all" for the
    administrator, or where the course already has it."""
    orgs = visible_orgs(current_user, "author")
    everyone = current_user.is_admin or (course is not None and course.audience_org_id is None)
    pairs = [(0, _("全部党组织"))] if everyone else []
    pairs += [(o.id, f"{'　' * o.depth}{o.name}（{o.code}）") for o in orgs]
    if course is not None and course.audience_org_id and course.audience_org_id not in {
            o.id for o in orgs}:
        from lms.orgs.models import Organization

        org = db.session.get(Organization, course.audience_org_id)
        pairs.append((org.id, f"{org.name}（{org.code}）"))
    return options(pairs)


def audience_org(org_id: int):
    """The organisation chosen in a form (0: everyone); an unknown id aborts with 400."""
    if not org_id:
        return None
    from lms.orgs.models import Organization

    org = db.session.get(Organization, org_id)
    if org is None:
        abort(400)
    return org


def course_lessons_all(course: Course) -> list[Working]:
    """Every lesson as the editor sees it (unpublished changes included), the archived last."""
    return working_lessons(course, archived=True)
