"""Servers on loopback ports for the tests and the benchmarks, started without a race for the port
and handed over only once they answer.

A server that can take a socket (the hub's own, gunicorn) is given one already bound to a port the
system picked, so no other program can take the port in between. PostgreSQL binds its own port, so
its starter asks for an unused one and tries again with another if the port was taken meanwhile.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import time
from pathlib import Path

START_DEADLINE = 300.0
"""Seconds a server may take to start: generous, for a machine busy with other work."""


def listening_socket() -> socket.socket:
    """A socket on 127.0.0.1, on a port the system picked, already listening: pass it to the server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def unused_port() -> int:
    """A port no program listens on just now, for a server that binds its own (it may be taken before
    the server binds it: the caller tries again with another)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_serving(
    port: int, process: subprocess.Popen[bytes], log: Path, path: str = "/healthz"
) -> None:
    """Return once ``GET path`` answers 200; fail with the server's log if it stops or never answers."""
    deadline = time.monotonic() + START_DEADLINE
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped (exit code {process.returncode}):\n{tail(log)}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection.close()
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer within {START_DEADLINE:.0f} seconds:\n{tail(log)}")
        time.sleep(0.1)


def tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {log})"
