"""A throwaway PostgreSQL server on a loopback port, for the tests and the benchmarks.

pytest-postgresql's executor runs ``initdb`` and ``pg_ctl`` into a temporary folder. PostgreSQL
refuses to run as root, so when the tests run as root (as CI does) the server runs as the
unprivileged ``postgres`` account (or ``nobody``) through a small wrapper around ``pg_ctl``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import port_for
import psycopg
from psycopg import sql
from pytest_postgresql.executors import PostgreSQLExecutor

INSTALL_HINT = (
    "PostgreSQL's server programs (pg_ctl and initdb) were not found. Install them with "
    "`apt-get install postgresql` (Debian and Ubuntu), or put the folder that holds pg_ctl on PATH."
)


class PostgresMissing(RuntimeError):
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
    def __init__(self, executor: PostgreSQLExecutor, workdir: Path) -> None:
        self.executor = executor
        self.workdir = workdir

    @property
    def port(self) -> int:
        return int(self.executor.port)

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, dbname: str) -> str:
        """Create an empty database (dropping one of that name first) and return its URL."""
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        return self.url(dbname)


@contextmanager
def running_server(postgres_options: str = "") -> Iterator[PostgresServer]:
    """Start a new server in a temporary folder; stop it and remove the folder afterwards."""
    pg_ctl = find_pg_ctl()
    workdir = Path(tempfile.mkdtemp(prefix="hub-postgres-"))
    try:
        executor = PostgreSQLExecutor(
            executable=_executable(pg_ctl, workdir),
            host="127.0.0.1",
            port=port_for.select_random(),
            datadir=str(workdir / "data"),
            unixsocketdir=str(workdir),
            logfile=str(workdir / "postgresql.log"),
            startparams="-w",
            dbname="hub",
            postgres_options=postgres_options,
        )
        executor.start()
        try:
            yield PostgresServer(executor, workdir)
        finally:
            executor.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
