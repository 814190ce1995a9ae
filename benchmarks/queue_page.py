"""The triage queue page at 100 and at 10,000 open referrals, as a signed-in allocator sees it.

Reported: median milliseconds for the first page at each size and their ratio, a page in the middle
of the large queue (its OFFSET makes it slower), and the SQL statements per page. Targets: under
100 ms at 10,000, ratio at most 1.5, and the same number of statements at both sizes.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert

from benchmarks.databases import bench_config, database
from benchmarks.staff import signed_in_client
from hub import create_app, db
from hub.auth.models import Role
from hub.migrate import upgrade
from hub.referrals.models import Referral, ReferralSource

SIZES = (100, 10_000)
RUNS = 15
TARGET_MS, TARGET_RATIO = 100.0, 1.5
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def measure(kind: str, size: int) -> tuple[float, float, int]:
    """Median ms for the first page and for a page in the middle, and the statements per page."""
    with database(kind, "hub_queue") as url, tempfile.TemporaryDirectory(prefix="hub-bench-") as folder:
        config = bench_config(url, folder, form_rate_limit="100000 per minute")
        app = create_app(config)
        with app.app_context():
            engine = db.database().engine
            with engine.begin() as connection:
                upgrade(connection)
            start = datetime(2026, 9, 1, tzinfo=UTC)
            rows = [
                {
                    "id": uuid.uuid4(),
                    "reference": f"PAS-{n:04d}-{n // 10_000:04d}",
                    "source": ReferralSource.SELF,
                    "status_changed_at": start,
                    "created_at": start + timedelta(minutes=n),
                    "updated_at": start,
                    "risk_flagged": n % 17 == 0,
                    "under_18": n % 29 == 0,
                }
                for n in range(size)
            ]
            with engine.begin() as connection:
                connection.execute(insert(Referral), rows)
        client = signed_in_client(app, Role.ALLOCATOR)
        middle = max(1, size // 50 // 2)
        times: dict[int, list[float]] = {1: [], middle: []}
        for _ in range(RUNS):
            for page in times:
                started = time.perf_counter()
                response = client.get(f"/triage?page={page}")
                times[page].append(time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
        statements: list[object] = []
        with app.app_context():
            engine = db.database().engine

            def note(*args: object) -> None:
                statements.append(args[2])

            event.listen(engine, "before_cursor_execute", note)
            client.get(f"/triage?page={middle}")
            event.remove(engine, "before_cursor_execute", note)
            engine.dispose()
        return statistics.median(times[1]) * 1000, statistics.median(times[middle]) * 1000, len(statements)


def run(kinds: list[str]) -> list[dict[str, str]]:
    rows = []
    for kind in kinds:
        print(f"queue page on {kind}…", flush=True)
        (small_ms, _, small_sql), (large_ms, middle_ms, large_sql) = (measure(kind, size) for size in SIZES)
        ratio = large_ms / small_ms
        rows.append(
            {
                "benchmark": "triage queue page",
                "database": kind,
                f"ms at {SIZES[0]:,}": f"{small_ms:.1f}",
                f"ms at {SIZES[1]:,}": f"{large_ms:.1f}",
                f"middle page at {SIZES[1]:,} ms": f"{middle_ms:.1f}",
                "ratio": f"{ratio:.2f}",
                "statements per page": f"{small_sql} / {large_sql}",
                "target": f"< {TARGET_MS:.0f} ms, ratio <= {TARGET_RATIO}, same statements",
                "meets target": "yes"
                if large_ms < TARGET_MS and ratio <= TARGET_RATIO and small_sql == large_sql
                else "no",
            }
        )
    return rows
