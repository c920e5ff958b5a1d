"""Questions out as Moodle GIFT, read back exactly by :func:`.gift.read_gift`.

Each question is preceded by ``// id: <key>`` (and ``// points: <n>`` when not 1), which Moodle
ignores as comments. Text is escaped like Moodle's exporter (``\\ ~ = # { } :`` and line breaks);
a text starting with ``[`` or ``//`` gets a ``[plain]`` marker so that it is not read as one.
The explanation is the general feedback (``####``). Multiple-choice weights are ``100/k`` for each
of the k correct options and ``-100/k`` for each wrong one, so Moodle scores it like our partial
scoring. Raises ValueError for a question that fails ``question_problems`` or holds what GIFT
cannot (``->`` in a fill-in answer, which Moodle reads as matching).
"""
from __future__ import annotations

from lms.core import kinds
from lms.core.questions import QuestionData, is_valid_key, question_problems


def escape(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for ch in "~=#{}:":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\r", "").replace("\n", "\\n")


def _text(text: str) -> str:
    return ("[plain]" if text.startswith(("[", "//")) else "") + escape(text)


def write_question(q: QuestionData) -> str:
    problems = question_problems(q)
    if q.kind in kinds.REGISTRY:
        problems += kinds.REGISTRY[q.kind].gift_problems(q)
    if problems:
        raise ValueError(f"question {q.key!r} cannot be written: {'; '.join(problems)}")
    head = [f"// id: {q.key}"] if is_valid_key(q.key) else []
    if q.points != 1:
        head.append(f"// points: {int(q.points) if float(q.points).is_integer() else q.points!r}")
    title = f"::{escape(q.title)}::" if q.title else ""
    explanation = f"####{_text(q.explanation)}" if q.explanation else ""
    body = kinds.get(q.kind).gift_body(q, _text, explanation)
    return "\n".join([*head, title + _text(q.stem) + body])


def write_gift(questions) -> bytes:
    """The questions as one UTF-8 GIFT file, a blank line between questions."""
    return ("\n\n".join(write_question(q) for q in questions) + "\n").encode("utf-8")
