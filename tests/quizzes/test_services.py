"""Attempt services without HTTP: drawing, shuffling, mastery, limits, grading, deadlines,
idempotent submit and snapshots that outlive course edits."""
from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from lms.core.errors import Conflict, NotFound, ValidationFailed
from lms.extensions import db
from lms.quizzes import queries, services, signals
from lms.quizzes.models import Attempt, Question, Response
from tests.helpers import answers_for, right_value, wrong_value


def start(user, quiz, **kw):
    return services.start_attempt(user, quiz.id, **kw).attempt


def keys(attempt):
    return [e["key"] for e in attempt.snapshot]


# ---- drawing and shuffling ------------------------------------------------------------------

def test_draw_prefers_unseen_questions_across_attempts(make_course, member):
    quiz = make_course(check=3, mastery=2, final=10, draw=3).final
    seen = []
    for _ in range(3):
        attempt = start(member, quiz)
        assert len(attempt.snapshot) == 3
        seen += keys(attempt)
        services.submit_attempt(member, attempt.id)
    assert len(set(seen)) == 9  # no repeats while unseen questions remain
    fourth = start(member, quiz)
    bank = {q.key for q in db.session.scalars(select(Question).where(Question.quiz_id == quiz.id))}
    (left,) = bank - set(seen)
    assert left in keys(fourth)  # the one never seen comes first, then the least seen


def test_draw_then_least_seen(make_course, member):
    quiz = make_course(check=3, mastery=2, final=4, draw=3).final
    counts = Counter()
    for _ in range(4):
        attempt = start(member, quiz)
        counts.update(keys(attempt))
        services.submit_attempt(member, attempt.id)
    assert sorted(counts.values()) == [3, 3, 3, 3]  # 12 presentations spread evenly


def test_archived_questions_are_never_drawn(make_course, member):
    quiz = make_course(check=3, mastery=2, final=5).final
    gone = db.session.scalars(select(Question).where(Question.quiz_id == quiz.id)).first()
    gone.archived = True
    db.session.commit()
    attempt = start(member, quiz)
    assert len(attempt.snapshot) == 4 and gone.key not in keys(attempt)


def test_order_and_options_are_shuffled_per_attempt_and_keep_the_right_answer(make_course,
                                                                            member):
    quiz = make_course(check=3, mastery=2, final=8, max_attempts=0).final
    rng = random.Random(7)
    orders, option_orders = set(), set()
    bank = {q.key: q for q in db.session.scalars(select(Question).where(
        Question.quiz_id == quiz.id))}
    for _ in range(6):
        attempt = start(member, quiz, rng=rng)
        orders.add(tuple(keys(attempt)))
        for entry in attempt.snapshot:
            original = bank[entry["key"]]
            if entry["kind"] in ("single", "multiple"):
                option_orders.add((entry["key"], tuple(entry["order"])))
                assert entry["options"] == [original.options[i] for i in entry["order"]]
                assert sorted(entry["order"][i] for i in entry["answer"]) == original.answer
            assert entry["stem"] == original.stem
        services.submit_attempt(member, attempt.id)
    assert len(orders) > 1
    assert len(option_orders) > 4  # 4 choice questions, several orders each


def test_deadline_is_set_on_the_server_and_off_by_default(make_course, member):
    course = make_course(check=3, mastery=2, final=10, draw=3, time_limit_minutes=10)
    attempt = start(member, course.final)
    assert attempt.deadline - attempt.started_at == timedelta(minutes=10)
    assert start(member, make_course(check=3, mastery=2, final=10, draw=3).final).deadline is None


# ---- lesson checks ------------------------------------------------------------------------

def test_lesson_check_draws_every_question_and_applies_the_mastery_rule(make_course, member):
    quiz = make_course(check=3, mastery=2, final=10, draw=3).check
    attempt = start(member, quiz)
    assert len(attempt.snapshot) == 3
    outcome = services.submit_attempt(member, attempt.id, answers_for(attempt, right=1))
    assert not outcome.attempt.passed
    retry = start(member, quiz, rng=random.Random(3))
    assert retry.id != attempt.id and retry.number == 2
    assert sorted(keys(retry)) == sorted(keys(attempt))
    outcome = services.submit_attempt(member, retry.id, answers_for(retry, right=2))
    assert outcome.attempt.passed
    with pytest.raises(Conflict):
        start(member, quiz)  # passed: nothing left to retry


def test_lesson_check_retries_reshuffle(make_course, member):
    quiz = make_course(check=4, final=10, draw=3).check
    rng = random.Random(11)
    shown = set()
    for _ in range(5):
        attempt = start(member, quiz, rng=rng)
        shown.add(tuple((e["key"], tuple(e["options"])) for e in attempt.snapshot))
        services.submit_attempt(member, attempt.id, answers_for(attempt, right=0))
    assert len(shown) > 1


def test_signals_are_sent_inside_the_grading_transaction(make_course, member):
    course = make_course(check=3, mastery=2, final=3, draw=3)
    seen = []

    def receiver(name):
        def inner(quiz, **kwargs):
            state = db.session.get(Attempt, kwargs["attempt"].id).state
            seen.append((name, db.session().in_transaction(), state, kwargs.get("passed")))
        return inner

    handlers = {sig: receiver(sig.name) for sig in (signals.lesson_check_graded,
                                                    signals.final_quiz_graded,
                                                    signals.final_quiz_passed)}
    for sig, fn in handlers.items():
        sig.connect(fn)
    try:
        attempt = start(member, course.check)
        services.submit_attempt(member, attempt.id, answers_for(attempt, right=3))
        final = start(member, course.final)
        services.submit_attempt(member, final.id, answers_for(final, right=3))
    finally:
        for sig, fn in handlers.items():
            sig.disconnect(fn)
    assert seen == [("lesson-check-graded", True, "submitted", True),
                    ("final-quiz-graded", True, "submitted", True),
                    ("final-quiz-passed", True, "submitted", None)]


# ---- attempt limit and resuming --------------------------------------------------------------

def test_one_attempt_in_progress_is_resumed(make_course, member):
    quiz = make_course(check=3, mastery=2, final=10, draw=3).final
    first = services.start_attempt(member, quiz.id)
    again = services.start_attempt(member, quiz.id)
    assert first.status == "created" and again.status == "resumed"
    assert again.attempt.id == first.attempt.id


def test_the_database_refuses_a_second_attempt_in_progress(make_course, member):
    from sqlalchemy.exc import IntegrityError

    quiz = make_course(check=3, mastery=2, final=10, draw=3).final
    start(member, quiz)
    db.session.add(Attempt(user_id=member.id, quiz_id=quiz.id, number=9, state="in_progress"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_attempt_limit(make_course, member):
    quiz = make_course(check=3, mastery=2, final=10, draw=3, max_attempts=2).final
    for _ in range(2):
        services.submit_attempt(member, start(member, quiz).id)
    with pytest.raises(Conflict):
        start(member, quiz)
    assert db.session.scalar(select(db.func.count(Attempt.id))) == 2


def test_a_quiz_out_of_sight_is_not_found(make_course, member, make_org, tree):
    other = make_org("Z", "branch", tree["town"])
    quiz = make_course(check=3, mastery=2, final=10, draw=3, audience=other).final
    with pytest.raises(NotFound):
        start(member, quiz)


# ---- grading --------------------------------------------------------------------------------

def test_score_is_recomputed_from_the_snapshot_and_saved_answers(make_course, member):
    quiz = make_course(check=3, mastery=2, final=4, draw=4, pass_percent=75).final
    attempt = start(member, quiz)
    services.save_answers(member, attempt.id, answers_for(attempt, right=3))
    outcome = services.submit_attempt(member, attempt.id)
    assert (outcome.attempt.score, outcome.attempt.max_score) == (3.0, 4.0)
    assert outcome.attempt.passed
    rows = db.session.scalars(select(Response).where(Response.attempt_id == attempt.id)).all()
    assert sum(r.correct for r in rows) == 3 and all(r.answer_text for r in rows)


def test_pass_mark_is_a_percentage(make_course, member):
    quiz = make_course(check=3, mastery=2, final=4, draw=4, pass_percent=80).final
    attempt = start(member, quiz)
    assert not services.submit_attempt(member, attempt.id,
                                       answers_for(attempt, right=3)).attempt.passed


@pytest.mark.parametrize(("scoring", "expected"), [("all_or_nothing", 0.0), ("partial", 0.5)])
def test_multiple_choice_scoring_per_quiz(make_course, member, scoring, expected):
    quiz = make_course(check=3, mastery=2, final=2, multiple_scoring=scoring).final
    attempt = start(member, quiz)
    entry = next(e for e in attempt.snapshot if e["kind"] == "multiple")
    services.save_answers(member, attempt.id, {entry["key"]: [str(entry["answer"][0])]})
    services.submit_attempt(member, attempt.id)
    row = db.session.scalar(select(Response).where(Response.attempt_id == attempt.id,
                                                   Response.question_key == entry["key"]))
    assert row.points == expected and row.correct is False


@pytest.mark.parametrize(("grading", "decider"), [("highest", 2), ("last", 3)])
def test_grading_method_decides_the_quiz_result(make_course, member, grading, decider):
    quiz = make_course(check=3, mastery=2, final=4, draw=4, grading=grading, pass_percent=100).final
    for right in (1, 3, 2):
        attempt = start(member, quiz)
        services.submit_attempt(member, attempt.id, answers_for(attempt, right=right))
    result = queries.quiz_result(queries.attempt_summaries(member.id, quiz.id), grading)
    assert result.number == decider


def test_highest_prefers_a_pass(make_course, member):
    quiz = make_course(check=3, mastery=2, final=4, draw=4, pass_percent=50).final
    for right in (2, 1):
        attempt = start(member, quiz)
        services.submit_attempt(member, attempt.id, answers_for(attempt, right=right))
    result = queries.quiz_result(queries.attempt_summaries(member.id, quiz.id), "highest")
    assert result.number == 1 and result.passed


# ---- saving, tampering and idempotent submit -------------------------------------------------

def test_saving_keeps_the_latest_answer(make_course, member):
    quiz = make_course(check=3, mastery=2, final=4, draw=4).final
    attempt = start(member, quiz)
    entry = attempt.snapshot[0]
    services.save_answers(member, attempt.id, {entry["key"]: wrong_value(entry)})
    services.save_answers(member, attempt.id, {entry["key"]: right_value(entry)})
    outcome = services.submit_attempt(member, attempt.id)
    assert outcome.attempt.score == 1.0


@pytest.mark.parametrize("bad", [{"nope": "1"}, {"f1-1": "1"}])
def test_answers_to_foreign_questions_are_refused(make_course, member, bad):
    make_course(check=3, mastery=2, final=10, draw=3)  # its keys are f1-…, not in the second course's attempt
    quiz = make_course(check=3, mastery=2, final=4, draw=2).final
    attempt = start(member, quiz)
    mine = attempt.snapshot[0]
    with pytest.raises(ValidationFailed):
        services.save_answers(member, attempt.id, {mine["key"]: right_value(mine), **bad})
    saved = db.session.scalars(select(Response.answer).where(
        Response.attempt_id == attempt.id)).all()
    assert saved == [[], []]  # nothing saved, not even the good answer
    with pytest.raises(ValidationFailed):
        services.submit_attempt(member, attempt.id, bad)
    assert db.session.get(Attempt, attempt.id).state == "in_progress"


@pytest.mark.parametrize("value", ["9", "abc", ["0", "0"], "-1", "1.0"])
def test_garbage_values_are_refused(make_course, member, value):
    quiz = make_course(check=3, mastery=2, final=1, draw=1).final  # a single-choice question
    attempt = start(member, quiz)
    with pytest.raises(ValidationFailed):
        services.save_answers(member, attempt.id, {attempt.snapshot[0]["key"]: value})


def test_someone_elses_attempt_is_not_found(make_course, member, member_b):
    quiz = make_course(check=3, mastery=2, final=10, draw=3).final
    attempt = start(member, quiz)
    entry = attempt.snapshot[0]
    with pytest.raises(NotFound):
        services.save_answers(member_b, attempt.id, {entry["key"]: right_value(entry)})
    with pytest.raises(NotFound):
        services.submit_attempt(member_b, attempt.id)
    assert db.session.get(Attempt, attempt.id).state == "in_progress"


def test_submit_is_idempotent_and_a_submitted_attempt_never_changes(make_course, member):
    quiz = make_course(check=3, mastery=2, final=4, draw=4).final
    attempt = start(member, quiz)
    first = services.submit_attempt(member, attempt.id, answers_for(attempt, right=2))
    assert not first.already
    before = (first.attempt.score, first.attempt.submitted_at,
              sorted((r.question_key, r.answer, r.correct) for r in db.session.scalars(
                  select(Response).where(Response.attempt_id == attempt.id))))
    second = services.submit_attempt(member, attempt.id, answers_for(attempt, right=4))
    assert second.already and second.attempt.score == 2.0
    with pytest.raises(Conflict):
        services.save_answers(member, attempt.id, answers_for(attempt, right=4))
    after = (second.attempt.score, second.attempt.submitted_at,
             sorted((r.question_key, r.answer, r.correct) for r in db.session.scalars(
                 select(Response).where(Response.attempt_id == attempt.id))))
    assert after == before


# ---- deadlines (frozen clock) ----------------------------------------------------------------

T0 = "2026-03-02 08:00:00"


def _timed(make_course, member):
    quiz = make_course(check=3, mastery=2, final=4, draw=4, time_limit_minutes=10).final
    with freeze_time(T0):
        attempt = start(member, quiz)
        first = attempt.snapshot[0]
        services.save_answers(member, attempt.id, {first["key"]: right_value(first)})
    return attempt


def test_saving_is_refused_after_the_deadline(make_course, member):
    attempt = _timed(make_course, member)
    second = attempt.snapshot[1]
    with freeze_time("2026-03-02 08:09:59"):
        services.save_answers(member, attempt.id, {second["key"]: right_value(second)})
    with freeze_time("2026-03-02 08:10:01"), pytest.raises(Conflict):
        services.save_answers(member, attempt.id, {second["key"]: wrong_value(second)})
    with freeze_time("2026-03-02 08:12:00"):
        outcome = services.submit_attempt(member, attempt.id)
    assert outcome.late and outcome.attempt.score == 2.0  # both answers saved in time


def test_a_submit_within_the_grace_counts_its_answers(make_course, member):
    attempt = _timed(make_course, member)
    with freeze_time("2026-03-02 08:10:29"):
        outcome = services.submit_attempt(member, attempt.id, answers_for(attempt, right=4))
    assert not outcome.late and outcome.attempt.score == 4.0


def test_a_late_submit_is_finalised_with_what_was_saved_before_the_deadline(make_course,
                                                                           member):
    attempt = _timed(make_course, member)
    with freeze_time("2026-03-02 08:10:31"):
        outcome = services.submit_attempt(member, attempt.id, answers_for(attempt, right=4))
    assert outcome.late and outcome.attempt.score == 1.0
    assert outcome.attempt.state == "submitted"


def test_an_abandoned_timed_attempt_is_finalised_when_the_member_comes_back(make_course,
                                                                           member):
    attempt = _timed(make_course, member)
    with freeze_time("2026-03-02 09:00:00"):
        started = services.start_attempt(member, attempt.quiz_id)
    assert started.status == "finalised" and started.attempt.id == attempt.id
    assert started.attempt.score == 1.0
    with freeze_time("2026-03-02 09:01:00"):
        assert services.start_attempt(member, attempt.quiz_id).status == "created"


# ---- snapshots outlive course edits ----------------------------------------------------------

def test_reimporting_a_changed_course_never_changes_a_past_attempt(app, member, tmp_path):
    import shutil

    from lms.authoring.pack_sync import import_folders
    from tests.quizzes.conftest import ROOT

    pack = tmp_path / "dangke-tianjian"
    shutil.copytree(ROOT / "courses" / "dangke-tianjian", pack)
    (course,) = [o.course for o in import_folders([pack])]
    final = db.session.scalar(select(services.Quiz).where(
        services.Quiz.course_id == course.id, services.Quiz.lesson_id.is_(None)))
    final.open_before_lessons = True  # this test is about the snapshot, not the study order
    db.session.commit()
    attempt = start(member, final)
    outcome = services.submit_attempt(member, attempt.id, answers_for(attempt, right=6))
    before = (list(outcome.attempt.snapshot), outcome.attempt.score, outcome.attempt.passed)

    quiz_file = pack / "quizzes" / "final.yaml"
    text = quiz_file.read_text(encoding="utf-8")
    assert "《中国共产党农村工作条例》列在" in text
    text = text.replace("《中国共产党农村工作条例》列在", "改过的题干：《中国共产党农村工作条例》列在")
    text = text.replace("pass_percent: 60", "pass_percent: 100")
    quiz_file.write_text(text, encoding="utf-8")
    (again,) = import_folders([pack])
    assert again.changed
    db.session.expire_all()
    stored = db.session.get(Attempt, attempt.id)
    assert (stored.snapshot, stored.score, stored.passed) == before
    assert all("改过的题干" not in e["stem"] for e in stored.snapshot)
