"""The benchmarks' own code still runs (on a small scale), so `make bench` does not rot between runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import audit_write, key_rotation
from hub import create_app, db
from hub.config import Config
from hub.keyring import Keyring
from hub.keys import rotate

from .live_hub import LiveHub


def test_the_key_rotation_benchmark_fills_rotates_and_checks(tmp_path: Path) -> None:
    config = Config(
        secret_key="bench-" + "x" * 40,
        database_url=f"sqlite:///{tmp_path / 'bench.sqlite3'}",
        key_file=Keyring.create(tmp_path / "keys.json").path,
        instance_path=tmp_path,
    )
    key_rotation.fill(config, people=50)
    app = create_app(config)
    with app.app_context():
        report = rotate(db.session(), app.extensions["hub.keyring"], batch_size=7)
        db.database().engine.dispose()
    assert report.resealed == 500
    ok, counts = key_rotation.check_every_value(config)
    assert ok and counts == {report.key_id: 500}


def test_the_load_generator_posts_valid_self_referrals(live_hub: LiveHub) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.loadgen",
            live_hub.url,
            "hub",
            "--clients",
            "2",
            "--journeys",
            "2",
            "--warmup",
            "0",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(result.stdout)
    # Two clients, two journeys each, five posts a journey: counted, not timed, so a busy machine passes.
    assert measured["posts"] == 2 * 2 * 5 and measured["errors"] == 0


def test_the_audit_benchmark_runs_and_leaves_the_chain_intact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit_write, "TRANSACTIONS", 16)
    [row] = audit_write.run(["sqlite"])
    assert row["chain after"] == "intact, 32 entries" and row["meets target"] == "yes"


def test_the_plan_benchmark_runs_and_agrees_with_networkx(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import plan

    monkeypatch.setattr(plan, "SIZES", [(40, 3)])
    [row] = plan.run(["sqlite"])
    assert row["cost = networkx"] == "yes" and row["meets target"] == "yes"


def test_the_queue_benchmark_signs_in_and_reads_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import queue_page

    monkeypatch.setattr(queue_page, "SIZES", (10, 120))
    monkeypatch.setattr(queue_page, "RUNS", 1)
    [row] = queue_page.run(["sqlite"])
    small, large = row["statements per page"].split(" / ")
    assert small == large


def test_the_kpi_benchmark_serves_its_pages_on_a_small_scale() -> None:
    from benchmarks import kpi_joint

    page_ms, xlsx_ms = kpi_joint.measure("sqlite", providers=2, quarters=2)
    assert page_ms > 0 and xlsx_ms > 0  # measure() also checks every page and export answered 200
