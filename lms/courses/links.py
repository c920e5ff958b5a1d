"""Short links and QR codes for sharing into chat groups and printing on posters."""
from __future__ import annotations

import io

from flask import request

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def to_base36(number: int) -> str:
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = DIGITS[rest] + text
        if not number:
            return text


#: ids are 32-bit integers on PostgreSQL: a larger number must be "not found", not a DataError
MAX_ID = 2**31 - 1


def from_base36(text: str) -> int | None:
    """The id a short code names, or None for anything ``to_base36`` would not have written
    (signs, dots, spaces, zero, numbers beyond a database id)."""
    text = (text or "").lower()
    if not text or len(text) > 7 or any(c not in DIGITS for c in text):
        return None
    number = int(text, 36)
    return number if 0 < number <= MAX_ID else None


def short_code(kind: str, ident: int) -> str:
    """``c`` + id for a course, ``l`` + id for a lesson, in base 36: /s/c1, /s/l2f."""
    return kind + to_base36(ident)


def short_url(kind: str, ident: int) -> str:
    return request.host_url.rstrip("/") + "/s/" + short_code(kind, ident)


def qr_svg(text: str) -> bytes:
    import segno  # here: every page builds short links, only a trainer's QR code needs segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False,
                                     svgns=True, title=None)
    return out.getvalue()
