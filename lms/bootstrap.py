"""First start: migrate a new database, create the administrator, run first-start steps.

Later domains add steps (course import) with :func:`on_first_start`; this module knows none of
them.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable

import click
from flask import Flask
from sqlalchemy import inspect, select

from lms.auth.models import User
from lms.auth.services import create_user
from lms.database import migration_lock
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


def ensure_ready(app: Flask, echo=click.echo) -> bool:
    """Bring the database to the newest revision; on a new one, set it up. True when new.
    Nodes starting at once take turns (:func:`lms.database.migration_lock`)."""
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
