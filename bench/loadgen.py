"""A small HTTP load generator for bench/county.py: N threads, each with one http.client
connection (kept alive where the server allows; gunicorn's sync workers close it after each
response, and http.client then reconnects), GET one path for a fixed time.

Each thread keeps its own cookies as a browser would: it starts with ``--cookie`` and takes
whatever the server sets (a session the server re-signs is then sent back, not re-signed on
every request because the client keeps sending a stale one).

    .venv/bin/python bench/loadgen.py --port 8000 --path /courses/x/lessons/y \
        [--cookie 'session=…'] [--threads 16] [--duration 10] [--max-requests 500000]

Only loopback addresses are accepted. The loop is bounded by time and by count. Prints one JSON
object: requests, errors, seconds, rps, latency p50/p95 (ms), statuses.
"""
from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from collections import Counter

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def parse_cookie_header(header: str) -> dict[str, str]:
    jar = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            jar[name] = value
    return jar


def keep_cookies(jar: dict[str, str], set_cookies: list[str]) -> bool:
    """Apply Set-Cookie headers to ``jar`` (value set, or removed when expired); True if any."""
    for header in set_cookies:
        pair, _, attributes = header.partition(";")
        name, _, value = pair.strip().partition("=")
        expired = "max-age=0" in attributes.lower().replace(" ", "") or \
            "expires=thu, 01 jan 1970" in attributes.lower()
        if expired or not value:
            jar.pop(name, None)
        else:
            jar[name] = value
    return bool(set_cookies)


def run(host: str, port: int, path: str, cookie: str, threads: int, duration: float,
        max_requests: int) -> dict:
    if host not in LOOPBACK:
        raise SystemExit("loadgen only targets this machine's loopback")
    headers = {"Connection": "keep-alive", "Accept-Encoding": "identity"}
    if cookie:
        headers["Cookie"] = cookie
    lock = threading.Lock()
    statuses: Counter = Counter()
    latencies: list[float] = []
    budget = [max_requests]
    start_gate = threading.Barrier(threads + 1)
    deadline = [0.0]

    def take() -> bool:
        with lock:
            if budget[0] <= 0:
                return False
            budget[0] -= 1
            return True

    def worker() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=15)
        jar = parse_cookie_header(cookie)
        mine_headers = dict(headers)
        mine: list[float] = []
        seen: Counter = Counter()
        start_gate.wait()
        while time.perf_counter() < deadline[0] and take():
            began = time.perf_counter()
            try:
                connection.request("GET", path, headers=mine_headers)
                response = connection.getresponse()
                response.read()
                seen[response.status] += 1
                if keep_cookies(jar, response.headers.get_all("Set-Cookie") or []):
                    mine_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException) as error:
                seen[type(error).__name__] += 1
                connection.close()
                continue
            mine.append(time.perf_counter() - began)
        connection.close()
        with lock:
            latencies.extend(mine)
            statuses.update(seen)

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + duration
    start_gate.wait()
    for thread in pool:
        thread.join(timeout=duration + 30)
    seconds = time.perf_counter() - began
    ok = statuses.get(200, 0)
    latencies.sort()

    def pick(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 2) \
            if latencies else 0.0

    return {"requests": ok, "errors": sum(statuses.values()) - ok, "seconds": round(seconds, 3),
            "rps": round(ok / seconds, 1) if seconds else 0.0, "p50_ms": pick(0.50),
            "p95_ms": pick(0.95), "statuses": {str(k): v for k, v in statuses.items()}}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/")
    parser.add_argument("--cookie", default="")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=500_000)
    args = parser.parse_args(argv)
    result = run(args.host, args.port, args.path, args.cookie, args.threads,
                 min(args.duration, 120.0), args.max_requests)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
