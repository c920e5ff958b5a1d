"""First start and the demo: what a newcomer gets from `python run.py [--demo]`."""
import re

from sqlalchemy import func, select

from lms import create_app
from lms.auth.models import User
from lms.auth.passwords import verify_password
from lms.bootstrap import ensure_ready
from lms.courses.models import Course
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
app = create_app()
with app.app_context():
    print("new" if ensure_ready(app, echo=lambda *a, **k: None) else "ready")
"""


def test_nodes_starting_together_migrate_and_set_up_once(tmp_path):
    """Two nodes starting at the same time on a new database: one migrates and creates the
    administrator, the other waits for it and finds the work done (issue 14)."""
    import os
    import subprocess
    import sys
    import uuid

    from sqlalchemy import create_engine, text

    url = os.environ.get("TEST_DATABASE_URL", "")
    scratch = None
    if url.startswith("postgresql"):
        scratch = f"fieldside_boot_{uuid.uuid4().hex[:8]}"
        admin_engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{scratch}"'))
        database = url.rsplit("/", 1)[0] + "/" + scratch
    else:
        database = f"sqlite:///{tmp_path / 'shared.db'}"
    (tmp_path / "courses").mkdir()
    env = dict(os.environ, DATABASE_URL=database, FIELDSIDE_INSTANCE=str(tmp_path / "inst"),
               FIELDSIDE_COURSES=str(tmp_path / "courses"), SECRET_KEY="x")
    try:
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
    finally:
        if scratch:
            with admin_engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
            admin_engine.dispose()
