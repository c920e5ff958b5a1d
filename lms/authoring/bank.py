"""Lesson checks, the final quiz and their question banks, edited by hand. One commit each.

Editing a question bumps its version; a question that any attempt has presented is archived,
never deleted, so reviews and statistics keep what members saw (attempts hold snapshots anyway).
"""
from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from lms.audit.services import record
from lms.authoring.permissions import ensure_editor
from lms.core.errors import Conflict, NotFound, ValidationFailed
from lms.core.i18n import N_
from lms.core.questions import QuestionData, is_valid_key
from lms.courses.models import Course, Lesson
from lms.database import begin_write
from lms.extensions import db
from lms.quizzes.formats.common import problems_zh
from lms.quizzes.grading import MULTIPLE_SCORING
from lms.quizzes.models import Attempt, Question, Quiz, Response

GRADINGS = ("highest", "last")
MAX_ATTEMPTS, MAX_TIME_LIMIT = 100, 600


def final_quiz(course: Course) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.course_id == course.id,
                                                Quiz.lesson_id.is_(None)).order_by(Quiz.id))


def lesson_check(lesson: Lesson) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.lesson_id == lesson.id))


def live_questions(quiz: Quiz) -> list[Question]:
    return list(db.session.scalars(select(Question).where(
        Question.quiz_id == quiz.id, Question.archived.is_(False)).order_by(Question.position,
                                                                           Question.id)))


def live_count(quiz: Quiz) -> int:
    return db.session.scalar(select(func.count(Question.id)).where(
        Question.quiz_id == quiz.id, Question.archived.is_(False)))


def ensure_final_quiz(actor, course: Course, ip: str = "", commit: bool = True) -> Quiz:
    """The course's final quiz, made (60 % to pass, 3 attempts, every question) when missing."""
    ensure_editor(actor, course)
    begin_write()
    quiz = final_quiz(course)
    if quiz is None:
        quiz = Quiz(course_id=course.id, lesson_id=None, pass_percent=60, draw=0, max_attempts=3,
                    time_limit_minutes=0, grading="highest", multiple_scoring="all_or_nothing",
                    review=True)
        db.session.add(quiz)
        db.session.flush()
        record("authoring.quiz.create", actor=actor, target=f"{course.slug}/final", ip=ip)
    elif quiz.archived:
        quiz.archived = False
    if commit:
        db.session.commit()
    return quiz


def ensure_check(actor, lesson: Lesson, ip: str = "", commit: bool = True) -> Quiz:
    """The lesson's check (all questions right to pass until a mastery rule is set). It is
    archived while its lesson is (a lesson added to a published course, until 发布修改)."""
    lesson = getattr(lesson, "lesson", lesson)  # a drafts.Working
    course = db.session.get(Course, lesson.course_id)
    ensure_editor(actor, course)
    begin_write()
    quiz = lesson_check(lesson)
    if quiz is None:
        quiz = Quiz(course_id=course.id, lesson_id=lesson.id, mastery_required=None,
                    pass_percent=0, draw=0, max_attempts=0, time_limit_minutes=0, review=True,
                    archived=lesson.archived)
        db.session.add(quiz)
        db.session.flush()
        record("authoring.quiz.create", actor=actor, target=f"{course.slug}/{lesson.key}", ip=ip)
    elif quiz.archived and not lesson.archived:
        quiz.archived = False
    if commit:
        db.session.commit()
    return quiz


def update_final_settings(actor, quiz: Quiz, *, pass_percent: int, draw: int, max_attempts: int,
                          time_limit_minutes: int, grading: str, multiple_scoring: str,
                          review: bool, open_before_lessons: bool = False,
                          ip: str = "") -> None:
    """Final-quiz rules. ``draw`` 0 means every question; it may not exceed the bank."""
    course = db.session.get(Course, quiz.course_id)
    ensure_editor(actor, course)
    if quiz.lesson_id is not None:
        raise Conflict(N_("这是随堂测验，只能设置答对几题算通过。"))
    count = live_count(quiz)
    problems = []
    if pass_percent is None or not 1 <= pass_percent <= 100:
        problems.append(N_("及格线是 1 到 100 之间的百分数。"))
    if draw is None or draw < 0:
        problems.append(N_("每次抽题数不能是负数（0 表示全部）。"))
    elif draw > count:
        problems.append(f"每次抽 {draw} 题，但题库只有 {count} 题。")
    if max_attempts is None or not 0 <= max_attempts <= MAX_ATTEMPTS:
        problems.append(f"答题次数是 0（不限）到 {MAX_ATTEMPTS}。")
    if time_limit_minutes is None or not 0 <= time_limit_minutes <= MAX_TIME_LIMIT:
        problems.append(f"限时是 0（不限时）到 {MAX_TIME_LIMIT} 分钟。")
    if grading not in GRADINGS:
        problems.append(N_("成绩取法只能是最高分或最后一次。"))
    if multiple_scoring not in MULTIPLE_SCORING:
        problems.append(N_("多选题计分方式无效。"))
    if problems:
        raise ValidationFailed(N_("测验设置有误："), problems)
    quiz.pass_percent, quiz.draw, quiz.max_attempts = pass_percent, draw, max_attempts
    quiz.time_limit_minutes, quiz.grading = time_limit_minutes, grading
    quiz.multiple_scoring, quiz.review = multiple_scoring, bool(review)
    quiz.open_before_lessons = bool(open_before_lessons)
    record("authoring.quiz.settings", actor=actor, target=f"{course.slug}/final", ip=ip,
           detail={"pass_percent": pass_percent, "draw": draw, "max_attempts": max_attempts,
                   "time_limit_minutes": time_limit_minutes, "grading": grading,
                   "multiple_scoring": multiple_scoring, "review": bool(review),
                   "open_before_lessons": bool(open_before_lessons)})
    db.session.commit()


def update_check_settings(actor, quiz: Quiz, *, mastery_required: int | None,
                          ip: str = "") -> None:
    """A lesson check's mastery rule: ``mastery_required`` right answers (None: all of them)."""
    course = db.session.get(Course, quiz.course_id)
    ensure_editor(actor, course)
    if quiz.lesson_id is None:
        raise Conflict(N_("结业测验没有“答对几题”的设置。"))
    count = live_count(quiz)
    if mastery_required is not None and not 1 <= mastery_required <= max(count, 1):
        raise ValidationFailed(N_("答对题数应在 1 到 %(count)d 之间（共 %(count)d 题）；留空表示全部答对。"),
                               count=count)
    quiz.mastery_required = mastery_required
    record("authoring.quiz.settings", actor=actor, target=f"{course.slug}/check/{quiz.id}",
           ip=ip, detail={"mastery_required": mastery_required})
    db.session.commit()


def _free_key(course: Course, prefix: str) -> str:
    keys = set(db.session.scalars(select(Question.key).where(Question.course_id == course.id)))
    n = 1
    while f"{prefix}-q{n}" in keys:
        n += 1
    return f"{prefix}-q{n}"


def quiz_prefix(quiz: Quiz) -> str:
    if quiz.lesson_id is None:
        return "final"
    return db.session.scalar(select(Lesson.key).where(Lesson.id == quiz.lesson_id))


def _fields(data: QuestionData) -> dict:
    return {"kind": data.kind, "stem": data.stem, "options": list(data.options),
            "answer": list(data.answer), "explanation": data.explanation,
            "points": float(data.points), "title": data.title,
            "option_feedback": list(data.option_feedback)}


def save_question(actor, quiz: Quiz, question: Question | None, data: QuestionData,
                  ip: str = "") -> Question:
    """Add (``question`` None) or change a question of ``quiz``. The key of a new question is
    ``data.key`` or, when blank, made from the quiz; an existing question keeps its key. Raises
    ValidationFailed with every problem of the question."""
    course = db.session.get(Course, quiz.course_id)
    ensure_editor(actor, course)
    if question is not None and question.quiz_id != quiz.id:
        raise NotFound(N_("这道题不在这个测验里。"))
    problems = problems_zh(data)
    if not data.explanation.strip():
        problems.append(N_("请写上解析（答题后给学员看的讲解）。"))
    if data.key and question is None and not is_valid_key(data.key):
        problems.append(N_("题目编号只能用字母、数字和 _ . -，不超过 64 位。"))
    if problems:
        raise ValidationFailed(N_("题目有问题："), problems)
    begin_write()
    fields = _fields(data)
    if question is None:
        key = data.key or _free_key(course, quiz_prefix(quiz))
        if db.session.scalar(select(Question.id).where(Question.course_id == course.id,
                                                       Question.key == key)) is not None:
            raise Conflict(N_("本课程已有编号为 %(key)s 的题目。"), key=key)
        position = db.session.scalar(select(func.coalesce(func.max(Question.position), 0))
                                     .where(Question.quiz_id == quiz.id)) + 1
        question = Question(course_id=course.id, quiz_id=quiz.id, key=key, position=position,
                            version=1, **fields)
        db.session.add(question)
        action = "authoring.question.add"
    else:
        if all(getattr(question, k) == v for k, v in fields.items()):
            return question
        for name, value in fields.items():
            setattr(question, name, value)
        question.version += 1
        action = "authoring.question.update"
    db.session.flush()
    record(action, actor=actor, target=f"{course.slug}/{question.key}", ip=ip,
           detail={"version": question.version, "quiz_id": quiz.id})
    db.session.commit()
    return question


def is_referenced(question: Question) -> bool:
    """Whether any attempt presented the question (an answer names it, or a snapshot holds it)."""
    answered = db.session.scalar(select(exists().where(
        Response.question_key == question.key, Response.attempt_id == Attempt.id,
        Attempt.quiz_id == question.quiz_id)))
    if answered:
        return True
    snapshots = db.session.scalars(select(Attempt.snapshot).where(
        Attempt.quiz_id == question.quiz_id).execution_options(yield_per=500))
    return any(isinstance(item, dict) and item.get("key") == question.key
               for snapshot in snapshots for item in (snapshot or ()))


def _clamp_rules(quiz: Quiz) -> list[str]:
    """Keep the mastery rule and the draw within a shrunken bank; say what changed."""
    count = live_count(quiz)
    notes = []
    if quiz.mastery_required and quiz.mastery_required > count:
        quiz.mastery_required = count or None
        notes.append(f"答对题数已改为 {count}。" if count else N_("答对题数已改为全部。"))
    if quiz.draw > count:
        quiz.draw = count
        notes.append(f"每次抽题数已改为 {count}。")
    return notes


def remove_question(actor, question: Question, ip: str = "") -> tuple[str, list[str]]:
    """Delete a question no attempt has seen, else archive it. Returns ("deleted"|"archived",
    notes about rules adjusted to the smaller bank)."""
    course = db.session.get(Course, question.course_id)
    ensure_editor(actor, course)
    begin_write()
    quiz = db.session.get(Quiz, question.quiz_id)
    target = f"{course.slug}/{question.key}"
    outcome = "archived"
    if not is_referenced(question):
        try:
            with db.session.begin_nested():
                db.session.delete(question)
            outcome = "deleted"
        except IntegrityError:  # something of another domain points at it: keep it, archived
            question = db.session.get(Question, question.id)
    if outcome == "archived":
        question.archived = True
        question.version += 1
    db.session.flush()
    notes = _clamp_rules(quiz)
    record(f"authoring.question.{'delete' if outcome == 'deleted' else 'archive'}", actor=actor,
           target=target, ip=ip)
    db.session.commit()
    return outcome, notes


def restore_question(actor, question: Question, ip: str = "") -> None:
    course = db.session.get(Course, question.course_id)
    ensure_editor(actor, course)
    if not question.archived:
        return
    question.archived = False
    question.version += 1
    record("authoring.question.restore", actor=actor, target=f"{course.slug}/{question.key}",
           ip=ip)
    db.session.commit()


def archived_questions(quiz: Quiz) -> list[Question]:
    return list(db.session.scalars(select(Question).where(
        Question.quiz_id == quiz.id, Question.archived.is_(True)).order_by(Question.position)))
