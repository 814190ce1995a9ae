"""Intake under load: the hub under gunicorn (two workers) and PostgreSQL, against a minimal baseline.

A load generator in its own process runs 32 clients that post valid self-referrals page by page.
In the same run, the baseline app (one POST that inserts ten text columns with SQLAlchemy) is
served the same way against the same server. Targets: the hub at least 0.6 times the baseline's
POSTs per second, and the hub's p99 under 150 ms. The two are measured in turns, several times,
and the medians are reported.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.loopback import listening_socket, wait_until_serving
from tests.postgres_server import running_server

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 32
SECONDS = 15
ROUNDS = int(os.environ.get("HUB_BENCH_ROUNDS", "3"))
TARGET_RATIO = 0.6
TARGET_P99_MS = 150.0


@contextmanager
def gunicorn(app: str, env: dict[str, str], path: str, folder: str) -> Iterator[str]:
    """Serve ``app`` with gunicorn on a socket bound here (no race for the port); yield its URL once
    ``GET path`` answers."""
    sock = listening_socket()
    port: int = sock.getsockname()[1]
    log = Path(folder) / f"gunicorn-{port}.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"fd://{sock.fileno()}", app],
            cwd=ROOT,
            env=env,
            pass_fds=[sock.fileno()],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    sock.close()
    try:
        wait_until_serving(port, process, log, path)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait()


def load(url: str, kind: str) -> dict[str, float]:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.loadgen",
            url,
            kind,
            "--clients",
            str(CLIENTS),
            "--seconds",
            str(SECONDS),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    measured: dict[str, float] = json.loads(result.stdout)
    measured["rps"] = measured["posts"] / measured["seconds"]
    print(
        f"  {kind:8} {measured['rps']:7.1f} POST/s  p50 {measured['p50_ms']:6.1f} ms  "
        f"p99 {measured['p99_ms']:6.1f} ms  errors {measured['errors']:.0f}",
        flush=True,
    )
    return measured


def run(kinds: list[str]) -> list[dict[str, str]]:
    if "postgresql" not in kinds:
        return []
    print(f"intake under load: {CLIENTS} clients, {ROUNDS} rounds of {SECONDS} s each…", flush=True)
    with running_server() as server, tempfile.TemporaryDirectory(prefix="hub-load-") as folder:
        env = {
            **os.environ,
            "HUB_INSTANCE_PATH": folder,
            "HUB_DATABASE_URL": server.create_database("hub_load"),
            "HUB_SECURE_COOKIES": "false",
            "HUB_FORM_RATE_LIMIT": "1000000 per minute",
            "HUB_PUBLIC_FORM_RATE_LIMIT": "1000000 per minute",
            "HUB_FORM_SESSION_RATE_LIMIT": "1000000 per minute",  # each load client is one session
            "HUB_OVERALL_RATE_LIMIT": "1000000 per minute",
            "BASELINE_DATABASE_URL": server.create_database("baseline_load"),
        }
        for command in (["init"], ["seed-demo"]):
            subprocess.run(
                [sys.executable, "-m", "flask", "--app", "hub", *command],
                env=env,
                check=True,
                capture_output=True,
            )
        subprocess.run(
            [sys.executable, "-c", "from benchmarks.baseline_app import create_tables; create_tables()"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        hub_runs, baseline_runs = [], []
        with (
            gunicorn("wsgi:app", env, "/healthz", folder) as hub_url,
            gunicorn("benchmarks.baseline_app:app", env, "/healthz", folder) as baseline_url,
        ):
            for _ in range(ROUNDS):
                baseline_runs.append(load(baseline_url, "baseline"))
                hub_runs.append(load(hub_url, "hub"))
    hub = {k: statistics.median(r[k] for r in hub_runs) for k in ("rps", "p50_ms", "p99_ms")}
    base = {k: statistics.median(r[k] for r in baseline_runs) for k in ("rps", "p50_ms", "p99_ms")}
    ratio = statistics.median(h["rps"] / b["rps"] for h, b in zip(hub_runs, baseline_runs, strict=True))
    errors = sum(r["errors"] for r in hub_runs + baseline_runs)
    meets = ratio >= TARGET_RATIO and hub["p99_ms"] < TARGET_P99_MS and errors == 0
    return [
        {
            "benchmark": "intake under load",
            "database": "postgresql",
            "hub POST/s": f"{hub['rps']:,.0f}",
            "baseline POST/s": f"{base['rps']:,.0f}",
            "ratio": f"{ratio:.2f}",
            "hub p50 / p99 ms": f"{hub['p50_ms']:.0f} / {hub['p99_ms']:.0f}",
            "baseline p50 / p99 ms": f"{base['p50_ms']:.0f} / {base['p99_ms']:.0f}",
            "target": f"ratio >= {TARGET_RATIO}, p99 < {TARGET_P99_MS:.0f} ms",
            "errors": f"{errors:.0f}",
            "meets target": "yes" if meets else "no",
        }
    ]
