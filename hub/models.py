"""Every model, imported in one place so the metadata (and Alembic) sees all the tables."""

from hub.providers.models import Provider, ProviderCapacity, Specialism, provider_specialism
from hub.referrals.models import Allocation, Referral, referral_specialism

__all__ = [
    "Allocation",
    "Provider",
    "ProviderCapacity",
    "Referral",
    "Specialism",
    "provider_specialism",
    "referral_specialism",
]
