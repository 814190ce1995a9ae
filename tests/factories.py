"""Valid objects in one line each. Every person here is made up."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import calendar
from hub.auth.models import Role, StaffUser
from hub.auth.passwords import hash_password
from hub.auth.services import email_index
from hub.db import utcnow
from hub.feedback.models import FeedbackResponse
from hub.keyring import current_keyring
from hub.kpi.meeting_models import MeetingAction, MeetingRecord
from hub.kpi.models import KpiReturn, return_id
from hub.measures.models import OutcomeMeasure
from hub.outbox import OutboxMessage
from hub.privacy.models import Asker, ErasureDecision, LegalHold, RequestKind, RightsRequest
from hub.providers.models import Provider, ProviderCapacity, Specialism
from hub.referrals.models import (
    Allocation,
    ConsentRecord,
    ConsentRoute,
    ConsultationVolunteer,
    ContactMethod,
    DraftPage,
    EventKind,
    MeasurePoint,
    MeasureRecord,
    Referral,
    ReferralEvent,
    ReferralSource,
    SafeContact,
)
from hub.referrals.references import new_reference
from hub.sealed import Sealed

_numbers = itertools.count(1)


def specialism(db: Session, **fields: Any) -> Specialism:
    n = next(_numbers)
    item = Specialism(**{"code": f"spec{n}", "label": f"Specialism {n}", **fields})
    db.add(item)
    db.flush()
    return item


SET_UP_LONG_AGO = datetime(2020, 4, 1, 9, 0, tzinfo=UTC)
"""When a test's provider was added, unless it says: before every quarter a test looks at, so each
quarter expects its return (hub/kpi/expected.py)."""


def provider(
    db: Session, *, new_starts: int | None = 10, max_active: int | None = 20, **fields: Any
) -> Provider:
    n = next(_numbers)
    item = Provider(
        **{"slug": f"provider{n}", "name": f"Provider {n}", "created_at": SET_UP_LONG_AGO, **fields}
    )
    item.capacity = ProviderCapacity(new_starts_per_quarter=new_starts, max_active=max_active)
    db.add(item)
    db.flush()
    return item


def referral(db: Session, **fields: Any) -> Referral:
    item = Referral(reference=new_reference(), source=fields.pop("source", ReferralSource.SELF))
    item.preferred_name = "Test Person"
    # As intake makes them: agreed to the referral and to sharing, unless a test says otherwise.
    fields = {"consent_to_referral": True, "consent_to_share": True, **fields}
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


def consent_record(db: Session, **fields: Any) -> ConsentRecord:
    item = ConsentRecord(
        referral_id=fields.pop("referral_id", None) or referral(db).id,
        given=fields.pop("given", True),
        wording=fields.pop("wording", "share-v1"),
        route=fields.pop("route", ConsentRoute.RECORDED_BY_TRS),
        happened_on=fields.pop("happened_on", None) or calendar.today(),
        recorded_by_role=fields.pop("recorded_by_role", "allocator"),
    )
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


def draft_page(db: Session, **fields: Any) -> DraftPage:
    item = DraftPage(
        draft_id=fields.pop("draft_id", None) or uuid.uuid4(),
        source=fields.pop("source", ReferralSource.SELF),
        page=fields.pop("page", "about"),
        saved_at=utcnow(),
    )
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


def outbox_message(db: Session, **fields: Any) -> OutboxMessage:
    item = OutboxMessage(template="test", subject="Test", body="A test message with no personal data.")
    item.to_address = fields.pop("to_address", "someone@example.org")
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


TEST_PASSWORD = "purple elephant lighthouse 42"
_TEST_PASSWORD_HASH: list[str] = []


def staff_user(db: Session, **fields: Any) -> StaffUser:
    """A staff account with TEST_PASSWORD (hashed once per run: Argon2id is slow on purpose)."""
    if not _TEST_PASSWORD_HASH:
        _TEST_PASSWORD_HASH.append(hash_password(TEST_PASSWORD))
    n = next(_numbers)
    email = fields.pop("email", f"staff{n}@example.org")
    role = fields.pop("role", Role.ALLOCATOR)
    item = StaffUser(email_index=email_index(email), role=role, password_hash=_TEST_PASSWORD_HASH[0])
    item.email = email
    item.display_name = fields.pop("display_name", f"Staff Member {n}")
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


def referral_event(db: Session, **fields: Any) -> ReferralEvent:
    item = ReferralEvent(
        referral_id=fields.pop("referral_id", None) or referral(db).id,
        kind=fields.pop("kind", EventKind.INFO_REQUESTED),
        actor_role=fields.pop("actor_role", "allocator"),
    )
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


def kpi_return(db: Session, **fields: Any) -> KpiReturn:
    provider_id = fields.pop("provider_id", None) or provider(db).id
    quarter, version = fields.pop("quarter", 20263), fields.pop("version", 1)
    item = KpiReturn(
        id=return_id(provider_id, quarter, version),
        provider_id=provider_id,
        quarter=quarter,
        version=version,
        saved_at=utcnow(),
    )
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


def feedback_response(db: Session, **fields: Any) -> FeedbackResponse:
    item = FeedbackResponse(
        provider_id=fields.pop("provider_id", None) or provider(db).id,
        quarter=fields.pop("quarter", calendar.Quarter.current().key),
    )
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


def meeting_record(db: Session, **fields: Any) -> MeetingRecord:
    item = MeetingRecord(quarter=fields.pop("quarter", calendar.Quarter.last_ended().key))
    item.notes = fields.pop("notes", "Referrals rose again.")
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


def meeting_action(db: Session, **fields: Any) -> MeetingAction:
    item = MeetingAction(
        raised_in=fields.pop("raised_in", calendar.Quarter.last_ended().key),
        owner=fields.pop("owner", "trs"),
        due_on=fields.pop("due_on", date(2027, 1, 29)),
    )
    item.what = fields.pop("what", "Send the allocation times to every provider.")
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


def legal_hold(db: Session, **fields: Any) -> LegalHold:
    item = LegalHold(referral_id=fields.pop("referral_id", None) or referral(db).id)
    item.reason = fields.pop("reason", "Needed for a court case")
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


def erasure_decision(db: Session, **fields: Any) -> ErasureDecision:
    item = ErasureDecision(
        referral_id=fields.pop("referral_id", None) or referral(db).id, erased=fields.pop("erased", False)
    )
    item.basis = fields.pop("basis", "Article 17(3)(e): needed for a legal claim")
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


def store_as_before(row: Any, name: str, stored: Any) -> None:
    """Put ``stored`` in a sealed attribute as an older version of the hub may have left it (any JSON),
    around the model's checks: the way to test that old rows still read."""
    sealed: Sealed[Any] = getattr(type(row), name)
    raw = json.dumps(stored).encode("utf-8")
    setattr(row, sealed.column, current_keyring().seal(raw, sealed.binding(row.id)))


def stored_json(row: Any, name: str) -> Any:
    """What a sealed attribute holds, opened but not read through its shape: the stored JSON itself."""
    sealed: Sealed[Any] = getattr(type(row), name)
    return json.loads(current_keyring().unseal(getattr(row, sealed.column), sealed.binding(row.id)))


def rights_request(db: Session, **fields: Any) -> RightsRequest:
    received = fields.pop("received_on", None) or calendar.today()
    item = RightsRequest(
        kind=fields.pop("kind", RequestKind.ACCESS),
        asker=fields.pop("asker", Asker.PERSON),
        received_on=received,
        due_on=fields.pop("due_on", None) or calendar.answer_due(received),
    )
    item.person_name = fields.pop("person_name", "Test Person")
    item.identity_check = fields.pop("identity_check", "Saw a passport")
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


def measure_record(db: Session, **fields: Any) -> MeasureRecord:
    """A record of the first measure in the registry on a case (made if none is given)."""
    measure_id = (
        fields.pop("measure_id", None)
        or db.scalars(select(OutcomeMeasure.id).order_by(OutcomeMeasure.id)).first()
    )
    item = MeasureRecord(
        allocation_id=fields.pop("allocation_id", None) or allocation(db).id,
        measure_id=measure_id,
        point=fields.pop("point", MeasurePoint.START),
        taken_on=fields.pop("taken_on", date(2026, 11, 2)),
    )
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


def consultation_volunteer(db: Session, **fields: Any) -> ConsultationVolunteer:
    item = ConsultationVolunteer(given_on=fields.pop("given_on", None) or calendar.today())
    item.name = fields.pop("name", "Sam")
    item.safe_contact = fields.pop("safe_contact", SafeContact(methods=(ContactMethod.EMAIL,)))
    item.detail = fields.pop("detail", "sam.volunteer@example.org")
    for name, value in fields.items():
        setattr(item, name, value)
    db.add(item)
    db.flush()
    return item


BUILDERS: dict[type, Callable[..., Any]] = {
    Referral: referral,
    Allocation: allocation,
    DraftPage: draft_page,
    ReferralEvent: referral_event,
    ConsentRecord: consent_record,
    KpiReturn: kpi_return,
    OutboxMessage: outbox_message,
    StaffUser: staff_user,
    LegalHold: legal_hold,
    ErasureDecision: erasure_decision,
    RightsRequest: rights_request,
    MeasureRecord: measure_record,
    ConsultationVolunteer: consultation_volunteer,
    FeedbackResponse: feedback_response,
    MeetingRecord: meeting_record,
    MeetingAction: meeting_action,
}
"""One builder per model with sealed attributes; the sealed-storage tests fail for a model missing here."""


class SealedField(Protocol):
    column: str


def sealed_blob(row: object, field: SealedField) -> bytes | None:
    """What is stored for a sealed attribute: its ``<name>_sealed`` column, added when the model is made."""
    blob: bytes | None = getattr(row, field.column)
    return blob
