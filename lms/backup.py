"""`flask backup DEST` and `flask restore SRC`: the database, the media and the secret key in
one folder, and back.

The database is copied while the app runs: SQLite through its online backup API (a consistent
copy, readers and the writer carry on), PostgreSQL through ``pg_dump -Fc``. Beside it go the
media folder and the instance's ``secret_key`` (sessions survive a restore), and
``manifest.json``: when, which database, each table's row count and each media file's SHA-256,
so a restore drill can compare. The folder and its files are the server user's alone (0700/0600).

``restore`` refuses a database that holds accounts unless ``--force``: restoring over live data
is a decision, not an accident.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

DUMP_SQLITE = "fieldside.db"
DUMP_POSTGRES = "fieldside.dump"


def _libpq_url(url) -> str:
    """The SQLAlchemy URL as pg_dump/pg_restore take it (no ``+psycopg``)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_env(url) -> dict:
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return env


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def media_manifest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (temp files aside) → its SHA-256."""
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): _sha256(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.name.startswith(".upload-")}


def row_counts() -> dict[str, int]:
    from lms.extensions import db

    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def _private(path: Path) -> None:
    path.chmod(0o700 if path.is_dir() else 0o600)


def backup(dest: Path) -> dict:
    """Write a backup into ``dest`` (created; it must not hold anything yet). Returns the
    manifest."""
    from lms.extensions import db

    if dest.exists() and any(dest.iterdir()):
        raise click.ClickException(f"{dest} 不是空文件夹，没有写入。")
    dest.mkdir(parents=True, exist_ok=True)
    _private(dest)
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        target = sqlite3.connect(dest / DUMP_SQLITE)
        source = sqlite3.connect(url.database)
        try:
            with target:
                source.backup(target)  # online: a consistent copy while the app writes
        finally:
            source.close()
            target.close()
        dump = dest / DUMP_SQLITE
    else:
        dump = dest / DUMP_POSTGRES
        subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), _libpq_url(url)],
                       check=True, env=_pg_env(url))
    _private(dump)
    instance = Path(current_app.instance_path)
    media = instance / "media"
    if media.is_dir():
        shutil.copytree(media, dest / "media",
                        ignore=shutil.ignore_patterns(".upload-*"))
    key = instance / "secret_key"
    if key.exists():
        shutil.copy2(key, dest / "secret_key")
        _private(dest / "secret_key")
    manifest = {"database": url.get_backend_name(), "dump": dump.name,
                "tables": row_counts(), "media": media_manifest(dest / "media")}
    (dest / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    _private(dest / "manifest.json")
    return manifest


def restore(src: Path, force: bool = False) -> dict:
    """Put the backup in ``src`` back: database, media, secret key. Returns its manifest."""
    from lms.auth.models import User
    from lms.extensions import db

    manifest_file = src / "manifest.json"
    if not manifest_file.exists():
        raise click.ClickException(f"{src} 里没有 manifest.json，不是一份备份。")
    manifest = json.loads(manifest_file.read_text())
    url = db.engine.url
    if manifest["database"] != url.get_backend_name():
        raise click.ClickException(
            f"这份备份是 {manifest['database']} 数据库的，当前是 {url.get_backend_name()}。")
    try:
        live = db.session.scalar(select(func.count(User.id))) or 0
    except Exception:  # noqa: BLE001 - no tables yet: nothing live to protect
        db.session.rollback()
        live = 0
    db.session.rollback()
    if live and not force:
        raise click.ClickException(
            f"当前数据库里有 {live} 个账户。要用备份覆盖它，请加 --force。")
    db.session.remove()
    db.engine.dispose()
    dump = src / manifest["dump"]
    if manifest["database"] == "sqlite":
        source = sqlite3.connect(dump)
        target = sqlite3.connect(url.database)
        try:
            with target:
                source.backup(target)  # replaces every page of the target
        finally:
            source.close()
            target.close()
    else:
        subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                        "-d", _libpq_url(url), str(dump)], check=True, env=_pg_env(url))
    instance = Path(current_app.instance_path)
    media = instance / "media"
    if media.is_dir():
        shutil.rmtree(media)
    if (src / "media").is_dir():
        shutil.copytree(src / "media", media)
    if (src / "secret_key").exists():
        shutil.copy2(src / "secret_key", instance / "secret_key")
        _private(instance / "secret_key")
    db.engine.dispose()
    return manifest


@click.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(dest: Path) -> None:
    """Back up the database, media and secret key into the empty folder DEST."""
    manifest = backup(dest)
    click.echo(f"已备份到 {dest}：{sum(manifest['tables'].values())} 行数据，"
               f"{len(manifest['media'])} 个媒体文件。")


@click.command("restore")
@click.argument("src", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite a database that holds accounts.")
@with_appcontext
def restore_command(src: Path, force: bool) -> None:
    """Restore the backup in SRC (database, media, secret key); restart the app after."""
    manifest = restore(src, force=force)
    click.echo(f"已从 {src} 恢复：{sum(manifest['tables'].values())} 行数据，"
               f"{len(manifest['media'])} 个媒体文件。请重启应用。")
