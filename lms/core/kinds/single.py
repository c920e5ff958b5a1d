"""单选: one correct option among 2 to 6; the member picks one (a radio button)."""
from __future__ import annotations

from fractions import Fraction

from lms.core.i18n import N_
from lms.core.questions import QuestionData

from .base import FULL, NOTHING, gift_block
from .choice import ChoiceKind, is_blank, option_index, parse_index


class Single(ChoiceKind):
    name = "single"
    label = N_("单选")
    form_label = N_("单选题")
    sheet_words = ("单项选择",)
    template = "quizzes/kinds/single.html"
    count_problem = ("a single-choice question has exactly one correct option",
                     N_("单选题只能有一个正确答案"), N_("单选题只能有一个正确答案，这里是“%(raw)s”"))
    options_problem = N_("单选题需要 %(low)d 到 %(high)d 个选项")
    few_options_problem = N_("单选题至少需要两个选项")

    def count_ok(self, count: int) -> bool:
        return count == 1

    def normalize(self, question: QuestionData, raw):
        """``"2"`` → ``2``; blank → None."""
        return None if is_blank(raw) else parse_index(question, raw)

    def grade(self, question: QuestionData, response, *, multiple_scoring: str) -> Fraction:
        """Full marks when the one chosen index is the correct one."""
        if response is None:
            return NOTHING
        return FULL if option_index(question, response) == question.answer[0] else NOTHING

    def demo_answer(self, entry, right: bool) -> list:
        answer = entry["answer"]
        return [answer[0]] if right else [next(i for i in range(len(entry["options"]))
                                                if i not in answer)]

    def gift_body(self, q: QuestionData, text, explanation: str) -> str:
        feedback = q.option_feedback or ("",) * len(q.options)
        lines = []
        for i, (option, note) in enumerate(zip(q.options, feedback, strict=True)):
            if i in q.answer:
                mark = "="
            else:
                mark = "~%0%" if option.startswith("%") else "~"
            lines.append("\t" + mark + text(option) + ("#" + text(note) if note else ""))
        return gift_block(lines, explanation)


KIND = Single()
