"""The PostgreSQL run fails with a sentence saying how to install PostgreSQL when it is missing."""

from __future__ import annotations

import pytest

from . import postgres_server


def test_missing_server_programs_say_how_to_install_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres_server.shutil, "which", lambda _name: None)
    monkeypatch.setattr(postgres_server.glob, "glob", lambda _pattern: [])
    with pytest.raises(postgres_server.PostgresMissing, match="apt-get install postgresql"):
        postgres_server.find_pg_ctl()


def test_the_newest_installed_version_is_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres_server.shutil, "which", lambda _name: None)
    found = [
        "/usr/lib/postgresql/9/bin/pg_ctl",
        "/usr/lib/postgresql/16/bin/pg_ctl",
        "/usr/lib/postgresql/15/bin/pg_ctl",
    ]
    monkeypatch.setattr(postgres_server.glob, "glob", lambda _pattern: found)
    assert postgres_server.find_pg_ctl() == "/usr/lib/postgresql/16/bin/pg_ctl"
