"""The cost of one audit entry: the same small transaction with and without an entry, and many writers.

Each transaction changes one provider's summary and commits; the audited one also records an entry
(which locks the chain's head row at commit). Reported: median milliseconds per transaction, the
difference, and transactions per second with 8 writers at once, with and without entries (the
chain checked intact afterwards).
"""

from __future__ import annotations

import statistics
import threading
import time

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.databases import database
from hub import audit
from hub.db import make_engine
from hub.migrate import upgrade
from hub.providers.models import Provider

TRANSACTIONS = 2000
WRITERS = 8


def timed(factory: sessionmaker[Session], audited: bool, count: int, writer: int = 0) -> list[float]:
    took = []
    with factory() as db:
        for n in range(count):
            started = time.perf_counter()
            db.execute(update(Provider).where(Provider.id == writer + 1).values(summary=f"summary {n}"))
            if audited:
                audit.record(db, "bench.event", role="allocator", actor=f"writer-{writer}", object_id=n)
            db.commit()
            took.append(time.perf_counter() - started)
    return took


def together(factory: sessionmaker[Session], audited: bool) -> float:
    """Transactions per second with WRITERS threads committing at once."""
    each = TRANSACTIONS // WRITERS
    threads = [threading.Thread(target=timed, args=(factory, audited, each, n)) for n in range(WRITERS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return each * WRITERS / (time.perf_counter() - started)


def run(kinds: list[str]) -> list[dict[str, str]]:
    rows = []
    for kind in kinds:
        with database(kind, "hub_audit") as url:
            engine = (
                make_engine(url, pool_size=WRITERS, max_overflow=0)
                if kind == "postgresql"
                else make_engine(url)
            )
            with engine.begin() as connection:
                upgrade(connection)
            factory = sessionmaker(bind=engine)
            with factory() as db:  # one provider per writer, so writers only meet at the audit log
                db.add_all(Provider(slug=f"bench-{n}", name=f"Bench provider {n}") for n in range(WRITERS))
                db.commit()
            print(f"audit writes on {kind}…", flush=True)
            plain = statistics.median(timed(factory, False, TRANSACTIONS)) * 1000
            audited = statistics.median(timed(factory, True, TRANSACTIONS)) * 1000
            plain_rate = together(factory, audited=False)
            rate = together(factory, audited=True)
            with factory() as db:
                verdict = audit.verify(db)
            engine.dispose()
            rows.append(
                {
                    "benchmark": "audit write",
                    "database": kind,
                    "transaction ms (median)": f"{plain:.2f}",
                    "with an entry ms (median)": f"{audited:.2f}",
                    "cost of an entry ms": f"{audited - plain:.2f}",
                    f"transactions/s, {WRITERS} writers": f"{plain_rate:,.0f}",
                    f"with an entry/s, {WRITERS} writers": f"{rate:,.0f}",
                    "chain after": f"intact, {verdict.count:,} entries"
                    if verdict.intact
                    else f"BROKEN: {verdict.problem}",
                    "meets target": "yes" if verdict.intact else "no",
                }
            )
    return rows
