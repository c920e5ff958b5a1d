"""Course packs ⇄ database.

Import is idempotent (the same pack twice changes nothing), matches lessons and questions by
their stable ids, bumps the course version when anything changed, archives what disappeared, and
never touches learners' records or past attempts (those keep their own snapshots). Export turns a
course back into a :class:`Pack`, so export → import is a fixed point.
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select

from lms.audit.services import record
from lms.authoring.drafts import working_lessons
from lms.authoring.models import LessonDraft
from lms.core.clock import utcnow
from lms.core.errors import NotFound, ValidationFailed
from lms.core.i18n import N_
from lms.core.questions import QuestionData
from lms.courses import media
from lms.courses.models import Course, Lesson, MediaFile
from lms.courses.packs import CheckData, LessonData, Pack, QuizData, SourceRef
from lms.courses.packs import MediaFile as PackMedia
from lms.courses.render import render_markdown
from lms.database import begin_write
from lms.extensions import db
from lms.orgs.models import Organization
from lms.quizzes.models import Question, Quiz


@dataclass
class ImportOutcome:
    course: Course
    changed: bool
    created: bool
    notes: list[str] = field(default_factory=list)


def pack_digest(pack: Pack) -> str:
    """A fingerprint of everything a pack says (text and media hashes).

    Lesson file names are left out: they are layout, not content (the database keeps none, and
    an export names lessons ``lessons/NN-<id>.md``), so renaming a file or importing an export
    of a pack whose files had other names changes nothing.
    """
    content = dataclasses.replace(pack, lessons=tuple(
        dataclasses.replace(lesson, file="") for lesson in pack.lessons))
    return hashlib.sha256(repr(content).encode("utf-8")).hexdigest()


def pack_folders(paths) -> list[Path]:
    """Each path is a pack, or a folder of packs (as ``validate_paths`` reads them)."""
    folders = []
    for path in map(Path, paths):
        if (path / "course.yaml").exists() or not path.is_dir():
            folders.append(path)
        else:
            folders.extend(sorted(p for p in path.iterdir()
                                  if p.is_dir() and not p.name.startswith(".")))
    return folders


def import_folders(paths, actor=None, ip: str = "") -> list[ImportOutcome]:
    """Validate every pack first; import all of them in one transaction, or none.

    A pack claiming more 学时 than the rule allows (``courses/packs/review.py``) is refused like
    any other problem; the review's warnings come back in each outcome's ``notes``. Raises
    ValidationFailed listing every problem of every pack.
    """
    from lms.courses.packs import read_pack  # with PyYAML: only when packs are read
    from lms.courses.packs.review import review_pack

    read = [(folder, read_pack(folder)) for folder in pack_folders(paths)]
    problems = [str(p) for _, result in read for p in result.problems]
    reviews = {folder: review_pack(folder, result.pack) for folder, result in read if result.ok}
    problems += [str(p) for review in reviews.values() for p in review.problems]
    if problems:
        raise ValidationFailed(N_("课程包有问题，没有导入任何课程。"), problems)
    begin_write()
    try:
        outcomes = [import_pack(result.pack, folder, actor=actor, ip=ip, commit=False)
                    for folder, result in read]
        for outcome, (folder, _) in zip(outcomes, read, strict=True):
            outcome.notes.extend(str(w) for w in reviews[folder].warnings)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return outcomes


def import_pack(pack: Pack, folder: Path, actor=None, ip: str = "",
                status: str = "published", commit: bool = True) -> ImportOutcome:
    """Bring the database in line with ``pack`` (media read from ``folder``)."""
    digest = pack_digest(pack)
    begin_write()
    course = db.session.scalar(select(Course).where(Course.slug == pack.slug))
    if course is not None and course.pack_digest == digest:
        return ImportOutcome(course=course, changed=False, created=False)
    audience = None
    if pack.audience and pack.audience != "all":
        audience = db.session.scalar(select(Organization).where(
            Organization.code == pack.audience))
        if audience is None:
            raise ValidationFailed(N_("%(path)s: audience “%(code)s” 不是已有党组织的代码。"),
                                   path=f"{pack.slug}/course.yaml", code=pack.audience)
    created = course is None
    if created:
        course = Course(slug=pack.slug, version=1, status=status, credit_hours=0,
                        published_at=utcnow() if status == "published" else None,
                        owner_id=getattr(actor, "id", None))
        db.session.add(course)
    else:
        course.version += 1
        # the pack is the course now: unpublished changes made in the editor give way to it
        dropped = db.session.execute(delete(LessonDraft).where(
            LessonDraft.course_id == course.id)).rowcount
    course.title, course.summary, course.category = pack.title, pack.summary, pack.category
    course.required, course.credit_hours = pack.required, pack.credit_hours
    course.audience_org_id = audience.id if audience else None
    course.sources = [dataclasses.asdict(ref) for ref in pack.sources]
    course.credit_extra_minutes = pack.credit_extra_minutes
    course.credit_extra_reason = pack.credit_extra_reason
    course.pack_digest = digest
    db.session.flush()

    media_urls = _sync_media(course, pack, folder)
    lessons = _sync_lessons(course, pack, media_urls)
    _sync_quizzes(course, pack, lessons)
    record("course.import", actor=actor, target=pack.slug, ip=ip,
           actor_label=None if actor else "system",
           detail={"version": course.version, "created": created,
                   **({"drafts_dropped": dropped} if not created and dropped else {})})
    if commit:
        db.session.commit()
    return ImportOutcome(course=course, changed=True, created=created)


def _sync_media(course: Course, pack: Pack, folder: Path) -> dict[str, str]:
    existing = {m.path: m for m in db.session.scalars(
        select(MediaFile).where(MediaFile.course_id == course.id))}
    urls = {}
    for item in pack.media:
        data = (folder / item.path).read_bytes()
        kind = media.sniff(data)
        if kind is None:
            raise ValidationFailed(N_("%(path)s: 文件内容不是可用的图片或音频。"),
                                   path=f"{pack.slug}/{item.path}")
        ext, ctype = kind
        media.store(data, item.sha256, ext)
        row = existing.pop(item.path, None) or MediaFile(course_id=course.id, path=item.path)
        row.sha256, row.size, row.content_type = item.sha256, item.size, ctype
        db.session.add(row)
        urls[item.path] = media.media_url(item.sha256, ext)
    for gone in existing.values():
        db.session.delete(gone)  # the stored file stays: old lesson versions may name it
    return urls


def _sync_lessons(course: Course, pack: Pack, media_urls: dict[str, str]) -> dict[str, Lesson]:
    existing = {lesson.key: lesson for lesson in db.session.scalars(
        select(Lesson).where(Lesson.course_id == course.id))}
    kept = {}
    for data in pack.lessons:
        lesson = existing.pop(data.id, None)
        html = render_markdown(data.body, media_urls)
        if lesson is None:
            lesson = Lesson(course_id=course.id, key=data.id, version=1)
            db.session.add(lesson)
        elif (lesson.title, lesson.minutes, lesson.body, lesson.audio, lesson.archived) != (
                data.title, data.minutes, data.body, data.audio, False) or lesson.html != html:
            lesson.version += 1
        lesson.position, lesson.title, lesson.minutes = data.position, data.title, data.minutes
        lesson.body, lesson.audio, lesson.html, lesson.archived = data.body, data.audio, html, False
        kept[data.id] = lesson
    for gone in existing.values():
        gone.archived = True
    db.session.flush()
    return kept


def _sync_quizzes(course: Course, pack: Pack, lessons: dict[str, Lesson]) -> None:
    quizzes = {q.lesson_id: q for q in db.session.scalars(
        select(Quiz).where(Quiz.course_id == course.id))}
    questions = {q.key: q for q in db.session.scalars(
        select(Question).where(Question.course_id == course.id))}
    seen: set[str] = set()

    def quiz_for(lesson_id):
        quiz = quizzes.pop(lesson_id, None)
        if quiz is None:
            quiz = Quiz(course_id=course.id, lesson_id=lesson_id)
            db.session.add(quiz)
            db.session.flush()
        quiz.archived = False
        return quiz

    for data in pack.lessons:
        if data.check is None:
            continue
        quiz = quiz_for(lessons[data.id].id)
        quiz.mastery_required = data.check.mastery_required
        quiz.draw, quiz.max_attempts, quiz.time_limit_minutes = 0, 0, 0
        quiz.pass_percent, quiz.review = 0, True
        _sync_questions(course, quiz, data.check.questions, questions, seen)
    if pack.final_quiz is not None:
        final = pack.final_quiz
        quiz = quiz_for(None)
        quiz.mastery_required = None
        quiz.pass_percent, quiz.draw, quiz.max_attempts = final.pass_percent, final.draw, \
            final.max_attempts
        quiz.time_limit_minutes, quiz.grading = final.time_limit_minutes, final.grading
        quiz.multiple_scoring, quiz.review = final.multiple_scoring, final.review
        quiz.open_before_lessons = final.open_before_lessons
        _sync_questions(course, quiz, final.questions, questions, seen)
    for gone in quizzes.values():
        gone.archived = True
    for key, question in questions.items():
        if key not in seen:
            question.archived = True


def _sync_questions(course, quiz, items, existing, seen) -> None:
    for position, data in enumerate(items, start=1):
        seen.add(data.key)
        question = existing.get(data.key)
        fields = {"kind": data.kind, "stem": data.stem, "options": list(data.options),
                  "answer": list(data.answer), "explanation": data.explanation,
                  "points": data.points, "title": data.title,
                  "option_feedback": list(data.option_feedback)}
        if question is None:
            question = Question(course_id=course.id, key=data.key, version=1, **fields)
            db.session.add(question)
            existing[data.key] = question
        else:
            if any(getattr(question, k) != v for k, v in fields.items()) or question.archived:
                question.version += 1
            for k, v in fields.items():
                setattr(question, k, v)
        question.quiz_id, question.position, question.archived = quiz.id, position, False


# ---- export ---------------------------------------------------------------------------------

def course_to_pack(course: Course) -> tuple[Pack, dict[str, bytes]]:
    """The course as a Pack (live lessons and questions only) and its media bytes by path. The
    lessons are the editor's: unpublished changes included (``drafts.working_lessons``)."""
    lessons = working_lessons(course)
    # a check goes with its live lesson (one added since publishing is archived until then)
    quizzes = [quiz for quiz in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id))
               if quiz.lesson_id is not None or not quiz.archived]
    questions = list(db.session.scalars(select(Question).where(
        Question.course_id == course.id, Question.archived.is_(False))
        .order_by(Question.position)))
    by_quiz: dict[int, list[QuestionData]] = {}
    for question in questions:
        by_quiz.setdefault(question.quiz_id, []).append(question.to_data())
    check_of = {q.lesson_id: q for q in quizzes if q.lesson_id is not None}
    final = next((q for q in quizzes if q.lesson_id is None), None)
    lesson_data = []
    for position, lesson in enumerate(lessons, start=1):
        quiz = check_of.get(lesson.id)
        check = None
        if quiz is not None and by_quiz.get(quiz.id):
            check = CheckData(mastery_required=quiz.mastery_required or len(by_quiz[quiz.id]),
                              questions=tuple(by_quiz[quiz.id]))
        lesson_data.append(LessonData(id=lesson.key, file="", position=position,
                                      title=lesson.title, minutes=lesson.minutes,
                                      audio=lesson.audio, body=lesson.body, check=check))
    final_data = None
    if final is not None and by_quiz.get(final.id):
        # 0 means "every question" here; the pack format says it with the bank's size
        final_data = QuizData(pass_percent=final.pass_percent,
                              draw=final.draw or len(by_quiz[final.id]),
                              max_attempts=final.max_attempts,
                              time_limit_minutes=final.time_limit_minutes,
                              grading=final.grading, multiple_scoring=final.multiple_scoring,
                              review=final.review,
                              open_before_lessons=final.open_before_lessons,
                              questions=tuple(by_quiz[final.id]))
    files = list(db.session.scalars(select(MediaFile).where(MediaFile.course_id == course.id)
                                    .order_by(MediaFile.path)))
    audience = "all"
    if course.audience_org_id:
        audience = db.session.get(Organization, course.audience_org_id).code
    pack = Pack(slug=course.slug, title=course.title, summary=course.summary,
                category=course.category, required=course.required,
                credit_hours=float(course.credit_hours), audience=audience,
                lessons=tuple(lesson_data), final_quiz=final_data,
                media=tuple(PackMedia(path=f.path, size=f.size, sha256=f.sha256) for f in files),
                sources=tuple(SourceRef(**ref) for ref in course.sources or ()),
                credit_extra_minutes=course.credit_extra_minutes or 0,
                credit_extra_reason=course.credit_extra_reason or "")
    data = {f.path: media.stored_path(f.sha256, media.extension_for(f.content_type)).read_bytes()
            for f in files}
    return pack, data


def get_course(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise NotFound(N_("没有课程 %(slug)s。"), slug=slug)
    return course
