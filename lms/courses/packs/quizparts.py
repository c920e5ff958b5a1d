"""Questions, lesson checks and the final quiz of a course pack, read off YAML nodes.

Answer notation: ``single`` one letter (``B``), ``multiple`` letters (``ACD``, ``A,C,D`` or a YAML
list ``[A, C, D]``), letters case- and width-insensitive (``ｂ`` is ``B``); ``truefalse``
``true``/``false`` or ``对``/``错``; ``fill`` a string or a list of accepted strings. The kind rules
(option counts, how many answers, …) are :func:`lms.core.questions.question_problems`; each of its
messages points at the line of the key it is about. Question ids are unique across the pack.
"""
from __future__ import annotations

import re

from yaml.nodes import ScalarNode, SequenceNode

from lms.core.questions import QuestionData, question_kind, question_problems

from .model import GRADINGS, MULTIPLE_SCORINGS, QUESTION_ID, CheckData, QuizData
from .yamltree import (
    Source,
    boolean,
    choice,
    integer,
    mapping,
    number,
    scalar_text,
    sequence,
    text,
)

QUESTION_REQUIRED = ("id", "kind", "stem", "answer", "explanation")
QUESTION_OPTIONAL = ("options", "points")
CHECK_KEYS = ("mastery", "questions")
QUIZ_REQUIRED = ("pass_percent", "draw", "questions")
QUIZ_OPTIONAL = ("max_attempts", "time_limit_minutes", "grading", "multiple_scoring", "review",
                 "open_before_lessons")
NOT_AMONG = "the answer is not among the options"
_MASTERY = re.compile(r"([0-9]{1,6})\s*of\s*([0-9]{1,6})", re.IGNORECASE)


def _message_key(message) -> str | None:
    """The key a question_problems() problem is about (it names its field)."""
    return getattr(message, "field", None)


def read_questions(src: Source, fields, ids: dict[str, str]) -> list | None:
    """The ``questions`` list, one entry per item (None for an item that is no mapping); None
    when the list is missing or no list."""
    if "questions" not in fields:
        return None
    key, node = fields["questions"]
    items = sequence(src, key, node, "questions")
    if items is None:
        return None
    if not items:
        src.add(key, "questions must list at least one question")
    return [read_question(src, item, ids) for item in items]


def read_question(src: Source, node, ids: dict[str, str]) -> QuestionData | None:
    fields = mapping(src, node, "question", QUESTION_REQUIRED, QUESTION_OPTIONAL)
    if fields is None:
        return None
    flagged = set(QUESTION_REQUIRED) - fields.keys()  # keys with a problem already reported

    def read(name, get):
        count = len(src.problems)
        value = get()
        if len(src.problems) > count:
            flagged.add(name)
        return value

    key = read("id", lambda: _question_id(src, fields, ids))
    kind = read("kind", lambda: text(src, fields, "kind")) or ""
    stem = read("stem", lambda: text(src, fields, "stem", allow_empty=True)) or ""
    options = read("options", lambda: _options(src, fields)) or ()
    explanation = read("explanation", lambda: text(src, fields, "explanation")) or ""
    points = read("points", lambda: number(src, fields, "points", default=1.0))
    rules = question_kind(kind)
    if rules is not None and rules.has_options and "options" not in fields:
        src.add(node, f"missing required key 'options' in question (a {kind} question lists them)")
        flagged.add("options")
    if rules is not None and rules.has_options and "options" in flagged:
        flagged.add("answer")  # letters cannot be checked against options that are not there
    if rules is not None and rules.pack_options_refused and options:
        src.add(fields["options"][0], rules.pack_options_refused)
        options = ()
    answer = ()
    if rules is not None and "answer" in fields:
        answer = read("answer", lambda: _answer(src, fields["answer"], rules)) or ()
    question = QuestionData(key=key or "", kind=kind, stem=stem, answer=answer, options=options,
                            explanation=explanation, points=1.0 if points is None else points)
    for message in question_problems(question):
        name = _message_key(message)
        if name in flagged:
            continue
        if message == NOT_AMONG:
            last = f"A–{chr(64 + len(options))}" if options else "none"
            message += f" (answer {''.join(chr(65 + i) for i in answer)}; options {last})"
        src.add(fields[name][0] if name in fields else node, message)
    return question


def _question_id(src: Source, fields, ids: dict[str, str]) -> str | None:
    qid = text(src, fields, "id")
    if qid is None:
        return None
    key = fields["id"][0]
    if not QUESTION_ID.fullmatch(qid):
        src.add(key, f"question id {qid!r} must be 1 to 64 of A-Z a-z 0-9 _ . -")
    elif qid in ids:
        src.add(key, f"question id {qid!r} is already used at {ids[qid]}")
    else:
        ids[qid] = f"{src.path}:{src.line(key)}"
    return qid


def _options(src: Source, fields) -> tuple[str, ...] | None:
    if "options" not in fields:
        return ()
    key, node = fields["options"]
    items = sequence(src, key, node, "options")
    if items is None:
        return None
    found = tuple(scalar_text(src, item, item, "an option") for item in items)
    return None if None in found else found


def _answer(src: Source, field, kind) -> tuple | None:
    """The ``answer`` as the kind reads it: one scalar, or (where the kind allows) a list."""
    key, node = field
    if not kind.pack_answer_listed:
        if not isinstance(node, ScalarNode):
            return ()
        found = [scalar_text(src, key, node, "answer") or ""]
    else:
        items = sequence(src, key, node, "answer") if isinstance(node, SequenceNode) else [node]
        if items is None:
            return None
        found = [scalar_text(src, item, item, "answer") for item in items]
        if None in found:
            return None
    answer, problem = kind.read_pack_answer(found)
    if problem:
        src.add(key, problem)
    return answer


def read_check(src: Source, field, ids: dict[str, str]) -> CheckData | None:
    """A lesson's ``check``: ``mastery`` is ``"N of M"`` (M = number of questions, 1 ≤ N ≤ M) or
    ``"all"``."""
    key, node = field
    fields = mapping(src, node, "check", CHECK_KEYS, at=key)
    if fields is None:
        return None
    questions = read_questions(src, fields, ids)
    mastery = _mastery(src, fields, None if questions is None else len(questions))
    return CheckData(mastery_required=mastery or 0, questions=tuple(filter(None, questions or ())))


def _mastery(src: Source, fields, count: int | None) -> int | None:
    if "mastery" not in fields:
        return None
    key, node = fields["mastery"]
    raw = scalar_text(src, key, node, "mastery")
    if raw is None:
        return None
    if raw.lower() == "all" and count is not None:
        return count
    match = _MASTERY.fullmatch(raw)
    if match is None:
        if raw.lower() != "all":
            src.add(key, f'mastery must be "N of M" or "all" (got {raw!r})')
        return None
    needed, total = int(match[1]), int(match[2])
    if count is not None and total != count:
        src.add(key, f'mastery "{raw}" counts {total} questions but the check has {count}')
    if not 1 <= needed <= total:
        src.add(key, f'mastery "{raw}" must ask for 1 to {total} right answers')
    return needed


def read_final_quiz(src: Source, node, ids: dict[str, str]) -> QuizData | None:
    """``quizzes/final.yaml``: ``draw`` is at most the number of questions."""
    fields = mapping(src, node, "the final quiz", QUIZ_REQUIRED, QUIZ_OPTIONAL)
    if fields is None:
        return None
    questions = read_questions(src, fields, ids)
    draw = integer(src, fields, "draw", 1)
    quiz = QuizData(
        pass_percent=integer(src, fields, "pass_percent", 1, 100),
        draw=draw,
        max_attempts=integer(src, fields, "max_attempts", 0, default=3),
        time_limit_minutes=integer(src, fields, "time_limit_minutes", 0, default=0),
        grading=choice(src, fields, "grading", GRADINGS, default="highest"),
        multiple_scoring=choice(src, fields, "multiple_scoring", MULTIPLE_SCORINGS,
                                default="all_or_nothing"),
        review=boolean(src, fields, "review", default=True),
        open_before_lessons=boolean(src, fields, "open_before_lessons", default=False),
        questions=tuple(filter(None, questions or ())),
    )
    if draw is not None and questions and draw > len(questions):
        src.add(fields["draw"][0], f"draw is {draw} but the quiz has only {len(questions)} questions")
    return quiz

