"""Each role's home page, put together from the services that own each part: it starts with what needs doing.

Nothing here decides a rule: the queue's counts and what "overdue" means are the triage queue's, a
provider's space is the capacity rule's, a return's state is the returns', the accounts' are the accounts'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hub import audit, calendar
from hub.audit import Actor
from hub.auth import services as accounts
from hub.auth.models import Role, StaffUser
from hub.calendar import Quarter
from hub.config import Config
from hub.db import utcnow
from hub.kpi import joint, returns
from hub.providers.services import active_providers
from hub.referrals import allocation, cases, triage

HEADLINES = {
    "referrals_allocated": "Referrals allocated to providers",
    "new_starts": "New people starting support",
    "people_supported": "People supported",
    "waiting_at_quarter_end": "People waiting for a first appointment at the end of the quarter",
}
"""The joint return's figures a commissioner sees first, added up across providers, in the
commissioner's words (the definitions' own labels speak to the provider filling in the return)."""


@dataclass(frozen=True)
class Bar:
    """One bar of a provider's space: how much is used of a limit, as a share to draw and words to read."""

    label: str
    used: int
    limit: int | None

    @property
    def percent(self) -> int:
        """How much of the bar is filled (at most all of it); 0 when there is no limit to measure against."""
        if not self.limit:
            return 100 if self.limit == 0 and self.used else 0
        return min(100, round(100 * self.used / self.limit))

    @property
    def words(self) -> str:
        if self.limit is None:
            return f"{self.used} (no limit set)"
        return f"{self.used} of {self.limit}"

    @property
    def over(self) -> bool:
        return self.limit is not None and self.used >= self.limit


def _allocator(db: Session, overdue_after: int) -> dict[str, Any]:
    now = utcnow()
    spaces = allocation.spaces(db, active_providers(db), now)
    return {
        "counts": triage.counts(db, overdue_after, now),
        "quarter": Quarter.of(now),
        "spaces": [
            (
                space.provider,
                [
                    Bar("Cases held", space.holding, space.max_active),
                    Bar("New starts this quarter", space.started, space.new_starts_per_quarter),
                ],
            )
            for space in spaces
        ],
    }


def _provider(db: Session, user: StaffUser) -> dict[str, Any]:
    provider_id = user.provider_id or 0
    due = Quarter.last_ended()
    return {
        "to_do": cases.to_do(db, provider_id),
        "return_quarter": due,
        "return_state": returns.state_of(returns.versions(db, provider_id, due)),
    }


def _commissioner(db: Session, actor: Actor) -> dict[str, Any]:
    quarter = Quarter.last_ended()
    found = joint.joint_quarter(db, quarter)
    audit.viewed(db, actor, "kpi.joint_viewed", "kpi_quarter", quarter.key)
    headlines = [(HEADLINES[d.code], total) for d, total in found.headlines(list(HEADLINES))]
    return {"joint": found, "headlines": headlines}


def page(db: Session, user: StaffUser, actor: Actor, config: Config) -> dict[str, Any]:
    """What the signed-in member of staff's home page shows, by their role."""
    if user.role is Role.ALLOCATOR:
        return _allocator(db, config.overdue_working_days)
    if user.role is Role.PROVIDER_STAFF:
        return _provider(db, user)
    if user.role is Role.COMMISSIONER:
        return _commissioner(db, actor)
    days = config.inactive_account_days
    unused = accounts.inactive_accounts(db, calendar.today(), days, user.id)
    return {"accounts": accounts.account_counts(db), "unused": len(unused), "unused_days": days}
