"""A throwaway PostgreSQL server on a loopback port, for the tests and the benchmarks.

``pg_ctl initdb`` and ``pg_ctl start`` run into a temporary folder. PostgreSQL refuses to run as
root, so when the tests run as root (as CI does) the server runs as the unprivileged ``postgres``
account (or ``nobody``) through a small wrapper around ``pg_ctl``. The server is handed over only
once a real connection to it succeeds: a port that accepts connections is not yet a database that
does ("the database system is starting up").
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from .loopback import START_DEADLINE, tail, unused_port

INSTALL_HINT = (
    "PostgreSQL's server programs (pg_ctl and initdb) were not found. Install them with "
    "`apt-get install postgresql` (Debian and Ubuntu), or put the folder that holds pg_ctl on PATH."
)
PORT_TRIES = 10
LOCALE = {"LC_ALL": "C.UTF-8", "LC_CTYPE": "C.UTF-8", "LANG": "C.UTF-8"}


class PostgresMissing(RuntimeError):
    pass


class PostgresDidNotStart(RuntimeError):
    pass


def find_pg_ctl() -> str:
    found = shutil.which("pg_ctl")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_major_version)
    if candidates:
        return candidates[-1]
    raise PostgresMissing(INSTALL_HINT)


def _major_version(path: str) -> int:
    try:
        return int(Path(path).parts[-3])
    except ValueError:
        return 0


def _unprivileged_account() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresMissing(
        "Running as root, and there is no `postgres` or `nobody` account to run PostgreSQL as."
    )


def _executable(pg_ctl: str, workdir: Path) -> str:
    """pg_ctl itself, or (as root) a wrapper that runs it as an unprivileged account."""
    if os.geteuid() != 0:
        return pg_ctl
    account = _unprivileged_account()
    os.chown(workdir, account.pw_uid, account.pw_gid)
    wrapper = workdir / "pg_ctl"
    wrapper.write_text(
        "#!/bin/sh\n"
        "# PostgreSQL will not run as root; run it as an unprivileged account instead.\n"
        f'cd "{workdir}" && exec runuser -u {account.pw_name} -- "{pg_ctl}" "$@"\n'
    )
    wrapper.chmod(stat.S_IRWXU)
    return str(wrapper)


class PostgresServer:
    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir = workdir
        self.port = port

    @property
    def datadir(self) -> Path:
        return self.workdir / "data"

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def _connect(self, dbname: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user="postgres",
            dbname=dbname,
            autocommit=True,
            connect_timeout=10,
        )

    def create_database(self, dbname: str) -> str:
        """Create an empty database (dropping one of that name first) and return its URL."""
        with self._connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        return self.url(dbname)

    def copy_database(self, source: str, dbname: str) -> str:
        """A new database holding what ``source`` holds (nothing may be connected to ``source``)."""
        with self._connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(dbname), sql.Identifier(source)
                )
            )
        return self.url(dbname)

    def wait_until_it_answers(self, log: Path) -> None:
        """Return once a real connection succeeds and reaches this server (not another on the port)."""
        deadline = time.monotonic() + START_DEADLINE
        while True:
            try:
                with self._connect() as conn:
                    row = conn.execute("SHOW data_directory").fetchone()
            except psycopg.OperationalError as error:
                if time.monotonic() > deadline:
                    raise PostgresDidNotStart(
                        f"PostgreSQL on port {self.port} did not accept a connection within "
                        f"{START_DEADLINE:.0f} seconds ({error}). Its log:\n{tail(log)}"
                    ) from error
                time.sleep(0.2)
                continue
            if not row or Path(str(row[0])).resolve() != self.datadir.resolve():
                raise PostgresDidNotStart(f"Another PostgreSQL server answered on port {self.port}.")
            return


def _pg_ctl(executable: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [executable, *arguments], env={**os.environ, **LOCALE}, capture_output=True, text=True, check=False
    )


def _start(executable: str, workdir: Path, postgres_options: str) -> tuple[int, Path]:
    """Start the server on an unused port, trying another if one is taken before PostgreSQL binds it."""
    for _ in range(PORT_TRIES):
        port = unused_port()
        log = workdir / f"postgresql-{port}.log"
        options = (
            f"-F -p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{workdir}' "
            f"-c log_destination=stderr -c logging_collector=off {postgres_options}"
        )
        # -w: pg_ctl returns once the server says it is ready, or once it has failed to start.
        started = _pg_ctl(
            executable,
            "start",
            "-D",
            str(workdir / "data"),
            "-l",
            str(log),
            "-w",
            "-t",
            str(int(START_DEADLINE)),
            "-o",
            options,
        )
        if started.returncode == 0:
            return port, log
        if "Address already in use" not in tail(log):
            raise PostgresDidNotStart(f"PostgreSQL did not start: {started.stderr.strip()}\n{tail(log)}")
    raise PostgresDidNotStart(
        f"PostgreSQL found every one of {PORT_TRIES} free ports taken before it could bind."
    )


@contextmanager
def running_server(postgres_options: str = "") -> Iterator[PostgresServer]:
    """Start a new server in a temporary folder; stop it and remove the folder afterwards."""
    pg_ctl = find_pg_ctl()
    workdir = Path(tempfile.mkdtemp(prefix="hub-postgres-"))
    try:
        executable = _executable(pg_ctl, workdir)
        made = _pg_ctl(
            executable, "initdb", "-D", str(workdir / "data"), "-o", "--username=postgres --auth=trust"
        )
        if made.returncode != 0:
            raise PostgresDidNotStart(f"initdb failed: {made.stderr.strip() or made.stdout.strip()}")
        port, log = _start(executable, workdir, postgres_options)
        try:
            server = PostgresServer(workdir, port)
            server.wait_until_it_answers(log)
            yield server
        finally:
            _pg_ctl(
                executable,
                "stop",
                "-D",
                str(workdir / "data"),
                "-m",
                "fast",
                "-w",
                "-t",
                str(int(START_DEADLINE)),
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
