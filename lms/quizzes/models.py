"""Quizzes (lesson checks and final quizzes) and their questions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.clock import utcnow
from lms.core.models import IdMixin, TimestampMixin
from lms.core.questions import QuestionData
from lms.extensions import db


class Quiz(IdMixin, TimestampMixin, db.Model):
    """A lesson check (``lesson_id`` set) or a course's final quiz (``lesson_id`` None)."""

    __tablename__ = "quizzes"
    __table_args__ = (
        UniqueConstraint("course_id", "lesson_id"),
        # NULLs are distinct in a unique constraint: this is what keeps one final quiz a course
        db.Index("uq_quizzes_one_final", "course_id", unique=True,
                 sqlite_where=db.text("lesson_id IS NULL"),
                 postgresql_where=db.text("lesson_id IS NULL")),
    )

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id"))
    #: lesson checks: correct answers needed to pass (e.g. 2 of 3)
    mastery_required: Mapped[int | None]
    pass_percent: Mapped[int] = mapped_column(default=60)
    #: questions drawn per attempt; 0 = all of them
    draw: Mapped[int] = mapped_column(default=0)
    #: 0 = unlimited
    max_attempts: Mapped[int] = mapped_column(default=0)
    #: 0 = no time limit
    time_limit_minutes: Mapped[int] = mapped_column(default=0)
    grading: Mapped[str] = mapped_column(String(10), default="highest")
    multiple_scoring: Mapped[str] = mapped_column(String(20), default="all_or_nothing")
    review: Mapped[bool] = mapped_column(default=True)
    archived: Mapped[bool] = mapped_column(default=False)
    #: a final quiz opens once every lesson counts; True lets a member take it straight away
    open_before_lessons: Mapped[bool] = mapped_column(default=False,
                                                      server_default=db.false())

    questions = relationship("Question", back_populates="quiz", lazy="raise_on_sql",
                             order_by="Question.position")


class Question(IdMixin, TimestampMixin, db.Model):
    """A question of a quiz's bank. Attempts keep their own snapshot, so edits never reach them."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    #: stable id, unique within the course (the pack's question ``id``)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(10))
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSON, default=list)
    #: option indexes, [true/false], or accepted strings (see QuestionData)
    answer: Mapped[list] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[float] = mapped_column(Numeric(6, 2, asdecimal=False), default=1)
    title: Mapped[str] = mapped_column(String(200), default="")
    option_feedback: Mapped[list] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(default=1)
    archived: Mapped[bool] = mapped_column(default=False)

    quiz = relationship("Quiz", back_populates="questions", lazy="raise_on_sql")

    def to_data(self) -> QuestionData:
        return QuestionData(key=self.key, kind=self.kind, stem=self.stem,
                            answer=tuple(self.answer), options=tuple(self.options),
                            explanation=self.explanation, points=float(self.points),
                            title=self.title, option_feedback=tuple(self.option_feedback or ()))


ATTEMPT_STATES = ("in_progress", "submitted")


class Attempt(IdMixin, db.Model):
    """One try at a quiz, holding the questions exactly as they were presented.

    ``snapshot`` is a list of presented questions: {key, kind, stem, options (in the shown
    order), answer (indexes into the shown options), explanation, points, order (shown position
    → original option index)}. Grading and review read only the snapshot, so editing or
    re-importing a course never changes a past attempt. At most one attempt per (user, quiz) is
    in progress: a partial unique index enforces it.
    """

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "quiz_id", "number"),
        db.Index("uq_attempts_one_in_progress", "user_id", "quiz_id", unique=True,
                 sqlite_where=db.text("state = 'in_progress'"),
                 postgresql_where=db.text("state = 'in_progress'")),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(String(12), default="in_progress")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: set from the quiz's time limit at start; None = no limit
    deadline: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    score: Mapped[float] = mapped_column(Numeric(8, 2, asdecimal=False), default=0)
    max_score: Mapped[float] = mapped_column(Numeric(8, 2, asdecimal=False), default=0)
    passed: Mapped[bool] = mapped_column(default=False)
    snapshot: Mapped[list] = mapped_column(JSON, default=list)
    #: the quiz's grading rules when the attempt started ({mastery_required, pass_percent,
    #: multiple_scoring}), so a re-import during the attempt cannot change how it is graded
    rules: Mapped[dict] = mapped_column(JSON, default=dict)


class Response(IdMixin, db.Model):
    """A member's answer to one presented question of an attempt, saved as they go."""

    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("attempt_id", "question_key"),)

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"), index=True)
    question_key: Mapped[str] = mapped_column(String(64))
    #: as the member gave it, in the shown order's terms (indexes, bool or text)
    answer: Mapped[list] = mapped_column(JSON, default=list)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    correct: Mapped[bool | None]
    points: Mapped[float | None] = mapped_column(Numeric(6, 2, asdecimal=False))
    #: set at grading: the answer in words (chosen option texts, 对/错, the folded fill-in text;
    #: "" when unanswered), so trainer statistics group answers across shuffled option orders
    answer_text: Mapped[str] = mapped_column(String(200), default="")


class WrongAnswer(IdMixin, db.Model):
    """A question in a member's 错题本 (wrong-answer book), one row per (member, course, key).

    Grading adds the questions a member got wrong (``streak`` back to 0, ``resolved_at`` cleared);
    a right answer, in practice or in a later attempt, adds one to ``streak``; at
    :data:`lms.quizzes.wrong_answers.STREAK_TO_LEAVE` the question leaves the book (``resolved_at``).
    ``question`` is the latest presented snapshot entry, so practice never reads the live bank.
    """

    __tablename__ = "wrong_answers"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "question_key"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    #: the quiz the question was last presented in (its review setting applies to practice)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"))
    question_key: Mapped[str] = mapped_column(String(64))
    question: Mapped[dict] = mapped_column(JSON)
    #: right answers in a row since the last wrong one
    streak: Mapped[int] = mapped_column(default=0)
    wrong_count: Mapped[int] = mapped_column(default=1)
    last_wrong_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: when the question left the book; None while it is in it
    resolved_at: Mapped[datetime | None]


class AttemptGrant(IdMixin, db.Model):
    """More attempts at a quiz for one member, given by their secretary or the course's trainer
    when the quiz's attempts ran out. Kept (never edited), so the member and the audit log see
    who gave how many and why."""

    __tablename__ = "attempt_grants"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"))
    extra: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
