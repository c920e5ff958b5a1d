"""Locust users for the fixed stack's floor (bench/quiz_ceiling.py starts them).

    locust -f bench/locust_floor.py --headless --host http://127.0.0.1:PORT FloorReader ...

``FloorReader`` signs in once on bench/stack_app.py (its ``GET /login``) and then reads the
smallest signed-in page the fixed stack serves, as fast as it is answered (no wait): with enough
of them at once, the box's ceiling in requests a second with the load tool beside the server.
``FloorWriter`` does the same with the stack's smallest write (``POST /save``, the CSRF token
taken from the page), sent as quiz.js sends a save.
"""
from __future__ import annotations

from locust import FastHttpUser, constant, task
from quiz_pages import TOKEN  # bench/, beside this file


class FloorReader(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.client.get("/login", name="GET /login", allow_redirects=False)

    @task
    def read(self):
        with self.client.get("/", name="GET / (the floor page)", allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"GET /: {response.status_code}")


class FloorWriter(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.client.get("/login", name="GET /login", allow_redirects=False)
        page = self.client.get("/", name="GET / (the floor page)", allow_redirects=False)
        self.token = TOKEN.search(page.text or "").group(1)

    @task
    def save(self):
        with self.client.post("/save", data={"csrf_token": self.token, "value": "村民自治"},
                              headers={"Accept": "application/json"},
                              name="POST /save (the floor write)",
                              catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"POST /save: {response.status_code}")
