"""Writes to courses, lessons and co-authors from the web editor. Each ends in one commit.

Every function takes the acting user first, checks :func:`ensure_editor` itself and records an
audit row. A published course stays published while it is edited: its lesson changes (text,
title, minutes, audio, order, archiving, new lessons) wait in lesson drafts (``drafts.py``) until
:func:`publish_changes`, so members never read a half-edited lesson; :func:`discard_changes`
drops them. Questions and quiz settings apply at once: attempts keep their own snapshots of the
questions and rules, so nothing here changes an attempt under way or past. Every publish bumps
the course version.
"""
from __future__ import annotations

import re
import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from lms.audit.services import record
from lms.auth.models import User
from lms.authoring import drafts
from lms.authoring.drafts import Working
from lms.authoring.models import CourseAuthor, LessonDraft
from lms.authoring.permissions import can_manage_authors, ensure_editor, is_author
from lms.core.clock import utcnow
from lms.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from lms.core.i18n import N_
from lms.courses import media
from lms.courses.models import CATEGORIES, Course, Lesson, MediaFile
from lms.courses.packs import review
from lms.courses.packs.model import LESSON_ID, MAX_LESSONS, MAX_SUMMARY, MAX_TEXT_BYTES, MAX_TITLE
from lms.courses.packs.model import SLUG as SLUG_RE
from lms.courses.render import missing_images as images_missing
from lms.courses.render import render_markdown
from lms.database import begin_write
from lms.extensions import db
from lms.orgs.access import can
from lms.orgs.models import Organization
from lms.quizzes.models import Question, Quiz

#: the body's share of a lesson file (the front matter and its check take the rest)
MAX_BODY_BYTES = MAX_TEXT_BYTES - 32 * 1024
MAX_SLUG = 64


def _course_fields(actor, *, title: str, summary: str, category: str, required: bool,
                   credit_hours: float, audience: Organization | None,
                   keep_audience: bool = False) -> dict:
    """Checked course fields. The audience must lie in the actor's authoring scope; "all"
    (None) is the administrator's alone. ``keep_audience``: the course already has this
    audience, which an editor may leave as it is."""
    title, summary = (title or "").strip(), (summary or "").strip()
    problems = []
    if not title or len(title) > MAX_TITLE:
        problems.append(f"课程名称不能为空，且不超过 {MAX_TITLE} 个字。")
    if not summary or len(summary) > MAX_SUMMARY:
        problems.append(f"简介不能为空，且不超过 {MAX_SUMMARY} 个字。")
    if category not in CATEGORIES:
        problems.append(N_("请选择课程类别。"))
    if credit_hours is None or not 0 < float(credit_hours) <= 100:
        problems.append(N_("学时必须大于 0 且不超过 100。"))
    if audience is None and keep_audience is not True and not actor.is_admin:
        problems.append(N_("只有管理员可以面向全部党组织发布课程。"))
    elif audience is not None and keep_audience is not True \
            and not can(actor, "author", audience):
        problems.append(N_("只能面向您有编写权限的党组织。"))
    if problems:
        raise ValidationFailed(N_("请修改以下内容："), problems)
    return dict(title=title, summary=summary, category=category, required=bool(required),
                credit_hours=float(credit_hours),
                audience_org_id=audience.id if audience is not None else None)


def _free_slug() -> str:
    while True:
        slug = f"course-{secrets.token_hex(3)}"
        if db.session.scalar(select(Course.id).where(Course.slug == slug)) is None:
            return slug


def create_course(actor, *, title: str, summary: str, category: str, required: bool,
                  credit_hours: float, audience: Organization | None = None, slug: str = "",
                  ip: str = "") -> Course:
    """A new draft course owned by ``actor`` (who must hold "author"). ``slug`` is the course's
    folder name in packs and its address; blank picks one."""
    if not is_author(actor):
        raise NotAllowed(N_("您没有编写课程的权限。"))
    fields = _course_fields(actor, title=title, summary=summary, category=category,
                            required=required, credit_hours=credit_hours, audience=audience)
    begin_write()
    slug = (slug or "").strip().lower()
    if slug and (not SLUG_RE.fullmatch(slug) or len(slug) > MAX_SLUG):
        raise ValidationFailed(N_("课程代号只能用小写字母、数字和 -，不超过 64 位。"))
    if slug and db.session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
        raise Conflict(N_("课程代号 %(slug)s 已被使用。"), slug=slug)
    course = Course(slug=slug or _free_slug(), status="draft", version=1, owner_id=actor.id,
                    **fields)
    db.session.add(course)
    db.session.flush()
    record("authoring.course.create", actor=actor, target=course.slug, ip=ip,
           detail={"title": course.title})
    db.session.commit()
    return course


def update_course(actor, course: Course, *, title: str, summary: str, category: str,
                  required: bool, credit_hours: float, audience: Organization | None,
                  ip: str = "") -> None:
    ensure_editor(actor, course)
    keep_audience = (audience.id if audience is not None else None) == course.audience_org_id
    fields = _course_fields(actor, title=title, summary=summary, category=category,
                            required=required, credit_hours=credit_hours, audience=audience,
                            keep_audience=keep_audience)
    if course.status == "published":
        problems = hours_problems(course, fields["credit_hours"])
        if problems:
            raise ValidationFailed(N_("请修改以下内容："), problems)
    changed = {k: v for k, v in fields.items() if getattr(course, k) != v}
    for name, value in changed.items():
        setattr(course, name, value)
    record("authoring.course.update", actor=actor, target=course.slug, ip=ip,
           detail={"changed": sorted(changed)})
    db.session.commit()


def live_lessons(course: Course) -> list[Lesson]:
    return list(db.session.scalars(select(Lesson).where(
        Lesson.course_id == course.id, Lesson.archived.is_(False)).order_by(Lesson.position)))


def study_minutes(course: Course, lessons: list | None = None) -> int:
    """The minutes the 学时 rule counts (``lms/courses/packs/review.py``, the same rule as for
    packs): live lessons' minutes, one minute per question a member answers (each live lesson
    check's questions, the final quiz's draw), and the course's stated extra time. ``lessons``:
    the live lessons to count (the editor's working copy); by default the published ones."""
    lessons = live_lessons(course) if lessons is None else lessons
    live = {lesson.id for lesson in lessons}
    counts = db.session.execute(
        select(Quiz.lesson_id, Quiz.draw, Quiz.archived, func.count(Question.id))
        .join(Question, Question.quiz_id == Quiz.id)
        .where(Quiz.course_id == course.id, Question.archived.is_(False))
        .group_by(Quiz.id, Quiz.lesson_id, Quiz.draw, Quiz.archived)).all()
    # a check counts with its live lesson; the final quiz unless it is archived
    answered = sum(count if lesson_id is not None else min(draw or count, count)
                   for lesson_id, draw, archived, count in counts
                   if (lesson_id in live if lesson_id is not None else not archived))
    extra = course.credit_extra_minutes if course.credit_extra_reason else 0
    return sum(lesson.minutes for lesson in lessons) + review.QUESTION_MINUTES * answered \
        + (extra or 0)


def hours_problems(course: Course, credit_hours: float, lessons: list | None = None) -> list[str]:
    """The 学时 rule: a course credits at most one 学时 per 45 minutes of study, to the
    nearest half."""
    minutes = study_minutes(course, lessons)
    limit = review.hours_for(minutes)
    if float(credit_hours) > limit:
        return [f"学时不能超过 {limit:g}：课文阅读时间加答题时间共约 {minutes} 分钟，"
                f"每 {review.MINUTES_PER_HOUR} 分钟计 1 学时，按半学时取整。"]
    return []


def publish_problems(course: Course, lessons: list | None = None) -> list[str]:
    """What keeps ``course`` from being published (empty when it may be); ``lessons``: the live
    lessons to check (the editor's working copy, ``drafts.working_lessons``), by default the
    published ones."""
    lessons = live_lessons(course) if lessons is None else lessons
    problems = []
    if not lessons:
        problems.append(N_("课程至少要有一课。"))
    for number, lesson in enumerate(lessons, start=1):
        if not lesson.body.strip():
            problems.append(f"第 {number} 课《{lesson.title}》还没有正文。")
    counts = dict(db.session.execute(
        select(Question.quiz_id, func.count(Question.id))
        .where(Question.course_id == course.id, Question.archived.is_(False))
        .group_by(Question.quiz_id)).all())
    titles = {lesson.id: lesson.title for lesson in lessons}
    for quiz in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id)):
        count = counts.get(quiz.id, 0)
        if quiz.lesson_id is None and quiz.archived:
            continue
        if quiz.lesson_id is None:
            if quiz.draw > count:
                problems.append(f"结业测验每次抽 {quiz.draw} 题，但题库只有 {count} 题。")
        elif quiz.lesson_id in titles and (quiz.mastery_required or 0) > count:
            problems.append(f"《{titles[quiz.lesson_id]}》的随堂测验要求答对 "
                            f"{quiz.mastery_required} 题，但只有 {count} 题。")
    problems += hours_problems(course, course.credit_hours, lessons)
    return problems


def publish_course(actor, course: Course, ip: str = "") -> None:
    """Open the course to its audience; every publish bumps the version."""
    ensure_editor(actor, course)
    begin_write()
    if course.status == "published":
        # changes to a published course go out through publish_changes, after its checks
        raise Conflict(N_("这门课程已经发布；修改请用“发布修改”。"))
    problems = publish_problems(course)
    if problems:
        raise ValidationFailed(N_("课程还不能发布："), problems)
    course.status = "published"
    course.version += 1
    course.published_at = utcnow()
    record("authoring.course.publish", actor=actor, target=course.slug, ip=ip,
           detail={"version": course.version})
    db.session.commit()


def unpublish_course(actor, course: Course, ip: str = "") -> None:
    """Back to draft: members no longer see it; their records stay. Unpublished changes become
    the draft course's own text (nobody reads it now; publishing checks it again)."""
    ensure_editor(actor, course)
    if course.status != "published":
        raise Conflict(N_("这门课程没有发布。"))
    begin_write()
    folded = _apply_drafts(course, drafts.pending(course))
    course.status = "draft"
    record("authoring.course.unpublish", actor=actor, target=course.slug, ip=ip,
           detail={"changes": folded} if folded else None)
    db.session.commit()


def _apply_drafts(course: Course, pending: dict) -> dict[str, list[str]]:
    """Copy each lesson draft onto its lesson (its HTML rendered again, for media uploaded
    since), keep each check archived with its lesson, delete the drafts. Returns the changed
    fields by lesson key. The caller commits."""
    if not pending:
        return {}
    lessons = {lesson.id: lesson for lesson in db.session.scalars(
        select(Lesson).where(Lesson.id.in_(pending)))}
    checks = {quiz.lesson_id: quiz for quiz in db.session.scalars(
        select(Quiz).where(Quiz.lesson_id.in_(pending)))}
    urls = media_urls(course)
    changes = {}
    for lesson_id, draft in pending.items():
        lesson = lessons[lesson_id]
        draft.html = render_markdown(draft.body, urls)
        changed = drafts.changed_fields(lesson, draft)
        if changed:
            for name in drafts.FIELDS:
                setattr(lesson, name, getattr(draft, name))
            lesson.version += 1
            changes[lesson.key] = changed
        if lesson_id in checks:
            checks[lesson_id].archived = lesson.archived
        db.session.delete(draft)
    db.session.flush()
    for position, lesson in enumerate(live_lessons(course), start=1):
        lesson.position = position
    return changes


def publish_changes(actor, course: Course, ip: str = "") -> dict[str, list[str]]:
    """发布修改: members get the course's lesson drafts, after the same checks as publishing
    (every live lesson has text, the checks and the final quiz have their questions, the 学时
    rule over the course as it will be). Bumps the course version. Returns the changed fields
    by lesson key; nothing changes when a check fails."""
    ensure_editor(actor, course)
    begin_write()
    if not drafts.drafting(course):
        raise Conflict(N_("这门课程没有发布，修改已经直接生效。"))
    pending = drafts.pending(course)
    if not pending:
        raise Conflict(N_("没有未发布的修改。"))
    changes = _apply_drafts(course, pending)
    problems = publish_problems(course)
    if problems:
        db.session.rollback()
        raise ValidationFailed(N_("修改还不能发布："), problems)
    course.version += 1
    course.published_at = utcnow()
    record("authoring.course.publish_changes", actor=actor, target=course.slug, ip=ip,
           detail={"version": course.version, "lessons": changes})
    db.session.commit()
    return changes


def discard_changes(actor, course: Course, ip: str = "") -> None:
    """放弃修改: drop the course's lesson drafts; a lesson added since publishing goes (kept
    archived instead when something already points at it)."""
    ensure_editor(actor, course)
    begin_write()
    pending = drafts.pending(course)
    if not pending:
        raise Conflict(N_("没有未发布的修改。"))
    new = [draft.lesson_id for draft in pending.values() if draft.is_new]
    for draft in pending.values():
        db.session.delete(draft)
    db.session.flush()
    keys = dict(db.session.execute(select(Lesson.id, Lesson.key).where(
        Lesson.id.in_(pending))).all())
    for lesson_id in new:
        try:
            with db.session.begin_nested():
                check = db.session.scalar(select(Quiz.id).where(Quiz.lesson_id == lesson_id))
                if check is not None:
                    db.session.execute(delete(Question).where(Question.quiz_id == check))
                    db.session.execute(delete(Quiz).where(Quiz.id == check))
                db.session.execute(delete(Lesson).where(Lesson.id == lesson_id))
        except IntegrityError:  # something points at it: it stays archived, as members had it
            pass
    record("authoring.course.discard_changes", actor=actor, target=course.slug, ip=ip,
           detail={"lessons": sorted(keys.values())})
    db.session.commit()


# ---- lessons ---------------------------------------------------------------------------------

def _lesson_key(course: Course, title: str) -> str:
    keys = set(db.session.scalars(select(Lesson.key).where(Lesson.course_id == course.id)))
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:30] if title.isascii() else ""
    candidates = [base] if base else []
    candidates += [f"lesson-{n}" for n in range(len(keys) + 1, len(keys) + 200)]
    return next(k for k in candidates if k and k not in keys)


def _check_lesson(title: str, minutes: int) -> str:
    title = (title or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise ValidationFailed(N_("课名不能为空，且不超过 %(n)d 个字。"), n=MAX_TITLE)
    if minutes is None or not 1 <= int(minutes) <= 60:
        raise ValidationFailed(N_("阅读时间是 1 到 60 分钟。"))
    return title


def _editor_lessons(course: Course) -> list:
    """The live lessons as the editor sees them: with their unpublished changes (``Working``)
    in a published course, else the lessons themselves."""
    return drafts.working_lessons(course) if drafts.drafting(course) else live_lessons(course)


def _next_position(course: Course) -> int:
    """After every lesson of the course, drafts' positions included."""
    return max(db.session.scalar(select(func.coalesce(func.max(Lesson.position), 0)).where(
        Lesson.course_id == course.id)), db.session.scalar(
        select(func.coalesce(func.max(LessonDraft.position), 0)).where(
            LessonDraft.course_id == course.id))) + 1


def add_lesson(actor, course: Course, *, title: str, minutes: int = 5, key: str = "",
               ip: str = "") -> Lesson:
    """A new lesson at the end of the course (``key`` blank: one is made from the title). In a
    published course it is an unpublished change: archived for members, live in its draft."""
    ensure_editor(actor, course)
    title = _check_lesson(title, minutes)
    begin_write()
    if len(_editor_lessons(course)) >= MAX_LESSONS:
        raise ValidationFailed(N_("一门课程最多 %(n)d 课。"), n=MAX_LESSONS)
    key = (key or "").strip().lower()
    if key and not LESSON_ID.fullmatch(key):
        raise ValidationFailed(N_("课的代号只能用小写字母、数字和 -，不超过 40 位。"))
    if key and db.session.scalar(select(Lesson.id).where(
            Lesson.course_id == course.id, Lesson.key == key)) is not None:
        raise Conflict(N_("本课程已有代号为 %(key)s 的课。"), key=key)
    position = _next_position(course)
    hidden = drafts.drafting(course)
    lesson = Lesson(course_id=course.id, key=key or _lesson_key(course, title), position=position,
                    title=title, minutes=int(minutes), body="", html="", version=1,
                    archived=hidden)
    db.session.add(lesson)
    db.session.flush()
    if hidden:
        draft = drafts.draft_of(lesson)
        draft.archived, draft.is_new = False, True
    record("authoring.lesson.add", actor=actor, target=f"{course.slug}/{lesson.key}", ip=ip,
           detail={"draft": True} if hidden else None)
    db.session.commit()
    return lesson


def media_urls(course: Course) -> dict[str, str]:
    """Pack path → served URL for every media file of the course."""
    return {m.path: media.media_url(m.sha256, media.extension_for(m.content_type))
            for m in db.session.scalars(select(MediaFile).where(MediaFile.course_id == course.id))}


def missing_images(course: Course, body: str) -> list[str]:
    """Images the lesson names that the course has no file for (a warning on save)."""
    return images_missing(body or "", media_urls(course))


def preview_html(course: Course, body: str) -> str:
    """The body as members would get it: the reader's renderer and sanitiser."""
    return render_markdown(body or "", media_urls(course))


def update_lesson(actor, lesson: Lesson | Working, *, title: str, minutes: int, body: str,
                  audio: str | None, ip: str = "") -> bool:
    """Save the lesson; its HTML is rendered here, once. Returns whether anything changed. In a
    draft course the lesson changes (its version goes up); in a published one its draft does
    (members keep the published text until :func:`publish_changes`)."""
    lesson = drafts.unwrap(lesson)
    course = db.session.get(Course, lesson.course_id)
    ensure_editor(actor, course)
    title = _check_lesson(title, minutes)
    body = (body or "").replace("\r\n", "\n")
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise ValidationFailed(N_("正文太长（上限约 %(kb)d KB），请拆成几课。"),
                               kb=MAX_BODY_BYTES // 1024)
    audio = audio or None
    if audio is not None and db.session.scalar(select(MediaFile.id).where(
            MediaFile.course_id == course.id, MediaFile.path == audio,
            MediaFile.content_type.startswith("audio/"))) is None:
        raise ValidationFailed(N_("所选的音频不是本课程的音频文件。"))
    html = preview_html(course, body)
    new = dict(title=title, minutes=int(minutes), body=body, audio=audio, html=html)
    if drafts.drafting(course):
        begin_write()
        current = drafts.working(lesson)
        changed = sorted(k for k, v in new.items() if getattr(current, k) != v)
        if changed:
            draft = drafts.draft_of(lesson, current.draft)
            for name, value in new.items():
                setattr(draft, name, value)
            drafts.settle(lesson, draft)
            record("authoring.lesson.update", actor=actor, target=f"{course.slug}/{lesson.key}",
                   ip=ip, detail={"changed": changed, "draft": True})
            db.session.commit()
        return bool(changed)
    changed = sorted(k for k, v in new.items() if getattr(lesson, k) != v)
    if changed:
        for name, value in new.items():
            setattr(lesson, name, value)
        lesson.version += 1
        record("authoring.lesson.update", actor=actor, target=f"{course.slug}/{lesson.key}",
               ip=ip, detail={"changed": changed, "version": lesson.version})
        db.session.commit()
    return bool(changed)


def rerender_lessons(course: Course, path: str) -> None:
    """After a media upload: lessons and lesson drafts naming ``path`` get their HTML again
    (caller commits)."""
    urls = media_urls(course)
    for lesson in db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)):
        if path in lesson.body:
            html = render_markdown(lesson.body, urls)
            if html != lesson.html:
                lesson.html = html
                lesson.version += 1
    for draft in drafts.pending(course).values():
        if path in draft.body:
            draft.html = render_markdown(draft.body, urls)


def move_lesson(actor, lesson: Lesson | Working, direction: str, ip: str = "") -> None:
    """Swap the lesson with its live neighbour ``up`` or ``down`` (in a published course, in
    the lessons' drafts)."""
    lesson = drafts.unwrap(lesson)
    course = db.session.get(Course, lesson.course_id)
    ensure_editor(actor, course)
    begin_write()
    drafting = drafts.drafting(course)
    lessons = _editor_lessons(course)
    index = next((i for i, item in enumerate(lessons) if item.id == lesson.id), None)
    if index is None:
        raise NotFound(N_("这一课已归档。"))
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(lessons):
        return
    lessons[index], lessons[other] = lessons[other], lessons[index]
    for position, item in enumerate(lessons, start=1):
        if not drafting:
            item.position = position
        elif item.position != position:
            draft = drafts.draft_of(item.lesson, item.draft)
            draft.position = position
            drafts.settle(item.lesson, draft)
    record("authoring.lesson.move", actor=actor, target=f"{course.slug}/{lesson.key}", ip=ip,
           detail={"direction": direction, **({"draft": True} if drafting else {})})
    db.session.commit()


def set_lesson_archived(actor, lesson: Lesson | Working, archived: bool, ip: str = "") -> None:
    """Archive (members no longer see it; records stay) or bring back a lesson; in a published
    course, in its draft."""
    lesson = drafts.unwrap(lesson)
    course = db.session.get(Course, lesson.course_id)
    ensure_editor(actor, course)
    begin_write()
    drafting = drafts.drafting(course)
    current = drafts.working(lesson) if drafting else lesson
    if current.archived == archived:
        return
    if not archived and len(_editor_lessons(course)) >= MAX_LESSONS:
        raise ValidationFailed(N_("一门课程最多 %(n)d 课。"), n=MAX_LESSONS)
    target = drafts.draft_of(lesson, current.draft) if drafting else lesson
    if not archived:
        target.position = _next_position(course)
    target.archived = archived
    if drafting:
        drafts.settle(lesson, target)
    else:
        lesson.version += 1
        check = db.session.scalar(select(Quiz).where(Quiz.lesson_id == lesson.id))
        if check is not None:
            check.archived = archived
    record("authoring.lesson.archive" if archived else "authoring.lesson.restore", actor=actor,
           target=f"{course.slug}/{lesson.key}", ip=ip,
           detail={"draft": True} if drafting else None)
    db.session.commit()


# ---- co-authors ------------------------------------------------------------------------------

def co_authors(course: Course) -> list[User]:
    return list(db.session.scalars(select(User).join(
        CourseAuthor, CourseAuthor.user_id == User.id).where(
        CourseAuthor.course_id == course.id).order_by(User.name)))


def add_co_author(actor, course: Course, phone: str, ip: str = "") -> User:
    """Name the holder of ``phone`` co-author; they must hold "author" themselves."""
    if not can_manage_authors(actor, course):
        raise NotAllowed(N_("只有课程的创建者和管理员可以设置合作编写人。"))
    user = db.session.scalar(select(User).where(User.phone == (phone or "").strip(),
                                                User.active.is_(True)))
    if user is None or not is_author(user):
        raise ValidationFailed(N_("没有这个手机号的讲师或宣传委员。"))
    if user.id == course.owner_id:
        raise Conflict(N_("课程创建者本来就能编辑。"))
    begin_write()
    if db.session.scalar(select(CourseAuthor.id).where(
            CourseAuthor.course_id == course.id, CourseAuthor.user_id == user.id)):
        raise Conflict(N_("%(name)s 已经是合作编写人。"), name=user.name)
    db.session.add(CourseAuthor(course_id=course.id, user_id=user.id))
    record("authoring.author.add", actor=actor, target=course.slug, ip=ip,
           detail={"user_id": user.id})
    db.session.commit()
    return user


def remove_co_author(actor, course: Course, user_id: int, ip: str = "") -> None:
    if not can_manage_authors(actor, course):
        raise NotAllowed(N_("只有课程的创建者和管理员可以设置合作编写人。"))
    row = db.session.scalar(select(CourseAuthor).where(
        CourseAuthor.course_id == course.id, CourseAuthor.user_id == user_id))
    if row is None:
        raise NotFound(N_("没有这位合作编写人。"))
    db.session.delete(row)
    record("authoring.author.remove", actor=actor, target=course.slug, ip=ip,
           detail={"user_id": user_id})
    db.session.commit()
