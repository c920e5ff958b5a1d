"""gunicorn.conf.py: the app is preloaded in the master, and that is safe for the workers."""
import gc
import runpy
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import text

from lms.extensions import db

CONF = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))


def test_the_app_is_preloaded_and_its_objects_frozen_before_each_fork():
    assert CONF["preload_app"] is True
    try:
        CONF["pre_fork"](None, None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_master_loads_the_pinyin_dictionaries_the_workers_share():
    import sys

    CONF["when_ready"](None)
    assert "pypinyin" in sys.modules


def test_building_the_app_opens_no_database_connection(app_factory):
    app = app_factory()
    with app.app_context():
        assert db.engine.pool.checkedin() == 0 and db.engine.pool.checkedout() == 0


def test_a_worker_never_uses_a_connection_the_master_opened(app):
    master_pool = db.engine.pool
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert master_pool.checkedin() == 1
    try:
        CONF["post_fork"](SimpleNamespace(app=SimpleNamespace(callable=app)), None)
        assert db.engine.pool is not master_pool and db.engine.pool.checkedin() == 0
        # left to the master, not closed under it
        assert master_pool.checkedin() == 1
    finally:
        master_pool.dispose()


def test_the_hooks_leave_an_app_without_a_database_alone():
    from flask import Flask

    CONF["post_fork"](SimpleNamespace(app=SimpleNamespace(callable=Flask("bare"))), None)
    CONF["post_fork"](SimpleNamespace(app=SimpleNamespace(callable=None)), None)
