"""The hub served as its operators serve it, in its own process, for the browser and load tests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import port_for
import pytest

DEMO_PASSWORDS: dict[str, str] = {}
"""The demo accounts' emails and passwords, as `seed-demo` printed them for the live hub."""

LIVE_ENV: dict[str, str] = {}
"""The live hub's environment, so a test can run an operator command (``create-user``) against it."""


class Neutral(BaseHTTPRequestHandler):
    """Stands in for the neutral site that Exit this page goes to (the machine has no internet)."""

    def do_GET(self) -> None:
        body = b"<!DOCTYPE html><html lang='en'><title>Weather</title><h1>Weather today</h1></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def neutral_site() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Neutral)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def live_hub(
    tmp_path_factory: pytest.TempPathFactory, fresh_database: Callable[[str], str], neutral_site: str
) -> Iterator[str]:
    instance = tmp_path_factory.mktemp("browser-instance")
    env = {
        **os.environ,
        "HUB_INSTANCE_PATH": str(instance),
        "HUB_DATABASE_URL": fresh_database("hub_browser"),
        "HUB_EXIT_URL": neutral_site,
        "HUB_FORM_RATE_LIMIT": "10000 per minute",
        "HUB_PUBLIC_FORM_RATE_LIMIT": "10000 per minute",
        "HUB_FORM_SESSION_RATE_LIMIT": "10000 per minute",
    }
    flask = [sys.executable, "-m", "flask", "--app", "hub"]
    subprocess.run([*flask, "init"], env=env, check=True, capture_output=True, timeout=120)
    seeded = subprocess.run(
        [*flask, "seed-demo"], env=env, check=True, capture_output=True, text=True, timeout=120
    )
    DEMO_PASSWORDS.update(re.findall(r"^\s+(\S+@demo\.invalid)\s+password (\S+)", seeded.stdout, re.M))
    LIVE_ENV.update(env)
    port = port_for.select_random()
    server = subprocess.Popen(
        [*flask, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(port, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stderr:
            server.stderr.close()


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the hub stopped: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the hub did not start within 30 seconds")
