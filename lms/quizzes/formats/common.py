"""What every question-format reader shares: the result type, limits, decoding, keys. Pure Python.

Problems, refusals and notes are :class:`~lms.core.problems.Problem` s: a Chinese message id
and its parameters at ``row N`` for spreadsheets (row numbers as Excel shows them, the header is
row 1) or ``line N`` for text formats. As text they read ``row N: …`` (the command line); pages
show them translated, ``第 N 行：…`` in Chinese.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lms.core.problems import Problem, located
from lms.core.questions import QuestionData, is_valid_key, question_problems
from lms.core.sheets import (  # noqa: F401  (the readers' shared byte handling lives in core)
    MAX_BYTES,
    clean_text,
    decode_utf8,
    size_problem,
    sniff_binary,
)

#: most questions (spreadsheet rows below the header, or text-format questions) in one file
MAX_QUESTIONS = 2000
#: largest points value a reader accepts
MAX_POINTS = 1000.0


@dataclass
class ReadResult:
    """What a reader found in one file.

    ``questions`` are the sound ones, each passing ``question_problems``, with unique keys.
    ``problems`` are errors (``row N: …`` / ``line N: …``): an import goes ahead only when there
    are none, and then imports every question or none. ``refused`` lists questions recognised but
    of a kind this platform does not have (``line N: <title or stem start>: 不支持…``): they are
    never imported, never silently dropped, and do not block the others. ``notes`` are things worth
    telling the trainer that block nothing (feedback or partial-credit weights that had nowhere to
    go). ``locations`` maps each question's key to where it starts (``"row 5"``, ``"line 27"``),
    for previews and messages after the read.
    """

    questions: list[QuestionData] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    locations: dict[str, str] = field(default_factory=dict)

    def add(self, question: QuestionData, location: str) -> None:
        self.questions.append(question)
        self.locations[question.key] = location

    @property
    def ok(self) -> bool:
        return not self.problems


def file_problem(unit: str, msgid: str, **params) -> ReadResult:
    """A result holding one problem about the whole file, located at row/line 1."""
    return ReadResult(problems=[located(unit, 1, msgid, **params)])


# --- keys -----------------------------------------------------------------------------------------

def numbered_key(ordinal: int) -> str:
    """The key of the ``ordinal``-th question (1-based) in a source that gives none: ``q001``."""
    return f"q{ordinal:03d}"


def slug_key(title: str) -> str | None:
    """A key from a title when the title is plain ASCII: ``"Grant's Tomb"`` → ``grants-tomb``.

    None for a title with any non-ASCII character (a Chinese title keeps the numbered key) or one
    leaving nothing usable.
    """
    if not title.isascii() or not title.isprintable():
        return None
    slug = re.sub(r"[^a-z0-9_.]+", "-", title.lower().replace("'", "")).strip("-_.")[:64]
    slug = slug.strip("-_.")
    return slug if is_valid_key(slug) else None


class KeyAllocator:
    """Hands out unique keys in source order: the preferred key when free, else ``q<ordinal>``,
    else ``q<ordinal>-2``, ``-3``… (only when an explicit id or a title already took that number).

    ``reserved`` holds the ids the source gives explicitly; they are allocated first so that a
    numbered key never takes an id a later row asks for.
    """

    def __init__(self, reserved: set[str] | frozenset[str] = frozenset()) -> None:
        self.taken: set[str] = set(reserved)

    def allocate(self, preferred: str | None, ordinal: int) -> str:
        candidates = [preferred] if preferred else []
        candidates.append(numbered_key(ordinal))
        for key in candidates:
            if key not in self.taken:
                self.taken.add(key)
                return key
        n = 2
        while f"{candidates[-1]}-{n}" in self.taken:
            n += 1
        key = f"{candidates[-1]}-{n}"
        self.taken.add(key)
        return key


# --- validation ----------------------------------------------------------------------------------

def problems_zh(question: QuestionData) -> list[Problem]:
    """``question_problems`` with their Chinese text (each keeps its message id and field)."""
    return [Problem(p.msgid, p.params, field=p.field) for p in question_problems(question)]


def snippet(text: str, limit: int = 30) -> str:
    """The start of a text on one line, for naming a question in a message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"
