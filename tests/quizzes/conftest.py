"""Quiz fixtures: a small course built in the database, and helpers that answer an attempt."""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from lms.extensions import db

ROOT = Path(__file__).resolve().parents[2]
_slugs = itertools.count(1)


def bank_questions(n: int, prefix: str = "b") -> list[dict]:
    """``n`` questions cycling through the four kinds, with one point each."""
    kinds = itertools.cycle(["single", "multiple", "truefalse", "fill"])
    out = []
    for i, kind in zip(range(1, n + 1), kinds, strict=False):
        q = {"key": f"{prefix}{i}", "kind": kind, "stem": f"第{i}题（{kind}）题干",
             "explanation": f"解析{i}：因为如此", "points": 1}
        if kind == "single":
            q.update(options=[f"甲{i}", f"乙{i}", f"丙{i}"], answer=[1])
        elif kind == "multiple":
            q.update(options=[f"子{i}", f"丑{i}", f"寅{i}", f"卯{i}"], answer=[0, 2])
        elif kind == "truefalse":
            q.update(options=[], answer=[i % 2 == 0])
        else:
            q.update(options=[], answer=[f"答案{i}", f"答{i}"])
        out.append(q)
    return out


@pytest.fixture
def make_course(app):
    """``make_course(bank=10, draw=3, check=3, **final_rules)`` → a published course with one
    lesson (check of ``check`` questions, mastery ``mastery``) and a final quiz. The final
    opens before the lessons are done (``open_before_lessons=False`` to wait for them): these
    tests are about attempts, not the order of study."""
    from lms.courses.models import Course, Lesson
    from lms.quizzes.models import Question, Quiz

    def make(*, bank: int = 10, draw: int = 3, check: int = 3, mastery: int | None = 2,
             owner=None, audience=None, lessons: int = 1, **rules):
        n = next(_slugs)
        course = Course(slug=f"course-{n}", title=f"测试课程{n}", summary="摘要", category="理论",
                        required=True, credit_hours=2, status="published",
                        owner_id=owner.id if owner else None,
                        audience_org_id=audience.id if audience else None)
        db.session.add(course)
        db.session.flush()
        made_lessons = []
        for position in range(1, lessons + 1):
            lesson = Lesson(course_id=course.id, key=f"l{position}", position=position,
                            title=f"第{position}课", minutes=3, body="正文", html="<p>正文</p>")
            db.session.add(lesson)
            made_lessons.append(lesson)
        db.session.flush()
        check_quiz = None
        if check:
            check_quiz = Quiz(course_id=course.id, lesson_id=made_lessons[0].id,
                              mastery_required=mastery, pass_percent=0, draw=0)
            db.session.add(check_quiz)
            db.session.flush()
            for position, q in enumerate(bank_questions(check, f"c{n}-"), start=1):
                db.session.add(Question(course_id=course.id, quiz_id=check_quiz.id,
                                        position=position, **q))
        final = None
        if bank:
            settings = {"pass_percent": 60, "max_attempts": 0, "time_limit_minutes": 0,
                        "grading": "highest", "multiple_scoring": "all_or_nothing",
                        "review": True, "open_before_lessons": True}
            settings.update(rules)
            final = Quiz(course_id=course.id, lesson_id=None, draw=draw, **settings)
            db.session.add(final)
            db.session.flush()
            for position, q in enumerate(bank_questions(bank, f"f{n}-"), start=1):
                db.session.add(Question(course_id=course.id, quiz_id=final.id,
                                        position=position, **q))
        db.session.commit()
        return {"course": course, "lesson": made_lessons[0], "lessons": made_lessons,
                "check": check_quiz, "final": final}

    return make


@pytest.fixture
def real_courses(app):
    """The three shipped course packs, imported as `flask courses import` does."""
    from lms.authoring.pack_sync import import_folders

    return [o.course for o in import_folders([ROOT / "courses"])]


def right_value(entry: dict):
    """The form value that answers a snapshot entry right."""
    kind = entry["kind"]
    if kind == "single":
        return str(entry["answer"][0])
    if kind == "multiple":
        return [str(i) for i in entry["answer"]]
    if kind == "truefalse":
        return "true" if entry["answer"][0] else "false"
    return entry["answer"][0]


def wrong_value(entry: dict):
    """A form value that answers a snapshot entry wrong (but is a valid answer)."""
    kind = entry["kind"]
    if kind == "single":
        return str(next(i for i in range(len(entry["options"])) if i not in entry["answer"]))
    if kind == "multiple":
        return [str(i) for i in range(len(entry["options"])) if i not in entry["answer"]]
    if kind == "truefalse":
        return "false" if entry["answer"][0] else "true"
    return "完全不对的答案"


def answers_for(attempt, right: int) -> dict:
    """Answers to the attempt: the first ``right`` entries right, the rest wrong."""
    return {e["key"]: right_value(e) if i < right else wrong_value(e)
            for i, e in enumerate(attempt.snapshot)}


def form_of(answers: dict) -> dict:
    """Service answers as the form fields a browser posts (``shown`` and ``q-<key>``)."""
    data = {"shown": list(answers)}
    for key, value in answers.items():
        data[f"q-{key}"] = value
    return data
