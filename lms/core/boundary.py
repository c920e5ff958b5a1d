"""What every request must look like before any view reads it.

Control characters (NUL above all) in a form field, a query parameter, a URL part or a JSON
string are refused with 400 here, once, instead of reaching PostgreSQL (which refuses NUL in
text with an error) or being stored and breaking every later read of the row. Tab, newline and
carriage return stay allowed: they are ordinary text.

Ids in URLs are bounded by :class:`BoundedIntConverter`, so ``/quizzes/99999999999`` is a 404
rather than a database error; a number too large for the database that still arrives through a
form field ends in :func:`refuse_bad_value` (400) instead of a 500.
"""
from __future__ import annotations

import re

from flask import abort, request
from werkzeug.routing import IntegerConverter

#: C0 controls except tab, newline and carriage return; DEL; and the C1 controls
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: the largest id a PostgreSQL INTEGER column holds (SQLite's are wider: 2**63 - 1)
MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that matches only 0 … 2**31 − 1: larger numbers are no id of ours (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min,
                         max=MAX_ID if max is None else max, signed=signed)


def _bad(text) -> bool:
    return isinstance(text, str) and CONTROL.search(text) is not None


def _bad_json(value, depth: int = 0) -> bool:
    if depth > 32:
        return True
    if isinstance(value, str):
        return _bad(value)
    if isinstance(value, dict):
        return any(_bad(k) or _bad_json(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_bad_json(v, depth + 1) for v in value)
    return False


def refuse_control_characters():
    """before_request: 400 when any part of the request a view reads holds a control
    character."""
    for key, value in request.args.items(multi=True):
        if _bad(key) or _bad(value):
            abort(400)
    for value in (request.view_args or {}).values():
        if _bad(value):
            abort(400)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            if _bad_json(request.get_json(silent=True)):
                abort(400)
        else:
            for key, value in request.form.items(multi=True):
                if _bad(key) or _bad(value):
                    abort(400)
            for key, file in request.files.items(multi=True):
                if _bad(key) or _bad(file.filename):
                    abort(400)
    return None


def refuse_bad_value(error):
    """A value the database cannot hold (an id past its integer range): the request was bad,
    not the server. The failed transaction is rolled back before the error page is drawn."""
    from werkzeug.exceptions import BadRequest

    from lms.core.web import render_error

    return render_error(BadRequest())
