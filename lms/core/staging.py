"""Uploads parked between a preview and its confirmation.

An import shows a preview first and writes only when the person confirms; the file waits here,
in the instance folder, under a random token that only its uploader can redeem. Files older than
a day are swept away whenever a new one is parked. (A hidden form field cannot carry a 5 MB file:
Werkzeug limits form fields to 500 KB.)
"""
from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import current_app

from lms.core.errors import ValidationFailed
from lms.core.files import write_atomic
from lms.core.i18n import N_

TOKEN = re.compile(r"[0-9a-f]{32}")
KEEP_SECONDS = 24 * 3600


def _folder(kind: str) -> Path:
    folder = Path(current_app.instance_path) / "staged-uploads" / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def park(kind: str, owner_id: int, data: bytes) -> str:
    """Keep ``data`` for ``owner_id`` and return the token that fetches it back."""
    folder = _folder(kind)
    now = time.time()
    for old in folder.glob("*.upload"):
        try:
            if now - old.stat().st_mtime > KEEP_SECONDS:
                old.unlink()
        except OSError:
            pass
    token = secrets.token_hex(16)
    write_atomic(folder / f"{owner_id}-{token}.upload", data)
    return token


def parked(kind: str, owner_id: int, token: str) -> Path:
    """The parked file for this owner and token; ValidationFailed when gone or not theirs."""
    if not TOKEN.fullmatch(token or ""):
        raise ValidationFailed(N_("预览已过期，请重新上传文件。"))
    path = _folder(kind) / f"{owner_id}-{token}.upload"
    if not path.exists():
        raise ValidationFailed(N_("预览已过期，请重新上传文件。"))
    return path
