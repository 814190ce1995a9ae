"""Referrals and their allocations to providers.

Everything a person told us about themselves is a :class:`~hub.sealed.Sealed` attribute. What
triage needs to sort and count (source, status, flags, requested specialisms) is plain structured
data; duplicates are found through keyed blind indexes, never by opening the table.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import Column, Enum, ForeignKey, Index, String, Table, UniqueConstraint, Uuid, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, BlindIndex, Created, SealedRowMixin, Updated, UTCDateTime, utcnow
from hub.measures.models import OutcomeMeasure
from hub.providers.models import Provider, Specialism
from hub.sealed import Plain, Sealed, Shape


class ReferralSource(enum.StrEnum):
    PROFESSIONAL = "professional"
    SELF = "self"


class ReferrerAgency(enum.StrEnum):
    """The kind of organisation a professional referrer works for: a fixed list, plain for counting."""

    POLICE = "police"
    NCA = "nca"
    HEALTH = "health"
    ADULT_SOCIAL_CARE = "adult_social_care"
    CHILDRENS_SERVICES = "childrens_services"
    HOUSING = "housing"
    VOLUNTARY = "voluntary"
    OTHER = "other"

    @property
    def label(self) -> str:
        return AGENCY_LABELS[self]


AGENCY_LABELS = {
    ReferrerAgency.POLICE: "Police",
    ReferrerAgency.NCA: "National Crime Agency",
    ReferrerAgency.HEALTH: "GP or health",
    ReferrerAgency.ADULT_SOCIAL_CARE: "Adult social care",
    ReferrerAgency.CHILDRENS_SERVICES: "Children's services or the council's CSE team",
    ReferrerAgency.HOUSING: "Housing",
    ReferrerAgency.VOLUNTARY: "Voluntary sector",
    ReferrerAgency.OTHER: "Other",
}


class ReferralStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    INFO_REQUESTED = "info_requested"
    ALLOCATED = "allocated"
    ACCEPTED = "accepted"
    IN_SUPPORT = "in_support"
    CLOSED = "closed"
    DECLINED_BY_PROVIDER = "declined_by_provider"
    SIGNPOSTED = "signposted"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """The status in words for staff (the public status page has its own, plainer words)."""
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ReferralStatus.SUBMITTED: "Waiting in the queue",
    ReferralStatus.INFO_REQUESTED: "Waiting for more information",
    ReferralStatus.ALLOCATED: "Allocated, waiting for the provider",
    ReferralStatus.ACCEPTED: "Accepted by the provider",
    ReferralStatus.IN_SUPPORT: "In support",
    ReferralStatus.CLOSED: "Closed",
    ReferralStatus.DECLINED_BY_PROVIDER: "Returned by a provider",
    ReferralStatus.SIGNPOSTED: "Closed and signposted",
    ReferralStatus.WITHDRAWN: "Withdrawn",
}


class EventKind(enum.StrEnum):
    """What happened to a referral, for its timeline. The label is what staff read."""

    ALLOCATED = "allocated"
    INFO_REQUESTED = "info_requested"
    INFO_RECEIVED = "info_received"
    SIGNPOSTED = "signposted"
    WITHDRAWN = "withdrawn"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    FIRST_CONTACT = "first_contact"
    MEASURES_RECORDED = "measures_recorded"
    CLOSED = "closed"
    # Consent and duplicates (issue 11).
    CONSENT_RECORDED = "consent_recorded"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    DUPLICATE_SAME_PERSON = "duplicate_same_person"
    DUPLICATE_NOT_SAME = "duplicate_not_same"
    # A person's rights (issue 14).
    CORRECTED = "corrected"
    RESTRICTED = "restricted"
    RESTRICTION_LIFTED = "restriction_lifted"
    # Survivors' feedback (issue 15).
    FEEDBACK_OFFERED = "feedback_offered"
    # A self-referral made directly to a provider, recorded by its staff (issue 16).
    DIRECT_ACCEPTED = "direct_accepted"

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


EVENT_LABELS = {
    EventKind.ALLOCATED: "Allocated to a provider",
    EventKind.INFO_REQUESTED: "More information requested",
    EventKind.INFO_RECEIVED: "Information received, back in the queue",
    EventKind.SIGNPOSTED: "Closed and signposted",
    EventKind.WITHDRAWN: "Withdrawn",
    EventKind.ACCEPTED: "Accepted by the provider",
    EventKind.DECLINED: "Declined by the provider, back to the triage team",
    EventKind.FIRST_CONTACT: "First contact made, support started",
    EventKind.MEASURES_RECORDED: "Sessions and outcome measures recorded",
    EventKind.CLOSED: "Support ended, case closed",
    # Consent and duplicates (issue 11).
    EventKind.CONSENT_RECORDED: "Consent to share recorded",
    EventKind.CONSENT_WITHDRAWN: "Consent withdrawn, referral closed",
    EventKind.DUPLICATE_SAME_PERSON: "Possible duplicate checked: the same person",
    EventKind.DUPLICATE_NOT_SAME: "Possible duplicate checked: not the same person",
    # A person's rights (issue 14).
    EventKind.CORRECTED: "An answer was corrected",
    EventKind.RESTRICTED: "Details restricted: providers see the reference only",
    EventKind.RESTRICTION_LIFTED: "Restriction lifted",
    # Survivors' feedback (issue 15).
    EventKind.FEEDBACK_OFFERED: "Feedback code given at a review point",
    # A self-referral made directly to a provider (issue 16).
    EventKind.DIRECT_ACCEPTED: "Direct self-referral recorded and accepted by the provider",
}


class Outcome(enum.StrEnum):
    """How support ended (DESIGN.md, Statuses)."""

    SUPPORT_COMPLETED = "support_completed"
    DISENGAGED = "disengaged"
    COULDNT_CONTACT = "couldnt_contact"
    NO_LONGER_WANTED = "no_longer_wanted"
    REFERRED_ELSEWHERE = "referred_elsewhere"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    Outcome.SUPPORT_COMPLETED: "Support completed",
    Outcome.DISENGAGED: "They stopped taking part",
    Outcome.COULDNT_CONTACT: "We could not make contact",
    Outcome.NO_LONGER_WANTED: "They no longer wanted support",
    Outcome.REFERRED_ELSEWHERE: "Referred to another service",
}


class DeclineReason(enum.StrEnum):
    NO_CAPACITY = "no_capacity"
    NOT_OUR_SPECIALISM = "not_our_specialism"
    OUTSIDE_AREA = "outside_area"
    RISK_TOO_HIGH = "risk_too_high"
    ALREADY_SUPPORTED = "already_supported"
    OTHER = "other"

    @property
    def label(self) -> str:
        return DECLINE_LABELS[self]


DECLINE_LABELS = {
    DeclineReason.NO_CAPACITY: "We have no space now",
    DeclineReason.NOT_OUR_SPECIALISM: "We do not offer the support asked for",
    DeclineReason.OUTSIDE_AREA: "The person lives outside our area",
    DeclineReason.RISK_TOO_HIGH: "The risks need a different service",
    DeclineReason.ALREADY_SUPPORTED: "We already support this person",
    DeclineReason.OTHER: "Another reason (say below)",
}


class AllocationStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


# -- safe contact ------------------------------------------------------------------------------


class ContactMethod(enum.StrEnum):
    """A way to contact the person. ``REFERRER``: not directly, but through the professional who referred."""

    PHONE = "phone"
    TEXT = "text"
    EMAIL = "email"
    LETTER = "letter"
    REFERRER = "referrer"

    @property
    def label(self) -> str:
        return CONTACT_LABELS[self]

    @property
    def detail_needed(self) -> str | None:
        """The detail about the person this way needs (the referrer route needs none of theirs)."""
        return CONTACT_DETAILS.get(self)


CONTACT_LABELS = {
    ContactMethod.PHONE: "Phone call",
    ContactMethod.TEXT: "Text message",
    ContactMethod.EMAIL: "Email",
    ContactMethod.LETTER: "Letter",
    ContactMethod.REFERRER: "Through the referrer",
}
CONTACT_DETAILS = {
    ContactMethod.PHONE: "phone",
    ContactMethod.TEXT: "phone",
    ContactMethod.EMAIL: "email",
    ContactMethod.LETTER: "address",
}
DIRECT_CONTACT = (ContactMethod.PHONE, ContactMethod.TEXT, ContactMethod.EMAIL, ContactMethod.LETTER)
"""The ways to contact the person themselves, in the order the forms list them."""

# -- what a person told us, as sealed shapes ------------------------------------------------------
# Each shape is the one reader and the one writer of its sealed attribute (see hub.sealed.Shape):
# intake, demo data and the case views all build one, so what they store cannot drift apart.

Answer = Literal["yes", "no", "unsure", ""]
"""A yes / no / not sure answer; "" when none was given."""
YesNo = Literal["yes", "no", ""]
Children = Literal["yes", "no", "unknown", ""]
"""Children in the household: "unknown" is the referrer's "I do not know"; "" when none was given."""

_ANSWERS: tuple[Answer, ...] = ("yes", "no", "unsure")
_YES_NO: tuple[YesNo, ...] = ("yes", "no")
_CHILDREN: tuple[Children, ...] = ("yes", "no", "unknown")

C = TypeVar("C", bound=str)


def _choice(value: Any, choices: tuple[C, ...]) -> C | Literal[""]:
    """One of ``choices`` as stored by any version of the hub, or "" (not given) for anything else.

    Early demo data stored booleans for yes and no; they read as "yes" and "no".
    """
    if isinstance(value, bool):
        value = "yes" if value else "no"
    if isinstance(value, str):
        for choice in choices:
            if value.strip().lower() == choice:
                return choice
    return ""


def _text(value: Any) -> str:
    """Free text as it was given; a number stored by mistake as its text, anything else as not given."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _count(value: Any) -> int | None:
    """A whole number, 0 or more; anything else (text, True, a fraction, below 0) reads as not recorded."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


@dataclass(frozen=True)
class SafeContact(Shape):
    """What the person said about contacting them safely: ``Referral.safe_contact``.

    Only an explicit "yes" allows a voicemail or naming the service: "no", "not sure" and no answer
    all mean no.
    """

    methods: tuple[ContactMethod, ...] = ()
    voicemail: Answer = ""
    say_who: Answer = ""
    safe_times: str = ""

    @classmethod
    def read_fields(cls, stored: Mapping[str, Any]) -> SafeContact:
        raw = stored.get("methods") or []
        known = {m.value for m in ContactMethod}
        listed = raw if isinstance(raw, list | tuple) else []
        methods = [ContactMethod(m) for m in listed if isinstance(m, str) and m in known]
        times = stored.get("safe_times")
        return cls(
            methods=tuple(dict.fromkeys(methods)),
            voicemail=_choice(stored.get("voicemail"), _ANSWERS),
            say_who=_choice(stored.get("say_who"), _ANSWERS),
            safe_times=" ".join(times.split()) if isinstance(times, str) else "",
        )

    @classmethod
    def of(cls, referral: Referral) -> SafeContact:
        """The referral's answers; none given reads as nothing allowed."""
        return referral.safe_contact or cls()

    def allows(self, method: ContactMethod) -> bool:
        return method in self.methods

    @property
    def voicemail_safe(self) -> bool:
        return self.voicemail == "yes"

    @property
    def may_say_who(self) -> bool:
        return self.say_who == "yes"


@dataclass(frozen=True)
class Risks(Shape):
    """What the referrer said about risks and safeguarding: ``Referral.risks``."""

    current_risks: str = ""
    children_in_household: Children = ""
    other_agencies: str = ""

    @classmethod
    def read_fields(cls, stored: Mapping[str, Any]) -> Risks:
        return cls(
            current_risks=_text(stored.get("current_risks")),
            children_in_household=_choice(stored.get("children_in_household"), _CHILDREN),
            other_agencies=_text(stored.get("other_agencies")),
        )

    @property
    def flagged(self) -> bool:
        """Current risks or children in the household were reported: such referrals head the queue."""
        return bool(self.current_risks) or self.children_in_household == "yes"


@dataclass(frozen=True)
class AccessNeeds(Shape):
    """Language and access needs, as the referrer gave them: ``Referral.access_needs``."""

    language: str = ""
    interpreter: YesNo = ""
    bsl: YesNo = ""
    adjustments: str = ""

    @classmethod
    def read_fields(cls, stored: Mapping[str, Any]) -> AccessNeeds:
        return cls(
            language=_text(stored.get("language")),
            interpreter=_choice(stored.get("interpreter"), _YES_NO),
            bsl=_choice(stored.get("bsl"), _YES_NO),
            adjustments=_text(stored.get("adjustments")),
        )


@dataclass(frozen=True)
class Measures(Shape):
    """Sessions and outcome measure scores for one case, for the quarterly return: ``Allocation.measures``.

    Each is a whole number, 0 or more, or None when not recorded.
    """

    sessions_offered: int | None = None
    sessions_attended: int | None = None
    sessions_not_attended: int | None = None
    group_sessions: int | None = None
    outcome_start: int | None = None
    outcome_end: int | None = None

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def read_fields(cls, stored: Mapping[str, Any]) -> Measures:
        return cls(**{name: _count(stored.get(name)) for name in cls.names()})


def _flag(value: Any) -> bool | None:
    """A yes or no as stored; anything else reads as not said."""
    return value if isinstance(value, bool) else None


@dataclass(frozen=True)
class FirstContact(Shape):
    """How a provider first contacted the person: ``Allocation.first_contact`` (the day stays plain).

    For a phone call, whether a voicemail was left and whether the service was named; None for any
    other way, or when not said.
    """

    channel: ContactMethod | None = None
    voicemail_left: bool | None = None
    service_named: bool | None = None

    @classmethod
    def read_fields(cls, stored: Mapping[str, Any]) -> FirstContact:
        channel = stored.get("channel")
        known = {m.value for m in ContactMethod}
        return cls(
            channel=ContactMethod(channel) if isinstance(channel, str) and channel in known else None,
            voicemail_left=_flag(stored.get("voicemail_left")),
            service_named=_flag(stored.get("service_named")),
        )

    @classmethod
    def from_plain(cls, channel: Any, voicemail_left: Any, service_named: Any) -> FirstContact:
        """What an older release kept in the allocation's plain columns."""
        return cls.read(
            {"channel": channel, "voicemail_left": voicemail_left, "service_named": service_named}
        )


def _as_kept(value: Any) -> Any:
    """A plain column's value, read as it was kept."""
    return value


CORRECTABLE = {
    "full-name": ("full_name", "Full name"),
    "preferred-name": ("preferred_name", "Name to use"),
    "date-of-birth": ("date_of_birth", "Date of birth"),
    "email": ("email", "Email"),
    "phone": ("phone", "Phone"),
    "address": ("address", "Address"),
    "postcode": ("postcode", "Postcode"),
    "safe-contact": ("safe_contact", "Safe-contact answers"),
}
"""The answers about the person the triage team may correct (hub.referrals.rectification): for each,
the attribute of :class:`Referral` that holds it, and its name on the staff pages."""


@dataclass(frozen=True)
class Correction(Shape):
    """Which answer the triage team corrected and what it was before: ``ReferralEvent.correction``.

    ``answer`` is a key of :data:`CORRECTABLE`; ``before`` is the old answer in
    words ("" when none was given). Sealed, because the old answer is the person's data.
    """

    answer: str = ""
    before: str = ""

    @classmethod
    def read_fields(cls, stored: Mapping[str, Any]) -> Correction:
        return cls(answer=_text(stored.get("answer")), before=_text(stored.get("before")))


def _enum(kind: type[enum.StrEnum]) -> Enum:
    """Stored as text (no native type), so a new state never needs an ALTER TYPE."""
    return Enum(kind, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


referral_specialism = Table(
    "referral_specialism",
    Base.metadata,
    Column("referral_id", Uuid, ForeignKey("referral.id", ondelete="CASCADE"), primary_key=True),
    Column("specialism_id", ForeignKey("specialism.id", ondelete="RESTRICT"), primary_key=True),
)


WAITING = "status IN ('submitted', 'declined_by_provider')"
WAITING_CONDITION = f"referral.{WAITING}"
"""Waiting for a provider: written out (not as parameters) so the database can match it to the
condition of the queue's partial index, ``ix_referral_waiting``."""


class Referral(SealedRowMixin, Base):
    __tablename__ = "referral"
    __table_args__ = (
        Index("ix_referral_queue", "status", "risk_flagged", "created_at"),
        # The triage queue's order, over waiting referrals only: each part of a page is read in order.
        Index(
            "ix_referral_waiting",
            "risk_flagged",
            "created_at",
            "id",
            postgresql_where=text(WAITING),
            sqlite_where=text(WAITING),
        ),
    )

    reference: Mapped[str] = mapped_column(String(16), unique=True)
    source: Mapped[ReferralSource] = mapped_column(_enum(ReferralSource))
    status: Mapped[ReferralStatus] = mapped_column(_enum(ReferralStatus), default=ReferralStatus.SUBMITTED)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[Created]
    updated_at: Mapped[Updated]

    consent_to_referral: Mapped[bool] = mapped_column(default=False)
    consent_to_share: Mapped[bool] = mapped_column(default=False)
    under_18: Mapped[bool] = mapped_column(default=False)
    possible_duplicate: Mapped[bool] = mapped_column(default=False)
    # The person asked the triage team to help them choose (sealed; plain before revision 0024, read
    # only through ``help_choosing`` until ``keys seal-plain`` empties it and a later revision drops it).
    legacy_help_choosing: Mapped[bool | None] = mapped_column("help_choosing")
    help_choosing = Sealed(bool, plain=Plain(("legacy_help_choosing",), _as_kept))
    # Current risks or children in the household were reported: such referrals head the queue.
    risk_flagged: Mapped[bool] = mapped_column(default=False)
    preferred_provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id", ondelete="SET NULL"))

    # Keyed hashes of normalised identifiers, for duplicate checks.
    identity_index: Mapped[BlindIndex]
    email_index: Mapped[BlindIndex]
    phone_index: Mapped[BlindIndex]
    referrer_email_index: Mapped[BlindIndex]

    # For the status page: a hash of the secret code shown once to a person who refers themselves.
    status_secret_hash: Mapped[str | None] = mapped_column(String(200))
    # The privacy notice shown when the referral was sent (hub.referrals.notice); None: sent before
    # the hub had one.
    privacy_notice: Mapped[str | None] = mapped_column(String(16))

    # When the person's details were erased (hub.privacy.erasure), and why, in words; None until then.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erasure_note = Sealed(str)

    # Restricted by a data-protection officer (hub.referrals.restriction): providers see the reference
    # only. None when not restricted; the legal basis is sealed.
    restricted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    restricted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    restriction_basis = Sealed(str)

    # Asked at the end of a self-referral: may we ask them, now and then, to help shape the service
    # (hub.referrals.consultation)? None when not answered, or sent before the question was asked.
    consultation_opt_in: Mapped[bool | None]

    # The kind of organisation a professional referrer works for (counted in the joint view and the
    # public report); None for a self-referral, and for professional referrals sent before it was asked.
    referrer_agency: Mapped[ReferrerAgency | None] = mapped_column(_enum(ReferrerAgency))
    # A self-referral the person made directly to a provider, recorded by its staff and accepted at once
    # (hub.referrals.direct): it never waited in the triage queue.
    direct: Mapped[bool] = mapped_column(default=False, server_default=false())

    # The survivor.
    full_name = Sealed(str)
    preferred_name = Sealed(str)
    date_of_birth = Sealed(date)
    email = Sealed(str)
    phone = Sealed(str)
    address = Sealed(str)
    postcode = Sealed(str)
    safe_contact = Sealed(SafeContact)
    access_needs = Sealed(AccessNeeds)
    support_wanted = Sealed(str)
    risks = Sealed(Risks)

    # The professional who referred, if any.
    referrer_name = Sealed(str)
    referrer_role = Sealed(str)
    referrer_organisation = Sealed(str)
    referrer_email = Sealed(str)
    referrer_phone = Sealed(str)

    preferred_provider: Mapped[Provider | None] = relationship()
    specialisms: Mapped[list[Specialism]] = relationship(secondary=referral_specialism)
    allocations: Mapped[list[Allocation]] = relationship(
        back_populates="referral", order_by="Allocation.created_at"
    )
    events: Mapped[list[ReferralEvent]] = relationship(order_by="ReferralEvent.occurred_at")


class Allocation(SealedRowMixin, Base):
    """One offer of a referral to a provider. A declined offer is kept; the referral is offered again."""

    __tablename__ = "allocation"

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="RESTRICT"), index=True)
    status: Mapped[AllocationStatus] = mapped_column(
        _enum(AllocationStatus), default=AllocationStatus.PENDING
    )
    created_at: Mapped[Created]
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Why the allocator chose this provider over the recommendation.
    reason = Sealed(str)

    # The provider's side: structured where the KPI return counts it, sealed where it is free text.
    decline_reason: Mapped[DeclineReason | None] = mapped_column(_enum(DeclineReason))
    decline_note = Sealed(str)
    first_contact_on: Mapped[date | None]
    # How: the way, and for a phone call whether a voicemail was left and the service named (checked
    # against what the person said was safe). Plain before revision 0024 (the legacy columns, read
    # only through ``first_contact`` until ``keys seal-plain`` empties them).
    first_contact = Sealed(
        FirstContact,
        plain=Plain(
            ("legacy_first_contact_channel", "legacy_voicemail_left", "legacy_service_named"),
            FirstContact.from_plain,
        ),
    )
    legacy_first_contact_channel: Mapped[str | None] = mapped_column("first_contact_channel", String(20))
    legacy_voicemail_left: Mapped[bool | None] = mapped_column("first_contact_voicemail_left")
    legacy_service_named: Mapped[bool | None] = mapped_column("first_contact_service_named")
    outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    measures = Sealed(Measures)
    # Survivors' feedback (hub.feedback): a code made for the person that the case page has not shown
    # yet (sealed; emptied when shown, never written anywhere else), and the day a code was offered at
    # a review point (once per case).
    feedback_code = Sealed(str)
    feedback_offered_on: Mapped[date | None]

    referral: Mapped[Referral] = relationship(back_populates="allocations")
    provider: Mapped[Provider] = relationship()


class ReferralEvent(SealedRowMixin, Base):
    """One entry on a referral's timeline: what happened, who did it, when, from what, to what, why.

    Written by the service that makes the change, in the same transaction. The note (the reason,
    what was asked, where the person was signposted) is sealed; the rest is structured data.
    """

    __tablename__ = "referral_event"

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind))
    occurred_at: Mapped[Created]
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_role: Mapped[str] = mapped_column(String(32))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id", ondelete="RESTRICT"))
    from_status: Mapped[ReferralStatus | None] = mapped_column(_enum(ReferralStatus))
    to_status: Mapped[ReferralStatus | None] = mapped_column(_enum(ReferralStatus))

    note = Sealed(str)
    # For a correction: which answer, and the answer before it (the reason is the note).
    correction = Sealed(Correction)

    provider: Mapped[Provider | None] = relationship()


class DraftPage(SealedRowMixin, Base):
    """One page of answers given in a public form, kept here (sealed) between pages, not in a cookie.

    The browser's session holds only the draft's random id; a draft is the pages saved under it for
    one journey. Each page has its own row, so saving a page is one write that never touches the
    others (two tabs cannot overwrite each other's pages). The row's id is derived from the draft's
    id, the journey and the page (:func:`hub.referrals.intake.page_row_id`), so the seal binds the
    answers to all three. A page is kept 24 hours after it was last saved, and every page of a
    draft is removed when the referral is sent or the person uses Exit this page.
    """

    __tablename__ = "intake_draft_page"

    draft_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    source: Mapped[ReferralSource] = mapped_column(_enum(ReferralSource))
    page: Mapped[str] = mapped_column(String(20))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Free form by design (each page has its own fields, and the journeys change), so a mapping of
    # field to what a public form gives: text, the choices ticked, or nothing.
    answers = Sealed(dict[str, str | list[str] | None])


# -- consent and duplicates (issue 11) -----------------------------------------------------------


class ConsentRoute(enum.StrEnum):
    """How a consent fact reached the hub."""

    PROFESSIONAL_FORM = "professional_form"
    SELF_REFERRAL = "self_referral"
    RECORDED_BY_TRS = "recorded_by_trs"
    RECORDED_BY_PROVIDER = "recorded_by_provider"

    @property
    def label(self) -> str:
        return CONSENT_ROUTE_LABELS[self]


CONSENT_ROUTE_LABELS = {
    ConsentRoute.PROFESSIONAL_FORM: "On the professional referral form",
    ConsentRoute.SELF_REFERRAL: "On the self-referral form",
    ConsentRoute.RECORDED_BY_TRS: "Recorded later by the triage team",
    ConsentRoute.RECORDED_BY_PROVIDER: "Recorded by the provider the person came to directly",
}


class ConsentMethod(enum.StrEnum):
    """How the person told us (for consent recorded or withdrawn by the triage team)."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    IN_WRITING = "in_writing"
    THROUGH_REFERRER = "through_referrer"

    @property
    def label(self) -> str:
        return CONSENT_METHOD_LABELS[self]


CONSENT_METHOD_LABELS = {
    ConsentMethod.IN_PERSON: "In person",
    ConsentMethod.PHONE: "By phone",
    ConsentMethod.IN_WRITING: "In writing (letter, email or text)",
    ConsentMethod.THROUGH_REFERRER: "Through the person who referred them",
}


class ConsentRecord(SealedRowMixin, Base):
    """One fact about consent: the person agreed to a wording (``given``), or withdrew consent.

    ``wording`` names the exact, versioned words they agreed to (``hub.referrals.consent.WORDINGS``);
    a withdrawal has none. Who it came from and the note are sealed; the rest is structured.
    """

    __tablename__ = "consent_record"

    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    given: Mapped[bool]
    wording: Mapped[str | None] = mapped_column(String(32))
    route: Mapped[ConsentRoute] = mapped_column(_enum(ConsentRoute))
    # How the person told the triage team (sealed; plain before revision 0024, read only through
    # ``method`` until ``keys seal-plain`` empties it).
    legacy_method: Mapped[ConsentMethod | None] = mapped_column("method", _enum(ConsentMethod))
    method = Sealed(ConsentMethod, plain=Plain(("legacy_method",), _as_kept))
    # The day the person agreed (or withdrew), as they or their referrer said.
    happened_on: Mapped[date]
    recorded_at: Mapped[Created]
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    recorded_by_role: Mapped[str] = mapped_column(String(32))

    from_whom = Sealed(str)
    note = Sealed(str)


class DuplicateDecision(Base):
    """An allocator's decision on two referrals the blind indexes matched: the same person or not.

    The pair is stored in one order (``first_id`` < ``second_id``), so it is decided once.
    """

    __tablename__ = "duplicate_decision"
    __table_args__ = (UniqueConstraint("first_id", "second_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    first_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    second_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), index=True)
    same_person: Mapped[bool]
    decided_at: Mapped[Created]
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


# -- outcome measures on a case (issue 15) ----------------------------------------------------------


class MeasurePoint(enum.StrEnum):
    """When in the person's support a measure was taken."""

    START = "start"
    REVIEW = "review"
    END = "end"

    @property
    def label(self) -> str:
        return MEASURE_POINT_LABELS[self]


MEASURE_POINT_LABELS = {
    MeasurePoint.START: "At the start",
    MeasurePoint.REVIEW: "At a review",
    MeasurePoint.END: "At the end",
}


@dataclass(frozen=True)
class ItemScores(Shape):
    """The person's answer to each item of a measure, as numbers: ``MeasureRecord.items``.

    Never the wording of a question. If any answer stored is not a whole number, 0 or more, the record
    reads as holding no answers, so it is never scored on a guess.
    """

    answers: tuple[int, ...] = ()

    @classmethod
    def read_fields(cls, stored: Mapping[str, Any]) -> ItemScores:
        raw = stored.get("answers")
        listed = raw if isinstance(raw, list | tuple) else []
        answers = [_count(a) for a in listed]
        return cls(tuple(a for a in answers if a is not None) if None not in answers else ())


class MeasureRecord(SealedRowMixin, Base):
    """One outcome measure taken on a case: which measure, when in support, the day, and the item scores
    (sealed). Scored and classified when read (hub.measures.scoring), never stored as words."""

    __tablename__ = "measure_record"

    allocation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("allocation.id", ondelete="CASCADE"), index=True
    )
    measure_id: Mapped[int] = mapped_column(ForeignKey("outcome_measure.id", ondelete="RESTRICT"))
    point: Mapped[MeasurePoint] = mapped_column(_enum(MeasurePoint))
    taken_on: Mapped[date]
    recorded_at: Mapped[Created]
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)

    items = Sealed(ItemScores)

    measure: Mapped[OutcomeMeasure] = relationship()


# -- consultation (issue 15) --------------------------------------------------------------------


class ConsultationVolunteer(SealedRowMixin, Base):
    """Someone who left a name and one safe way to be asked to help shape the service (``/take-part``).

    Kept apart from everything else on purpose: no referral, no feedback, no provider, no time of day,
    so no row can be tied to a person's referral or to what they said in feedback. The id is random;
    the day it was given is plain, for the retention schedule; the rest is sealed.
    """

    __tablename__ = "consultation_volunteer"

    given_on: Mapped[date] = mapped_column(index=True)

    name = Sealed(str)
    # The one way they chose (``methods`` holds exactly one), voicemail, naming the service, safe times.
    safe_contact = Sealed(SafeContact)
    # The phone number, email address or postal address that way needs.
    detail = Sealed(str)
