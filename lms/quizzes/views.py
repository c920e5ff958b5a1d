"""Quiz pages: the lesson-check section, the final quiz, saving and submitting, review, the 错题本
and trainer statistics. Thin: form values in, services called, domain errors to status codes.

Every POST answers HTML (a redirect) or, when the request asks for JSON (quiz.js sends
``Accept: application/json``), a small JSON body. Nothing before submission says what is right.
"""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.auth.models import User
from lms.core.clock import utcnow
from lms.core.errors import DomainError, NotAllowed, NotFound, ValidationFailed
from lms.core.hooks import page_extras, provided
from lms.core.web import client_ip, error_texts
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.orgs.access import requires
from lms.quizzes import bp, queries, services, snapshot
from lms.quizzes import wrong_answers as book
from lms.quizzes.forms import GrantForm
from lms.quizzes.models import Attempt, Quiz


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _form_answers() -> dict[str, list[str]]:
    """Answers on the posted form: ``shown`` names each question on it, ``q-<key>`` holds its
    values. A ``q-`` field of a question not shown is kept too, so the service refuses it.
    Every other field (``score``, ``user_id``, …) is never read."""
    answers = {key: request.form.getlist(f"q-{key}") for key in request.form.getlist("shown")}
    for name in request.form:
        if name.startswith("q-") and name[2:] not in answers:
            answers[name[2:]] = request.form.getlist(name)
    return answers


def _fail(error: DomainError):
    """A domain error as JSON, or as the error page carrying the service's message."""
    if wants_json():
        message, *problems = error_texts(error)
        return jsonify(error=message, problems=problems), error.status_code
    title = {404: _("页面不存在"), 403: _("没有权限"), 409: _("无法保存")}.get(
        error.status_code, _("请求有误"))
    return render_template("errors/error.html", code=error.status_code, title=title,
                           text=error.translated()), error.status_code


def _lesson_url(attempt_quiz_id: int) -> str | None:
    """Where a lesson check lives: its lesson page, at the check."""
    row = db.session.execute(
        select(Course.slug, Lesson.key).join(Lesson, Lesson.course_id == Course.id)
        .join(Quiz, Quiz.lesson_id == Lesson.id).where(Quiz.id == attempt_quiz_id)).first()
    if row is None:
        return None
    return url_for("courses.lesson", slug=row[0], key=row[1]) + "#check"


def _take_url(attempt) -> str:
    return _lesson_url(attempt.quiz_id) or url_for("quizzes.take", attempt_id=attempt.id)


def _next_url(endpoint: str, outcome) -> str:
    """Where a start (``quizzes.take``) or a submit (``quizzes.review``) leads, from what the
    service read before its commit (which expired the attempt): a final quiz's page needs no
    query; a lesson check lives on its lesson page (one query)."""
    return (outcome.lesson_check and _lesson_url(outcome.quiz_id)) \
        or url_for(endpoint, attempt_id=outcome.attempt_id)


def _remaining(attempt) -> int | None:
    if attempt.deadline is None:
        return None
    return max(0, int((attempt.deadline - utcnow()).total_seconds()))


# ---- page extras ------------------------------------------------------------------------------

def lesson_extra(user, course, lesson, **_context) -> dict:
    """The lesson check under the lesson text (three queries at most)."""
    if not user.is_authenticated:
        return {}
    state = queries.lesson_check(user, lesson.id)
    if state is None:
        return {}
    attempt = state.attempt
    ctx = {"state": state, "course": course, "lesson": lesson, "attempt": attempt,
           "remaining": _remaining(attempt) if attempt is not None else None}
    return {"sections": [("quizzes/_lesson_check.html", ctx)]}


def course_extra(user, course, **_context) -> dict:
    """The final-quiz entry on the course page (two queries)."""
    if not user.is_authenticated:
        return {}
    found = queries.final_quiz(course.id)
    if found is None:
        return {}
    quiz, bank = found
    rows = queries.attempt_summaries(user.id, quiz.id)
    ctx = {"quiz": quiz, "bank": bank, "rows": rows,
           "result": queries.quiz_result(rows, quiz.grading),
           "current": next((r for r in rows if r.state == "in_progress"), None),
           "lessons_left": _lessons_left(user, quiz)}
    return {"sections": [("quizzes/_course_final.html", ctx)]}


def _lessons_left(user, quiz) -> int:
    """Lessons still between the member and a final quiz that waits for them (0: it is open)."""
    if quiz.open_before_lessons:
        return 0
    return provided("lessons_left", 0, user=user, course_id=quiz.course_id)


# ---- the final quiz ---------------------------------------------------------------------------

@bp.get("/quizzes/<int:quiz_id>")
@login_required
def quiz_page(quiz_id: int):
    try:
        quiz, course = services.live_quiz(current_user, quiz_id)
    except NotFound:
        abort(404)
    if quiz.lesson_id is not None:
        return redirect(_lesson_url(quiz.id) or url_for("courses.course", slug=course.slug))
    found = queries.final_quiz(course.id)
    rows = queries.attempt_summaries(current_user.id, quiz.id)
    current = next((r for r in rows if r.state == "in_progress"), None)
    grants = queries.grants(current_user.id, quiz.id)
    allowed = quiz.max_attempts + sum(g.extra for g in grants)
    return render_template(
        "quizzes/quiz.html", quiz=quiz, course=course, bank=found[1] if found else 0,
        rows=rows, result=queries.quiz_result(rows, quiz.grading), current=current,
        left=None if not quiz.max_attempts else max(0, allowed - len(rows)),
        grants=grants, lessons_left=_lessons_left(current_user, quiz))


@bp.post("/quizzes/<int:quiz_id>/start")
@login_required
def start(quiz_id: int):
    try:
        started = services.start_attempt(current_user, quiz_id)
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(error.translated(), "error")
        return redirect(_lesson_url(quiz_id) or url_for("quizzes.quiz_page", quiz_id=quiz_id))
    if started.status == "finalised":
        flash(_("上次的测验已超过答题时间，已按截止前保存的答案评分。"), "info")
        return redirect(_next_url("quizzes.review", started))
    return redirect(_next_url("quizzes.take", started))


@bp.get("/quizzes/attempts/<int:attempt_id>")
@login_required
def take(attempt_id: int):
    own = queries.own_attempt(current_user, attempt_id)
    if own is None:
        abort(404)
    if own.attempt.state != "in_progress":
        return redirect(url_for("quizzes.review", attempt_id=attempt_id))
    if own.lesson_key is not None:
        return redirect(url_for("courses.lesson", slug=own.course.slug, key=own.lesson_key)
                        + "#check")
    return render_template("quizzes/take.html", own=own, attempt=own.attempt,
                           quiz=own.quiz, course=own.course,
                           remaining=_remaining(own.attempt))


@bp.post("/quizzes/attempts/<int:attempt_id>/answer")
@login_required
def save_answer(attempt_id: int):
    answers = _form_answers()
    if not answers:
        if wants_json():
            return jsonify(error=_("没有收到答案。")), 400
        abort(400)
    try:
        stored = services.save_answers(current_user, attempt_id, answers)
    except DomainError as error:
        return _fail(error)
    if wants_json():
        return jsonify(saved=stored, saved_at=utcnow().isoformat(timespec="seconds") + "Z")
    flash(_("答案已保存。"), "success")
    attempt = db.session.get(Attempt, attempt_id)
    anchor = f"q-{request.form.get('save', '')}" if request.form.get("save") in answers else ""
    url = _take_url(attempt)
    return redirect(url.split("#")[0] + "#" + anchor if anchor else url)


@bp.post("/quizzes/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int):
    try:
        outcome = services.submit_attempt(current_user, attempt_id, _form_answers() or None)
    except DomainError as error:
        return _fail(error)
    result_url = _next_url("quizzes.review", outcome)
    if wants_json():
        attempt = outcome.attempt
        body = {"state": attempt.state, "already_submitted": outcome.already,
                "late": outcome.late, "score": attempt.score, "max_score": attempt.max_score,
                "passed": attempt.passed, "result_url": result_url}
        return jsonify(body), 409 if outcome.already else 200
    if outcome.already:
        flash(_("这次测验已经交过卷了，下面是交卷时的成绩。"), "info")
    elif outcome.late:
        flash(_("答题时间已到，已按截止前保存的答案评分。"), "info")
    return redirect(result_url, code=303)


@bp.get("/quizzes/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id: int):
    own = queries.own_attempt(current_user, attempt_id)
    if own is None:
        abort(404)
    attempt, quiz = own.attempt, own.quiz
    if attempt.state != "submitted":
        abort(403)
    busy = queries.in_progress_elsewhere(current_user.id, quiz.id, attempt.id)
    is_check = quiz.lesson_id is not None
    rows = [] if is_check else queries.attempt_summaries(current_user.id, quiz.id)
    allowed = quiz.max_attempts + (services.granted_attempts(current_user.id, quiz.id)
                                   if rows and quiz.max_attempts else 0)
    return render_template(
        "quizzes/review.html", own=own, attempt=attempt, quiz=quiz, course=own.course,
        busy=busy, is_check=is_check,
        show_marks=not busy and (is_check or quiz.review),
        show_key=not busy and quiz.review and (attempt.passed or not is_check),
        rows=rows, result=queries.quiz_result(rows, quiz.grading) if rows else None,
        left=None if not quiz.max_attempts else max(0, allowed - len(rows)),
        correct_text=snapshot.correct_text,
        **(page_extras("quiz_result", user=current_user, course=own.course, attempt=attempt)
           if not is_check else {"sections": []}))


# ---- more attempts (staff) ----------------------------------------------------------------------

def record_extra(user, member, **_context) -> dict:
    """On a member's 学习档案 seen by staff: final quizzes whose attempts ran out, each with a
    form giving more (one query; nothing when there are none)."""
    if user.id == member.id:
        return {}
    rows = queries.exhausted_finals(member.id)
    if not rows:
        return {}
    return {"sections": [("quizzes/_grant.html", {"member": member, "rows": rows,
                                                  "form": GrantForm(formdata=None)})]}


@bp.post("/quizzes/<int:quiz_id>/members/<int:user_id>/grant")
@login_required
def grant(quiz_id: int, user_id: int):
    # someone the actor may not give attempts to looks the same as nobody: the answer tells a
    # stranger nothing about which members or quizzes exist
    member = db.session.get(User, user_id)
    course = db.session.scalar(select(Course).join(Quiz, Quiz.course_id == Course.id)
                               .where(Quiz.id == quiz_id))
    if member is None or course is None or not services.may_grant(current_user, member, course):
        abort(404)
    target = url_for("progress.member_record", user_id=user_id)
    form = GrantForm()
    if not form.validate_on_submit():
        flash(_("请填写增加的次数（1 到 3 次）和原因。"), "error")
        return redirect(target)
    try:
        services.grant_attempts(current_user, member, quiz_id, extra=form.extra.data,
                                reason=form.reason.data, ip=client_ip())
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except ValidationFailed as error:
        flash(error.translated(), "error")
        return redirect(target)
    flash(_("已给 %(name)s 增加 %(n)d 次测验机会。", name=member.name, n=form.extra.data),
          "success")
    return redirect(target)


# ---- 错题本 ------------------------------------------------------------------------------------

@bp.get("/wrong-answers/")
@login_required
def wrong_answers():
    return render_template("quizzes/wrong_answers.html", entries=book.book(current_user),
                           correct_text=snapshot.correct_text)


@bp.post("/wrong-answers/<int:entry_id>/check")
@login_required
def practise(entry_id: int):
    try:
        outcome = book.practise(current_user, entry_id, request.form.getlist("answer"))
    except DomainError as error:
        if wants_json() or error.status_code == 404:
            return _fail(error)
        flash(error.translated(), "error")
        return redirect(url_for("quizzes.wrong_answers"))
    entry = outcome.entry
    reveal = outcome.review
    if wants_json():
        return jsonify(correct=outcome.correct, resolved=outcome.resolved,
                       streak=outcome.streak,
                       answer=snapshot.correct_text(entry) if reveal else None,
                       explanation=entry.get("explanation") if reveal else None)
    if outcome.correct:
        flash(_("答对了！") + (" " + _("这道题已移出错题本。") if outcome.resolved else ""),
              "success")
    else:
        flash(_("答错了，再想想。"), "error")
    if reveal:
        flash(_("正确答案：%(answer)s。%(why)s", answer=snapshot.correct_text(entry),
                why=entry.get("explanation", "")), "info")
    anchor = "" if outcome.resolved else f"#w-{entry_id}"
    return redirect(url_for("quizzes.wrong_answers") + anchor)


# ---- trainer statistics -----------------------------------------------------------------------

@bp.get("/quizzes/stats/")
@requires("author")
def stats_index():
    return render_template("quizzes/stats_index.html",
                           courses=queries.stats_courses(current_user))


@bp.get("/quizzes/stats/<int:course_id>")
@requires("author")
def stats(course_id: int):
    course = queries.stats_course(current_user, course_id)
    if course is None:
        abort(404)
    return render_template("quizzes/stats.html", course=course,
                           stats=queries.question_stats(course))
