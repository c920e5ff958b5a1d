"""Questions as presented in one attempt, and answers in the presented terms. Pure Python.

An attempt's snapshot is a list of *entries*, one per presented question, in the order shown::

    {"key", "kind", "stem", "title", "options" (in the shown order), "answer" (indexes into
     the shown options; [true]/[false]; accepted strings), "explanation", "points",
     "order" (shown position → original option index), "option_feedback", "version"}

A stored answer (``Response.answer``) is always a JSON list in the shown order's terms:
``[2]`` single, ``[0, 3]`` multiple, ``[true]`` true/false, ``["文字"]`` fill, ``[]`` unanswered.
"""
from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from lms.core import kinds
from lms.core.questions import QuestionData

#: the longest answer text kept for statistics
ANSWER_TEXT_LENGTH = 200


def draw(bank: Sequence, count: int, seen: Mapping[str, int], rng: random.Random) -> list:
    """``count`` questions of ``bank`` (0 = all), unseen ones first, then the least seen.

    ``seen`` counts how often each key was presented to this member before. Ties are broken at
    random, and the drawn questions come back in a random order.
    """
    pool = list(bank)
    rng.shuffle(pool)
    pool.sort(key=lambda q: seen.get(q.key, 0))  # stable: random among equally seen
    chosen = pool[:count] if 0 < count < len(pool) else pool
    rng.shuffle(chosen)
    return chosen


def present(question, rng: random.Random) -> dict:
    """The snapshot entry for ``question`` (a Question row or QuestionData), options shuffled."""
    options = list(question.options or ())
    order, answer = kinds.get(question.kind).present(question, rng)
    feedback = list(question.option_feedback or ())
    return {
        "key": question.key,
        "kind": question.kind,
        "stem": question.stem,
        "title": question.title or "",
        "options": [options[i] for i in order],
        "answer": answer,
        "explanation": question.explanation or "",
        "points": float(question.points),
        "order": order,
        "option_feedback": [feedback[i] for i in order] if len(feedback) == len(options) else [],
        "version": getattr(question, "version", 1),
    }


def as_question(entry: Mapping) -> QuestionData:
    """The entry as the graders' QuestionData (options and answer in the shown order)."""
    return QuestionData(key=entry["key"], kind=entry["kind"], stem=entry["stem"],
                        answer=tuple(entry["answer"]), options=tuple(entry["options"]),
                        explanation=entry.get("explanation", ""),
                        points=float(entry.get("points", 1)))


def to_stored(kind: str, response) -> list:
    """A typed response (see grading.normalize_response) → the stored JSON list."""
    return kinds.get(kind).to_stored(response)


def from_stored(kind: str, stored) -> object:
    """The stored JSON list → a typed response for the grader (None when unanswered)."""
    return kinds.get(kind).from_stored(stored)


def answer_text(entry: Mapping, stored) -> str:
    """The stored answer in words, comparable across attempts whatever the option order."""
    if not stored:
        return ""
    return kinds.get(entry["kind"]).answer_text(entry, stored)[:ANSWER_TEXT_LENGTH]


def correct_text(entry: Mapping) -> str:
    """The correct answer in words, for review pages (after submission only)."""
    return kinds.get(entry["kind"]).correct_text(entry)


def form_value(kind: str, values: Sequence[str]) -> object:
    """A form's values for one question (``request.form.getlist``) → the raw value its kind
    expects: the list for multiple choice, else the one value (None when absent).

    Raises ValueError for two values where one belongs.
    """
    return kinds.get(kind).form_value(values)
