"""The throwaway PostgreSQL server: found where Debian puts it, and handed over only once it answers."""

from __future__ import annotations

import glob
import shutil
from pathlib import Path
from typing import Any

import psycopg
import pytest

from . import postgres_server
from .postgres_server import PostgresDidNotStart, PostgresServer


def test_missing_server_programs_say_how_to_install_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setattr(glob, "glob", lambda _pattern: [])
    with pytest.raises(postgres_server.PostgresMissing, match="apt-get install postgresql"):
        postgres_server.find_pg_ctl()


def test_the_newest_installed_version_is_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    found = [
        "/usr/lib/postgresql/9/bin/pg_ctl",
        "/usr/lib/postgresql/16/bin/pg_ctl",
        "/usr/lib/postgresql/15/bin/pg_ctl",
    ]
    monkeypatch.setattr(glob, "glob", lambda _pattern: found)
    assert postgres_server.find_pg_ctl() == "/usr/lib/postgresql/16/bin/pg_ctl"


class Answers:
    """Stands in for a server that is still starting up for a few tries, then answers."""

    def __init__(self, refusals: int, data_directory: Path) -> None:
        self.refusals = refusals
        self.data_directory = data_directory
        self.tries = 0

    def __enter__(self) -> Answers:
        self.tries += 1
        if self.tries <= self.refusals:
            raise psycopg.OperationalError("FATAL:  the database system is starting up")
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute(self, _query: str) -> Answers:
        return self

    def fetchone(self) -> tuple[str]:
        return (str(self.data_directory),)


def test_the_server_is_handed_over_only_once_a_connection_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = PostgresServer(tmp_path, 5432)
    answers = Answers(refusals=3, data_directory=server.datadir)
    monkeypatch.setattr(server, "_connect", lambda: answers)
    server.wait_until_it_answers(tmp_path / "postgresql.log")
    assert answers.tries == 4


def test_a_server_that_never_answers_is_reported_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = PostgresServer(tmp_path, 5432)
    log = tmp_path / "postgresql.log"
    log.write_text("FATAL:  could not map anonymous shared memory\n")
    monkeypatch.setattr(server, "_connect", lambda: Answers(refusals=10**6, data_directory=server.datadir))
    monkeypatch.setattr(postgres_server, "START_DEADLINE", 0.0)
    with pytest.raises(PostgresDidNotStart, match="did not accept a connection") as failure:
        server.wait_until_it_answers(log)
    assert "could not map anonymous shared memory" in str(failure.value)


def test_another_server_on_the_port_is_not_taken_for_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = PostgresServer(tmp_path, 5432)
    others: Any = Answers(refusals=0, data_directory=tmp_path / "someone-else")
    monkeypatch.setattr(server, "_connect", lambda: others)
    with pytest.raises(PostgresDidNotStart, match="Another PostgreSQL server"):
        server.wait_until_it_answers(tmp_path / "postgresql.log")
