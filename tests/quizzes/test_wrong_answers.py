"""The 错题本: what enters it, what takes a question out, and when practice is closed."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.core.errors import Conflict, NotFound, ValidationFailed
from lms.extensions import db
from lms.quizzes import services
from lms.quizzes import wrong_answers as book
from lms.quizzes.models import WrongAnswer
from tests.helpers import answers_for, right_value, wrong_value


def attempt_with(user, quiz, right):
    attempt = services.start_attempt(user, quiz.id).attempt
    services.submit_attempt(user, attempt.id, answers_for(attempt, right=right))
    return attempt


def open_entries(user):
    return {e.row.question_key: e for e in book.book(user)}


def test_wrong_and_unanswered_questions_enter_the_book(make_course, member):
    quiz = make_course(check=3, mastery=2, final=4, draw=4).final
    attempt = services.start_attempt(member, quiz.id).attempt
    first, second = attempt.snapshot[0], attempt.snapshot[1]
    services.submit_attempt(member, attempt.id, {first["key"]: right_value(first),
                                                 second["key"]: wrong_value(second)})
    entries = open_entries(member)
    assert set(entries) == {e["key"] for e in attempt.snapshot[1:]}
    assert entries[second["key"]].row.question == second  # the presented version
    assert entries[second["key"]].row.streak == 0


def test_two_right_in_a_row_in_practice_take_it_out(make_course, member):
    quiz = make_course(check=3, mastery=2, final=1, draw=1).final
    attempt = attempt_with(member, quiz, right=0)
    entry = attempt.snapshot[0]
    row = open_entries(member)[entry["key"]].row
    first = book.practise(member, row.id, right_value(entry))
    assert first.correct and not first.resolved and first.streak == 1
    second = book.practise(member, row.id, right_value(entry))
    assert second.resolved
    assert open_entries(member) == {}
    with pytest.raises(Conflict):
        book.practise(member, row.id, right_value(entry))


def test_a_wrong_answer_resets_the_streak(make_course, member):
    quiz = make_course(check=3, mastery=2, final=1, draw=1).final
    entry = attempt_with(member, quiz, right=0).snapshot[0]
    row_id = open_entries(member)[entry["key"]].row.id
    book.practise(member, row_id, right_value(entry))
    assert not book.practise(member, row_id, wrong_value(entry)).correct
    assert not book.practise(member, row_id, right_value(entry)).resolved
    assert book.practise(member, row_id, right_value(entry)).resolved


def test_right_answers_in_later_attempts_count_too(make_course, member):
    quiz = make_course(check=3, mastery=2, final=1, draw=1).final
    key = attempt_with(member, quiz, right=0).snapshot[0]["key"]
    attempt_with(member, quiz, right=1)
    assert open_entries(member)[key].row.streak == 1
    row_id = open_entries(member)[key].row.id
    entry = open_entries(member)[key].row.question
    assert book.practise(member, row_id, right_value(entry)).resolved  # attempt + practice
    attempt_with(member, quiz, right=0)
    assert open_entries(member)[key].row.streak == 0  # back in the book
    assert db.session.scalar(select(WrongAnswer.wrong_count)) == 2


def test_practice_is_closed_while_the_question_is_in_an_attempt_in_progress(make_course,
                                                                           member):
    quiz = make_course(check=3, mastery=2, final=1, draw=1).final
    entry = attempt_with(member, quiz, right=0).snapshot[0]
    services.start_attempt(member, quiz.id)
    listed = open_entries(member)[entry["key"]]
    assert listed.locked == "in_attempt"
    with pytest.raises(Conflict):
        book.practise(member, listed.row.id, right_value(entry))


def test_practice_waits_until_the_lesson_check_is_passed(make_course, member):
    quiz = make_course(check=3, final=10, draw=3).check
    attempt = attempt_with(member, quiz, right=1)
    entry = attempt.snapshot[1]
    listed = open_entries(member)[entry["key"]]
    assert listed.locked == "check_not_passed"
    with pytest.raises(Conflict):
        book.practise(member, listed.row.id, right_value(entry))
    retry = services.start_attempt(member, quiz.id).attempt
    services.submit_attempt(member, retry.id, answers_for(retry, right=3))
    listed = open_entries(member)[entry["key"]]
    assert listed.locked == "" and listed.row.streak == 1
    assert book.practise(member, listed.row.id, right_value(listed.row.question)).resolved


def test_someone_elses_entry_is_not_found_and_garbage_is_refused(make_course, member,
                                                                 member_b):
    quiz = make_course(check=3, mastery=2, final=1, draw=1).final
    entry = attempt_with(member, quiz, right=0).snapshot[0]
    row_id = open_entries(member)[entry["key"]].row.id
    with pytest.raises(NotFound):
        book.practise(member_b, row_id, right_value(entry))
    with pytest.raises(ValidationFailed):
        book.practise(member, row_id, "99")
    assert open_entries(member)[entry["key"]].row.streak == 0


def test_the_book_is_per_member(make_course, member, member_b):
    quiz = make_course(check=3, mastery=2, final=2, draw=2).final
    attempt_with(member, quiz, right=0)
    assert open_entries(member_b) == {}
