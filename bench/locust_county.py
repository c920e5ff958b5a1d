"""Locust users for a county on 127.0.0.1 (bench/county_quiz.py and bench/soak.py start it).

    locust -f bench/locust_county.py --headless --host http://127.0.0.1:PORT QuizMember ...

Read from the plan file named by ``BENCH_PLAN`` (JSON, written by the scripts): the password, the
final quiz, the members for each kind of user. Every simulated person behaves as the pages make a
browser behave: it signs in through the form, follows each redirect as its own request (so each
kind of request is timed on its own), posts the CSRF token the page carries, saves each answer
as quiz.js does (``Accept: application/json``, multipart form data) and submits the quiz form.
Redirects are expected where the app gives them; any other status is a failure.

- ``QuizMember``: the 知识竞赛. Takes the next member who has not taken the quiz, signs in, opens
  我的学习 and the catalogue, the quiz page, starts, answers every question (a save each), submits,
  reads the result, signs out; then the next member. With a session for the member in the plan
  (``sessions``: county_quiz.py ``--signed-in``) the phone is signed in already: no sign-in,
  我的学习 or sign-out. Writes one line per member to
  ``BENCH_RESULTS`` (phone, attempt, the submit's status) for the database check.
- ``StudyMember``: signs in once, then reads lessons (the page and its "seen" beacon), 我的学习 and
  the catalogue. ``Secretary``: a branch secretary's branch page, member list and spreadsheet
  export; ``TownSecretary``: a township's roll-up; ``Trainer``: the authoring list and the quiz
  statistics.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import time
import uuid
from urllib.parse import urlencode

from locust import FastHttpUser, between, events, task
from locust.exception import StopUser
from quiz_pages import FIELDSET, TOKEN, choices_of, right_answer  # bench/, beside this file
from requests.cookies import create_cookie

PLAN = json.loads(open(os.environ["BENCH_PLAN"], encoding="utf-8").read())
#: the cookie jar's name for the server (every run is on loopback)
HOST = "127.0.0.1"
RESULTS = os.environ.get("BENCH_RESULTS")
_lock = threading.Lock()
_results = open(RESULTS, "a", encoding="utf-8") if RESULTS else None


def _cycle(name: str):
    people = PLAN.get(name) or []
    return itertools.cycle(people) if people else iter(())


_quiz_members = iter(PLAN.get("quiz_members", []))
_study = _cycle("study_members")
_secretaries = _cycle("secretaries")
_towns = _cycle("towns")
_trainers = _cycle("trainers")

SEEN = re.compile(r'data-seen-url="([^"]+)"\s+data-csrf="([^"]+)"')


def record(line: dict) -> None:
    if _results is None:
        return
    with _lock:
        _results.write(json.dumps(line) + "\n")
        _results.flush()


@events.test_stop.add_listener
def _close(**_kwargs):
    if _results is not None:
        _results.flush()


def multipart(fields: list[tuple[str, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body, as the browser's FormData sends it."""
    boundary = "----fieldside" + uuid.uuid4().hex
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n")
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode(), f"multipart/form-data; boundary={boundary}"


#: how often a member who studied the lessons gets a question right
RIGHT = 0.8


def answers_for(key: str, kind: str, body: str, rng: random.Random) -> list[str]:
    """A member's answer to one question: right (the plan's key, found by the option's words,
    since the page shuffles them) four times in five, otherwise a guess."""
    right = PLAN["answer_key"].get(key, [])
    choices = choices_of(body)
    written = kind == "fill" or not choices
    if rng.random() < RIGHT and (right or not written):
        return right_answer(kind, right, choices)
    if written:
        return [rng.choice(("村民自治", "不知道"))]
    if kind == "truefalse":
        return [rng.choice(("true", "false"))]
    values = [value for value, _ in choices]
    if kind == "multiple":
        return sorted(rng.sample(values, rng.randint(1, len(values))))
    return [rng.choice(values)]


class Person(FastHttpUser):
    """Someone who signs in through the form and follows the app's redirects one by one."""

    abstract = True
    wait_time = between(1, 5)
    password = PLAN["password"]

    def expect(self, method: str, path: str, name: str, statuses=(200,), **kwargs):
        """One request; a status outside ``statuses`` is a failure. Returns the response."""
        with self.client.request(method, path, name=name, allow_redirects=False,
                                 catch_response=True, **kwargs) as response:
            if response.status_code not in statuses:
                response.failure(f"{method} {path}: {response.status_code}")
            else:
                response.success()
            return response

    def sign_in(self, phone: str) -> bool:
        self.client.cookiejar.clear()
        page = self.expect("GET", "/login", "GET /login")
        token = TOKEN.search(page.text or "")
        if token is None:
            return False
        self.wait()
        response = self.expect("POST", "/login", "POST /login", statuses=(302,), data={
            "csrf_token": token.group(1), "phone": phone, "password": self.password,
            "next": ""})
        if response.status_code != 302:
            return False
        self.expect("GET", "/", "GET / (home)", statuses=(302,))
        self.expect("GET", "/study/", "GET /study/ (我的学习)")
        return True

    def sign_out(self, page_text: str) -> None:
        token = TOKEN.search(page_text or "")
        if token:
            self.expect("POST", "/logout", "POST /logout", statuses=(302,),
                        data={"csrf_token": token.group(1)})
        self.client.cookiejar.clear()


class QuizMember(Person):
    """A member taking the county's 结业测验 once, then the next member."""

    weight = 3
    rng = random.Random()

    @task
    def take_the_quiz(self):
        try:
            phone = next(_quiz_members)
        except StopIteration:
            raise StopUser() from None  # every ready member has had their turn
        outcome = {"phone": phone, "attempt": None, "submit": None}
        try:
            self.run_through(phone, outcome)
        finally:
            record(outcome)

    def run_through(self, phone: str, outcome: dict) -> None:
        quiz = PLAN["quiz_id"]
        signed_in = PLAN.get("sessions", {}).get(phone)
        if signed_in:  # the phone is signed in already: its cookie, as the phone keeps it
            self.client.cookiejar.clear()
            self.client.cookiejar.set_cookie(create_cookie("session", signed_in,
                                                           domain=HOST, path="/"))
        elif not self.sign_in(phone):
            outcome["submit"] = "no sign-in"
            return
        self.wait()
        self.expect("GET", "/courses/", "GET /courses/ (catalogue)")
        self.wait()
        page = self.expect("GET", f"/quizzes/{quiz}", "GET /quizzes/[quiz]")
        token = TOKEN.search(page.text or "")
        if token is None:
            outcome["submit"] = "no quiz page"
            return
        self.wait()
        started = self.expect("POST", f"/quizzes/{quiz}/start", "POST /quizzes/[quiz]/start",
                              statuses=(302,), data={"csrf_token": token.group(1)})
        found = re.search(r"/quizzes/attempts/(\d+)$", started.headers.get("Location", ""))
        if found is None:  # the status check above counted it as a failure
            outcome["submit"] = f"start {started.status_code}"
            return
        attempt = int(found.group(1))
        outcome["attempt"] = attempt
        base = f"/quizzes/attempts/{attempt}"
        take = self.expect("GET", base, "GET /quizzes/attempts/[id] (take)")
        text = take.text or ""
        token = TOKEN.search(text)
        questions = FIELDSET.findall(text)
        if token is None or not questions:
            outcome["submit"] = "no questions"
            return
        given: list[tuple[str, str]] = [("csrf_token", token.group(1))]
        for key, kind, body in questions:
            self.wait()
            values = answers_for(key, kind, body, self.rng)
            data, content_type = multipart([("csrf_token", token.group(1)), ("shown", key)]
                                           + [(f"q-{key}", v) for v in values])
            self.expect("POST", f"{base}/answer", "POST /quizzes/attempts/[id]/answer",
                        data=data, headers={"Accept": "application/json",
                                            "Content-Type": content_type})
            given += [("shown", key)] + [(f"q-{key}", v) for v in values]
        self.wait()
        submitted = self.expect("POST", f"{base}/submit", "POST /quizzes/attempts/[id]/submit",
                                statuses=(303,), data=urlencode(given + [("confirm", "1")]),
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
        outcome["submit"], outcome["t"] = submitted.status_code, time.time()
        if submitted.status_code != 303:
            return
        review = self.expect("GET", f"{base}/review", "GET /quizzes/attempts/[id]/review")
        if signed_in:
            self.client.cookiejar.clear()
            return
        self.wait()
        self.sign_out(review.text)


class StudyMember(Person):
    """A member reading lessons on their phone for a while."""

    weight = 6

    def on_start(self):
        self.phone = next(_study)
        self.signed_in = self.sign_in(self.phone)

    @task(5)
    def read_a_lesson(self):
        if not self.signed_in:
            return
        course = PLAN["course_slug"]
        key = random.choice(PLAN["lesson_keys"])
        page = self.expect("GET", f"/courses/{course}/lessons/{key}",
                           "GET /courses/[c]/lessons/[l]")
        seen = SEEN.search(page.text or "")
        if seen:
            self.expect("POST", seen.group(1), "POST /study/lessons/[l]/seen",
                        statuses=(204,), data={"csrf_token": seen.group(2)},
                        headers={"X-CSRFToken": seen.group(2)})

    @task(2)
    def my_study(self):
        if self.signed_in:
            self.expect("GET", "/study/", "GET /study/ (我的学习)")

    @task(1)
    def catalogue(self):
        if self.signed_in:
            self.expect("GET", "/courses/", "GET /courses/ (catalogue)")


class Secretary(Person):
    """A branch secretary checking on the branch."""

    weight = 1
    wait_time = between(3, 10)

    def on_start(self):
        self.phone, self.org = next(_secretaries)
        self.signed_in = self.sign_in(self.phone)

    @task(4)
    def branch(self):
        if self.signed_in:
            self.expect("GET", f"/branch/{self.org}", "GET /branch/[branch]")

    @task(2)
    def members(self):
        if self.signed_in:
            self.expect("GET", f"/orgs/{self.org}", "GET /orgs/[branch]")

    @task(1)
    def export(self):
        if self.signed_in:
            self.expect("GET", f"/branch/{self.org}/export.xlsx",
                        "GET /branch/[branch]/export.xlsx")


class TownSecretary(Person):
    """A township secretary looking at the township's roll-up."""

    weight = 1
    wait_time = between(5, 15)

    def on_start(self):
        self.phone, self.org = next(_towns)
        self.signed_in = self.sign_in(self.phone)

    @task
    def township(self):
        if self.signed_in:
            self.expect("GET", f"/branch/{self.org}", "GET /branch/[township]")


class Trainer(Person):
    """A trainer going through the authoring lists."""

    weight = 1
    wait_time = between(3, 10)

    def on_start(self):
        self.phone = next(_trainers)
        self.signed_in = self.sign_in(self.phone)

    @task(2)
    def authoring(self):
        if self.signed_in:
            self.expect("GET", "/authoring/", "GET /authoring/")

    @task(1)
    def stats(self):
        if self.signed_in:
            self.expect("GET", "/quizzes/stats/", "GET /quizzes/stats/")
