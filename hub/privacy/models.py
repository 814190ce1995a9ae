"""The retention schedule (one row per kind of record), legal holds, and erasure decisions.

A rule's period is data an administrator may change; what each kind covers and the event its period
runs from are the hub's own (``hub.privacy.schedule.KINDS``), because the purge does exactly that.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, Created, SealedRowMixin, UTCDateTime
from hub.sealed import Sealed


class RetentionRule(Base):
    """How long one kind of record is kept: ``amount`` ``unit`` after its event, or kept (no unit).

    The reason is the council's own words about why; it never holds personal data.
    """

    __tablename__ = "retention_rule"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    amount: Mapped[int | None]
    unit: Mapped[str | None] = mapped_column(String(10))  # a hub.privacy.schedule.Unit value; None: kept
    reason: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    changed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class LegalHold(SealedRowMixin, Base):
    """A referral that must not be erased (a court case, an inquiry), until the hold is lifted.

    Why it was set and why it was lifted are sealed; a lifted hold is kept as the record it was held.
    """

    __tablename__ = "legal_hold"

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    set_at: Mapped[Created]
    set_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    reason = Sealed(str)
    lift_reason = Sealed(str)


class ErasureDecision(SealedRowMixin, Base):
    """A data-protection officer's answer to a request to erase a referral: erased, or refused because
    an exemption applies. The legal basis and the exemption are sealed."""

    __tablename__ = "erasure_decision"

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    erased: Mapped[bool]
    decided_at: Mapped[Created]
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    basis = Sealed(str)
    exemption = Sealed(str)  # a hub.privacy.erasure.EXEMPTIONS key; None when erased
