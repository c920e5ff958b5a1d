"""Aiken: single-choice questions as plain text, reader and writer. Pure Python.

::

    党员应当多久交纳一次党费？
    A. 每月
    B. 每年
    ANSWER: A

Rules:

- A question is its stem (one or more lines), then its options, then the ``ANSWER:`` line, which
  ends it. Blank lines between questions are customary and ignored anywhere.
- An option line is a capital letter, then ``.`` or ``)`` and a space (Chinese ``、`` ``．`` ``）``
  need no space; full-width letters count), then the text. Options go A, B, C… in order, 2 to 6.
- ``ANSWER: B`` names exactly one option (``Answer`` and a full-width colon accepted, also
  ``答案：B``).
- Aiken has no ids, titles, points or explanations: keys are ``q<n>`` (n = position in the file),
  points 1, explanation empty.
"""
from __future__ import annotations

import re

from lms.core.i18n import N_
from lms.core.problems import Problem, located
from lms.core.questions import LETTERS, MAX_OPTIONS, QuestionData, question_problems
from lms.core.text import fold_width

from .common import (
    MAX_QUESTIONS,
    ReadResult,
    decode_utf8,
    file_problem,
    numbered_key,
    problems_zh,
    snippet,
)

_OPTION = re.compile(
    r"([A-ZＡ-Ｚ])(?:[.)][ \t\u3000]+|[.)](?=[^\x00-\x7f])|[.)]$|[、．）][ \t\u3000]*)(.*)")
_ANSWER = re.compile(r"(?:ANSWER|答案)\s*[:：]\s*(.*)", re.IGNORECASE)
_SAVE_TEXT = "请用记事本或 WPS“另存为”，编码选 UTF-8"


class _Draft:
    def __init__(self, line_no: int, stem: str) -> None:
        self.line_no = line_no
        self.stem_lines = [stem]
        self.options: list[str] = []
        self.problems: list[Problem] = []

    @property
    def stem(self) -> str:
        return "\n".join(self.stem_lines)


def _option_problem(draft: _Draft, letter: str, text: str) -> Problem | None:
    expected = LETTERS[len(draft.options)] if len(draft.options) < MAX_OPTIONS else None
    if expected is None:
        return Problem(N_("选项最多 %(n)d 个（A–F）"), {"n": MAX_OPTIONS})
    if letter != expected:
        return Problem(N_("选项字母应为 %(expected)s，这里是 %(letter)s"),
                       {"expected": expected, "letter": letter})
    if not text:
        return Problem(N_("选项 %(letter)s 为空"), {"letter": letter})
    return None


def _answer(draft: _Draft, raw: str) -> tuple[tuple, Problem | None]:
    letters = "".join(ch for ch in fold_width(raw).upper() if not ch.isspace() and ch not in ",，、")
    if not letters:
        return (), Problem(N_("ANSWER 后面没有字母"))
    if len(letters) > 1:
        return (), Problem(N_("Aiken 只能有一个正确答案，这里是“%(raw)s”"), {"raw": raw.strip()})
    if letters not in LETTERS or LETTERS.index(letters) >= len(draft.options):
        return (), Problem(N_("ANSWER 的字母 %(letter)s 没有对应的选项"), {"letter": letters})
    return (LETTERS.index(letters),), None


def read_aiken(data: bytes) -> ReadResult:
    """An Aiken file (UTF-8) → ReadResult; problems say ``line N: …``."""
    text, problem = decode_utf8(bytes(data), "line", "Aiken 文本文件", _SAVE_TEXT)
    if problem:
        return ReadResult(problems=[problem])
    result = ReadResult()
    draft: _Draft | None = None
    count = 0

    def unfinished(d: _Draft) -> None:
        result.problems.append(Problem(N_("缺少 ANSWER 行"), unit="line", number=d.line_no,
                                       subject=snippet(d.stem)))

    for line_no, raw_line in enumerate(text.split("\n"), start=1):
        line = raw_line.strip()
        if not line:
            continue
        option, answer = _OPTION.fullmatch(line), _ANSWER.fullmatch(line)
        if answer:
            if draft is None:
                result.problems.append(located("line", line_no, N_("ANSWER 行前面没有题目")))
                continue
            indexes, problem = _answer(draft, answer[1])
            problems = draft.problems + ([problem.at("line", line_no)] if problem else [])
            if not draft.options and not problem:
                problems.append(located("line", draft.line_no, N_("题目没有选项")))
            count += 1
            if count > MAX_QUESTIONS:
                return file_problem("line", N_("题目超过 %(n)d 道，请拆成几个文件导入"),
                                    n=MAX_QUESTIONS)
            question = QuestionData(key=numbered_key(count), kind="single", stem=draft.stem,
                                    options=tuple(draft.options), answer=indexes)
            if not problems:
                problems = [p.at("line", draft.line_no) for p in problems_zh(question)]
            result.problems += problems
            if not problems:
                result.add(question, f"line {draft.line_no}")
            draft = None
        elif option:
            letter = fold_width(option[1])
            if draft is None:
                result.problems.append(located("line", line_no, N_("选项 %(letter)s 出现在题干之前"),
                                               letter=letter))
                continue
            problem = _option_problem(draft, letter, option[2].strip())
            if problem:
                draft.problems.append(problem.at("line", line_no))
            else:
                draft.options.append(option[2].strip())
        elif draft is not None and not draft.options:
            draft.stem_lines.append(line)
        else:
            if draft is not None:
                unfinished(draft)
                count += 1
            draft = _Draft(line_no, line)
    if draft is not None:
        unfinished(draft)
    if not (result.questions or result.problems):
        result.problems.append(located("line", 1, N_("文件中没有找到题目")))
    return result


def write_aiken(questions) -> bytes:
    """Single-choice questions as Aiken (UTF-8), a blank line between questions.

    Keys, titles, points, explanations and feedback are not written (Aiken has no place for them).
    Raises ValueError for a question that is not a sound single-choice one, or whose stem has a
    line Aiken would read as an option or an ANSWER line.
    """
    blocks = []
    for q in questions:
        problems = question_problems(q)
        if q.kind != "single":
            problems.append(f"Aiken holds single-choice questions only, not {q.kind}")
        stem_lines = [line.strip() for line in q.stem.split("\n") if line.strip()]
        if any(_OPTION.fullmatch(line) or _ANSWER.fullmatch(line) for line in stem_lines):
            problems.append("a stem line would read as an option or an ANSWER line")
        if stem_lines and stem_lines[0].startswith("\ufeff"):
            # a reader takes a leading byte-order mark for the file's encoding mark
            problems.append("the stem starts with a byte-order mark (U+FEFF)")
        if problems:
            raise ValueError(f"question {q.key!r} cannot be written as Aiken: {'; '.join(problems)}")
        options = [f"{LETTERS[i]}. {' '.join(o.split())}" for i, o in enumerate(q.options)]
        blocks.append("\n".join([*stem_lines, *options, f"ANSWER: {LETTERS[q.answer[0]]}"]))
    return ("\n\n".join(blocks) + "\n").encode("utf-8")
