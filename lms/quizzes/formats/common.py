"""What every question-format reader shares: the result type, limits, decoding, keys. Pure Python.

Messages are Chinese (the UI is zh_CN) behind a fixed location prefix: ``row N: …`` for
spreadsheets (row numbers as Excel shows them, the header is row 1) and ``line N: …`` for text
formats. A view may render the prefix as 第 N 行.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

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
    problems: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    locations: dict[str, str] = field(default_factory=dict)

    def add(self, question: QuestionData, location: str) -> None:
        self.questions.append(question)
        self.locations[question.key] = location

    @property
    def ok(self) -> bool:
        return not self.problems


def file_problem(unit: str, message: str) -> ReadResult:
    """A result holding one problem about the whole file, located at row/line 1."""
    return ReadResult(problems=[f"{unit} 1: {message}"])


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

#: question_problems() messages in Chinese; readers check most things themselves first, this is
#: the net below them
_PROBLEMS_ZH = {
    "the question has no stem": "题干为空",
    "points must be a positive number": "分值必须是正数",
    "an option is empty": "有选项为空",
    "two options are the same": "有两个选项内容相同",
    "the answer is not among the options": "正确答案不在选项之中",
    "a single-choice question has exactly one correct option": "单选题只能有一个正确答案",
    "a multiple-choice question has at least two correct options": "多选题至少要有两个正确答案",
    "a true/false answer is true or false": "判断题的答案只能是对或错",
    "a fill-in-the-blank question has no options": "填空题不能有选项",
    "a fill-in-the-blank question needs at least one accepted answer": "填空题至少要有一个答案",
}


_OPTION_COUNT = re.compile(r"a (single|multiple) question needs (\d+) to (\d+) options")


def problems_zh(question: QuestionData) -> list[str]:
    """``question_problems`` in Chinese (an untranslated message passes through as it is)."""
    out = []
    for message in question_problems(question):
        counted = _OPTION_COUNT.fullmatch(message)
        if counted:
            kind = "单选题" if counted[1] == "single" else "多选题"
            out.append(f"{kind}需要 {counted[2]} 到 {counted[3]} 个选项")
        else:
            out.append(_PROBLEMS_ZH.get(message, message))
    return out


def snippet(text: str, limit: int = 30) -> str:
    """The start of a text on one line, for naming a question in a message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"
