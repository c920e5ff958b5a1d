"""What the benchmarks read off Fieldside's quiz pages, as a browser would: the CSRF token, each
question's fieldset, a choice's value and words; and the right answer to a question as a member
who studied gives it (bench/locust_county.py and bench/quiz_trip.py)."""
from __future__ import annotations

import html
import re

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FIELDSET = re.compile(r'<fieldset class="question" id="[^"]*" data-key="([^"]+)" '
                      r'data-kind="([^"]+)">(.*?)</fieldset>', re.S)
CHOICE = re.compile(r'<input type="(?:radio|checkbox)" name="[^"]+" value="([^"]+)"[^>]*>'
                    r'<span>(.*?)</span>', re.S)


def choices_of(body: str) -> list[tuple[str, str]]:
    """A question's options as (form value, words): the page shuffles them."""
    return [(value, html.unescape(words)) for value, words in CHOICE.findall(body)]


def right_answer(kind: str, right: list[str], choices: list[tuple[str, str]]) -> list[str]:
    """The form values of the right answer, ``right`` being the answer key's words."""
    if kind == "fill" or not choices:
        return right[:1]
    if kind == "truefalse":
        return right
    return [value for value, words in choices if words in right] or [choices[0][0]]
