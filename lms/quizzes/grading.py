"""Grading one response to one question: a registry from question kind to grader. Pure Python.

A *response* is what a member submitted, already typed (see :func:`normalize_response`, which turns
raw form values into it):

========== =============================================== ==========================
kind       response                                        unanswered
========== =============================================== ==========================
single     the chosen option's 0-based index (``int``)     ``None``
multiple   the chosen indexes (any iterable of ``int``)    ``None`` or empty
truefalse  ``True`` or ``False``                           ``None``
fill       the text typed (``str``)                        ``None`` or ``""``
========== =============================================== ==========================

Every grader returns the share of the question's points earned as an exact ``Fraction`` in
``[0, 1]``; :func:`grade` multiplies it with the points (taken as the decimal written, 0.3 not
0.29999…) and rounds once, so 3 points for one of three correct picks is exactly 1.0 and 0.3
points is exactly 0.1. A question is *correct* only with full marks.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction

from lms.core.questions import QuestionData, truefalse_from_text
from lms.core.text import normalize_answer

#: ``multiple_scoring`` values (quizzes/final.yaml ``multiple_scoring``)
MULTIPLE_SCORING = ("all_or_nothing", "partial")

#: longest fill-in answer accepted from a form; anything longer is not an answer
MAX_FILL_LENGTH = 1000


@dataclass(frozen=True)
class Grade:
    correct: bool
    points: float


Grader = Callable[..., Fraction]

NOTHING, FULL = Fraction(0), Fraction(1)


def _index(question: QuestionData, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"an option index is an int, not {value!r}")
    if not 0 <= value < len(question.options):
        raise ValueError(f"option index {value} is out of range for {len(question.options)} options")
    return value


def grade_single(question: QuestionData, response, *, multiple_scoring: str) -> Fraction:
    """Full marks when the one chosen index is the correct one."""
    if response is None:
        return NOTHING
    return FULL if _index(question, response) == question.answer[0] else NOTHING


def grade_multiple(question: QuestionData, response, *, multiple_scoring: str) -> Fraction:
    """All or nothing: the chosen set equals the correct set.

    Partial: ``(right picks − wrong picks) / number of correct options``, floored at 0, so a wrong
    pick cancels a right one and ticking every box earns nothing.
    """
    if response is None:
        return NOTHING
    if isinstance(response, (str, bytes)) or not isinstance(response, Iterable):
        raise ValueError(f"a multiple-choice response is a collection of indexes, not {response!r}")
    picked = {_index(question, value) for value in response}
    correct = set(question.answer)
    right, wrong = len(picked & correct), len(picked - correct)
    if multiple_scoring == "partial":
        return Fraction(max(0, right - wrong), len(correct))
    return FULL if picked == correct else NOTHING


def grade_truefalse(question: QuestionData, response, *, multiple_scoring: str) -> Fraction:
    if response is None:
        return NOTHING
    if not isinstance(response, bool):
        raise ValueError(f"a true/false response is a bool, not {response!r}")
    return FULL if response is question.answer[0] else NOTHING


def grade_fill(question: QuestionData, response, *, multiple_scoring: str) -> Fraction:
    """Full marks when the response matches an accepted answer after :func:`normalize_answer`.

    An answer that normalises to nothing (blank, or only punctuation) is never correct.
    """
    if response is None:
        return NOTHING
    if not isinstance(response, str):
        raise ValueError(f"a fill-in response is a str, not {response!r}")
    typed = normalize_answer(response)
    if not typed:
        return NOTHING
    return FULL if typed in {normalize_answer(a) for a in question.answer} else NOTHING


#: question kind → grader; a new kind adds a grader here and a normaliser in NORMALIZERS
GRADERS: dict[str, Grader] = {
    "single": grade_single,
    "multiple": grade_multiple,
    "truefalse": grade_truefalse,
    "fill": grade_fill,
}


def grade(question: QuestionData, response, *, multiple_scoring: str = "all_or_nothing") -> Grade:
    """Grade one typed response.

    Points earned are ``share × question.points``, computed exactly and rounded once.

    Raises ValueError for an unknown kind or scoring rule, or a response not of the kind's shape
    (pass form input through :func:`normalize_response` first).
    """
    if multiple_scoring not in MULTIPLE_SCORING:
        raise ValueError(f"unknown multiple_scoring {multiple_scoring!r}")
    grader = GRADERS.get(question.kind)
    if grader is None:
        raise ValueError(f"no grader for question kind {question.kind!r}")
    share = grader(question, response, multiple_scoring=multiple_scoring)
    # points as the decimal the author wrote (0.3, not the binary float nearest to it)
    points = Fraction(repr(float(question.points)))
    return Grade(correct=share == FULL, points=float(points * share))


def mastery_met(correct_count: int, required: int) -> bool:
    """A lesson check is mastered when at least ``required`` answers were correct."""
    return correct_count >= required


# --- raw form values → typed responses ---------------------------------------------------------

def _is_blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _parse_index(question: QuestionData, raw) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"not an option index: {raw!r}")
    if isinstance(raw, str):
        text = raw.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 3):
            raise ValueError(f"not an option index: {raw!r}")
        raw = int(text)
    return _index(question, raw)


def normalize_single(question: QuestionData, raw):
    """``"2"`` → ``2``; blank → None."""
    return None if _is_blank(raw) else _parse_index(question, raw)


def normalize_multiple(question: QuestionData, raw):
    """``["0", "3"]`` → ``(0, 3)``; None or empty → ``()``.

    A bare string is refused (use the form's list of values, not its first value), and so is an
    index given twice.
    """
    if raw is None:
        return ()
    if isinstance(raw, (str, bytes)) or not isinstance(raw, (list, tuple)):
        raise ValueError(f"a multiple-choice answer is a list of option indexes, not {raw!r}")
    indexes = [_parse_index(question, value) for value in raw]
    if len(set(indexes)) != len(indexes):
        raise ValueError(f"an option is chosen twice: {raw!r}")
    return tuple(sorted(indexes))


def normalize_truefalse(question: QuestionData, raw):
    """``"true"``/``"false"`` (also ``1``/``0``, ``对``/``错``) → bool; blank → None."""
    if isinstance(raw, bool):
        return raw
    if _is_blank(raw):
        return None
    if not isinstance(raw, str):
        raise ValueError(f"not a true/false answer: {raw!r}")
    value = {"1": True, "0": False}.get(raw.strip())
    if value is None:
        value = truefalse_from_text(raw)
    if value is None:
        raise ValueError(f"not a true/false answer: {raw!r}")
    return value


def normalize_fill(question: QuestionData, raw):
    """The text as typed (graded later through normalize_answer); None → ``""``."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValueError(f"a fill-in answer is text, not {raw!r}")
    if len(raw) > MAX_FILL_LENGTH:
        raise ValueError(f"a fill-in answer is at most {MAX_FILL_LENGTH} characters")
    return raw


#: question kind → raw form value normaliser
NORMALIZERS: dict[str, Callable] = {
    "single": normalize_single,
    "multiple": normalize_multiple,
    "truefalse": normalize_truefalse,
    "fill": normalize_fill,
}


def normalize_response(question: QuestionData, raw_form_value):
    """Turn a raw form value (``"2"``, ``["0", "3"]``, ``"true"``, text) into a typed response.

    Raises ValueError for garbage: not an int, an index out of range, a repeated index, a bare
    string where a list belongs, an unknown true/false word, an over-long fill-in answer.
    """
    normalizer = NORMALIZERS.get(question.kind)
    if normalizer is None:
        raise ValueError(f"no normaliser for question kind {question.kind!r}")
    return normalizer(question, raw_form_value)
