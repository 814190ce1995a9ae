"""Key rotation over 100,000 sealed values; then a rotation killed midway and rerun.

Target: at least 20,000 values resealed per second. After the kill and the rerun, every value
must still open to what was written.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from benchmarks.databases import database
from hub import create_app, db
from hub.config import Config
from hub.keyring import Keyring
from hub.keys import count_by_key, rotate
from hub.migrate import upgrade
from hub.referrals.models import ContactMethod, Referral, ReferralSource, Risks, SafeContact

PEOPLE = 10_000  # ten sealed values each: 100,000 values
TARGET_PER_SECOND = 20_000
RUNS = 3
KILL_AT = 0.4


def expected(n: int) -> dict[str, object]:
    return {
        "full_name": f"Bench Person {n}",
        "preferred_name": f"P{n}",
        "date_of_birth": date(1980, 1, 1) + timedelta(days=n),
        "email": f"person{n}@example.org",
        "phone": f"07700 9{n:05d}",
        "address": f"{n} Example Street",
        "postcode": "ZZ99 9ZZ",
        "safe_contact": SafeContact(methods=(ContactMethod.EMAIL,), voicemail="yes" if n % 2 == 0 else "no"),
        "support_wanted": f"Bench support text {n} " * 4,
        "risks": Risks(current_risks=f"Bench risk text {n}", children_in_household="no"),
    }


def fill(app_config: Config, people: int = PEOPLE) -> None:
    app = create_app(app_config)
    with app.app_context():
        with db.database().engine.begin() as connection:
            upgrade(connection)
        session = db.session()
        for start in range(0, people, 1000):
            for n in range(start, min(start + 1000, people)):
                referral = Referral(reference=f"PAS-{n:04d}-{n // 10000:04d}", source=ReferralSource.SELF)
                for name, value in expected(n).items():
                    setattr(referral, name, value)
                session.add(referral)
            session.commit()
        db.database().engine.dispose()


def check_every_value(app_config: Config) -> tuple[bool, dict[str, int]]:
    app = create_app(app_config)
    with app.app_context():
        session = db.session()
        ok = True
        for referral in session.scalars(select(Referral).order_by(Referral.reference)):
            n = int(referral.reference[4:8])
            ok = ok and all(getattr(referral, k) == v for k, v in expected(n).items())
        counts = count_by_key(session)
        db.database().engine.dispose()
    return ok, counts


def run(kinds: list[str]) -> list[dict[str, str]]:
    rows = []
    for kind in kinds:
        with database(kind, "hub_bench") as url, tempfile.TemporaryDirectory(prefix="hub-bench-") as folder:
            instance = Path(folder)
            key_file = Keyring.create(instance / "keys.json").path
            app_config = Config(
                secret_key="bench-" + "x" * 40, database_url=url, key_file=key_file, instance_path=instance
            )
            print(f"key rotation on {kind}: sealing {PEOPLE * 10:,} values…", flush=True)
            fill(app_config)
            rates = []
            for _ in range(RUNS):
                app = create_app(app_config)
                with app.app_context():
                    started = time.perf_counter()
                    report = rotate(db.session(), app.extensions["hub.keyring"])
                    elapsed = time.perf_counter() - started
                    db.database().engine.dispose()
                rates.append(report.resealed / elapsed)
                print(f"  resealed {report.resealed:,} in {elapsed:.2f} s", flush=True)
            killed_at = kill_midway(app_config)
            ok, counts = check_every_value(app_config)
            median = statistics.median(rates)
            rows.append(
                {
                    "benchmark": "key rotation",
                    "database": kind,
                    "values": f"{report.resealed:,}",
                    "median values/s": f"{median:,.0f}",
                    f"runs ({RUNS})": ", ".join(f"{r:,.0f}" for r in rates),
                    "target": f">= {TARGET_PER_SECOND:,}/s",
                    "killed at": f"{killed_at:,} values",
                    "after rerun": "all open" if ok and len(counts) == 1 else f"FAILED {counts}",
                    "meets target": "yes"
                    if median >= TARGET_PER_SECOND and ok and len(counts) == 1 and killed_at < PEOPLE * 10
                    else "no",
                }
            )
    return rows


def kill_midway(app_config: Config) -> int:
    """Start `keys rotate` as an operator would, SIGKILL it partway, then rerun it with --resume."""
    env = {
        **os.environ,
        "HUB_DATABASE_URL": app_config.database_url,
        "HUB_KEY_FILE": str(app_config.key_file),
        "HUB_SECRET_KEY": app_config.secret_key,
        "HUB_INSTANCE_PATH": str(app_config.instance_path),
    }
    flask = [sys.executable, "-m", "flask", "--app", "hub", "keys", "rotate"]
    watcher = Keyring(app_config.key_file)
    old_key = watcher.current_key_id
    # The watcher only reads, with a plain engine: no write lock, so it never holds up the rotation.
    engine = create_engine(app_config.database_url)
    process = subprocess.Popen([*flask, "--batch-size", "500"], env=env, stderr=subprocess.DEVNULL)
    done = 0
    with Session(engine) as session:
        while process.poll() is None:
            time.sleep(0.02)
            watcher.refresh()
            if watcher.current_key_id == old_key:
                continue
            done = count_by_key(session).get(watcher.current_key_id, 0)
            session.rollback()
            if done >= KILL_AT * PEOPLE * 10:
                process.send_signal(signal.SIGKILL)
                process.wait()
                break
    engine.dispose()
    if process.returncode != -signal.SIGKILL:
        raise RuntimeError("the rotation finished before it could be killed; raise PEOPLE")
    subprocess.run([*flask, "--resume"], env=env, check=True, stdout=subprocess.DEVNULL)
    return done
