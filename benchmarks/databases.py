"""A new, empty database for one benchmark: a temporary SQLite file, or a throwaway PostgreSQL server."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.postgres_server import running_server


@contextmanager
def database(kind: str, name: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="hub-bench-") as folder:
            yield f"sqlite:///{Path(folder) / (name + '.sqlite3')}"
    else:
        with running_server() as server:
            yield server.create_database(name)
