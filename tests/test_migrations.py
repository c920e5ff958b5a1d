"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from lms import create_app
from lms.database import bind_migrate
from lms.extensions import db


@pytest.fixture
def fresh_database_url(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    url = make_url(base)
    name = f"fieldside_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_upgrade_a_fresh_database_to_exactly_the_models(fresh_database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": fresh_database_url})
    bind_migrate(app)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == []


def test_flask_db_binds_flask_migrate_when_it_runs(fresh_database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": fresh_database_url})
    assert "migrate" not in app.extensions
    runner = app.test_cli_runner()
    assert "upgrade" in runner.invoke(args=["db", "--help"]).output
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert inspect(db.engine).has_table("users")
        # the group's own options, the subcommand and its argument all reach Flask-Migrate
        assert runner.invoke(args=["db", "-x", "unused=1", "stamp", "base"]).exit_code == 0
        assert db.session.scalar(text("SELECT count(*) FROM alembic_version")) == 0
        db.session.remove()
        db.engine.dispose()


def test_the_web_app_leaves_alembic_out():
    # a fresh interpreter: this one has imported Alembic for the tests above
    code = ("import sys; from lms import create_app; create_app(); "
            "print(sorted(m for m in ('flask_migrate', 'alembic', 'mako') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout
    assert out.strip() == "[]"
