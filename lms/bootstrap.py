"""First start: migrate a new database, create the administrator, run first-start steps.

Later domains add steps (course import) with :func:`on_first_start`; this module knows none of
them.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import inspect, select, text

from lms.auth.models import User
from lms.auth.services import create_user
from lms.extensions import db

ADMIN_PHONE = "13900000000"


def on_first_start(app: Flask, step: Callable[[Flask], None]) -> None:
    app.extensions.setdefault("fieldside_first_start", []).append(step)


def is_new_database() -> bool:
    return not inspect(db.engine).has_table("users")


def upgrade_database(app: Flask) -> None:
    from flask_migrate import upgrade

    from lms.database import bind_migrate

    bind_migrate(app)
    upgrade()


#: the PostgreSQL advisory lock that lets one node at a time migrate and set up
MIGRATION_LOCK = 0x6669656C  # "fiel"


@contextmanager
def migration_lock(app: Flask):
    """Held while a node migrates and sets up the database, so that nodes starting together
    migrate once: the others wait, then find nothing left to do. PostgreSQL: an advisory lock
    on a connection of its own; SQLite: an exclusive lock on a file beside the instance."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": MIGRATION_LOCK})
                connection.commit()
        return
    import fcntl

    path = Path(app.instance_path) / ".migrate.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_ready(app: Flask, echo=click.echo) -> bool:
    """Bring the database to the newest revision; on a new one, set it up. True when new.
    Nodes starting at once take turns (:func:`migration_lock`)."""
    with migration_lock(app):
        return _ensure_ready(app, echo)


def _ensure_ready(app: Flask, echo) -> bool:
    new = is_new_database()
    upgrade_database(app)
    if not new and db.session.scalar(select(User.id).limit(1)) is not None:
        return False
    password = secrets.token_urlsafe(12)
    create_user(phone=ADMIN_PHONE, name="系统管理员", password=password, is_admin=True)
    echo("=" * 60)
    echo("已创建系统管理员（这个密码只显示这一次，请妥善保存）：")
    echo(f"  手机号 {ADMIN_PHONE}   密码 {password}")
    echo("=" * 60)
    for step in app.extensions.get("fieldside_first_start", []):
        step(app)
    return True
