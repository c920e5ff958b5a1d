"""Engine settings per backend: SQLite in WAL mode with foreign keys, PostgreSQL via psycopg;
Flask-Migrate bound where migrations run."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def configure_engine_options(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; the bare scheme would ask for psycopg2
        uri = "postgresql+psycopg://" + uri[len("postgresql://"):]
        app.config["SQLALCHEMY_DATABASE_URI"] = uri
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    if uri.startswith("sqlite"):
        # timeout: wait for the single writer instead of failing at once
        options.setdefault("connect_args", {"timeout": 15})
    else:
        options.setdefault("pool_pre_ping", True)


def bind_migrate(app: Flask) -> None:
    """Bind Flask-Migrate to ``app`` (once): ``flask_migrate.upgrade()`` and the ``flask db``
    commands read their settings from ``app.extensions["migrate"]``.

    Call it before migrating. ``create_app`` does not: Flask-Migrate imports Alembic, Mako and
    Pygments (~11 MB a process), and a web worker never migrates. The first start
    (``bootstrap.upgrade_database``), ``flask db …`` (:func:`migrate_command`), the migration
    test and the county benchmark bind it.
    """
    if "migrate" in app.extensions:
        return
    from flask_migrate import Migrate

    from lms.extensions import db

    Migrate(app, db, directory=str(MIGRATIONS), render_as_batch=True)


#: the PostgreSQL advisory lock that lets one process at a time migrate and set up
MIGRATION_LOCK = 0x6669656C  # "fiel"
_lock_held: ContextVar[bool] = ContextVar("fieldside_migration_lock_held", default=False)


@contextmanager
def migration_lock(app: Flask) -> Iterator[None]:
    """Held while a process migrates (and, on a first start, sets up) the database, so that
    nodes starting together, or ``flask db upgrade`` run on two nodes at once, migrate once: the
    others wait, then find nothing left to do. PostgreSQL: an advisory lock on a connection of
    its own; SQLite: an exclusive lock on a file in the instance folder.

    Taken by ``bootstrap.ensure_ready`` and by ``migrations/env.py`` (every Alembic command that
    touches the database: ``flask db upgrade``, ``downgrade``, ``stamp``, ``flask_migrate``'s
    functions). Re-entrant within a process: the first start's migration, inside
    ``ensure_ready``'s lock, does not wait for itself.
    """
    if _lock_held.get():
        yield
        return
    from lms.extensions import db

    reset = _lock_held.set(True)
    try:
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.execute(text("SELECT pg_advisory_lock(:key)"),
                                   {"key": MIGRATION_LOCK})
                connection.commit()
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
    finally:
        _lock_held.reset(reset)


@click.command("db", add_help_option=False,
               context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@with_appcontext
@click.pass_context
def migrate_command(ctx: click.Context) -> None:
    """Perform database migrations."""
    # Flask-Migrate adds its `db` group to app.cli when it is bound, so an app that is not bound
    # would have no `flask db`. This stand-in keeps the name: it binds Flask-Migrate when run and
    # hands the real group every argument (its options, the subcommand, --help) unchanged.
    bind_migrate(current_app)
    from flask_migrate.cli import db as group

    with group.make_context(ctx.info_name, ctx.args, parent=ctx.parent) as sub:
        group.invoke(sub)


def register_sqlite_pragmas(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from lms.extensions import db

    with app.app_context():
        engine = db.engine
    if getattr(engine, "_fieldside_pragmas", False):
        return
    engine._fieldside_pragmas = True

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # let SQLAlchemy emit BEGIN itself (see _on_begin) instead of pysqlite's implicit one
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        _owner_only(engine.url.database)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # BEGIN IMMEDIATE takes the write lock up front: a deferred read that later upgrades to
        # a write is what busy_timeout cannot cover (SECURITY.md, SQLite)
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _owner_only(database: str | None) -> None:
    """The database, its WAL and shared-memory files readable by the server's user alone (0600,
    like the secret key): they hold every password hash and the audit trail."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    for suffix in ("", "-wal", "-shm"):
        try:
            os.chmod(database + suffix, 0o600)
        except FileNotFoundError:
            pass


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def begin_write() -> None:
    """Make the session's transaction a writer's from here on. Call it first in a service whose
    reads decide its writes.

    On SQLite that is BEGIN IMMEDIATE: the write lock is taken up front, so a concurrent writer
    waits (busy_timeout) instead of failing. In a request the session has usually read already
    (the signed-in user), leaving a deferred read transaction open whose later upgrade to a
    writer fails at once when another request wrote in between; such a read-only transaction is
    ended first. One that already holds changes is left as it is. PostgreSQL needs none of this.
    """
    from lms.extensions import db

    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.info.get("wrote") or session.new or session.dirty or session.deleted:
            return
        session.commit()  # nothing to write: this only ends the read snapshot
    session.connection(execution_options={"sqlite_immediate": True})


@event.listens_for(Session, "after_flush")
def _note_write(session, _context):
    session.info["wrote"] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_write(session, transaction):
    if transaction.parent is None:
        session.info.pop("wrote", None)
