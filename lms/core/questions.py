"""The plain question type every reader returns and every writer takes.

Course packs, spreadsheet banks, GIFT and Aiken all end up as :class:`QuestionData`, so the
database import, the graders and the exporters deal with one shape. Pure Python: no Flask, no DB.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

KINDS = ("single", "multiple", "truefalse", "fill")
LETTERS = string.ascii_uppercase[:6]
MAX_OPTIONS = 6


@dataclass(frozen=True)
class QuestionData:
    """One question as plain data.

    ``answer`` holds 0-based option indexes for ``single`` (one) and ``multiple`` (two or more,
    ascending), ``(True,)`` or ``(False,)`` for ``truefalse``, and the accepted strings for
    ``fill``.
    """

    key: str
    kind: str
    stem: str
    answer: tuple
    options: tuple[str, ...] = ()
    explanation: str = ""
    points: float = 1.0
    title: str = ""
    #: per-option feedback where the source format has it (GIFT); same length as options or empty
    option_feedback: tuple[str, ...] = field(default=())


def letters_to_indexes(text: str, option_count: int) -> tuple[int, ...] | None:
    """``"acd"`` → ``(0, 2, 3)``; None when a letter is not a letter or names no option."""
    cleaned = "".join(ch for ch in text.upper() if not ch.isspace() and ch not in ",，、")
    if not cleaned:
        return None
    indexes = []
    for ch in cleaned:
        if ch not in LETTERS or LETTERS.index(ch) >= option_count:
            return None
        indexes.append(LETTERS.index(ch))
    return tuple(sorted(set(indexes)))


def indexes_to_letters(indexes) -> str:
    return "".join(LETTERS[i] for i in sorted(indexes))


def question_problems(q: QuestionData) -> list[str]:
    """What is wrong with a question, as short messages (empty when it is sound)."""
    problems = []
    if q.kind not in KINDS:
        return [f"unknown question kind {q.kind!r} (expected one of {', '.join(KINDS)})"]
    if not q.stem.strip():
        problems.append("the question has no stem")
    if not (q.points > 0):
        problems.append("points must be a positive number")
    if q.kind in ("single", "multiple"):
        if not 2 <= len(q.options) <= MAX_OPTIONS:
            problems.append(f"a {q.kind} question needs 2 to {MAX_OPTIONS} options")
        if any(not o.strip() for o in q.options):
            problems.append("an option is empty")
        if len(set(q.options)) != len(q.options):
            problems.append("two options are the same")
        if any(not isinstance(i, int) or not 0 <= i < len(q.options) for i in q.answer):
            problems.append("the answer is not among the options")
        elif q.kind == "single" and len(q.answer) != 1:
            problems.append("a single-choice question has exactly one correct option")
        elif q.kind == "multiple" and len(q.answer) < 2:
            problems.append("a multiple-choice question has at least two correct options")
    elif q.kind == "truefalse":
        if q.options or q.answer not in ((True,), (False,)):
            problems.append("a true/false answer is true or false")
    elif q.kind == "fill":
        if q.options:
            problems.append("a fill-in-the-blank question has no options")
        if not q.answer or any(not isinstance(a, str) or not a.strip() for a in q.answer):
            problems.append("a fill-in-the-blank question needs at least one accepted answer")
    return problems


#: a question key: the course-pack id rule, also used for keys readers take from a source
KEY_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")

#: words accepted for a true/false answer (course packs, spreadsheets, form values); compared
#: case-insensitively after stripping
TRUE_WORDS = frozenset({"true", "t", "对", "正确", "是", "√", "✓", "✔"})
FALSE_WORDS = frozenset({"false", "f", "错", "错误", "否", "×", "✗", "✘", "x"})


def is_valid_key(key: str) -> bool:
    """True when ``key`` matches :data:`KEY_PATTERN` (``[A-Za-z0-9_.-]{1,64}``)."""
    return isinstance(key, str) and KEY_PATTERN.fullmatch(key) is not None


def truefalse_from_text(text: str) -> bool | None:
    """``"对"``/``"true"``/``"√"`` → True, ``"错"``/``"F"``/``"×"`` → False, anything else → None."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None
