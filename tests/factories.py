"""Valid objects in one line each. Every person here is made up."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from hub.providers.models import Provider, ProviderCapacity, Specialism
from hub.referrals.models import Allocation, Referral, ReferralSource
from hub.referrals.references import new_reference

_numbers = itertools.count(1)


def specialism(db: Session, **fields: Any) -> Specialism:
    n = next(_numbers)
    item = Specialism(**{"code": f"spec{n}", "label": f"Specialism {n}", **fields})
    db.add(item)
    db.flush()
    return item


def provider(
    db: Session, *, new_starts: int | None = 10, max_active: int | None = 20, **fields: Any
) -> Provider:
    n = next(_numbers)
    item = Provider(**{"slug": f"provider{n}", "name": f"Provider {n}", **fields})
    item.capacity = ProviderCapacity(new_starts_per_quarter=new_starts, max_active=max_active)
    db.add(item)
    db.flush()
    return item


def referral(db: Session, **fields: Any) -> Referral:
    item = Referral(reference=new_reference(), source=fields.pop("source", ReferralSource.SELF))
    item.preferred_name = "Test Person"
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


def allocation(db: Session, **fields: Any) -> Allocation:
    item = Allocation(
        referral_id=fields.pop("referral_id", None) or referral(db).id,
        provider_id=fields.pop("provider_id", None) or provider(db).id,
    )
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


BUILDERS = {Referral: referral, Allocation: allocation}
"""One builder per model with sealed attributes; the sealed-storage tests fail for a model missing here."""
