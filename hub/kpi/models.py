"""KPI definitions (data, not code) and the providers' quarterly returns (sealed, versioned).

A return's figures are one sealed value. The row's id is derived from the provider, the quarter
and the version (:func:`return_id`), so the seal binds the figures to all three: figures copied to
another provider's, quarter's or version's row cannot be opened, and a row whose provider, quarter
or version was changed no longer matches its id (``KpiReturn.figures_checked`` refuses it).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, Created, SealedRowMixin, UTCDateTime
from hub.keyring import CryptoError
from hub.sealed import Sealed

RETURNS_NAMESPACE = uuid.UUID("5d1f0c52-5a0b-4d57-9a57-6f1c1f0b8c31")


class Unit(enum.StrEnum):
    COUNT = "count"
    DAYS = "days"
    PERCENTAGE = "percentage"


@dataclass(frozen=True)
class Prefilled:
    """A figure the hub counts from its own records for a return, and how it was counted, in words.
    ``value`` is None when there is nothing to count it from (or, for feedback, too few answers)."""

    value: float | int | None
    how: str


def share(part: float, whole: float) -> float | None:
    """``part`` as a percentage of ``whole``, to one decimal place, as returns give shares; None of 0."""
    return round(100 * part / whole, 1) if whole else None


class ReturnState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class KpiDefinition(Base):
    """One figure in the common set, in force from one quarter (and until another, if retired).

    Quarters are written as ``year * 10 + quarter`` (``20263`` is July to September 2026), so
    ranges compare as numbers.
    """

    __tablename__ = "kpi_definition"
    __table_args__ = (UniqueConstraint("code", "from_quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[Unit] = mapped_column(_enum(Unit))
    description: Mapped[str] = mapped_column(Text, default="")
    prefilled: Mapped[bool] = mapped_column(default=False)
    # A breakdown (for example "Age band") and the total its parts must add up to, if any.
    breakdown: Mapped[str | None] = mapped_column(String(60))
    sums_to: Mapped[str | None] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0)
    from_quarter: Mapped[int]
    until_quarter: Mapped[int | None]

    def applies_to(self, quarter: int) -> bool:
        return self.from_quarter <= quarter and (self.until_quarter is None or quarter <= self.until_quarter)


def return_id(provider_id: int, quarter: int, version: int) -> uuid.UUID:
    return uuid.uuid5(RETURNS_NAMESPACE, f"{provider_id}/{quarter}/{version}")


class KpiReturn(SealedRowMixin, Base):
    """One version of one provider's return for one quarter. A submitted version is never changed."""

    __tablename__ = "kpi_return"
    __table_args__ = (UniqueConstraint("provider_id", "quarter", "version"),)

    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="RESTRICT"), index=True)
    quarter: Mapped[int]
    version: Mapped[int]
    state: Mapped[ReturnState] = mapped_column(_enum(ReturnState), default=ReturnState.DRAFT)
    created_at: Mapped[Created]
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    # The figures {code: number, or None when not given}, the reasons for changed pre-filled figures
    # {code: text}, and for an amendment, why it was made. The first two stay mappings because their
    # keys are KPI codes, which are data: an administrator adds a KPI without a change to the code.
    figures = Sealed(dict[str, int | float | None])
    reasons = Sealed(dict[str, str])
    amendment_reason = Sealed(str)

    def figures_checked(self) -> dict[str, int | float | None]:
        """The figures, once the row is checked to be the provider, quarter and version sealed in it."""
        if self.id != return_id(self.provider_id, self.quarter, self.version):
            raise CryptoError(
                f"Return {self.id} does not match its provider, quarter and version: it was moved or altered."
            )
        return dict(self.figures or {})


class KpiReminder(Base):
    """A reminder sent to a provider about a quarter's return, so it is sent once."""

    __tablename__ = "kpi_reminder"
    __table_args__ = (UniqueConstraint("provider_id", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="CASCADE"))
    quarter: Mapped[int]
    sent_at: Mapped[Created]


class Direction(enum.StrEnum):
    """Which way a target is met: a figure at least the target, or at most it."""

    AT_LEAST = "at_least"
    AT_MOST = "at_most"

    @property
    def words(self) -> str:
        return {Direction.AT_LEAST: "at least", Direction.AT_MOST: "at most"}[self]


class KpiTarget(Base):
    """A commissioners' target for one figure, in force from one quarter until another is set for a
    later quarter (so a target is carried forward until changed). A row with no value ends the target
    from its quarter on. Targets are public commitments, not personal data: nothing here is sealed."""

    __tablename__ = "kpi_target"
    __table_args__ = (UniqueConstraint("code", "from_quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60))
    from_quarter: Mapped[int]
    value: Mapped[float | None] = mapped_column(Float)
    direction: Mapped[Direction] = mapped_column(_enum(Direction), default=Direction.AT_LEAST)
    why: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    set_at: Mapped[Created]


class KpiQuarter(Base):
    """What the commissioners have done with one quarter's joint return: shared it with the triage
    team and the providers for the joint meeting, and published it on the public pathway report.
    No row means neither."""

    __tablename__ = "kpi_quarter"

    quarter: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shared_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # What /pathway shows for the quarter, after disclosure control, frozen when it was published: a
    # later amendment of a return changes nothing the public sees until it is published again.
    published_figures: Mapped[dict[str, Any] | None] = mapped_column(JSON)
