"""The hub served in its own process, for the browser and load tests, each test with a hub of its own.

The demo hub is set up once per run as its operators set it up (``flask --app hub init``, then
``seed-demo``). Each test then gets its own copy of that database and instance folder, served in a
process of its own, so no test sees another's sign-ins, allocations or referrals, whatever the order.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Protocol

import pytest

from .loopback import listening_socket, wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "hub"]


class Databases(Protocol):
    def create_database(self, name: str) -> str: ...

    def copy_database(self, source: str, name: str) -> str: ...


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


@dataclasses.dataclass(frozen=True)
class DemoHub:
    """The demo hub as set up once: its instance folder, database, environment, and the demo accounts'
    passwords and authenticator keys."""

    instance: Path
    database: str
    env: dict[str, str]
    passwords: dict[str, str]
    keys: dict[str, str]


@dataclasses.dataclass(frozen=True)
class LiveHub:
    """One test's own running hub."""

    url: str
    env: dict[str, str]
    """The hub's environment, so a test can run an operator command (``create-user``) against it."""
    passwords: dict[str, str]
    """The demo accounts' emails and passwords, as ``seed-demo`` printed them, and any the test adds."""
    keys: dict[str, str]
    """The demo accounts' authenticator keys, as ``seed-demo`` printed them (each is set up already)."""

    def command(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """Run ``flask --app hub ...`` against this hub, as an operator would."""
        return subprocess.run([*FLASK, *arguments], env=self.env, check=True, capture_output=True, text=True)


@pytest.fixture(scope="session")
def demo_hub(tmp_path_factory: pytest.TempPathFactory, databases: Databases, neutral_site: str) -> DemoHub:
    instance = tmp_path_factory.mktemp("demo-instance")
    database = "hub_demo"
    env = {
        **os.environ,
        "HUB_INSTANCE_PATH": str(instance),
        "HUB_DATABASE_URL": databases.create_database(database),
        "HUB_EXIT_URL": neutral_site,
        "HUB_FORM_RATE_LIMIT": "10000 per minute",
        "HUB_PUBLIC_FORM_RATE_LIMIT": "10000 per minute",
        "HUB_FORM_SESSION_RATE_LIMIT": "10000 per minute",
    }
    subprocess.run([*FLASK, "init"], env=env, check=True, capture_output=True)
    seeded = subprocess.run([*FLASK, "seed-demo"], env=env, check=True, capture_output=True, text=True)
    passwords = dict(re.findall(r"^\s+(\S+@demo\.invalid)\s+password (\S+)", seeded.stdout, re.M))
    keys = dict(
        re.findall(
            r"^\s+(\S+@demo\.invalid)\s+password \S+.*\n\s+authenticator key (\S+)", seeded.stdout, re.M
        )
    )
    assert passwords and set(keys) == set(passwords), f"seed-demo printed no demo accounts:\n{seeded.stdout}"
    return DemoHub(instance, database, env, passwords, keys)


@pytest.fixture
def live_hub(demo_hub: DemoHub, databases: Databases, tmp_path: Path) -> Iterator[LiveHub]:
    """A copy of the demo hub for this test alone, served on a loopback port in its own process."""
    instance = tmp_path / "instance"
    shutil.copytree(demo_hub.instance, instance)
    env = {
        **demo_hub.env,
        "HUB_INSTANCE_PATH": str(instance),
        "HUB_DATABASE_URL": databases.copy_database(demo_hub.database, f"hub_live_{uuid.uuid4().hex[:12]}"),
    }
    log = tmp_path / "hub.log"
    sock = listening_socket()
    port: int = sock.getsockname()[1]
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.serve_hub", str(sock.fileno())],
            cwd=ROOT,
            env=env,
            pass_fds=[sock.fileno()],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    sock.close()  # the server holds the socket now; if it stops, connections fail instead of waiting
    try:
        wait_until_serving(port, server, log)
        yield LiveHub(f"http://127.0.0.1:{port}", env, dict(demo_hub.passwords), demo_hub.keys)
    finally:
        server.terminate()
        server.wait()
