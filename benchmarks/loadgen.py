"""Load generator, run in its own process: N clients in threads, each with a keep-alive connection.

``hub`` clients walk the self-referral journey (about, contact, provider, support, send) again and
again, each POST with the session's CSRF token, as a browser would; ``baseline`` clients POST ten
text fields. Prints one JSON line: POSTs, seconds, and per-POST latencies (p50, p99) in milliseconds.

``--seconds`` times a window; ``--journeys`` instead counts every POST of a fixed number of journeys,
however long each took, so a test can check the generator's work on a busy machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import re
import statistics
import threading
import time
from urllib.parse import urlencode, urlsplit

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def journey(n: str) -> list[tuple[str, dict[str, str]]]:
    """One made-up person's answers; each is a different person, as real referrals are."""
    return [
        ("/self-refer/about", {"preferred_name": f"Load {n}", "full_name": f"Load Test Person {n}"}),
        ("/self-refer/contact", {"methods": "email", "email": f"load.{n}@example.org", "voicemail": "no"}),
        ("/self-refer/provider", {"provider": "help"}),
        ("/self-refer/support", {"support_wanted": "Made up by the load test."}),
        ("/self-refer/check", {}),
    ]


BASELINE = {f"field_{n}": f"value {n} made up by the load test" for n in range(10)}


class Client(threading.Thread):
    def __init__(
        self, host: str, port: int, kind: str, start_at: float, stop_at: float, journeys: int = 0
    ) -> None:
        super().__init__(daemon=True)
        # A timed run gives up on a stuck request; a counted run waits, as a busy machine may be slow.
        self.connection = http.client.HTTPConnection(host, port, timeout=300 if journeys else 30)
        self.kind, self.start_at, self.stop_at, self.journeys = kind, start_at, stop_at, journeys
        self.cookie = ""
        self.latencies: list[float] = []
        self.posts = 0
        self.errors = 0

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        payload = None
        if body is not None:
            payload = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, text

    def post(self, path: str, body: dict[str, str], expected: set[int]) -> None:
        began = time.perf_counter()
        status, _ = self.request("POST", path, body)
        ended = time.perf_counter()
        if status not in expected:
            self.errors += 1
        if self.journeys or (self.start_at <= began and ended <= self.stop_at):
            self.posts += 1
            self.latencies.append(ended - began)

    def run(self) -> None:
        try:
            self.walk()
        except (OSError, http.client.HTTPException):
            self.errors += 1  # counted, so the run reports it instead of a thread dying quietly

    def walk(self) -> None:
        token = ""
        if self.kind == "hub":
            _, page = self.request("GET", "/self-refer/about")
            found = TOKEN.search(page)
            if not found:
                self.errors += 1
                return
            token = found.group(1)
        done = 0
        while (done < self.journeys) if self.journeys else (time.perf_counter() < self.stop_at):
            done += 1
            if self.kind == "hub":
                for path, values in journey(f"{self.name}-{time.perf_counter_ns()}"):
                    self.post(
                        path, {"csrf_token": token, **values}, {200, 303} if path.endswith("check") else {303}
                    )
            else:
                self.post("/submit", BASELINE, {201})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("kind", choices=["hub", "baseline"])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument(
        "--journeys", type=int, default=0, help="instead of a time: each client makes this many, then stops"
    )
    args = parser.parse_args()
    url = urlsplit(args.url)
    start_at = time.perf_counter() + args.warmup
    stop_at = math.inf if args.journeys else start_at + args.seconds
    clients = [
        Client(url.hostname or "127.0.0.1", url.port or 80, args.kind, start_at, stop_at, args.journeys)
        for _ in range(args.clients)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    latencies = sorted(x for c in clients for x in c.latencies)
    print(
        json.dumps(
            {
                "posts": sum(c.posts for c in clients),
                "seconds": None if args.journeys else args.seconds,
                "errors": sum(c.errors for c in clients),
                "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
                "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000 if latencies else None,
            }
        )
    )


if __name__ == "__main__":
    main()
