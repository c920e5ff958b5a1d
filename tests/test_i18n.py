"""The English catalogue: complete, compiled, consistent, and what an English reader gets.

Message ids are the Chinese interface text. These tests extract them the way ``pybabel extract``
does (babel.cfg, keywords ``_l`` and ``lazy_gettext`` on top of Babel's defaults, which include
``_`` and the no-op marker ``N_``) and hold lms/translations/en against them. When one fails:
run the three commands in README.md, "Translations".
"""
from __future__ import annotations

import ast
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "lms" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
HAN = re.compile(r"[\u3400-\u9fff]+")
#: %(name)s-style placeholders and the escaped percent sign
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]|%%")
DOMAIN_ERRORS = {"DomainError", "NotAllowed", "NotFound", "Conflict", "ValidationFailed",
                 "SignInFailed"}


def _extracted() -> dict[str, list[str]]:
    """msgid → where it is marked, for lms/ and templates/ (as ``pybabel extract`` sees them)."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, str(ROOT / "babel.cfg"))

    def wanted(path: str) -> bool:  # like --ignore-dirs=".* __pycache__": keeps templates/_macros
        name = Path(path).name
        return not name.startswith(".") and name != "__pycache__"

    found: dict[str, list[str]] = {}
    for top in ("lms", "templates"):
        for filename, lineno, message, _comments, context in extract_from_dir(
                ROOT / top, method_map, options_map, keywords=KEYWORDS,
                directory_filter=wanted):
            for msgid in (message if isinstance(message, tuple) else (message,)):
                if msgid:  # a message with a context (pgettext) is keyed (msgid, context)
                    key = (msgid, context) if context else msgid
                    found.setdefault(key, []).append(f"{top}/{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def extracted() -> dict[str, list[str]]:
    return _extracted()


@pytest.fixture(scope="module")
def catalogue():
    with open(PO, "rb") as f:
        return read_po(f, locale="en")


def test_extraction_finds_the_interface(extracted):
    # a guard for the test itself: markers in views, forms, templates, macros and services
    for msgid in ("我的学习", "请先登录。", "手机号", "翻页", "没有这一课。", "页面不存在", "理论"):
        assert msgid in extracted, msgid


def test_every_marked_message_is_translated(extracted, catalogue):
    problems = []
    for msgid, where in sorted(extracted.items(), key=str):
        message = catalogue.get(*msgid) if isinstance(msgid, tuple) else catalogue.get(msgid)
        if message is None:
            problems.append(f"missing: {msgid!r} ({where[0]})")
        elif not message.string or not str(message.string).strip():
            problems.append(f"untranslated: {msgid!r} ({where[0]})")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid!r} ({where[0]})")
    assert not problems, "run the commands in README.md, Translations:\n" + "\n".join(problems)


def test_catalogue_has_no_fuzzy_or_empty_entries(catalogue):
    assert not catalogue.fuzzy, "the catalogue header is marked fuzzy"
    bad = [m.id for m in catalogue if m.id and (m.fuzzy or not m.string)]
    assert not bad


def test_translations_are_english(catalogue):
    """No Chinese left in a translation, except a term the reader must type as is, glossed
    in English: ``姓名 (name)`` (the roster file's column headings)."""
    unglossed = re.compile(r"[\u3400-\u9fff]+(?![\u3400-\u9fff]|\s*\()")
    assert not [(m.id, m.string) for m in catalogue if m.id and unglossed.search(m.string)]


def test_compiled_catalogue_matches_the_po(catalogue):
    with open(MO, "rb") as f:
        compiled = read_mo(f)
    po = {(m.id, m.context): m.string for m in catalogue if m.id and m.string and not m.fuzzy}
    mo = {(m.id, m.context): m.string for m in compiled if m.id}
    stale = sorted(set(po) ^ set(mo)) + sorted(k for k in po.keys() & mo.keys() if po[k] != mo[k])
    assert not stale, ("messages.mo is out of date; run "
                       "`.venv/bin/pybabel compile -d lms/translations`: " + repr(stale[:10]))


def test_placeholders_match(catalogue):
    problems = []
    for m in catalogue:
        if not m.id or not m.string:
            continue
        wanted, got = Counter(PLACEHOLDER.findall(m.id)), Counter(PLACEHOLDER.findall(m.string))
        if wanted != got:
            problems.append(f"{m.id!r} → {m.string!r}: {sorted(wanted)} vs {sorted(got)}")
            continue
        # what formats in Chinese must format in English (no stray %)
        values = {name: 1 for name in re.findall(r"%\((\w+)\)", m.id)}
        try:
            m.id % values
        except (ValueError, TypeError, KeyError):
            continue  # never formatted (e.g. a form label with a bare %)
        try:
            m.string % values
        except (ValueError, TypeError, KeyError) as error:
            problems.append(f"{m.id!r} → {m.string!r}: {error}")
    assert not problems, "\n".join(problems)


def test_service_messages_are_marked():
    """A domain error carries a message id and its parameters
    (``Conflict(N_("代码 %(code)s 已被使用。"), code=code)``) and is translated when shown. A
    finished string cannot be: a bare Chinese literal is not extracted, and an f-string or a
    string formatted before the error is made is not in the catalogue, so either would reach an
    English reader in Chinese. The command line (``*cli.py``) is not translated."""
    unmarked = []
    for path in sorted((ROOT / "lms").rglob("*.py")):
        if path.name.endswith("cli.py"):
            continue  # command-line output stays Chinese
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            first = node.args[0]
            finished = isinstance(first, (ast.JoinedStr, ast.BinOp)) or (
                isinstance(first, ast.Constant) and isinstance(first.value, str)
                and HAN.search(first.value))
            if name in (*DOMAIN_ERRORS, "Message") and finished:
                unmarked.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(first)}")
    assert not unmarked, ("give these a msgid in N_(…) and parameters "
                          "(lms.core.i18n):\n" + "\n".join(unmarked))


def test_labels_translated_when_shown_are_in_the_catalogue(app, catalogue):
    """Text kept as a msgid and translated by a template or view: nav, categories, errors."""
    from lms.auth.models import STATUS_LABELS
    from lms.auth.services import SIGN_IN_FAILED
    from lms.core.web import ERROR_TEXT
    from lms.courses.models import CATEGORIES

    labels = [item.label for item in app.extensions["fieldside_nav"]]
    labels += list(CATEGORIES) + [t for pair in ERROR_TEXT.values() for t in pair]
    labels += list(STATUS_LABELS.values()) + [SIGN_IN_FAILED]
    assert not [label for label in labels
                if catalogue.get(label) is None or not catalogue.get(label).string]


# ---- what an English reader sees ------------------------------------------------------------

class _Texts(HTMLParser):
    """Every text node and attribute value of a page, except inside ``skip`` classes."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self, skip: set[str]):
        super().__init__(convert_charrefs=True)
        self.skip, self.stack, self.texts = skip, [], []

    def _skipping(self) -> bool:
        return any(skipped for _tag, skipped in self.stack)

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        skipped = bool(classes & self.skip)
        if not (self._skipping() or skipped):
            self.texts += [value for _name, value in attrs if value]
        if tag not in self.VOID:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag, attrs):
        if not self._skipping():
            self.texts += [value for _name, value in attrs if value]

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if data.strip() and not self._skipping():
            self.texts.append(data.strip())


def chinese_chrome(html: str, content: list[str], skip: frozenset[str] = frozenset()) -> list[str]:
    """Texts of the page that still hold Chinese once ``content`` (course text, names: data
    that stays Chinese) and the language switch's own name are taken out."""
    parser = _Texts(set(skip))
    parser.feed(html)
    known = sorted({c for c in content if c} | {"中文"}, key=len, reverse=True)
    left = []
    for text in parser.texts:
        rest = text
        for c in known:
            rest = rest.replace(c, "")
        if HAN.search(rest):
            left.append(text)
    return left


@pytest.fixture
def english(client):
    response = client.get("/lang/en")
    assert response.status_code == 302
    return client


@pytest.fixture
def shipped_courses(app):
    from lms.authoring.pack_sync import import_folders

    return [outcome.course for outcome in import_folders([ROOT / "courses"])]


def _content(courses, *names) -> list[str]:
    from sqlalchemy import select

    from lms.courses.models import Lesson
    from lms.extensions import db

    texts = list(names)
    for course in courses:
        texts += [course.title, course.summary]
        texts += [value for ref in course.sources for value in ref.values() if value]
    texts += db.session.scalars(select(Lesson.title).where(
        Lesson.course_id.in_([c.id for c in courses]))).all()
    return texts


def first_lesson(course):
    from sqlalchemy import select

    from lms.courses.models import Lesson
    from lms.extensions import db

    return db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)
                              .order_by(Lesson.position)).first()


def test_default_is_chinese(client, login, member):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "登录田埂课堂" in page and "Sign in" not in page
    login(member)
    page = client.get("/study/").get_data(as_text=True)
    assert "我的学习" in page and "退出登录" in page and "My study" not in page


def test_sign_in_page_in_english(english):
    page = english.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page
    for text in ("Sign in to Fieldside", "Mobile number", "Password", "Sign in",
                 "Ask your branch secretary", "Text size"):
        assert text in page, text
    assert chinese_chrome(page, []) == []


def test_signed_in_pages_in_english(english, login, member, tree, shipped_courses):
    login(member, the_client=english)
    content = _content(shipped_courses, member.name, *(org.name for org in tree.values()))
    course = shipped_courses[0]
    lesson = first_lesson(course)
    pages = {
        "/study/": ("My study", "Study hours in", "Required courses", "View the study record"),
        "/courses/": ("Courses", "Search courses", "All", "Required", "study hours"),
        f"/courses/{course.slug}/": ("Contents", "Share this course", "study hours"),
        f"/courses/{course.slug}/lessons/{lesson.key}": (
            "Lesson 1 of", "Share or print", "Read this lesson aloud", "Lesson check",
            "Start the lesson check"),
    }
    for url, expected in pages.items():
        page = _english_page(english, url, expected, content)

    # the lesson check, started: its questions are course content, the form around them is not
    start = re.search(r'action="(/quizzes/\d+/start)"', page).group(1)
    english.post(start)
    page = _english_page(english, url, ("Submit answers", "Save this answer"),
                         content + _question_texts(course))
    assert "Not saved: no connection" in page  # texts handed to quiz.js


def _english_page(client, url: str, expected, content: list[str]) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.get_data(as_text=True)
    for text in ("My study", "Wrong-answer book", "My account", "Sign out", *expected):
        assert text in page, (url, text)
    # the lesson text itself stays Chinese; everything around it must not
    assert chinese_chrome(page, content, skip=frozenset({"lesson-body"})) == [], url
    return page


def _question_texts(course) -> list[str]:
    from sqlalchemy import select

    from lms.extensions import db
    from lms.quizzes.models import Question

    texts = []
    for question in db.session.scalars(select(Question).where(Question.course_id == course.id)):
        texts += [question.stem, *question.options]
    return texts


def test_error_page_in_english(english):
    response = english.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page and chinese_chrome(page, []) == []


def test_a_service_error_with_parameters_in_english(english, login, admin, tree):
    """A domain error raised while the reader reads English comes out in English, with its
    parameters in place (the service knows nothing of the request's language)."""
    login(admin, the_client=english)
    page = english.post(f"/orgs/{tree['a'].id}/children", follow_redirects=True,
                        data={"name": "重复", "kind": "group", "code": tree["b"].code}) \
        .get_data(as_text=True)
    assert f"The code {tree['b'].code} is already in use." in page
    assert "已被使用" not in page


def test_a_message_reads_as_chinese_and_translates_when_shown(app):
    from lms.core.errors import Conflict
    from lms.core.i18n import N_, Message

    error = Conflict(N_("代码 %(code)s 已被使用。"), code="A")
    assert str(error) == "代码 A 已被使用。" and error.message.params == {"code": "A"}
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert error.translated() == "The code A is already in use."
        assert Message(N_("没有这一课。")).translated() == "There is no such lesson."


def test_service_message_in_english(english, login, member):
    """A domain error's message reaches an English reader translated (here the sign-in one)."""
    response = english.post("/login", data={"phone": member.phone, "password": "wrong-one-9"},
                            follow_redirects=True)
    assert "Wrong mobile number or password" in response.get_data(as_text=True)


def test_branch_export_in_english(english, login, secretary, member, tree):
    """The spreadsheet a secretary downloads speaks the reader's language: headers and the
    words in its cells (names and organisations stay as entered)."""
    import csv
    import io

    login(secretary, the_client=english)
    body = english.get(f"/branch/{tree['a'].id}/export.csv").get_data().decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header[:4] == ["Name", "Mobile number", "Organisation", "Membership status"]
    assert not [h for h in header if HAN.search(h)]
    by_name = {r[0]: r for r in rows}
    assert by_name[member.name][3] == "Full party member"
    assert by_name[member.name][7] == "Behind target"
