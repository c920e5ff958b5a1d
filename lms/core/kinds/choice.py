"""What single and multiple choice share: options, letters, shuffling, the option fields."""
from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from lms.core.i18n import N_
from lms.core.problems import Problem
from lms.core.questions import LETTERS, MAX_OPTIONS, QuestionData, indexes_to_letters
from lms.core.text import fold_width

from .base import QuestionKind, is_blank


def option_index(question: QuestionData, value) -> int:
    """``value`` when it is an int naming one of the options; else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"an option index is an int, not {value!r}")
    if not 0 <= value < len(question.options):
        raise ValueError(f"option index {value} is out of range for {len(question.options)} options")
    return value


def parse_index(question: QuestionData, raw) -> int:
    """A form's ``"2"`` (or an int) → an option index; ValueError for anything else."""
    if isinstance(raw, bool):
        raise ValueError(f"not an option index: {raw!r}")
    if isinstance(raw, str):
        text = raw.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 3):
            raise ValueError(f"not an option index: {raw!r}")
        raw = int(text)
    return option_index(question, raw)


class ChoiceKind(QuestionKind):
    """A question answered by picking among 2 to 6 options; ``answer`` holds option indexes."""

    has_options = True
    authoring_template = "authoring/kinds/choice.html"
    #: the count rule's messages: (English, Chinese message id, the spreadsheet's with ``raw``)
    count_problem: tuple[str, str, str] = ("", "", "")
    #: the option-count rule's Chinese message id (``%(low)d``, ``%(high)d``)
    options_problem: str = ""
    #: a spreadsheet row with fewer than two options (message id)
    few_options_problem: str = ""

    def count_ok(self, count: int) -> bool:
        raise NotImplementedError

    def problems(self, q: QuestionData) -> list[Problem]:
        problems = []
        if not 2 <= len(q.options) <= MAX_OPTIONS:
            problems.append(Problem(self.options_problem, {"low": 2, "high": MAX_OPTIONS},
                                    field="options",
                                    text=f"a {q.kind} question needs 2 to {MAX_OPTIONS} options"))
        if any(not o.strip() for o in q.options):
            problems.append(Problem(N_("有选项为空"), field="options", text="an option is empty"))
        if len(set(q.options)) != len(q.options):
            problems.append(Problem(N_("有两个选项内容相同"), field="options",
                                    text="two options are the same"))
        if any(not isinstance(i, int) or not 0 <= i < len(q.options) for i in q.answer):
            problems.append(Problem(N_("正确答案不在选项之中"), field="answer",
                                    text="the answer is not among the options"))
        elif not q.answer:
            problems.append(Problem(N_("还没有勾选正确答案"), field="answer",
                                    text="no correct option is marked"))
        elif not self.count_ok(len(q.answer)):
            problems.append(Problem(self.count_problem[1], field="answer",
                                    text=self.count_problem[0]))
        return problems

    def printed_choices(self, options: list[str]) -> list[str]:
        return options

    def present(self, question, rng) -> tuple[list[int], list]:
        order = list(range(len(question.options or ())))
        rng.shuffle(order)
        return order, sorted(order.index(i) for i in question.answer)

    def answer_text(self, entry: Mapping, stored) -> str:
        options = entry["options"]
        order = entry.get("order") or list(range(len(options)))
        picked = sorted((order[i], options[i]) for i in stored if 0 <= i < len(options))
        return "；".join(text for _, text in picked)

    def correct_text(self, entry: Mapping) -> str:
        return "；".join(entry["options"][i] for i in entry["answer"])

    # --- packs

    def read_pack_answer(self, values: list[str]) -> tuple[tuple | None, str | None]:
        raw = "".join(values)
        letters = [ch for ch in unicodedata.normalize("NFKC", raw).upper()
                   if not ch.isspace() and ch not in ",，、"]
        if not letters:
            return None, "answer is empty (write the letter of the correct option, such as B)"
        if any(not "A" <= ch <= "Z" for ch in letters):
            return None, f"answer {raw!r} must be option letters, such as B or ACD"
        return tuple(sorted({ord(ch) - ord("A") for ch in letters})), None

    def to_pack(self, q: QuestionData):
        return indexes_to_letters(q.answer)

    # --- spreadsheets

    def read_sheet_answer(self, raw: str, options: list[str]) -> tuple[tuple, list[str], list]:
        problems = [Problem(self.few_options_problem)] if len(options) < 2 else []
        cleaned = "".join(ch for ch in fold_width(raw).upper()
                          if not ch.isspace() and ch not in ",;、")
        bad = [ch for ch in cleaned if ch not in LETTERS]
        if bad or not cleaned:
            return (), options, [*problems, Problem(N_("正确答案“%(raw)s”不是选项字母（A–F）"),
                                                    {"raw": raw}, field="answer")]
        letters = sorted(set(cleaned))
        empty = [ch for ch in letters
                 if LETTERS.index(ch) >= len(options) or not options[LETTERS.index(ch)]]
        if empty:
            return (), options, [*problems, Problem(N_("正确答案“%(raw)s”指向的选项%(letters)s是空的"),
                                                    {"raw": raw, "letters": "、".join(empty)},
                                                    field="answer")]
        if not self.count_ok(len(letters)):
            return (), options, [*problems, Problem(self.count_problem[2], {"raw": raw},
                                                    field="answer")]
        return tuple(LETTERS.index(ch) for ch in letters), options, problems

    def sheet_answer(self, q: QuestionData) -> str:
        return indexes_to_letters(q.answer)

    # --- the authoring form

    def form_fields(self) -> dict:
        from flask_babel import lazy_gettext as _l
        from wtforms import SelectMultipleField, StringField
        from wtforms.fields.choices import SelectChoice
        from wtforms.validators import Length
        from wtforms.widgets import CheckboxInput, ListWidget

        class MultiCheckboxField(SelectMultipleField):
            widget = ListWidget(prefix_label=False)
            option_widget = CheckboxInput()

        labels = (_l("选项A"), _l("选项B"), _l("选项C"), _l("选项D"), _l("选项E"), _l("选项F"))
        fields = {name: StringField(label, validators=[Length(max=1000)])
                  for name, label in zip(OPTION_FIELDS, labels, strict=True)}
        fields["correct"] = MultiCheckboxField(
            _l("正确选项（单选、多选题）"),
            choices=[SelectChoice(value=letter, label=letter) for letter in LETTERS])
        return fields

    def read_form(self, form) -> tuple[tuple, tuple]:
        texts = [(getattr(form, name).data or "").strip() for name in OPTION_FIELDS]
        while texts and not texts[-1]:
            texts.pop()
        answer = tuple(sorted(LETTERS.index(c) for c in set(form.correct.data or ())))
        return tuple(texts), answer

    def fill_form(self, form, question) -> None:
        for name, text in zip(OPTION_FIELDS, list(question.options) + [""] * MAX_OPTIONS,
                              strict=False):
            getattr(form, name).data = text
        form.correct.data = [LETTERS[i] for i in question.answer]


#: the authoring form's option fields, A to F
OPTION_FIELDS = tuple(f"option_{letter.lower()}" for letter in LETTERS)

__all__ = ["OPTION_FIELDS", "ChoiceKind", "is_blank", "option_index", "parse_index"]
