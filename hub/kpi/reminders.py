"""Reminders for returns not yet submitted: ``flask --app hub kpi remind``, run daily from cron.

Once ``HUB_RETURN_REMINDER_DAYS`` days have passed since a quarter ended, each provider whose return
the quarter expects (hub/kpi/expected.py: one deactivated since is still reminded about a quarter it was
active in; one added since is not reminded about a quarter before it existed) with no submitted return
for it is emailed once: its team mailbox, or else each of its staff accounts.
The email names the quarter and links to the return; it holds no figures.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import outbox
from hub.auth.models import Role
from hub.auth.services import notice_addresses
from hub.calendar import Quarter
from hub.db import committed
from hub.kpi.expected import expected
from hub.kpi.models import KpiReminder, KpiReturn, ReturnState
from hub.providers.models import Provider


def send_reminders(db: Session, today: date, after_days: int) -> list[str]:
    """Queue the reminders due today; returns the names of the providers reminded."""
    quarter = Quarter.containing(today).previous()
    if today < quarter.last_day + timedelta(days=after_days):
        return []
    with committed(db):
        names = [_remind(db, provider, quarter) for provider in _due(db, quarter)]
    return names


def _due(db: Session, quarter: Quarter) -> list[Provider]:
    """Providers the quarter expects a return from, with none submitted, not yet reminded about it."""
    submitted = set(
        db.scalars(
            select(KpiReturn.provider_id).where(
                KpiReturn.quarter == quarter.key, KpiReturn.state == ReturnState.SUBMITTED
            )
        )
    )
    reminded = set(db.scalars(select(KpiReminder.provider_id).where(KpiReminder.quarter == quarter.key)))
    return [p for p in expected(db, quarter) if p.id not in submitted and p.id not in reminded]


def _remind(db: Session, provider: Provider, quarter: Quarter) -> str:
    """Queue the reminder to the provider's team (or its staff) and note it was sent; returns its name."""
    for address in notice_addresses(db, provider.referrals_email, Role.PROVIDER_STAFF, provider.id):
        outbox.queue(
            db,
            to=address,
            template="kpi_return_reminder",
            subject=f"Your quarterly return for {quarter.label} is due",
            quarter_label=quarter.label,
            path=f"/kpi/returns/{quarter.year}/{quarter.number}",
        )
    db.add(KpiReminder(provider_id=provider.id, quarter=quarter.key))
    return provider.name
