"""The plain question type every reader returns and every writer takes.

Course packs, spreadsheet banks, GIFT and Aiken all end up as :class:`QuestionData`, so the
database import, the graders and the exporters deal with one shape. Pure Python: no Flask, no DB.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

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


def question_kind(name: str):
    """The :class:`~lms.core.kinds.base.QuestionKind` called ``name``, or None (the pure readers
    reach the registry through this module)."""
    from lms.core import kinds  # the kinds build on this module, so they load on first use

    return kinds.REGISTRY.get(name)


def question_problems(q: QuestionData) -> list:
    """What is wrong with a question (empty when it is sound): the stem and points here, the rest
    by its kind (:mod:`lms.core.kinds`). Each is a :class:`~lms.core.problems.Problem` naming
    the field it is about; its text is a short English sentence (course packs show those), its
    message id Chinese (question banks and pages show that, translated)."""
    from lms.core import kinds  # the kinds build on this module, so they load on first use
    from lms.core.i18n import N_
    from lms.core.problems import Problem

    kind = kinds.REGISTRY.get(q.kind)
    if kind is None:
        return [Problem(N_("题型“%(kind)s”无法识别"), {"kind": q.kind}, field="kind",
                        text=f"unknown question kind {q.kind!r} "
                             f"(expected one of {', '.join(kinds.NAMES)})")]
    problems = []
    if not q.stem.strip():
        problems.append(Problem(N_("题干为空"), field="stem", text="the question has no stem"))
    if not (q.points > 0):
        problems.append(Problem(N_("分值必须是正数"), field="points",
                                text="points must be a positive number"))
    return problems + kind.problems(q)


def __getattr__(name: str):
    # KINDS (the kind names) comes from the registry, which imports this module
    if name == "KINDS":
        from lms.core.kinds import NAMES

        return NAMES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
