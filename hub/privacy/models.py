"""A person's rights and retention, as data: the retention schedule (one row per kind of record),
legal holds, erasure decisions, and the register of requests about a person's data (subject access,
rectification, restriction, erasure).

A rule's period is data an administrator may change; what each kind covers and the event its period
runs from are the hub's own (``hub.privacy.schedule.KINDS``), because the purge does exactly that.
In the register, who the request is about, who asked, how their identity was checked and what was
done are sealed; the kind, the dates and where the request stands are plain, so the register can be
sorted and the due dates checked without opening anything.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, Created, SealedRowMixin, Updated, UTCDateTime
from hub.referrals.models import Referral
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


class RequestKind(enum.StrEnum):
    ACCESS = "access"
    RECTIFICATION = "rectification"
    RESTRICTION = "restriction"
    ERASURE = "erasure"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    RequestKind.ACCESS: "A copy of their data (subject access)",
    RequestKind.RECTIFICATION: "Correct their data (rectification)",
    RequestKind.RESTRICTION: "Restrict the use of their data (restriction)",
    RequestKind.ERASURE: "Erase their data (erasure)",
}


class Asker(enum.StrEnum):
    PERSON = "person"
    REPRESENTATIVE = "representative"

    @property
    def label(self) -> str:
        return ASKER_LABELS[self]


ASKER_LABELS = {
    Asker.PERSON: "The person themselves",
    Asker.REPRESENTATIVE: "Someone acting for them",
}


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    RequestStatus.OPEN: "Open",
    RequestStatus.DONE: "Done",
    RequestStatus.REFUSED: "Refused",
}


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class RightsRequest(SealedRowMixin, Base):
    """One request about a person's data, from the day it was received to the day it was answered."""

    __tablename__ = "rights_request"

    kind: Mapped[RequestKind] = mapped_column(_enum(RequestKind))
    asker: Mapped[Asker] = mapped_column(_enum(Asker))
    received_on: Mapped[date]
    # One calendar month after it was received (hub.calendar.answer_due), later when extended.
    due_on: Mapped[date] = mapped_column(index=True)
    extended: Mapped[bool] = mapped_column(default=False)
    state: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus), default=RequestStatus.OPEN, index=True)
    closed_on: Mapped[date | None]
    created_at: Mapped[Created]
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    updated_at: Mapped[Updated]

    person_name = Sealed(str)
    asker_name = Sealed(str)  # someone acting for the person: their name and how they are connected
    identity_check = Sealed(str)
    details = Sealed(str)
    extension_reason = Sealed(str)
    outcome = Sealed(str)  # what was done, or why it was refused

    links: Mapped[list[RequestReferral]] = relationship(
        order_by="RequestReferral.linked_at", cascade="all, delete-orphan"
    )


class RequestReferral(Base):
    """A referral the officer found to be about the person a request is about."""

    __tablename__ = "rights_request_referral"
    __table_args__ = (UniqueConstraint("request_id", "referral_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rights_request.id", ondelete="CASCADE"), index=True
    )
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    linked_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    referral: Mapped[Referral] = relationship()
