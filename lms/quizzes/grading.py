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

Every grader (each kind's ``grade``, :mod:`lms.core.kinds`) returns the share of the question's
points earned as an exact ``Fraction`` in ``[0, 1]``; :func:`grade` multiplies it with the points (taken as the decimal written, 0.3 not
0.29999…) and rounds once, so 3 points for one of three correct picks is exactly 1.0 and 0.3
points is exactly 0.1. A question is *correct* only with full marks.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from lms.core import kinds
from lms.core.kinds.base import FULL
from lms.core.questions import QuestionData

#: ``multiple_scoring`` values (quizzes/final.yaml ``multiple_scoring``)
MULTIPLE_SCORING = ("all_or_nothing", "partial")


@dataclass(frozen=True)
class Grade:
    correct: bool
    points: float


Grader = Callable[..., Fraction]

#: question kind → grader (each kind's ``grade``, lms/core/kinds)
GRADERS: dict[str, Grader] = {name: kind.grade for name, kind in kinds.REGISTRY.items()}


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


#: question kind → raw form value normaliser (each kind's ``normalize``)
NORMALIZERS: dict[str, Callable] = {name: kind.normalize for name, kind in kinds.REGISTRY.items()}


def normalize_response(question: QuestionData, raw_form_value):
    """Turn a raw form value (``"2"``, ``["0", "3"]``, ``"true"``, text) into a typed response.

    Raises ValueError for garbage: not an int, an index out of range, a repeated index, a bare
    string where a list belongs, an unknown true/false word, an over-long fill-in answer.
    """
    normalizer = NORMALIZERS.get(question.kind)
    if normalizer is None:
        raise ValueError(f"no normaliser for question kind {question.kind!r}")
    return normalizer(question, raw_form_value)
