"""The three commissioned providers, what they offer, and how many people they can take on."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, Created, Updated

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


class Provider(Base):
    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    # The team mailbox told when a referral is allocated (no personal data is ever in the email).
    # When it is not set, each of the provider's active staff accounts is told instead.
    referrals_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[Created]

    specialisms: Mapped[list[Specialism]] = relationship(
        secondary=provider_specialism, order_by=Specialism.label
    )
    capacity: Mapped[ProviderCapacity | None] = relationship(back_populates="provider")


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
