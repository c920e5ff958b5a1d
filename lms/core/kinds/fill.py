"""填空: the member types the answer; ``answer`` holds every accepted spelling."""
from __future__ import annotations

from fractions import Fraction

from lms.core.i18n import N_
from lms.core.problems import Problem
from lms.core.questions import LETTERS, QuestionData
from lms.core.text import normalize_answer

from .base import FULL, NOTHING, QuestionKind, gift_block

#: longest fill-in answer accepted from a form; anything longer is not an answer
MAX_FILL_LENGTH = 1000


def split_fill_answers(text: str) -> list[str]:
    """``"a|b｜c"`` → ``["a", "b", "c"]``; ``\\|`` is a literal bar, ``\\\\`` a backslash; blanks go."""
    pieces, current, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in "|｜\\":
            current.append(text[i + 1])
            i += 2
            continue
        if ch in "|｜":
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    pieces.append("".join(current))
    return [p.strip() for p in pieces if p.strip()]


def _escape_fill(answer: str) -> str:
    return answer.replace("\\", "\\\\").replace("|", "\\|").replace("｜", "\\｜")


class Fill(QuestionKind):
    name = "fill"
    label = N_("填空")
    form_label = N_("填空题")
    template = "quizzes/kinds/fill.html"
    authoring_template = "authoring/kinds/fill.html"

    def problems(self, q: QuestionData) -> list[Problem]:
        problems = []
        if q.options:
            problems.append(Problem(N_("填空题不能有选项"), field="options",
                                    text="a fill-in-the-blank question has no options"))
        if not q.answer or any(not isinstance(a, str) or not a.strip() for a in q.answer):
            problems.append(Problem(
                N_("填空题至少要有一个答案"), field="answer",
                text="a fill-in-the-blank question needs at least one accepted answer"))
        return problems

    def normalize(self, question: QuestionData, raw):
        """The text as typed (graded later through normalize_answer); None → ``""``."""
        if raw is None:
            return ""
        if not isinstance(raw, str):
            raise ValueError(f"a fill-in answer is text, not {raw!r}")
        if len(raw) > MAX_FILL_LENGTH:
            raise ValueError(f"a fill-in answer is at most {MAX_FILL_LENGTH} characters")
        return raw

    def grade(self, question: QuestionData, response, *, multiple_scoring: str) -> Fraction:
        """Full marks when the response matches an accepted answer after
        :func:`~lms.core.text.normalize_answer`. An answer that normalises to nothing (blank, or
        only punctuation) is never correct."""
        if response is None:
            return NOTHING
        if not isinstance(response, str):
            raise ValueError(f"a fill-in response is a str, not {response!r}")
        typed = normalize_answer(response)
        if not typed:
            return NOTHING
        return FULL if typed in {normalize_answer(a) for a in question.answer} else NOTHING

    def to_stored(self, response) -> list:
        return [response] if response is not None and response.strip() else []

    def demo_answer(self, entry, right: bool) -> list:
        return [entry["answer"][0]] if right else ["不知道"]

    def read_pack_answer(self, values: list[str]) -> tuple[tuple | None, str | None]:
        return tuple(values), None

    def to_pack(self, q: QuestionData):
        return list(q.answer)

    def read_sheet_answer(self, raw: str, options: list[str]) -> tuple[tuple, list[str], list[str]]:
        problems = []
        if options:
            problems.append(Problem(N_("填空题不应有选项（选项%(letter)s有内容），请检查题型"),
                                    {"letter": LETTERS[len(options) - 1]}, field="options"))
        answer = tuple(split_fill_answers(raw))
        if not answer:
            problems.append(Problem(N_("填空题的正确答案为空"), field="answer"))
        return answer, options, problems

    def sheet_answer(self, q: QuestionData) -> str:
        return "|".join(_escape_fill(a) for a in q.answer)

    def gift_problems(self, q: QuestionData) -> list[str]:
        if any("->" in a for a in q.answer):
            return ["GIFT cannot hold '->' in a fill-in answer"]
        return []

    def gift_body(self, q: QuestionData, text, explanation: str) -> str:
        lines = ["\t=" + ("%100%" if a.startswith("%") else "") + text(a) for a in q.answer]
        return gift_block(lines, explanation)

    def form_fields(self) -> dict:
        from flask_babel import lazy_gettext as _l
        from wtforms import TextAreaField
        from wtforms.validators import Length

        return {"fill_answers": TextAreaField(_l("可接受的答案（填空题，每行一个）"),
                                              validators=[Length(max=2000)])}

    def read_form(self, form) -> tuple[tuple, tuple]:
        lines = (form.fill_answers.data or "").replace("|", "\n").split("\n")
        return (), tuple(dict.fromkeys(line.strip() for line in lines if line.strip()))

    def fill_form(self, form, question) -> None:
        form.fill_answers.data = "\n".join(question.answer)


KIND = Fill()
