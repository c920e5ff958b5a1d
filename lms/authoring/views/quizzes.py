"""Lesson checks and the final quiz: settings, the question bank, member preview, bank export."""
from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.authoring import bank, bp, drafts
from lms.authoring.export import export_bank
from lms.authoring.forms import CheckForm, FinalQuizForm, QuestionForm
from lms.authoring.views.common import (
    course_or_404,
    lesson_or_404,
    question_or_404,
    quiz_or_404,
)
from lms.core import kinds
from lms.core.errors import DomainError
from lms.core.forms import EmptyForm
from lms.core.questions import LETTERS, QuestionData
from lms.core.web import client_ip, flash_error
from lms.courses.models import Lesson
from lms.extensions import db
from lms.orgs.access import requires


def quiz_label(quiz) -> str:
    """The quiz's heading, in the reader's language."""
    if quiz.lesson_id is None:
        return _("结业测验")
    return _("《%(t)s》随堂测验", t=drafts.working(db.session.get(Lesson, quiz.lesson_id)).title)


@bp.post("/courses/<int:course_id>/final")
@requires("author")
def create_final(course_id: int):
    course = course_or_404(course_id)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("authoring.course", course_id=course.id))
    quiz = bank.ensure_final_quiz(current_user, course, ip=client_ip())
    return redirect(url_for("authoring.quiz", course_id=course.id, quiz_id=quiz.id))


@bp.post("/courses/<int:course_id>/lessons/<int:lesson_id>/check")
@requires("author")
def create_check(course_id: int, lesson_id: int):
    course = course_or_404(course_id)
    lesson = lesson_or_404(course, lesson_id)
    if not EmptyForm().validate_on_submit() or drafts.working(lesson).archived:
        return redirect(url_for("authoring.lesson", course_id=course.id, lesson_id=lesson.id))
    quiz = bank.ensure_check(current_user, lesson, ip=client_ip())
    return redirect(url_for("authoring.quiz", course_id=course.id, quiz_id=quiz.id))


def _settings_form(quiz):
    if quiz.lesson_id is None:
        return FinalQuizForm(obj=quiz if request.method == "GET" else None)
    return CheckForm(obj=quiz if request.method == "GET" else None)


@bp.route("/courses/<int:course_id>/quizzes/<int:quiz_id>", methods=["GET", "POST"])
@requires("author")
def quiz(course_id: int, quiz_id: int):
    course = course_or_404(course_id)
    quiz = quiz_or_404(course, quiz_id)
    form = _settings_form(quiz)
    if request.method == "POST" and form.validate_on_submit():
        try:
            if quiz.lesson_id is None:
                bank.update_final_settings(
                    current_user, quiz, pass_percent=form.pass_percent.data,
                    draw=form.draw.data, max_attempts=form.max_attempts.data,
                    time_limit_minutes=form.time_limit_minutes.data,
                    grading=form.grading.data, multiple_scoring=form.multiple_scoring.data,
                    review=form.review.data,
                    open_before_lessons=form.open_before_lessons.data, ip=client_ip())
            else:
                bank.update_check_settings(current_user, quiz,
                                           mastery_required=form.mastery_required.data,
                                           ip=client_ip())
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("设置已保存。"), "success")
            return redirect(url_for("authoring.quiz", course_id=course.id, quiz_id=quiz.id))
    lesson = drafts.working(db.session.get(Lesson, quiz.lesson_id)) if quiz.lesson_id else None
    return render_template(
        "authoring/quiz.html", course=course, quiz=quiz, lesson=lesson, form=form,
        changes=drafts.pending_count(course),
        label=quiz_label(quiz), questions=bank.live_questions(quiz),
        archived=bank.archived_questions(quiz), button=EmptyForm(), letters=LETTERS)


def _form_data(form: QuestionForm, key: str) -> QuestionData:
    kind = form.kind.data
    options, answer = kinds.get(kind).read_form(form)
    return QuestionData(key=key, kind=kind, stem=(form.stem.data or "").strip(), answer=answer,
                        options=options, explanation=(form.explanation.data or "").strip(),
                        points=float(form.points.data or 0))


def _fill_form(form: QuestionForm, question) -> None:
    form.kind.data, form.stem.data = question.kind, question.stem
    kinds.get(question.kind).fill_form(form, question)
    form.explanation.data, form.points.data = question.explanation, question.points


def _question_page(course_id: int, quiz_id: int, question_id: int | None):
    course = course_or_404(course_id)
    quiz = quiz_or_404(course, quiz_id)
    question = question_or_404(quiz, question_id) if question_id else None
    form = QuestionForm()
    if request.method == "GET" and question is not None:
        _fill_form(form, question)
    if request.method == "POST":
        if form.validate_on_submit():
            key = question.key if question else (form.key.data or "").strip()
            try:
                bank.save_question(current_user, quiz, question, _form_data(form, key),
                                   ip=client_ip())
            except DomainError as error:
                flash_error(error)
            else:
                flash(_("题目已保存。"), "success")
                return redirect(url_for("authoring.quiz", course_id=course.id,
                                        quiz_id=quiz.id) + "#bank")
        else:
            flash(_("请检查标红的内容。"), "error")
    return render_template("authoring/question.html", course=course, quiz=quiz,
                           question=question, form=form, label=quiz_label(quiz))


@bp.route("/courses/<int:course_id>/quizzes/<int:quiz_id>/questions/new",
          methods=["GET", "POST"])
@requires("author")
def new_question(course_id: int, quiz_id: int):
    return _question_page(course_id, quiz_id, None)


@bp.route("/courses/<int:course_id>/quizzes/<int:quiz_id>/questions/<int:question_id>",
          methods=["GET", "POST"])
@requires("author")
def question(course_id: int, quiz_id: int, question_id: int):
    return _question_page(course_id, quiz_id, question_id)


@bp.post("/courses/<int:course_id>/quizzes/<int:quiz_id>/questions/<int:question_id>/remove")
@requires("author")
def remove_question(course_id: int, quiz_id: int, question_id: int):
    course = course_or_404(course_id)
    quiz = quiz_or_404(course, quiz_id)
    question = question_or_404(quiz, question_id)
    if EmptyForm().validate_on_submit():
        try:
            outcome, notes = bank.remove_question(current_user, question, ip=client_ip())
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("已删除。") if outcome == "deleted"
                  else _("已有学员答过这道题，已归档（不再出题，过去的答题记录不变）。"), "success")
            for note in notes:
                flash(_(note), "success")
    return redirect(url_for("authoring.quiz", course_id=course.id, quiz_id=quiz.id) + "#bank")


@bp.post("/courses/<int:course_id>/quizzes/<int:quiz_id>/questions/<int:question_id>/restore")
@requires("author")
def restore_question(course_id: int, quiz_id: int, question_id: int):
    course = course_or_404(course_id)
    quiz = quiz_or_404(course, quiz_id)
    question = question_or_404(quiz, question_id)
    if EmptyForm().validate_on_submit():
        bank.restore_question(current_user, question, ip=client_ip())
        flash(_("已恢复。"), "success")
    return redirect(url_for("authoring.quiz", course_id=course.id, quiz_id=quiz.id) + "#bank")


@bp.get("/courses/<int:course_id>/quizzes/<int:quiz_id>/as-member")
@requires("author")
def quiz_as_member(course_id: int, quiz_id: int):
    """The questions as a member is shown them (no answers, no explanations); no attempt is
    started and nothing is recorded."""
    course = course_or_404(course_id)
    quiz = quiz_or_404(course, quiz_id)
    return render_template("authoring/quiz_as_member.html", course=course, quiz=quiz,
                           label=quiz_label(quiz), questions=bank.live_questions(quiz),
                           letters=LETTERS)


@bp.get("/courses/<int:course_id>/quizzes/<int:quiz_id>/export.<fmt>")
@requires("author")
def export_quiz(course_id: int, quiz_id: int, fmt: str):
    course = course_or_404(course_id)
    quiz = quiz_or_404(course, quiz_id)
    if fmt not in ("xlsx", "gift", "csv"):
        abort(404)
    try:
        data, name, mimetype = export_bank(current_user, quiz, fmt, ip=client_ip())
    except DomainError as error:
        flash_error(error)
        return redirect(url_for("authoring.quiz", course_id=course.id, quiz_id=quiz.id))
    return send_file(io.BytesIO(data), as_attachment=True, download_name=name, mimetype=mimetype)
