"""Paper: the printable lesson sheet (the text, the lesson check's questions without answers, a
QR code back to the lesson) and the course poster for the village notice board. Where a phone
cannot keep a course (no service worker), the course's sheet is what goes to sea."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from lms.core import kinds
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.quizzes.models import Question, Quiz


@dataclass
class SheetLesson:
    lesson: Lesson
    #: the live check's questions as (stem, choices): choices are the options to tick, 对/错,
    #: or empty for a blank to fill in — never the answer
    questions: list[tuple[str, list[str]]] = field(default_factory=list)
    needed: int | None = None


def sheet_lessons(course: Course, key: str | None = None) -> list[SheetLesson]:
    """The live lessons (or the one ``key``) with their checks' questions: two queries."""
    stmt = select(Lesson).where(Lesson.course_id == course.id, Lesson.archived.is_(False))
    if key is not None:
        stmt = stmt.where(Lesson.key == key)
    lessons = [SheetLesson(lesson) for lesson in db.session.scalars(
        stmt.order_by(Lesson.position))]
    by_id = {s.lesson.id: s for s in lessons}
    if not by_id:
        return []
    rows = db.session.execute(
        select(Quiz.lesson_id, Quiz.mastery_required, Question.kind, Question.stem,
               Question.options)
        .join(Question, Question.quiz_id == Quiz.id)
        .where(Quiz.lesson_id.in_(by_id), Quiz.archived.is_(False),
               Question.archived.is_(False))
        .order_by(Quiz.lesson_id, Question.position))
    for lesson_id, mastery, kind, stem, options in rows:
        sheet = by_id[lesson_id]
        choices = kinds.get(kind).printed_choices(list(options or []))
        sheet.questions.append((stem, choices))
        sheet.needed = mastery
    return lessons
