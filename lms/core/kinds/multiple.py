"""多选: two or more correct options among 2 to 6; the member ticks boxes."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction

from lms.core.i18n import N_
from lms.core.questions import QuestionData

from .base import FULL, NOTHING, gift_block
from .choice import ChoiceKind, option_index, parse_index


def _weight(value: float) -> str:
    return f"%{value:.5f}".rstrip("0").rstrip(".") + "%"


class Multiple(ChoiceKind):
    name = "multiple"
    label = N_("多选")
    form_label = N_("多选题")
    sheet_words = ("多项选择",)
    template = "quizzes/kinds/multiple.html"
    count_problem = ("a multiple-choice question has at least two correct options",
                     N_("多选题至少要有两个正确答案"),
                     N_("多选题至少要有两个正确答案，这里只有“%(raw)s”"))
    options_problem = N_("多选题需要 %(low)d 到 %(high)d 个选项")
    few_options_problem = N_("多选题至少需要两个选项")

    def count_ok(self, count: int) -> bool:
        return count >= 2

    def form_value(self, values: Sequence[str]) -> object:
        return list(values)

    def normalize(self, question: QuestionData, raw):
        """``["0", "3"]`` → ``(0, 3)``; None or empty → ``()``.

        A bare string is refused (use the form's list of values, not its first value), and so is
        an index given twice.
        """
        if raw is None:
            return ()
        if isinstance(raw, (str, bytes)) or not isinstance(raw, (list, tuple)):
            raise ValueError(f"a multiple-choice answer is a list of option indexes, not {raw!r}")
        indexes = [parse_index(question, value) for value in raw]
        if len(set(indexes)) != len(indexes):
            raise ValueError(f"an option is chosen twice: {raw!r}")
        return tuple(sorted(indexes))

    def grade(self, question: QuestionData, response, *, multiple_scoring: str) -> Fraction:
        """All or nothing: the chosen set equals the correct set.

        Partial: ``(right picks − wrong picks) / number of correct options``, floored at 0, so a
        wrong pick cancels a right one and ticking every box earns nothing.
        """
        if response is None:
            return NOTHING
        if isinstance(response, (str, bytes)) or not isinstance(response, Iterable):
            raise ValueError(
                f"a multiple-choice response is a collection of indexes, not {response!r}")
        picked = {option_index(question, value) for value in response}
        correct = set(question.answer)
        right, wrong = len(picked & correct), len(picked - correct)
        if multiple_scoring == "partial":
            return Fraction(max(0, right - wrong), len(correct))
        return FULL if picked == correct else NOTHING

    def to_stored(self, response) -> list:
        return [] if response is None else sorted(response)

    def from_stored(self, stored) -> object:
        return tuple(stored) if stored else None

    def demo_answer(self, entry, right: bool) -> list:
        answer = entry["answer"]
        return sorted(answer) if right else [i for i in range(len(entry["options"]))
                                             if i not in answer][:1]

    def gift_body(self, q: QuestionData, text, explanation: str) -> str:
        """Weights ``100/k`` for each of the k correct options and ``-100/k`` for each wrong one,
        so Moodle scores it like our partial scoring."""
        feedback = q.option_feedback or ("",) * len(q.options)
        share = 100 / len(q.answer)
        lines = ["\t~" + _weight(share if i in q.answer else -share) + text(option)
                 + ("#" + text(note) if note else "")
                 for i, (option, note) in enumerate(zip(q.options, feedback, strict=True))]
        return gift_block(lines, explanation)


KIND = Multiple()
