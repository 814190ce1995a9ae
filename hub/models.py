"""Every model, imported in one place so the metadata (and Alembic) sees all the tables."""

from hub.audit import AuditEntry, AuditHead
from hub.outbox import OutboxMessage
from hub.providers.models import Provider, ProviderCapacity, Specialism, provider_specialism
from hub.referrals.models import Allocation, IntakeDraft, Referral, referral_specialism

__all__ = [
    "Allocation",
    "AuditEntry",
    "AuditHead",
    "IntakeDraft",
    "OutboxMessage",
    "Provider",
    "ProviderCapacity",
    "Referral",
    "Specialism",
    "provider_specialism",
    "referral_specialism",
]
