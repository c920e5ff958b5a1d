"""Question banks into a quiz: read with the pure readers, plan against the course, then write
every question or none.

A plan names the target quiz (``final`` or a lesson's key for its check), each question taken
with its final key and what will happen to it, and every problem and refusal with its row or line.
Modes: ``add`` (default) adds every question as a new one, renaming a key the course already uses
(``q001`` → ``q001-2``); ``update`` changes the question of the same key in this quiz (version
bumped when it differs) and adds the rest. Problems block the import; refused questions (kinds we
do not have) never go in, and block nothing on the web, where the preview lists them. The command
line refuses the whole file when anything was refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import func, select

from lms.audit.services import record
from lms.authoring import drafts
from lms.authoring.bank import ensure_check, ensure_final_quiz, final_quiz, lesson_check
from lms.authoring.permissions import ensure_editor
from lms.core.errors import ValidationFailed
from lms.core.i18n import N_
from lms.core.problems import located
from lms.core.questions import QuestionData
from lms.courses.models import Course, Lesson
from lms.database import begin_write
from lms.extensions import db
from lms.quizzes.formats import MAX_BYTES, READERS, ReadResult
from lms.quizzes.models import Question

FORMAT_LABELS = {"xlsx": "Excel（.xlsx）", "csv": "CSV", "gift": "GIFT（Moodle）",
                 "aiken": "Aiken"}
EXTENSIONS = {"xlsx": "xlsx", "csv": "csv", "gift": "gift", "aiken": "aiken"}
MODES = ("add", "update")


@dataclass
class PlannedQuestion:
    question: QuestionData
    location: str
    action: str  # "new" | "update" | "same"
    renamed_from: str = ""


@dataclass
class ImportPlan:
    format: str
    target: str
    target_label: str
    items: list[PlannedQuestion] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.items)

    def count(self, action: str) -> int:
        return sum(1 for item in self.items if item.action == action)


def detect_format(filename: str, data: bytes, chosen: str = "") -> str:
    """The format the trainer chose, else by extension (``.txt``: GIFT when it has braces,
    else Aiken). Raises ValidationFailed for any other file name."""
    if chosen:
        if chosen not in READERS:
            raise ValidationFailed(N_("未知的题库格式。"))
        return chosen
    name = (filename or "").lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    if ext == "txt":
        return "gift" if b"{" in data[:MAX_BYTES] else "aiken"
    raise ValidationFailed(N_("不支持这种文件。请上传 .xlsx、.csv、.gift 或 .txt（GIFT 或 Aiken）文件，"
                           "或在“格式”中选定格式。"))


def read_bank(fmt: str, data: bytes) -> ReadResult:
    """The reader's result; a reader that fails unexpectedly counts as an unreadable file."""
    try:
        return READERS[fmt](bytes(data))
    except Exception:  # noqa: BLE001 - a reader bug must not become a half-import or a 500
        unit = "row" if fmt in ("xlsx", "csv") else "line"
        return ReadResult(problems=[located(unit, 1, N_("无法读取这个文件"))])


def target_label(course: Course, target: str) -> tuple[str, Lesson | None]:
    """``final`` or a live lesson's key (as the editor sees it: a lesson added to a published
    course counts before 发布修改) → (label, lesson). Raises ValidationFailed."""
    if target == "final":
        return "结业测验", None
    lesson = db.session.scalar(select(Lesson).where(
        Lesson.course_id == course.id, Lesson.key == target))
    if lesson is None or drafts.working(lesson).archived:
        raise ValidationFailed(N_("本课程没有代号为 %(key)s 的课（可用 final 或某一课的代号）。"),
                               key=target)
    return f"《{drafts.working(lesson).title}》随堂测验", lesson


def plan_import(course: Course, target: str, data: bytes, filename: str = "", fmt: str = "",
                mode: str = "add") -> ImportPlan:
    """Read ``data`` and decide, without writing, what importing it into ``target`` does."""
    if mode not in MODES:
        raise ValidationFailed(N_("导入方式无效。"))
    label, lesson = target_label(course, target)
    fmt = detect_format(filename, data, fmt)
    result = read_bank(fmt, data)
    plan = ImportPlan(format=fmt, target=target, target_label=label,
                      problems=list(result.problems), refused=list(result.refused),
                      notes=list(result.notes))
    if result.problems:
        return plan
    quiz = final_quiz(course) if lesson is None else lesson_check(lesson)
    existing = {q.key: q for q in db.session.scalars(select(Question).where(
        Question.course_id == course.id))}
    kept, renamed = {}, []
    for q in result.questions:
        same = existing.get(q.key)
        if same is None:
            kept[q.key] = PlannedQuestion(q, result.locations.get(q.key, ""), "new")
        elif mode == "update" and quiz is not None and same.quiz_id == quiz.id:
            action = "same" if same.to_data() == q and not same.archived else "update"
            kept[q.key] = PlannedQuestion(q, result.locations.get(q.key, ""), action)
        else:
            renamed.append(q)
    taken = set(existing) | set(kept)
    for q in renamed:
        base, n = q.key[:58], 2
        while f"{base}-{n}" in taken:
            n += 1
        key = f"{base}-{n}"
        taken.add(key)
        kept[q.key] = PlannedQuestion(replace(q, key=key),
                                      result.locations.get(q.key, ""), "new", renamed_from=q.key)
    plan.items = [kept[q.key] for q in result.questions]
    if not plan.items and not plan.refused:
        plan.problems.append(N_("文件中没有可导入的题目。"))
    return plan


def import_questions(actor, course: Course, target: str, data: bytes, filename: str = "",
                     fmt: str = "", mode: str = "add", ip: str = "",
                     allow_refused: bool = True) -> ImportPlan:
    """Plan and write in one transaction: every planned question, or (on any problem) none.

    Raises ValidationFailed listing the problems (and, unless ``allow_refused``, the refused
    questions) when nothing was written.
    """
    if actor is not None:
        ensure_editor(actor, course)
    if len(data) > MAX_BYTES:
        raise ValidationFailed(N_("文件太大，上限是 %(mb)d MB。"), mb=MAX_BYTES // 1024 // 1024)
    begin_write()
    try:
        plan = plan_import(course, target, data, filename, fmt, mode)
        blocking = plan.problems + ([] if allow_refused else plan.refused)
        if blocking or not plan.items:
            raise ValidationFailed(N_("没有导入任何题目。"), blocking or [N_("文件中没有可导入的题目。")])
        _, lesson = target_label(course, target)
        if actor is None:
            quiz = _system_quiz(course, lesson)
        elif lesson is None:
            quiz = ensure_final_quiz(actor, course, ip=ip, commit=False)
        else:
            quiz = ensure_check(actor, lesson, ip=ip, commit=False)
        _write(course, quiz, plan)
        record("authoring.questions.import", actor=actor, target=f"{course.slug}/{target}", ip=ip,
               actor_label=None if actor else "system",
               detail={"format": plan.format, "file": (filename or "")[:80], "mode": mode,
                       "new": plan.count("new"), "updated": plan.count("update"),
                       "refused": len(plan.refused)})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return plan


def _system_quiz(course: Course, lesson: Lesson | None):
    """The command line has no acting user: make the quiz as the pack importer would."""
    from lms.quizzes.models import Quiz

    quiz = final_quiz(course) if lesson is None else lesson_check(lesson)
    if quiz is None:
        quiz = Quiz(course_id=course.id, lesson_id=lesson.id if lesson else None,
                    pass_percent=60 if lesson is None else 0, draw=0,
                    max_attempts=3 if lesson is None else 0, time_limit_minutes=0, review=True)
        db.session.add(quiz)
        db.session.flush()
    quiz.archived = lesson.archived if lesson is not None else False  # see bank.ensure_check
    return quiz


def _write(course: Course, quiz, plan: ImportPlan) -> None:
    position = db.session.scalar(select(func.coalesce(func.max(Question.position), 0))
                                 .where(Question.quiz_id == quiz.id))
    existing = {q.key: q for q in db.session.scalars(select(Question).where(
        Question.quiz_id == quiz.id))}
    for item in plan.items:
        q = item.question
        fields = {"kind": q.kind, "stem": q.stem, "options": list(q.options),
                  "answer": list(q.answer), "explanation": q.explanation,
                  "points": float(q.points), "title": q.title,
                  "option_feedback": list(q.option_feedback)}
        if item.action == "new":
            position += 1
            db.session.add(Question(course_id=course.id, quiz_id=quiz.id, key=q.key,
                                    position=position, version=1, **fields))
        elif item.action == "update":
            row = existing[q.key]
            for name, value in fields.items():
                setattr(row, name, value)
            row.archived = False
            row.version += 1
    db.session.flush()
