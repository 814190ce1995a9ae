"""A new, empty database for one benchmark: a temporary SQLite file, or a throwaway PostgreSQL server."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hub.config import Config
from hub.keyring import Keyring
from tests.postgres_server import running_server


@contextmanager
def database(kind: str, name: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="hub-bench-") as folder:
            yield f"sqlite:///{Path(folder) / (name + '.sqlite3')}"
    else:
        with running_server() as server:
            yield server.create_database(name)


def bench_config(url: str, folder: str, **settings: Any) -> Config:
    """Settings for a benchmark's own hub: a new key file in ``folder``, plain cookies (no HTTPS here)."""
    return Config(
        secret_key="bench-" + "x" * 40,
        database_url=url,
        key_file=Keyring.create(Path(folder) / "keys.json").path,
        instance_path=Path(folder),
        secure_cookies=False,
        **settings,
    )
