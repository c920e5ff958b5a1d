"""Backup and restore drill (issue 14): write data, back up while requests run, change data,
restore, and compare every table's row count and checksum and every media file with what was
backed up. Runs on SQLite, and on PostgreSQL (pg_dump/pg_restore) when TEST_DATABASE_URL is
set."""
from __future__ import annotations

import hashlib
import shutil
import threading
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.extensions import db


def table_checksums() -> dict[str, tuple[int, str]]:
    """Every table: (row count, SHA-256 of its rows in primary-key order)."""
    db.session.rollback()
    sums = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
        sums[table.name] = (len(rows), digest)
    db.session.rollback()
    return sums


def media_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()} if folder.is_dir() else {}


@pytest.fixture
def populated(app, make_user, tree, admin):
    from lms.authoring import services, uploads
    from tests.helpers import png

    for n in range(5):
        make_user(f"党员{n}", org=tree["a1"])
    course = services.create_course(admin, title="备份演练", summary="简介", category="理论",
                                    required=False, credit_hours=0.5, slug="drill")
    lesson = services.add_lesson(admin, course, title="第一课", minutes=30)
    services.update_lesson(admin, lesson, title="第一课", minutes=30, body="正文。", audio=None)
    uploads.upload_media(admin, course, "photo.png", png(pad=4096))
    return course


def test_backup_while_serving_then_restore_gives_back_every_row_and_file(
        app, runner, populated, live_server, tmp_path, make_user, admin):
    from lms.courses import media

    if db.engine.dialect.name == "postgresql" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    instance = Path(app.instance_path)
    before, files_before = table_checksums(), media_files(media.media_folder())
    key_before = (instance / "secret_key").read_bytes()
    stop, served = threading.Event(), []

    def traffic():
        while not stop.is_set():
            for path in ("/login", "/healthz"):
                with urllib.request.urlopen(live_server + path, timeout=10) as response:
                    served.append(response.status)

    worker = threading.Thread(target=traffic)
    worker.start()
    try:
        result = runner.invoke(args=["backup", str(tmp_path / "b")])
    finally:
        stop.set()
        worker.join()
    assert result.exit_code == 0, result.output
    assert served and set(served) == {200}
    dest = tmp_path / "b"
    assert (dest.stat().st_mode & 0o777) == 0o700
    assert all((p.stat().st_mode & 0o077) == 0 for p in dest.iterdir() if p.is_file())
    assert runner.invoke(args=["backup", str(dest)]).exit_code != 0  # never into a used folder

    # the data moves on: a new member, a renamed one, an audit row, a media file gone
    make_user("备份后新来的", org=None)
    admin.name = "改过名的管理员"
    db.session.commit()
    from lms.audit.services import record

    record("drill.after", actor=admin)
    db.session.commit()
    for path in media.media_folder().iterdir():
        path.unlink()
    changed = table_checksums()
    assert changed != before

    refused = runner.invoke(args=["restore", str(dest)])
    assert refused.exit_code != 0 and "--force" in refused.output
    assert table_checksums() == changed  # nothing touched

    restored = runner.invoke(args=["restore", str(dest), "--force"])
    assert restored.exit_code == 0, restored.output
    assert table_checksums() == before
    assert media_files(media.media_folder()) == files_before
    assert (instance / "secret_key").read_bytes() == key_before
