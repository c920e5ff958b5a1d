"""Problems found in what a person wrote (a question bank file, a question): typed, so that a
page shows each in the reader's language.

A :class:`Problem` is a message id (the Chinese text, ``%(name)s`` placeholders; mark it with
``N_`` so ``pybabel extract`` finds it), its parameters, where it is (``row`` or ``line`` and a
number, for a spreadsheet or a text file) and the field it is about (``stem``, ``options``,
``answer``, …). It is also the ``str`` the readers always produced (``row 5: 题干为空``), so the
command line, logs and code that compares texts are unchanged; a page shows :func:`translated`:
``第 5 行：题干为空``, or ``Row 5: The question has no stem`` in English.

Pure Python at import: Flask-Babel is imported when a problem is translated.
"""
from __future__ import annotations

from collections.abc import Mapping


class Problem(str):
    """One problem. ``subject`` names the question it is about (its title or the start of its
    stem: the person's own words, never translated). ``text`` overrides the plain text (question
    validation keeps its English sentences there for course packs); translated, the message id
    is used."""

    msgid: str
    params: dict
    unit: str
    number: int
    field: str | None
    subject: str

    def __new__(cls, msgid: str, params: Mapping | None = None, *, unit: str = "",
                number: int = 0, field: str | None = None, subject: str = "",
                text: str | None = None) -> Problem:
        params = dict(params or {})
        body = text if text is not None else (msgid % params if params else msgid)
        if subject:
            body = f"{subject}: {body}"
        self = super().__new__(cls, f"{unit} {number}: {body}" if unit else body)
        self.msgid, self.params, self.field, self.subject = msgid, params, field, subject
        self.unit, self.number = unit, number
        return self

    def at(self, unit: str, number: int, subject: str | None = None) -> Problem:
        """This problem placed at row/line ``number`` (and about ``subject`` when given); its
        plain text is the Chinese one."""
        return Problem(self.msgid, self.params, unit=unit, number=number, field=self.field,
                       subject=self.subject if subject is None else subject)

def located(unit: str, number: int, msgid: str, **params) -> Problem:
    """``located("row", 5, N_("题干为空"))``: a problem at row/line ``number``."""
    return Problem(msgid, params, unit=unit, number=number)


def place_text(location: str) -> str:
    """``"row 5"`` / ``"line 27"`` (a reader's ``locations``) in the request's language: 第 5 行."""
    from flask_babel import pgettext

    unit, _, number = location.partition(" ")
    if unit == "row" and number.isdigit():
        return pgettext("row", "第 %(n)d 行", n=int(number))
    if unit == "line" and number.isdigit():
        return pgettext("line", "第 %(n)d 行", n=int(number))
    return location


def translated(problem) -> str:
    """A problem in the request's language (第 5 行：… in Chinese); a plain string is looked up
    as a message id, as ``_()`` would."""
    from flask_babel import gettext, pgettext

    if not isinstance(problem, Problem):
        return gettext(problem)
    message = gettext(problem.msgid, **problem.params) if problem.params else gettext(
        problem.msgid)
    if problem.subject:
        message = gettext("%(subject)s：%(message)s", subject=problem.subject, message=message)
    if problem.unit == "row":
        return pgettext("row", "第 %(n)d 行：%(message)s", n=problem.number, message=message)
    if problem.unit == "line":
        return pgettext("line", "第 %(n)d 行：%(message)s", n=problem.number, message=message)
    return message
