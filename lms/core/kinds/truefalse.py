"""判断: a statement that is true or false; ``answer`` is ``(True,)`` or ``(False,)``."""
from __future__ import annotations

from fractions import Fraction

from lms.core.i18n import N_
from lms.core.problems import Problem
from lms.core.questions import LETTERS, QuestionData, truefalse_from_text
from lms.core.text import fold_width

from .base import FULL, NOTHING, QuestionKind, is_blank


class TrueFalse(QuestionKind):
    name = "truefalse"
    label = N_("判断")
    form_label = N_("判断题")
    sheet_words = ("是非",)
    pack_answer_listed = False
    pack_options_refused = "a true/false question has no options"
    template = "quizzes/kinds/truefalse.html"
    authoring_template = "authoring/kinds/truefalse.html"

    def problems(self, q: QuestionData) -> list[Problem]:
        if q.options or q.answer not in ((True,), (False,)):
            return [Problem(N_("判断题的答案只能是对或错"), field="answer",
                            text="a true/false answer is true or false")]
        return []

    def printed_choices(self, options: list[str]) -> list[str]:
        return ["对", "错"]

    def normalize(self, question: QuestionData, raw):
        """``"true"``/``"false"`` (also ``1``/``0``, ``对``/``错``) → bool; blank → None."""
        if isinstance(raw, bool):
            return raw
        if is_blank(raw):
            return None
        if not isinstance(raw, str):
            raise ValueError(f"not a true/false answer: {raw!r}")
        value = {"1": True, "0": False}.get(raw.strip())
        if value is None:
            value = truefalse_from_text(raw)
        if value is None:
            raise ValueError(f"not a true/false answer: {raw!r}")
        return value

    def grade(self, question: QuestionData, response, *, multiple_scoring: str) -> Fraction:
        if response is None:
            return NOTHING
        if not isinstance(response, bool):
            raise ValueError(f"a true/false response is a bool, not {response!r}")
        return FULL if response is question.answer[0] else NOTHING

    def answer_text(self, entry, stored) -> str:
        return "对" if stored[0] else "错"

    def correct_text(self, entry) -> str:
        return "对" if entry["answer"][0] else "错"

    def demo_answer(self, entry, right: bool) -> list:
        answer = entry["answer"]
        return [answer[0]] if right else [not answer[0]]

    def read_pack_answer(self, values: list[str]) -> tuple[tuple | None, str | None]:
        """``true``/``false`` or ``对``/``错``; any other word leaves the answer empty, which
        validation reports."""
        word = values[0].lower() if values else ""
        return ((True,) if word in ("true", "对") else (False,) if word in ("false", "错")
                else ()), None

    def to_pack(self, q: QuestionData):
        return bool(q.answer and q.answer[0])

    def read_sheet_answer(self, raw: str, options: list[str]) -> tuple[tuple, list[str], list[str]]:
        """对/错 words; a letter naming an option that says 对 or 错 counts too. The options go."""
        value = truefalse_from_text(raw)
        letter = fold_width(raw).strip().upper()
        if value is None and len(letter) == 1 and letter in LETTERS[: len(options)]:
            value = truefalse_from_text(options[LETTERS.index(letter)])
        if value is None:
            return (), [], [Problem(N_("判断题的正确答案应为“对”或“错”，这里是“%(raw)s”"),
                                    {"raw": raw}, field="answer")]
        return (value,), [], []

    def sheet_answer(self, q: QuestionData) -> str:
        return "对" if q.answer[0] else "错"

    def gift_body(self, q: QuestionData, text, explanation: str) -> str:
        return f"{{{'TRUE' if q.answer[0] else 'FALSE'}{explanation}}}"

    def form_fields(self) -> dict:
        from flask_babel import lazy_gettext as _l
        from wtforms import RadioField
        from wtforms.fields.choices import SelectChoice

        return {"truefalse": RadioField(
            _l("正确答案（判断题）"), default="true",
            choices=[SelectChoice(value="true", label=_l("对")),
                     SelectChoice(value="false", label=_l("错"))])}

    def read_form(self, form) -> tuple[tuple, tuple]:
        return (), (form.truefalse.data == "true",)

    def fill_form(self, form, question) -> None:
        form.truefalse.data = "true" if question.answer[0] else "false"


KIND = TrueFalse()
