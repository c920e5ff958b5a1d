"""Plain helpers and data shared by the test folders (fixtures live in tests/conftest.py).

A test module takes what it shares with others from here, never from another test module or
from a conftest.
"""
from __future__ import annotations

import http.client
import io
import itertools
import re
import struct
import threading
import zlib
from json import dumps
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from lms.core.questions import QuestionData

#: every user the fixtures make signs in with this password
PASSWORD = "tea-garden-2026"

#: the project's own GIFT examples: every construct the reader takes, and every kind it refuses
GIFT_EXAMPLES = Path(__file__).resolve().parent / "quizzes" / "formats" / "examples" / "fieldside.gift"


# ---- signing in ---------------------------------------------------------------------------------

def sign_in(client, user, password: str = PASSWORD):
    """POST the sign-in form with the test client; asserts it worked."""
    response = client.post("/login", data={"phone": user.phone, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def csrf_token(page: str) -> str:
    """The CSRF token of the first form in a page."""
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]


def sign_in_with_csrf(client, user, password: str = PASSWORD):
    """Sign in on an app with CSRF on: read the token from the sign-in page, post it."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"phone": user.phone, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def browser_sign_in(page, user, base: str | None = None, password: str = PASSWORD):
    """Sign in through the form in a Playwright page (``base``: the server, default
    ``page.base`` as the ``phone_page`` fixture sets it)."""
    page.goto((base or page.base) + "/login")
    page.fill("input[name=phone]", user.phone)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")


# ---- courses ------------------------------------------------------------------------------------

#: ``make_course(**EDITOR_COURSE, owner=…)``: the course the editor tests work on, built through
#: the editor's services: two lessons, a two-question check on the first (one right to pass), a
#: four-question final quiz drawing three, three attempts, 0.5 学时 (what the 学时 rule allows)
EDITOR_COURSE = dict(via="editor", lessons=2, check=2, mastery=1, final=4, draw=3, max_attempts=3,
                     hours=0.5)


def home_org(user):
    """The course audience an author may pick by default: their own branch (None for the
    administrator, who alone may choose "all")."""
    from lms.extensions import db
    from lms.orgs.models import Organization

    return None if user.is_admin else db.session.get(Organization, user.org_id)


# ---- requests at the same moment ----------------------------------------------------------------

class Browser:
    """One person's cookie jar over http.client (a new connection per request). ``location``
    is the last response's Location header."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookie = ""
        self.location = None

    def request(self, method: str, path: str, data: dict | None = None,
                headers: dict | None = None, attempts: int = 3, *, json=None):
        """Send a form (``data``) or, with ``json``, a JSON body; returns (status, body)."""
        if json is not None:
            body, kind = dumps(json), "application/json"
        else:
            body, kind = urlencode(data or {}, doseq=True), "application/x-www-form-urlencoded"
        sent = {"Content-Type": kind, **(headers or {})}
        if self.cookie:
            sent["Cookie"] = self.cookie
        for attempt in range(attempts):
            connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                connection.request(method, path, body=body if method == "POST" else None,
                                   headers=sent)
                response = connection.getresponse()
                payload = response.read()
                break
            except (ConnectionResetError, ConnectionRefusedError,
                    http.client.RemoteDisconnected):
                # the connection never reached the app (listen backlog full): send again,
                # which is exactly what a phone on a weak signal does
                if attempt == attempts - 1:
                    raise
            finally:
                connection.close()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        self.location = response.getheader("Location")
        return response.status, payload

    def login(self, phone: str) -> None:
        status, _ = self.request("POST", "/login", {"phone": phone, "password": PASSWORD})
        assert status == 302


def run_all(jobs):
    """Run the callables at the same moment (a barrier), return their results in order."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def worker(i, job):
        barrier.wait()
        try:
            results[i] = job()
        except Exception as error:  # noqa: BLE001 - reported below
            results[i] = error

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


# ---- questions ------------------------------------------------------------------------------------

def bank_questions(n: int, prefix: str = "b") -> list[dict]:
    """``n`` questions cycling through the four kinds, with one point each (Question fields)."""
    kinds = itertools.cycle(["single", "multiple", "truefalse", "fill"])
    out = []
    for i, kind in zip(range(1, n + 1), kinds, strict=False):
        q = {"key": f"{prefix}{i}", "kind": kind, "stem": f"第{i}题（{kind}）题干",
             "explanation": f"解析{i}：因为如此", "points": 1}
        if kind == "single":
            q.update(options=[f"甲{i}", f"乙{i}", f"丙{i}"], answer=[1])
        elif kind == "multiple":
            q.update(options=[f"子{i}", f"丑{i}", f"寅{i}", f"卯{i}"], answer=[0, 2])
        elif kind == "truefalse":
            q.update(options=[], answer=[i % 2 == 0])
        else:
            q.update(options=[], answer=[f"答案{i}", f"答{i}"])
        out.append(q)
    return out


def sample_questions(prefix: str) -> list[QuestionData]:
    """Four worded questions, one of each kind, keyed ``<prefix>-1`` … ``<prefix>-4``."""
    return [
        QuestionData(key=f"{prefix}-1", kind="single", stem="产业链党支部建在哪里？",
                     options=("村委会", "产业链上", "县城"), answer=(1,),
                     explanation="支部建在产业链上。"),
        QuestionData(key=f"{prefix}-2", kind="multiple", stem="哪些属于三会一课？",
                     options=("支部党员大会", "村民会", "党课"), answer=(0, 2),
                     explanation="三会一课包括支部党员大会和党课。", points=2),
        QuestionData(key=f"{prefix}-3", kind="truefalse", stem="党员应按月交纳党费。",
                     answer=(True,), explanation="党章规定。"),
        QuestionData(key=f"{prefix}-4", kind="fill", stem="党的根本宗旨是全心全意为人民____。",
                     answer=("服务", "服务人民"), explanation="根本宗旨。"),
    ]


# ---- answering an attempt -------------------------------------------------------------------------

def right_value(entry: dict):
    """The form value that answers a snapshot entry right."""
    kind = entry["kind"]
    if kind == "single":
        return str(entry["answer"][0])
    if kind == "multiple":
        return [str(i) for i in entry["answer"]]
    if kind == "truefalse":
        return "true" if entry["answer"][0] else "false"
    return entry["answer"][0]


def wrong_value(entry: dict):
    """A form value that answers a snapshot entry wrong (but is a valid answer)."""
    kind = entry["kind"]
    if kind == "single":
        return str(next(i for i in range(len(entry["options"])) if i not in entry["answer"]))
    if kind == "multiple":
        return [str(i) for i in range(len(entry["options"])) if i not in entry["answer"]]
    if kind == "truefalse":
        return "false" if entry["answer"][0] else "true"
    return "完全不对的答案"


def answers_for(attempt, right: int) -> dict:
    """Answers to the attempt: the first ``right`` entries right, the rest wrong."""
    return {e["key"]: right_value(e) if i < right else wrong_value(e)
            for i, e in enumerate(attempt.snapshot)}


def queued_answers(attempt, right: bool) -> dict:
    """Every answer right (or every one wrong) as a saved page queues them offline: each value a
    list of form strings."""
    answers = answers_for(attempt, len(attempt.snapshot) if right else 0)
    return {key: value if isinstance(value, list) else [value] for key, value in answers.items()}


def form_of(answers: dict) -> dict:
    """Service answers as the form fields a browser posts (``shown`` and ``q-<key>``)."""
    data = {"shown": list(answers)}
    for key, value in answers.items():
        data[f"q-{key}"] = value
    return data


# ---- files ------------------------------------------------------------------------------------

def png(width: int = 1, height: int = 1, pad: int = 0) -> bytes:
    """A valid RGB PNG built by hand; ``pad`` bytes of text chunk make it larger (an upload
    strips the chunk: lms/authoring/photos.py)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + b"\xb3\x26\x1e" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows))
            + (chunk(b"tEXt", b"c\x00" + b"x" * pad) if pad else b"") + chunk(b"IEND", b""))


#: an ID3v2 tag header and silent MPEG-1 layer III frame headers (the bytes a player sniffs)
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + bytes(413)
#: the first page header of an Ogg stream
OGG = b"OggS\x00\x02" + bytes(58)


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF (asserts it is one)."""
    from pypdf import PdfReader

    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def xlsx_rows(rows) -> bytes:
    """An .xlsx workbook whose first sheet holds ``rows``."""
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---- question import through the web -------------------------------------------------------------

#: two Aiken questions
AIKEN = ("党员应当多久交纳一次党费？\nA. 每月\nB. 每年\nANSWER: A\n\n"
         "三会一课中的“一课”是什么？\nA. 党课\nB. 体育课\nC. 文化课\nANSWER: A\n").encode()


def upload_bank(web, course, name: str, data: bytes, target: str = "final", mode: str = "add",
                fmt: str = ""):
    """POST a question file to the import preview; the multipart body werkzeug spools to a
    temporary file for large uploads is closed here (the test client leaves it to the garbage
    collector)."""
    from flask.testing import EnvironBuilder

    builder = EnvironBuilder(web.application, path=f"/authoring/courses/{course.id}/import",
                             method="POST", data={"file": (io.BytesIO(data), name),
                                                  "target": target, "format": fmt, "mode": mode})
    environ = builder.get_environ()
    try:
        return web.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()


def confirm_import(web, course, page: str):
    """Confirm the import a preview page offers."""
    fields = dict(re.findall(r'id="(token|filename|target|format|mode)" name="\1" '
                             r'type="hidden" value="([^"]*)"', page))
    assert fields.get("token"), page[-3000:]
    return web.post(f"/authoring/courses/{course.id}/import/confirm", data=fields)
