"""Short links and QR codes for sharing into chat groups and printing on posters."""
from __future__ import annotations

import io

import segno
from flask import request

DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def to_base36(number: int) -> str:
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = DIGITS[rest] + text
        if not number:
            return text


def from_base36(text: str) -> int | None:
    try:
        return int(text, 36) if text and len(text) <= 10 else None
    except ValueError:
        return None


def short_code(kind: str, ident: int) -> str:
    """``c`` + id for a course, ``l`` + id for a lesson, in base 36: /s/c1, /s/l2f."""
    return kind + to_base36(ident)


def short_url(kind: str, ident: int) -> str:
    return request.host_url.rstrip("/") + "/s/" + short_code(kind, ident)


def qr_svg(text: str) -> bytes:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False,
                                     svgns=True, title=None)
    return out.getvalue()
