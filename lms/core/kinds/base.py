"""What a question kind is: everything the platform does differently for one kind, in one object.

A kind says how its questions are validated, shuffled when presented, answered (form values →
typed response → stored JSON list → words), graded, read from and written to a course pack, a
spreadsheet bank and GIFT, edited in the trainer's form, and shown (its templates). The rest of
the code asks the kind (``kinds.get(question.kind)``) instead of comparing kind names.

Pure Python at import: the form fields import WTForms only when the authoring form is built.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from lms.core.questions import QuestionData
from lms.core.text import normalize_answer

NOTHING, FULL = Fraction(0), Fraction(1)


def gift_block(lines: list[str], explanation: str) -> str:
    """Answer lines (and the general feedback) inside GIFT's braces, one per line."""
    if explanation:
        lines = [*lines, "\t" + explanation]
    return "{\n" + "\n".join(lines) + "\n}"


def is_blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


class QuestionKind:
    """The base every kind extends; the defaults suit a kind with one answer and no options."""

    #: stored in ``Question.kind``, course packs, snapshots and forms
    name: str = ""
    #: short Chinese label (a msgid: templates show ``_(kind.label)``); also the spreadsheet 题型
    label: str = ""
    #: the authoring form's choice (a msgid)
    form_label: str = ""
    #: other 题型 words a spreadsheet may use for this kind (besides ``label`` and ``name``)
    sheet_words: tuple[str, ...] = ()
    #: True when the question lists options (a pack must give them; shuffled when presented)
    has_options: bool = False
    #: a pack answer may be a YAML list (letters or accepted strings), not only one scalar
    pack_answer_listed: bool = True
    #: when set, options given in a pack are dropped with this message at ``options``
    pack_options_refused: str | None = None
    #: the template holding this kind's take/review/preview macros
    template: str = ""
    #: the template holding this kind's answer fields in the authoring form
    authoring_template: str = ""

    # --- validation -------------------------------------------------------------------------

    def problems(self, q: QuestionData) -> list:
        """What is wrong with the kind-specific parts of ``q``, as
        :class:`~lms.core.problems.Problem` s naming their field, with the English sentence as
        their text (stem and points are checked by :func:`lms.core.questions.question_problems`)."""
        return []

    # --- presenting and answering -------------------------------------------------------------

    def present(self, question, rng) -> tuple[list[int], list]:
        """``(order, answer)`` for a snapshot: shown position → original option index, and the
        answer in the shown order's terms."""
        return list(range(len(question.options or ()))), list(question.answer)

    def printed_choices(self, options: list[str]) -> list[str]:
        """What a printed lesson sheet lists to tick (none: a line to write on)."""
        return []

    def form_value(self, values: Sequence[str]) -> object:
        """A form's values for one question (``getlist``) → the raw value :meth:`normalize`
        expects. Raises ValueError for two values where one belongs."""
        if len(values) > 1:
            raise ValueError("one answer expected")
        return values[0] if values else None

    def normalize(self, question: QuestionData, raw):
        """A raw form value → a typed response; raises ValueError for garbage."""
        raise NotImplementedError

    def grade(self, question: QuestionData, response, *, multiple_scoring: str) -> Fraction:
        """The share of the question's points earned, in ``[0, 1]``."""
        raise NotImplementedError

    def to_stored(self, response) -> list:
        """A typed response → the stored JSON list (``[]`` unanswered)."""
        return [] if response is None else [response]

    def from_stored(self, stored) -> object:
        """The stored JSON list → a typed response for the grader (None when unanswered)."""
        return stored[0] if stored else None

    def answer_text(self, entry: Mapping, stored) -> str:
        """A stored answer in words, comparable across attempts whatever the option order."""
        return normalize_answer(str(stored[0]))

    def correct_text(self, entry: Mapping) -> str:
        """The correct answer in words, for review pages (after submission only)."""
        return " / ".join(entry["answer"])

    def demo_answer(self, entry: Mapping, right: bool) -> list:
        """A stored answer that is right or wrong for ``entry`` (demo history)."""
        raise NotImplementedError

    # --- course packs (YAML) -----------------------------------------------------------------

    def read_pack_answer(self, values: list[str]) -> tuple[tuple | None, str | None]:
        """The pack's ``answer`` (its scalar texts) → ``(answer, problem)``; ``answer`` is None
        when ``problem`` says why."""
        raise NotImplementedError

    def to_pack(self, q: QuestionData):
        """The answer as the pack writes it: a str, a bool, or a list (written inline)."""
        raise NotImplementedError

    # --- spreadsheet banks ---------------------------------------------------------------------

    def read_sheet_answer(self, raw: str, options: list[str]) -> tuple[tuple, list[str], list[str]]:
        """A 正确答案 cell (not blank) and the row's options → ``(answer, options, problems)``
        (:class:`~lms.core.problems.Problem` s, placed by the reader)."""
        raise NotImplementedError

    def sheet_answer(self, q: QuestionData) -> str:
        """The 正确答案 cell for ``q``."""
        raise NotImplementedError

    # --- GIFT -----------------------------------------------------------------------------------

    def gift_problems(self, q: QuestionData) -> list[str]:
        """What GIFT cannot hold of this (sound) question."""
        return []

    def gift_body(self, q: QuestionData, text, explanation: str) -> str:
        """The ``{…}`` part of the question; ``text`` escapes a piece of text for GIFT and
        ``explanation`` is the ``####…`` general feedback or empty."""
        raise NotImplementedError

    # --- the authoring form -------------------------------------------------------------------

    def form_fields(self) -> dict:
        """WTForms fields (name → unbound field) the trainer's question form needs for this kind;
        kinds may share a field by giving the same name."""
        return {}

    def read_form(self, form) -> tuple[tuple, tuple]:
        """``(options, answer)`` from the submitted question form."""
        raise NotImplementedError

    def fill_form(self, form, question) -> None:
        """Put ``question``'s answer into the question form's fields."""
        raise NotImplementedError
