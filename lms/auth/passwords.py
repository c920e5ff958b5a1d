"""Password hashing and the password policy.

Policy (ASVS 5.0 6.2.1/6.2.4/6.2.9, the 等保 defaults in SECURITY.md): 8 to 128 characters, not
among the ~3,000 most common passwords (``common_passwords.txt``), not the phone number, not one
character repeated. No composition or rotation rules.
"""
from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from lms.core.i18n import N_, Message

MIN_LENGTH = 8
MAX_LENGTH = 128
#: a one-time code is easy to read aloud over the phone: no 0/O, 1/l/I


@cache
def common_passwords() -> frozenset[str]:
    text = (Path(__file__).with_name("common_passwords.txt")).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def password_problem(password: str, phone: str = "") -> str | None:
    """Why ``password`` is not allowed, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return Message(N_("密码至少 %(n)d 位。"), n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return Message(N_("密码不能超过 %(n)d 位。"), n=MAX_LENGTH)
    if password.lower() in common_passwords():
        return N_("这个密码太常见，很容易被猜到，请换一个。")
    if phone and phone in password:
        return N_("密码里不能包含手机号。")
    if len(set(password)) == 1:
        return N_("密码不能是同一个字符重复。")
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


def one_time_code() -> str:
    """A 10-digit code for a reset: digits only, so a secretary can read it out and an older
    member type it on a phone's number pad. About 33 bits: with five wrong tries locking the
    account for 30 minutes and the code dying after 72 hours, at most 720 guesses reach it
    (a chance of about one in fourteen million). It must be changed at the next sign-in."""
    return "".join(secrets.choice("0123456789") for _ in range(10))
