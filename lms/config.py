"""Configuration read from the environment.

Everything a county deployment sets lives here; `create_app(overrides)` lays a dict over it
(tests, the demo). Unset secrets are generated into the instance folder so that sessions survive a
restart without anybody choosing a weak key.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def instance_path() -> Path:
    """The instance folder: `FIELDSIDE_INSTANCE`, or `instance/` beside run.py."""
    configured = os.environ.get("FIELDSIDE_INSTANCE")
    base = Path(configured) if configured else Path(__file__).resolve().parent.parent / "instance"
    return base.resolve()


def _secret_key(folder: Path) -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = folder / "secret_key"
    if not key_file.exists():
        folder.mkdir(parents=True, exist_ok=True)
        # 0600: the key signs every session cookie
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def _float_env(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


DEFAULT_MEETING_FREQUENCY = {"general": "quarter", "committee": "month", "group": "month",
                             "lecture": "quarter", "theme_day": "month"}


def _frequency_env() -> dict[str, str]:
    """DEFAULT_MEETING_FREQUENCY with ``MEETING_FREQUENCY="kind=every,…"`` laid over it."""
    frequency = dict(DEFAULT_MEETING_FREQUENCY)
    for part in os.environ.get("MEETING_FREQUENCY", "").split(","):
        kind, _, every = part.strip().partition("=")
        if kind and every in ("month", "quarter", "year", "none"):
            frequency[kind] = every
    return frequency


def from_environment(folder: Path) -> dict:
    """The settings of a running deployment, from environment variables."""
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'fieldside.db'}"
    return {
        "SECRET_KEY": _secret_key(folder),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_ENABLED": os.environ.get("RATELIMIT_ENABLED", "1") != "0",
        #: 学时 a year, by role (条例第二十条 and the 2019—2023 training plan); local rules differ
        "HOURS_TARGET_MEMBER": _float_env("HOURS_TARGET_MEMBER", 32),
        "HOURS_TARGET_CADRE": _float_env("HOURS_TARGET_CADRE", 56),
        "HOURS_TARGET_NON_MEMBER": _float_env("HOURS_TARGET_NON_MEMBER", 0),
        #: a member placed after a required course's due date gets this many days from their
        #: joining before the course shows as overdue for them
        "NEW_MEMBER_DAYS": int(_float_env("NEW_MEMBER_DAYS", 30)),
        #: how often each kind of meeting is due (DOMAIN §2: 党员大会 quarterly, 支委会 and
        #: 党小组会 monthly, 党课 at least quarterly, 主题党日 monthly); "month", "quarter" or
        #: "year", or "none" for no schedule; e.g. MEETING_FREQUENCY="lecture=month"
        "MEETING_FREQUENCY": _frequency_env(),
        #: learning records out (xAPI): the LRS's base URL ("…/xAPI"), its basic-auth key and
        #: secret; unset, nothing is queued and nothing leaves the server
        "XAPI_ENDPOINT": os.environ.get("XAPI_ENDPOINT", ""),
        "XAPI_KEY": os.environ.get("XAPI_KEY", ""),
        "XAPI_SECRET": os.environ.get("XAPI_SECRET", ""),
        #: the platform's address, the home page of the members' accounts and activities
        "XAPI_HOMEPAGE": os.environ.get("XAPI_HOMEPAGE", ""),
        "PDF_FONT": os.environ.get("PDF_FONT", ""),
        "VERIFY_RATE_LIMIT": os.environ.get("VERIFY_RATE_LIMIT", "30 per minute"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
        #: the cookie is sent again only when the session changes: the idle check stamps it at
        #: most once a minute (orgs/session_guard.py), which also slides the 30-day expiry; a
        #: fresh cookie on every page would cost a ~400-byte header and a signature each time
        "SESSION_REFRESH_EACH_REQUEST": False,
        "STAFF_IDLE_MINUTES": int(os.environ.get("STAFF_IDLE_MINUTES", "30")),
        "LOCKOUT_THRESHOLD": 5,
        "LOCKOUT_WINDOW_MINUTES": 15,
        "LOCKOUT_MINUTES": 30,
        #: a one-time code (reset, new account, roster import) works once, within this time
        "ONE_TIME_CODE_HOURS": int(os.environ.get("ONE_TIME_CODE_HOURS", "72")),
        #: sign-ins per minute from one address: a village study session signs in together on
        #: one Wi-Fi; the per-account lockout is the guard against guessing, this only a flood's
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "60 per minute"),
        "PASSWORD_HASH_METHOD": "scrypt",
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
        #: media quotas in MB (0: none): a course's files, and all the courses of one owner
        "MEDIA_QUOTA_COURSE_MB": int(os.environ.get("MEDIA_QUOTA_COURSE_MB", "200")),
        "MEDIA_QUOTA_TRAINER_MB": int(os.environ.get("MEDIA_QUOTA_TRAINER_MB", "2000")),
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("FIELDSIDE_TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": ["zh_CN", "en"],
        "COURSES_DIR": os.environ.get(
            "FIELDSIDE_COURSES", str(Path(__file__).resolve().parent.parent / "courses")
        ),
    }
