"""Fixtures: the database is migrated once per run; each test runs in a transaction rolled back at the end.

Run with ``--db sqlite`` (the default) or ``--db postgresql``. The PostgreSQL run starts its own
throwaway server; if PostgreSQL is not installed the run fails with a sentence saying how to install it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
import time_machine
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from hub import create_app, db
from hub.auth import passwords
from hub.config import Config
from hub.keyring import Keyring
from hub.migrate import upgrade

from .clock import MIDDAY, Clock
from .live_hub import Databases, demo_hub, live_hub, neutral_site  # noqa: F401  (fixtures)
from .mail_server import mail_server, smtp  # noqa: F401  (fixtures)
from .postgres_server import PostgresMissing, running_server

FAST_POSTGRES = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"

# Property tests are judged by what they find, never by how fast a busy machine runs an example, nor
# by how big an example is: hostile input is long on purpose (a 3,000-character answer in each box).
settings.register_profile(
    "hub",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
settings.load_profile("hub")


class RememberingHasher(PasswordHasher):
    """The hub's Argon2id, remembering each right password it has checked against a hash, so the
    hundreds of sign-ins with the test password pay for Argon2id once, not each time (about 0.2 s
    each). The answer is the same: a wrong password is checked in full every time, and so is a right
    one against any other hash."""

    def __init__(self, hub: PasswordHasher) -> None:
        super().__init__(
            time_cost=hub.time_cost,
            memory_cost=hub.memory_cost,
            parallelism=hub.parallelism,
            hash_len=hub.hash_len,
            salt_len=hub.salt_len,
            type=hub.type,
        )
        self.right: set[tuple[str | bytes, str | bytes]] = set()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        if (hash, password) not in self.right:
            super().verify(hash, password)  # raises on a wrong password, so only right ones are kept
            self.right.add((hash, password))
        return True


@pytest.fixture(scope="session", autouse=True)
def _remembering_hasher() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "HASHER", RememberingHasher(passwords.HASHER))
        yield


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="the database to run the whole suite on",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A ``postgresql_only`` test is left out of the SQLite run (SQLite runs one writer at a time, so
    there is no race to try) and runs in the PostgreSQL one: deselected, never skipped."""
    if config.getoption("--db") == "postgresql":
        return
    left_out = [item for item in items if item.get_closest_marker("postgresql_only")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]


def pytest_report_header(config: pytest.Config) -> str:
    return f"hub database: {config.getoption('--db')}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    stats = terminalreporter.stats
    counts = {key: len(stats.get(key, [])) for key in ("passed", "failed", "error", "skipped")}
    ran = counts["passed"] + counts["failed"]
    terminalreporter.write_line(
        f"hub: {ran} tests ran on {config.getoption('--db')}: "
        + ", ".join(f"{n} {key}" for key, n in counts.items())
    )


SKIPPED: list[str] = []
"""Every test or module skipped in this run, counted here whatever reporting plugins are in use."""


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped:
        SKIPPED.append(report.nodeid)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        SKIPPED.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run that tests nothing fails, and in CI a skipped test is a failure too: nothing the suite
    needs (PostgreSQL, Chromium, a mail server) may be quietly missing."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")

    def say(line: str) -> None:
        if reporter:
            reporter.write_line(line, red=True)

    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        say("hub: no test ran, and a run that tests nothing fails.")
    if (
        os.environ.get("CI", "").lower() in {"true", "1", "yes"}
        and SKIPPED
        and exitstatus == pytest.ExitCode.OK
    ):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        say(f"hub: {len(SKIPPED)} tests were skipped, and CI allows none: {', '.join(SKIPPED[:5])}")


@pytest.fixture
def midday() -> Iterator[Clock]:
    """The clock set to MIDDAY and left ticking, for tests that read "today": none can cross midnight."""
    with time_machine.travel(MIDDAY) as traveller:
        yield traveller


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.config.getoption("--db")
    return kind


class SqliteFiles:
    """Databases as SQLite files in one folder, named as PostgreSQL databases are."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, name: str) -> Path:
        return self.folder / f"{name}.sqlite3"

    def create_database(self, name: str) -> str:
        for old in self.folder.glob(f"{name}.sqlite3*"):
            old.unlink()
        return f"sqlite:///{self._path(name)}"

    def copy_database(self, source: str, name: str) -> str:
        url = self.create_database(name)
        for part in self.folder.glob(f"{source}.sqlite3*"):  # with its -wal file, if one is left
            shutil.copy2(part, self.folder / part.name.replace(source, name, 1))
        return url


@pytest.fixture(scope="session")
def databases(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """Where the run's databases are made: SQLite files, or one throwaway PostgreSQL server."""
    if db_kind == "sqlite":
        yield SqliteFiles(tmp_path_factory.mktemp("sqlite"))
        return
    try:
        with running_server(FAST_POSTGRES) as server:
            yield server
    except PostgresMissing as missing:
        pytest.exit(str(missing), returncode=3)


@pytest.fixture(scope="session")
def fresh_database(databases: Databases) -> Callable[[str], str]:
    """A function that makes a new, empty database and returns its URL."""
    return databases.create_database


@pytest.fixture(scope="session")
def engine(fresh_database: Callable[[str], str]) -> Iterator[Engine]:
    """The suite's database, migrated to head once for the whole run."""
    engine = db.make_engine(fresh_database("hub_test"))
    with engine.begin() as connection:
        upgrade(connection)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def session_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Keyring.create(tmp_path_factory.mktemp("keys") / "keys.json").path


@pytest.fixture
def key_file(session_key_file: Path, tmp_path: Path) -> Path:
    """A copy of the run's key file, so a test that rotates keys changes only its own."""
    path = tmp_path / "keys.json"
    shutil.copy2(session_key_file, path)
    return path


def make_config(tmp_path: Path, database_url: str, key_file: Path) -> Config:
    return Config(
        secret_key="test-secret-" + uuid.uuid4().hex,
        database_url=database_url,
        key_file=key_file,
        instance_path=tmp_path,
        testing=True,
        secure_cookies=False,
        form_rate_limit="10000 per minute",
        public_form_rate_limit="10000 per minute",
        form_session_rate_limit="10000 per minute",
        status_rate_limit="10000 per minute",
    )


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        outer = connection.begin()
        yield connection
        outer.rollback()


class OwnContextClient(FlaskClient):
    """Each request gets its own app context (its own ``g`` and database session), as in production,
    while the test keeps its own context for looking at the database."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(tmp_path: Path, engine: Engine, connection: Connection, key_file: Path) -> Iterator[Flask]:
    """The app, with every session it opens joined to the test's rolled-back transaction."""
    app = create_app(make_config(tmp_path, engine.url.render_as_string(hide_password=False), key_file))
    database = app.extensions["hub.database"]
    database.engine.dispose()
    database.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
    app.test_client_class = OwnContextClient
    with app.app_context():
        yield app


@pytest.fixture
def db_session(app: Flask) -> Session:
    return db.session()


@pytest.fixture
def keyring(app: Flask) -> Keyring:
    keyring: Keyring = app.extensions["hub.keyring"]
    return keyring


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
