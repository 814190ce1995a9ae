"""Whose returns a quarter expects: the one rule the joint view, its trends and exports, the
commissioner's home page and the reminders all use.

A provider is expected to make a quarter's return when it existed by the quarter's end and was active
at some time during it (it was not deactivated before the quarter began). Any provider with a return for
the quarter is in it too, whatever has changed since. So deactivating a provider keeps the returns it
made, and keeps it expected for the quarters it was active; and a provider added today is not missing
from the quarters before it existed.

Reactivating a provider clears when it was deactivated, so it is expected again for every quarter since
it was added.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.calendar import Quarter
from hub.kpi.models import KpiReturn
from hub.providers.models import Provider


def was_active_in(provider: Provider, quarter: Quarter) -> bool:
    """Whether the provider existed by the quarter's end and was not deactivated before it began."""
    if provider.created_at >= quarter.ends:
        return False
    if provider.active:
        return True
    return provider.deactivated_at is not None and provider.deactivated_at >= quarter.starts


def expected_by_quarter(db: Session, quarters: Sequence[Quarter]) -> dict[int, list[Provider]]:
    """quarter key -> the providers whose returns it expects, by name."""
    keys = [q.key for q in quarters]
    returned = {
        (provider_id, key)
        for provider_id, key in db.execute(
            select(KpiReturn.provider_id, KpiReturn.quarter).where(KpiReturn.quarter.in_(keys))
        )
    }
    everyone = db.scalars(select(Provider).order_by(Provider.name, Provider.id)).all()
    return {
        q.key: [p for p in everyone if (p.id, q.key) in returned or was_active_in(p, q)] for q in quarters
    }


def expected(db: Session, quarter: Quarter) -> list[Provider]:
    """The providers whose returns the quarter expects, by name."""
    return expected_by_quarter(db, [quarter])[quarter.key]


def expected_in_any(db: Session, quarters: Sequence[Quarter]) -> list[Provider]:
    """The providers whose returns any of the quarters expects, by name (a trend's lines)."""
    found: dict[int, Provider] = {}
    for providers in expected_by_quarter(db, quarters).values():
        found |= {p.id: p for p in providers}
    return sorted(found.values(), key=lambda p: (p.name, p.id))
