"""The commissioned providers, what they offer, and how many people they can take on.

Administrators add and change them (hub/providers/admin.py); a provider is deactivated, never deleted.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Enum, ForeignKey, String, Table, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, Created, Updated

HELP_CHOOSING = "help"
NO_PREFERENCE = "none"
RESERVED_SLUGS = frozenset({HELP_CHOOSING, NO_PREFERENCE})
"""Never a provider's slug nor a specialism's code: the forms send these for no choice ("Help me choose",
"No preference", "Not provider staff"), so a provider called "Help" gets ``help-2``."""

provider_specialism = Table(
    "provider_specialism",
    Base.metadata,
    Column("provider_id", ForeignKey("provider.id", ondelete="CASCADE"), primary_key=True),
    Column("specialism_id", ForeignKey("specialism.id", ondelete="CASCADE"), primary_key=True),
)


class Specialism(Base):
    """A kind of support, such as counselling or support through the criminal-justice process."""

    __tablename__ = "specialism"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    # A retired specialism is offered for no new choice, but stays on every record that has it.
    retired: Mapped[bool] = mapped_column(default=False, server_default=false())


class Serves(enum.StrEnum):
    """Who a provider's service is for, by gender (its age range is kept apart)."""

    EVERYONE = "everyone"
    WOMEN = "women"
    MEN = "men"


SERVES_LABELS = {Serves.EVERYONE: "People of any gender", Serves.WOMEN: "Women only", Serves.MEN: "Men only"}


class Provider(Base):
    __tablename__ = "provider"
    __table_args__ = (
        CheckConstraint("min_age >= 0", name="min_age_not_negative"),
        CheckConstraint("max_age >= min_age", name="age_range_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    # When it was last deactivated (None while active): with created_at, it says which quarters' returns
    # are expected from it (hub/kpi/expected.py). Reactivating clears it.
    deactivated_at: Mapped[datetime | None]
    # The team mailbox told when a referral is allocated (no personal data is ever in the email).
    # When it is not set, each of the provider's active staff accounts is told instead.
    referrals_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[Created]

    # Who the provider serves: the eligibility rule uses these when the referral says (see
    # hub/referrals/planning.py). Either age may be left open.
    serves: Mapped[Serves] = mapped_column(
        Enum(Serves, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=Serves.EVERYONE,
        server_default=Serves.EVERYONE.value,
    )
    min_age: Mapped[int | None]
    max_age: Mapped[int | None]

    specialisms: Mapped[list[Specialism]] = relationship(
        secondary=provider_specialism, order_by=Specialism.label
    )
    capacity: Mapped[ProviderCapacity | None] = relationship(back_populates="provider")
    specialism_limits: Mapped[list[SpecialismCapacity]] = relationship(
        back_populates="provider", cascade="all, delete-orphan"
    )

    def limit_for(self, specialism_id: int) -> int | None:
        """New starts a quarter this provider takes for one specialism; None: no limit of its own."""
        for limit in self.specialism_limits:
            if limit.specialism_id == specialism_id:
                return limit.new_starts_per_quarter
        return None

    @property
    def who_served(self) -> str:
        """Who the provider serves, in words for allocators: "Women only, aged 18 and over"."""
        words = SERVES_LABELS[self.serves]
        if self.min_age is not None and self.max_age is not None:
            return f"{words}, aged {self.min_age} to {self.max_age}"
        if self.min_age is not None:
            return f"{words}, aged {self.min_age} and over"
        if self.max_age is not None:
            return f"{words}, aged {self.max_age} and under"
        return f"{words}, of any age"


class ProviderCapacity(Base):
    """What a provider has said it can take on. Either limit may be left open."""

    __tablename__ = "provider_capacity"
    __table_args__ = (
        CheckConstraint("new_starts_per_quarter >= 0", name="new_starts_not_negative"),
        CheckConstraint("max_active >= 0", name="max_active_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"), unique=True)
    new_starts_per_quarter: Mapped[int | None]
    max_active: Mapped[int | None]
    updated_at: Mapped[Updated]

    provider: Mapped[Provider] = relationship(back_populates="capacity")


class SpecialismCapacity(Base):
    """New people a provider can start each quarter who asked for one kind of support.

    It limits as well as the provider's whole capacity, never instead of it: a referral asking for this
    specialism needs a place under both (hub/referrals/allocation.py counts them).
    """

    __tablename__ = "specialism_capacity"
    __table_args__ = (
        UniqueConstraint("provider_id", "specialism_id"),
        CheckConstraint("new_starts_per_quarter >= 0", name="specialism_new_starts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"))
    specialism_id: Mapped[int] = mapped_column(ForeignKey("specialism.id", ondelete="CASCADE"))
    new_starts_per_quarter: Mapped[int]
    updated_at: Mapped[Updated]

    provider: Mapped[Provider] = relationship(back_populates="specialism_limits")
    specialism: Mapped[Specialism] = relationship()
