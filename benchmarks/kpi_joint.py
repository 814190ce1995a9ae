"""The commissioners' quarter page and the XLSX export, for 3 providers x 40 quarters and for 150
providers x 8 quarters of submitted (sealed) returns. Reported: median milliseconds of each (15
requests each, as a signed-in commissioner). Target: the page under 150 ms.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import tempfile
import time

from sqlalchemy import select

from benchmarks.databases import bench_config, database
from benchmarks.staff import signed_in_client
from hub import create_app, db
from hub.auth.models import Role
from hub.calendar import Quarter
from hub.config import Config
from hub.db import utcnow
from hub.kpi.models import KpiDefinition, KpiReturn, ReturnState, Unit, return_id
from hub.migrate import upgrade
from hub.providers.models import Provider

SHAPES = ((3, 40), (150, 8))
RUNS = int(os.environ.get("HUB_BENCH_RUNS", "15"))
TARGET_MS = 150.0
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LAST = Quarter(2026, 3)


def figures(found: list[KpiDefinition], chooser: random.Random) -> dict[str, int | float | None]:
    """Made-up figures, consistent where the checks would look (each breakdown in one group)."""
    people = chooser.randint(10, 200)
    values: dict[str, int | float | None] = {}
    for definition in found:
        if definition.breakdown and definition.sums_to == "people_supported":
            values[definition.code] = 0
        elif definition.unit is Unit.PERCENTAGE:
            values[definition.code] = round(chooser.uniform(50, 100), 1)
        elif definition.unit is Unit.DAYS:
            values[definition.code] = round(chooser.uniform(1, 20), 1)
        else:
            values[definition.code] = chooser.randint(0, 60)
    values["people_supported"] = people
    for code in ("age_25_to_44", "gender_woman", "ethnicity_white", "disability_no"):
        values[code] = people
    return values


def fill(config: Config, providers: int, quarters: int) -> None:
    app = create_app(config)
    chooser = random.Random(7)
    with app.app_context():
        with db.database().engine.begin() as connection:
            upgrade(connection)
        session = db.session()
        made = [Provider(slug=f"bench-{n}", name=f"Provider {n:03d}") for n in range(providers)]
        session.add_all(made)
        session.flush()
        found = list(session.scalars(select(KpiDefinition)))
        quarter = LAST
        for _ in range(quarters):
            for provider in made:
                item = KpiReturn(
                    id=return_id(provider.id, quarter.key, 1),
                    provider_id=provider.id,
                    quarter=quarter.key,
                    version=1,
                    state=ReturnState.SUBMITTED,
                    saved_at=utcnow(),
                    submitted_at=utcnow(),
                )
                item.figures = figures(found, chooser)
                item.reasons = {}
                session.add(item)
            session.flush()
            quarter = quarter.previous()
        session.commit()
        db.database().engine.dispose()


def measure(kind: str, providers: int, quarters: int) -> tuple[float, float]:
    with database(kind, "hub_kpi") as url, tempfile.TemporaryDirectory(prefix="hub-bench-") as folder:
        config = bench_config(url, folder)
        fill(config, providers, quarters)
        app = create_app(config)
        client = signed_in_client(app, Role.COMMISSIONER)
        timings: dict[str, list[float]] = {"page": [], "xlsx": []}
        urls = {
            "page": f"/commissioner/kpi?quarter={LAST.key}",
            "xlsx": f"/commissioner/kpi/export?quarter={LAST.key}&kind=joint&format=xlsx",
        }
        for _ in range(RUNS):
            for name, url_path in urls.items():
                started = time.perf_counter()
                response = client.get(url_path)
                timings[name].append(time.perf_counter() - started)
                assert response.status_code == 200, (name, response.status_code)
        with app.app_context():
            db.database().engine.dispose()
        return statistics.median(timings["page"]) * 1000, statistics.median(timings["xlsx"]) * 1000


def run(kinds: list[str]) -> list[dict[str, str]]:
    rows = []
    for kind in kinds:
        for providers, quarters in SHAPES:
            print(
                f"commissioner's quarter page on {kind}, {providers} providers x {quarters} quarters…",
                flush=True,
            )
            page_ms, xlsx_ms = measure(kind, providers, quarters)
            rows.append(
                {
                    "benchmark": "commissioner's KPI page",
                    "database": kind,
                    "providers x quarters": f"{providers} x {quarters}",
                    "page ms (median)": f"{page_ms:.1f}",
                    "XLSX export ms (median)": f"{xlsx_ms:.1f}",
                    "target": f"page < {TARGET_MS:.0f} ms",
                    "meets target": "yes" if page_ms < TARGET_MS else "no",
                }
            )
    return rows
