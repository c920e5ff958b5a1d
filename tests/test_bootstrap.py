"""First start and the demo: what a newcomer gets from `python run.py [--demo]`; migrations
run by several nodes at once."""
import fcntl
import os
import re
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, text

from lms import create_app
from lms.auth.models import User
from lms.auth.passwords import verify_password
from lms.bootstrap import ensure_ready
from lms.courses.models import Course
from lms.database import MIGRATION_LOCK
from lms.demo import ACCOUNTS, TRAINER_PHONE, create_demo
from lms.extensions import db
from lms.orgs.access import can
from lms.orgs.models import Membership


def test_first_start_migrates_creates_an_admin_and_loads_the_courses(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'new.db'}",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    printed = []
    with app.app_context():
        assert ensure_ready(app, echo=printed.append) is True
        text = "\n".join(printed)
        password = re.search(r"手机号 13900000000\s+密码 (\S+)", text).group(1)
        admin = db.session.scalar(select(User).where(User.is_admin))
        assert verify_password(admin.password_hash, password) and len(password) >= 12
        assert db.session.scalar(select(func.count()).select_from(Course)) == 3
        # a second start changes nothing and prints no password
        printed.clear()
        assert ensure_ready(app, echo=printed.append) is False
        assert printed == []
        db.engine.dispose()


def test_two_first_starts_never_share_an_admin_password(tmp_path):
    passwords = []
    for name in ("a.db", "b.db"):
        app = create_app({"TESTING": True, "SECRET_KEY": "x",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / name}",
                          "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "COURSES_DIR": str(tmp_path / "no-courses")})
        printed = []
        with app.app_context():
            ensure_ready(app, echo=printed.append)
            db.engine.dispose()
        passwords.append(re.search(r"密码 (\S+)", "\n".join(printed)).group(1))
    assert passwords[0] != passwords[1]


def test_demo_gives_every_role_an_account_that_signs_in(app, client):
    from pathlib import Path

    from lms.authoring.pack_sync import import_folders

    import_folders([Path(__file__).resolve().parent.parent / "courses"])
    printed = []
    password = create_demo(app, echo=printed.append)
    text = "\n".join(printed)
    assert password in text
    for phone, name, *_rest in ACCOUNTS:
        assert phone in text and name in text
    roles = set(db.session.scalars(select(Membership.role)))
    assert {"secretary", "organizer", "trainer", "group_leader"} <= roles
    statuses = set(db.session.scalars(select(User.status)))
    assert {"full", "probationary", "candidate", "activist"} <= statuses
    trainer = db.session.scalar(select(User).where(User.phone == TRAINER_PHONE))
    assert set(db.session.scalars(select(Course.owner_id))) == {trainer.id}
    assert can(trainer, "author")
    response = client.post("/login", data={"phone": ACCOUNTS[3][0], "password": password})
    assert response.status_code == 302
    # running it again keeps the data and hands out a new password that works
    again = create_demo(app, echo=lambda _line: None)
    assert again != password
    assert db.session.scalar(select(func.count()).select_from(User)) == len(ACCOUNTS)
    assert client.post("/logout").status_code == 302
    assert client.post("/login", data={"phone": ACCOUNTS[3][0], "password": again}) \
        .status_code == 302


STARTER = """
import sys
from lms import create_app
from lms.bootstrap import ensure_ready
from lms.database import MIGRATION_LOCK
app = create_app()
with app.app_context():
    print("new" if ensure_ready(app, echo=lambda *a, **k: None) else "ready")
"""


@contextmanager
def new_database(tmp_path):
    """A database nobody has set up: a scratch PostgreSQL database beside TEST_DATABASE_URL's
    (dropped afterwards), or a SQLite file in tmp_path. Yields its URL."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    scratch = f"fieldside_boot_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{scratch}"'))
    try:
        yield url.rsplit("/", 1)[0] + "/" + scratch
    finally:
        with admin_engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin_engine.dispose()


def node_env(tmp_path, database: str) -> dict:
    (tmp_path / "courses").mkdir(exist_ok=True)
    return dict(os.environ, DATABASE_URL=database, FIELDSIDE_INSTANCE=str(tmp_path / "inst"),
                FIELDSIDE_COURSES=str(tmp_path / "courses"), SECRET_KEY="x")


def test_nodes_starting_together_migrate_and_set_up_once(tmp_path):
    """Two nodes starting at the same time on a new database: one migrates and creates the
    administrator, the other waits for it and finds the work done (issue 14)."""
    with new_database(tmp_path) as database:
        env = node_env(tmp_path, database)
        starters = [subprocess.Popen([sys.executable, "-c", STARTER], env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                    for _ in range(2)]
        outcomes = [s.communicate(timeout=180) for s in starters]
        assert [s.returncode for s in starters] == [0, 0], outcomes
        assert sorted(out.strip() for out, _ in outcomes) == ["new", "ready"]
        engine = create_engine(database)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 1
        engine.dispose()


def _advisory_waiters(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )).scalar()


def _flock_waiters(path: Path) -> int:
    inode = f":{path.stat().st_ino} "
    return sum(1 for line in Path("/proc/locks").read_text().splitlines()
               if "-> FLOCK" in line and inode in line)


def test_flask_db_upgrade_on_two_nodes_at_once_waits_for_the_migration_lock(tmp_path):
    """`flask db upgrade` run by hand on two nodes at once takes the same lock as the first
    start (migrations/env.py): while something else holds it both wait, then one migrates and
    the other finds the database at head (issue 14). Without the lock they race to create the
    same tables."""
    with new_database(tmp_path) as database:
        env = node_env(tmp_path, database)
        flask = [str(Path(sys.executable).parent / "flask"), "--app", "run.py", "db", "upgrade"]
        root = Path(__file__).resolve().parent.parent
        engine = create_engine(database)
        holder = engine.connect()
        lock_file = tmp_path / "inst" / ".migrate.lock"
        if engine.dialect.name == "postgresql":
            holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            waiters = partial(_advisory_waiters, engine)
        else:
            lock_file.parent.mkdir(parents=True, exist_ok=True)
            handle = lock_file.open("a")
            fcntl.flock(handle, fcntl.LOCK_EX)
            waiters = partial(_flock_waiters, lock_file)
        nodes = [subprocess.Popen(flask, cwd=root, env=env, text=True, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(2)]
        try:
            deadline = time.monotonic() + 120
            while waiters() < 2:
                finished = [n.returncode for n in nodes if n.poll() is not None]
                assert not finished, f"an upgrade ran without waiting for the lock: {finished}"
                assert time.monotonic() < deadline, "the upgrades never queued for the lock"
                time.sleep(0.2)
            assert not inspect(engine).has_table("alembic_version")
        finally:
            if engine.dialect.name == "postgresql":
                holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
            else:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            holder.close()
        outcomes = [n.communicate(timeout=180) for n in nodes]
        assert [n.returncode for n in nodes] == [0, 0], outcomes
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            assert inspect(connection).has_table("users")
        engine.dispose()
