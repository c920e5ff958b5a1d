"""A real LRS for the tests and bench/xapi.py: ralph (PyPI ralph-malph) with its file-system
backend, started on a free local port with one basic-auth account, stopped by its pid."""
from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

KEY, SECRET = "fieldside", "lrs-secret-2026"
#: ralph's file-system backend creates its one file on the first write and refuses every later
#: one ("already exists and overwrite is not allowed"): it is told to append instead
LAUNCH = """
import sys, uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend
FSLRSBackend.default_operation_type = BaseOperationType.APPEND
uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LRS:
    def __init__(self, folder: Path, port: int | None = None):
        self.folder, self.port = folder, port or _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI"

    def start(self) -> None:
        import bcrypt

        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        auth = self.folder / "auth.json"
        auth.write_text(json.dumps([{
            "username": KEY, "hash": bcrypt.hashpw(SECRET.encode(), bcrypt.gensalt(4)).decode(),
            "scopes": ["all"],
            "agent": {"account": {"name": KEY, "homePage": "https://fieldside.invalid"}}}]))
        env = {**os.environ, "RALPH_APP_DIR": str(self.folder), "RALPH_AUTH_FILE": str(auth),
               "RALPH_RUNSERVER_BACKEND": "fs",
               "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.folder / "data")}
        with open(self.folder / "lrs.log", "ab") as log:  # the child keeps its own handle
            self.process = subprocess.Popen(
                [sys.executable, "-c", LAUNCH, str(self.port)],
                env=env, cwd=self.folder, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.get("/statements?limit=1")
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError((self.folder / "lrs.log").read_text()[-2000:]) from None
                time.sleep(0.3)
        raise RuntimeError("the LRS did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def get(self, path: str) -> dict:
        token = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
        request = urllib.request.Request(
            self.endpoint + path, headers={"Authorization": f"Basic {token}",
                                           "X-Experience-API-Version": "1.0.3"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def stored(self) -> list[dict]:
        """Every statement the LRS holds. Its API pages with a ``more`` link that the
        file-system backend answers with the same page again, so the list is read through the
        API when it fits one page and from the backend's file otherwise."""
        page = self.get("/statements?limit=1000")
        if not page.get("more"):
            return page["statements"]
        lines = (self.folder / "data" / "fs_lrs.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def has(self, statement_id: str) -> bool:
        """Asked through the API, one statement by its id."""
        try:
            found = self.get(f"/statements?statementId={statement_id}")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return False
            raise
        # the statement itself, or (ralph's file-system backend) a one-statement list
        listed = found.get("statements", [found])
        return [s.get("id") for s in listed] == [statement_id]

    def config(self) -> dict:
        return {"XAPI_ENDPOINT": self.endpoint, "XAPI_KEY": KEY, "XAPI_SECRET": SECRET}


@contextmanager
def running_lrs(folder: Path):
    lrs = LRS(folder)
    lrs.start()
    try:
        yield lrs
    finally:
        lrs.stop()
