"""Shared fixtures: an app per test on a clean database, clients, factories and ready users.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set. The schema
is created once per run; each test starts from empty tables.
"""
from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="fieldside-tests-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)  # the run's SQLite file and instance
os.environ["FIELDSIDE_INSTANCE"] = str(_TMP / "instance")
os.environ.pop("DATABASE_URL", None)

from hypothesis import settings as hypothesis_settings  # noqa: E402

# shared, noisy machines: no per-example deadline; in CI the same examples every run, so a
# submission's result does not depend on what the random search happens to try that day
hypothesis_settings.register_profile("fieldside", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "fieldside")

from flask import has_app_context  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from lms import create_app  # noqa: E402
from lms.core.clock import utcnow  # noqa: E402
from lms.database import begin_write  # noqa: E402
from lms.extensions import db  # noqa: E402
from tests.helpers import MP3, PASSWORD, bank_questions, home_org, png, sign_in  # noqa: E402


def database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"


def base_config(**extra) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url(),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # a cheap hash keeps the suite fast; production uses scrypt
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def _schema():
    app = create_app(base_config())
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.engine.dispose()
    yield


def _empty_tables():
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in a fresh app context, as in production.

    The test body holds an app context of its own (for services and assertions); without this,
    requests would reuse it, sharing ``g`` (the signed-in user) and the database session's
    identity map between requests and with the test, which hides queries and bugs.
    """

    def open(self, *args, **kwargs):
        outer = db.session() if has_app_context() else None
        if outer is not None:
            outer.commit()  # the request sees what the test made, and no snapshot is held open
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if outer is not None:
            outer.commit()  # end the read snapshot; what the test holds reloads on next use
        return response


@pytest.fixture
def app_factory(_schema):
    """Build an app with extra config; the test's database is emptied afterwards."""
    made = []

    def make(**extra):
        app = create_app(base_config(**extra))
        app.test_client_class = IsolatedClient
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


@pytest.fixture
def app(app_factory, request):
    """The test's app, in an app context; with CSRF checked when the test is marked ``csrf``."""
    app = app_factory(**({"WTF_CSRF_ENABLED": True} if request.node.get_closest_marker("csrf")
                         else {}))
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---- factories -------------------------------------------------------------------------------

_phones = itertools.count(1)


@pytest.fixture
def make_org(app):
    from lms.orgs.models import Organization

    def make(code: str, kind: str = "branch", parent=None, name: str | None = None):
        org = Organization(code=code, name=name or f"{code} 组织", kind=kind,
                           parent_id=parent.id if parent else None,
                           depth=parent.depth + 1 if parent else 0, path="")
        db.session.add(org)
        db.session.flush()
        org.path = f"{parent.path if parent else '/'}{org.id}/"
        db.session.commit()
        return org

    return make


@pytest.fixture
def make_user(app):
    from lms.auth.models import User
    from lms.auth.passwords import hash_password
    from lms.orgs.models import Membership

    def make(name: str = "党员", *, org=None, status: str | None = "full", roles=(),
             phone: str | None = None, password: str = PASSWORD, **fields):
        """A member on the books for a year unless ``created_at`` says otherwise (a member
        placed today is given time for courses that were already due)."""
        from datetime import timedelta

        from lms.core.clock import utcnow

        fields.setdefault("created_at", utcnow() - timedelta(days=365))
        user = User(phone=phone or f"139{next(_phones):08d}", name=name, status=status,
                    org_id=org.id if org else None, password_hash=hash_password(password),
                    **fields)
        db.session.add(user)
        db.session.flush()
        for role, role_org in roles:
            db.session.add(Membership(user_id=user.id, org_id=role_org.id, role=role))
        db.session.commit()
        return user

    return make


@pytest.fixture
def tree(make_org):
    """县 → 镇 → 支部 A (with a 党小组) and 支部 B."""
    county = make_org("C1", "county", name="测试县委")
    town = make_org("T1", "township", county, name="测试镇党委")
    branch_a = make_org("A", "branch", town, name="甲村党支部")
    group_a = make_org("A-1", "group", branch_a, name="甲村第一党小组")
    branch_b = make_org("B", "branch", town, name="乙村党支部")
    return {"county": county, "town": town, "a": branch_a, "a1": group_a, "b": branch_b}


@pytest.fixture
def admin(make_user):
    return make_user("管理员", status=None, is_admin=True)


@pytest.fixture
def member(make_user, tree):
    return make_user("张三", org=tree["a1"])


@pytest.fixture
def member_b(make_user, tree):
    return make_user("李四", org=tree["b"])


@pytest.fixture
def secretary(make_user, tree):
    return make_user("王书记", org=tree["a"], roles=[("secretary", tree["a"])])


@pytest.fixture
def secretary_b(make_user, tree):
    return make_user("赵书记", org=tree["b"], roles=[("secretary", tree["b"])])


@pytest.fixture
def trainer(make_user, tree):
    return make_user("黄讲师", org=tree["county"], roles=[("trainer", tree["county"])])


@pytest.fixture
def login(client):
    """``login(user)``: sign the ``client`` fixture in as ``user``."""
    def do(user, password: str = PASSWORD, the_client=None):
        return sign_in(the_client or client, user, password)

    return do


@pytest.fixture
def client_for(app):
    """``client_for(user)``: a client of its own (own cookies) signed in as ``user``; None for
    an anonymous one."""
    def make(user, password: str = PASSWORD):
        client = app.test_client()
        if user is not None:
            sign_in(client, user, password)
        return client

    return make


class _Counted(list):
    """``[number of statements]``, with ``statements``: each one's text, whitespace folded."""
    statements: list[str]


@pytest.fixture
def count_queries(app):
    """``with count_queries() as n: ...`` then ``n[0]`` is the number of SQL statements run and
    ``n.statements`` their text, in order."""
    @contextmanager
    def counting():
        counter = _Counted([0])
        counter.statements = []

        def before(_conn, _cursor, statement, *_args, **_kwargs):
            counter[0] += 1
            counter.statements.append(" ".join(statement.split()))

        engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


# ---- courses: one factory --------------------------------------------------------------------

_courses = itertools.count(1)
#: the final quiz's rules unless a test names others
FINAL_RULES = {"pass_percent": 60, "max_attempts": 0, "time_limit_minutes": 0,
               "grading": "highest", "multiple_scoring": "all_or_nothing", "review": True}
#: the first lesson's body when a course is built through the editor
EDITOR_BODY = "## 田间课堂\n\n支部把党课送到**田间地头**。\n\n- 产业链党支部\n- 致富带头人\n"


@dataclass
class MadeCourse:
    """What ``make_course`` made: ``checks`` maps a lesson's index to its check."""
    course: object
    lessons: list = field(default_factory=list)
    checks: dict = field(default_factory=dict)
    final: object = None
    image_url: str | None = None  # with media=True: the image the first lesson shows
    audio_url: str | None = None  # … and its audio

    @property
    def lesson(self):
        return self.lessons[0]

    @property
    def check(self):
        """The first lesson's check (None without one)."""
        return self.checks.get(0)


@pytest.fixture
def make_course(app):
    """``make_course(**spec)`` → MadeCourse(course, lessons, checks, final).

    spec (all optional): ``lessons=1`` lessons ``l1…`` (第N课, text 第N课的课文。); ``check=0`` questions in the
    check of each lesson index in ``check_on=(0,)``, ``mastery`` of them to pass (default all);
    ``final=0`` questions in the final quiz, ``draw=0`` of them drawn (0: all), and any final
    rule (``pass_percent=60, max_attempts=0, time_limit_minutes=0, grading="highest",
    multiple_scoring="all_or_nothing", review=True``); the course's ``title, slug,
    status="published", hours=2, required=False, category="理论", audience=org, owner=user``;
    ``media=True``: the first lesson shows a stored image and has audio.
    Questions cycle through the four kinds (tests.helpers.bank_questions): check keys
    ``c<n>-<lesson index>-<i>``, final keys ``f<n>-<i>``.

    ``via="rows"`` writes the rows directly (fast, any rules); ``via="editor"`` builds it
    through the authoring services as the web editor does (needs ``owner``; audited, versioned,
    rendered; the first lesson gets a Markdown body; the audience defaults to the owner's
    branch, as the editor's form does).
    """
    def make(*, lessons: int = 1, check: int = 0, check_on=(0,), mastery: int | None = None,
             final: int = 0, draw: int = 0, title: str | None = None, slug: str | None = None,
             status: str = "published", hours: float = 2, required: bool = False,
             category: str = "理论", audience=None, owner=None, media: bool = False,
             via: str = "rows", **final_rules) -> MadeCourse:
        n = next(_courses)
        spec = dict(n=n, lessons=lessons, check=check, check_on=tuple(check_on) if check else (),
                    mastery=check if mastery is None else mastery, final=final, draw=draw,
                    media=media, rules={**FINAL_RULES, **final_rules})
        fields = dict(slug=slug or f"course-{n}", title=title or f"测试课程{n}",
                      summary="一门测试用的课。", category=category, required=required,
                      credit_hours=hours)
        if via == "editor":
            assert not media, "media=True is for via='rows'"
            return _through_editor(owner, status, audience, fields, spec)
        assert via == "rows", via
        return _as_rows(owner, status, audience, fields, spec)

    return make


def _as_rows(owner, status, audience, fields, spec) -> MadeCourse:
    from lms.courses.models import Course, Lesson
    from lms.quizzes.models import Question, Quiz

    n = spec["n"]
    course = Course(status=status, owner_id=owner.id if owner else None,
                    audience_org_id=audience.id if audience else None, **fields)
    db.session.add(course)
    db.session.flush()
    made = MadeCourse(course)
    for position in range(1, spec["lessons"] + 1):
        text = f"第{position}课的课文。"
        lesson = Lesson(course_id=course.id, key=f"l{position}", position=position,
                        title=f"第{position}课", minutes=3, body=text, html=f"<p>{text}</p>")
        db.session.add(lesson)
        made.lessons.append(lesson)
    if spec["media"]:
        _add_media(course, made)
    db.session.flush()

    def quiz(lesson, questions, prefix, **rules):
        row = Quiz(course_id=course.id, lesson_id=lesson.id if lesson else None, **rules)
        db.session.add(row)
        db.session.flush()
        for position, q in enumerate(bank_questions(questions, prefix), start=1):
            db.session.add(Question(course_id=course.id, quiz_id=row.id, position=position, **q))
        return row

    for index in spec["check_on"]:
        made.checks[index] = quiz(made.lessons[index], spec["check"], f"c{n}-{index}-",
                                  mastery_required=spec["mastery"], pass_percent=0, draw=0)
    if spec["final"]:
        made.final = quiz(None, spec["final"], f"f{n}-", draw=spec["draw"], **spec["rules"])
    db.session.commit()
    return made


def _add_media(course, made: MadeCourse) -> None:
    """A PNG and an MP3 stored for ``course``; the first lesson shows the one, plays the other."""
    import hashlib

    from lms.courses import media as media_store
    from lms.courses.models import MediaFile

    for data, ext, path, kind in ((png(4, 4), ".png", "media/field.png", "image/png"),
                                  (MP3, ".mp3", "media/one.mp3", "audio/mpeg")):
        sha = hashlib.sha256(data).hexdigest()
        media_store.store(data, sha, ext)
        db.session.add(MediaFile(course_id=course.id, path=path, sha256=sha, size=len(data),
                                 content_type=kind))
        if ext == ".png":
            made.image_url = f"/media/{sha}.png"
        else:
            made.audio_url = f"/media/{sha}.mp3"
    made.lessons[0].html += f'<p><img src="{made.image_url}" alt="田"></p>'
    made.lessons[0].audio = "media/one.mp3"


def _through_editor(owner, status, audience, fields, spec) -> MadeCourse:
    from lms.authoring import bank, services
    from lms.core.questions import QuestionData

    assert owner is not None, "via='editor' needs an owner who may author"
    assert status in ("draft", "published"), status
    n = spec["n"]
    course = services.create_course(
        owner, audience=home_org(owner) if audience is None else audience, **fields)
    made = MadeCourse(course)
    for position in range(1, spec["lessons"] + 1):
        lesson = services.add_lesson(owner, course, title=f"第{position}课", minutes=3)
        body = EDITOR_BODY if position == 1 else f"第{position}课的课文。"
        services.update_lesson(owner, lesson, title=lesson.title, minutes=3, body=body,
                               audio=None)
        made.lessons.append(lesson)

    def questions(count, prefix):
        return [QuestionData(**{**q, "options": tuple(q["options"]), "answer": tuple(q["answer"])})
                for q in bank_questions(count, prefix)]

    for index in spec["check_on"]:
        check = bank.ensure_check(owner, made.lessons[index])
        for q in questions(spec["check"], f"c{n}-{index}-"):
            bank.save_question(owner, check, None, q)
        bank.update_check_settings(owner, check, mastery_required=spec["mastery"])
        made.checks[index] = check
    if spec["final"]:
        made.final = bank.ensure_final_quiz(owner, course)
        for q in questions(spec["final"], f"f{n}-"):
            bank.save_question(owner, made.final, None, q)
        bank.update_final_settings(owner, made.final, draw=spec["draw"], **spec["rules"])
    if status == "published":
        services.publish_course(owner, course)
    return made


# ---- grading as the quiz engine does it --------------------------------------------------------

def _attempt(user, quiz, passed: bool, number: int | None = None):
    from sqlalchemy import func, select

    from lms.quizzes.models import Attempt

    if number is None:
        number = (db.session.scalar(select(func.max(Attempt.number)).where(
            Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)) or 0) + 1
    now = utcnow()
    attempt = Attempt(user_id=user.id, quiz_id=quiz.id, number=number, state="submitted",
                      started_at=now, submitted_at=now, score=1 if passed else 0, max_score=1,
                      passed=passed, snapshot=[])
    db.session.add(attempt)
    db.session.flush()
    return attempt


@pytest.fixture
def grade(app):
    """``grade.check(user, quiz, passed)`` and ``grade.final(user, quiz, passed)``: write a
    submitted attempt and send the signal in one transaction, as lms.quizzes grading does."""
    from lms.quizzes.signals import final_quiz_graded, final_quiz_passed, lesson_check_graded

    def check(user, quiz, passed: bool = True):
        begin_write()
        attempt = _attempt(user, quiz, passed)
        lesson_check_graded.send(quiz, user=user, lesson_id=quiz.lesson_id, attempt=attempt,
                                 passed=passed)
        db.session.commit()
        return attempt

    def final(user, quiz, passed: bool = True):
        begin_write()
        attempt = _attempt(user, quiz, passed)
        final_quiz_graded.send(quiz, user=user, course_id=quiz.course_id, attempt=attempt,
                               passed=passed)
        if passed:
            final_quiz_passed.send(quiz, user=user, course_id=quiz.course_id, attempt=attempt)
        db.session.commit()
        return attempt

    return SimpleNamespace(check=check, final=final, attempt=_attempt)


@pytest.fixture
def finish_lessons(app, grade):
    """Complete every lesson of a made course for ``user`` (checks passed, others read)."""
    from lms.progress import services

    def finish(user, made, only=None):
        for i, lesson in enumerate(made.lessons):
            if only is not None and i not in only:
                continue
            if i in made.checks:
                grade.check(user, made.checks[i])
            else:
                services.mark_read(user, lesson)

    return finish


# ---- a live server and a browser --------------------------------------------------------------

@pytest.fixture
def live_server(app):
    """Serve ``app`` on a free loopback port in a thread; yields the base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        # a request still running (a beacon the page sent as the test ended) holds locks that
        # the next cleanup's TRUNCATE would deadlock on (PostgreSQL): let it finish first
        for request in list(vars(server).get("_threads", ())):  # socketserver's record of them
            request.join(timeout=10)
        server.socket.close()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-default-apps"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never `playwright install`)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("FIELDSIDE_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A phone-sized page that records every request it makes; ``page.requested`` lists URLs."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.requested = []
    page.on("request", lambda request: page.requested.append(request.url))
    page.base = live_server
    yield page
    context.close()


@pytest.fixture
def outside_hosts():
    """``outside_hosts(urls)``: the URLs that go anywhere but this machine's loopback."""
    from urllib.parse import urlsplit

    def pick(urls: list[str]) -> list[str]:
        return [u for u in urls if urlsplit(u).scheme not in ("data", "blob")
                and urlsplit(u).hostname not in ("127.0.0.1", "localhost")]

    return pick
