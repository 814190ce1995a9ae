"""A provider's work on a case: accept or decline, first contact, sessions and measures, closing.

A case is one allocation (an offer of a referral to a provider). Every transition is a function
here and one transaction: it locks the referral's row, loads the allocation, checks that it
belongs to the acting member of staff's provider, that the person agreed to their details being
shared (``Referral.consent_to_share``) and that the table of moves (``hub.referrals.states``)
allows the move from where the case is now, then writes the change, a timeline event and an audit
entry, and any email, together. A move that is not allowed raises a :class:`CaseError` subclass
whose message is for the member of staff; nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, contains_eager

from hub import audit, calendar, outbox
from hub.audit import Actor
from hub.auth.models import Role
from hub.auth.services import notice_addresses
from hub.config import current_config
from hub.db import committed, utcnow
from hub.feedback import codes as feedback_codes
from hub.measures.models import OutcomeMeasure
from hub.measures.scoring import ScoringError, score
from hub.referrals import restriction, states, timeline
from hub.referrals.intake import NEUTRAL_SENDER
from hub.referrals.models import (
    Allocation,
    AllocationStatus,
    ContactMethod,
    DeclineReason,
    EventKind,
    FirstContact,
    ItemScores,
    MeasurePoint,
    MeasureRecord,
    Measures,
    Outcome,
    Referral,
    ReferralStatus,
    SafeContact,
)

S = ReferralStatus


class CaseError(Exception):
    """The change was not made; the message says why, for the member of staff.

    ``field`` names the form field the message is about, if it is about one.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotYourCase(CaseError):
    pass


class NotAllowedNow(CaseError):
    pass


class UnsafeChannel(CaseError):
    pass


class BadDetails(CaseError):
    pass


class Contradiction(BadDetails):
    """The record would contradict itself (or what is already recorded)."""


class DetailsRestricted(CaseError):
    """The person's details are restricted (``hub.referrals.restriction``): this needs them."""


class Erased(CaseError):
    """The person's details were erased (``hub.privacy.erasure``): the case is a record, nothing more."""


class NoConsentToShare(CaseError):
    """The person has not agreed (or no longer agrees) to their details being shared with the provider."""


NO_CONSENT = (
    "The person has not agreed to their details being shared with you yet. "
    "Ask the triage team to record their consent; they can find it under “Consent to share needed”."
)


def _case(db: Session, allocation_id: uuid.UUID, provider_id: int) -> tuple[Allocation, Referral]:
    allocation = db.get(Allocation, allocation_id)
    if allocation is None or allocation.provider_id != provider_id:
        raise NotYourCase("This case is not one of your organisation's.")
    referral = db.scalar(select(Referral).where(Referral.id == allocation.referral_id).with_for_update())
    db.refresh(allocation)  # read again now the referral is locked, so the checks see the latest
    assert referral is not None  # noqa: S101  (an allocation's referral is removed with it)
    if referral.erased_at is not None:
        raise Erased(
            "The person's details were erased, so nothing more can be recorded on this case. "
            "Its dates, outcome and figures are kept."
        )
    if not referral.consent_to_share:
        # Nothing may be done with a case the person has not agreed to share (a referral allocated
        # before consent was enforced), or withdrew from.
        if referral.status is S.WITHDRAWN:
            raise NoConsentToShare("The person withdrew their consent, so this case is closed.")
        raise NoConsentToShare(NO_CONSENT)
    return allocation, referral


def _check_move(kind: EventKind, allocation: Allocation, referral: Referral, what: str) -> None:
    """Refuse, saying ``what`` could not be done, a move the table does not allow from where the case is."""
    if not states.allowed(kind, referral.status, allocation.status):
        raise NotAllowedNow(
            f"You cannot {what} now: the case is “{referral.status.label}”. "
            "Someone may have acted on it already."
        )


def _check_not_restricted(referral: Referral, action: str) -> None:
    if restriction.hides_details(referral):
        raise DetailsRestricted(restriction.PROVIDER_CANNOT[action])


def accept(db: Session, allocation_id: uuid.UUID, provider_id: int, actor: Actor) -> Allocation:
    with committed(db):
        allocation, referral = _case(db, allocation_id, provider_id)
        _check_move(EventKind.ACCEPTED, allocation, referral, "accept this referral")
        timeline.record(db, referral, EventKind.ACCEPTED, actor, offer=allocation)
        if referral.referrer_email:
            outbox.queue(
                db,
                to=referral.referrer_email,
                template="referral_accepted_referrer",
                subject="Your referral has been accepted",
                reference=referral.reference,
            )
    return allocation


def decline(
    db: Session,
    allocation_id: uuid.UUID,
    provider_id: int,
    actor: Actor,
    reason: DeclineReason,
    note: str = "",
) -> Allocation:
    """Hand the referral back to the triage team, who see the reason first."""
    note = note.strip()
    with committed(db):
        allocation, referral = _case(db, allocation_id, provider_id)
        _check_move(EventKind.DECLINED, allocation, referral, "decline this referral")
        if reason is DeclineReason.OTHER and not note:
            raise BadDetails("Say why you are declining the referral")
        allocation.decline_reason = reason
        allocation.decline_note = note or None
        why = reason.label if not note else f"{reason.label}. {note}"
        timeline.record(db, referral, EventKind.DECLINED, actor, offer=allocation, note=why)
        for address in notice_addresses(db, current_config().trs_email, Role.ALLOCATOR):
            outbox.queue(
                db,
                to=address,
                template="referral_declined_trs",
                subject="A referral has come back to the triage queue",
                reference=referral.reference,
            )
    return allocation


def record_first_contact(
    db: Session,
    allocation_id: uuid.UUID,
    provider_id: int,
    actor: Actor,
    on: date,
    channel: ContactMethod | str,
    *,
    voicemail_left: bool | None = None,
    service_named: bool | None = None,
) -> Allocation:
    """The first contact with the person: support has started.

    Only by a way they marked safe ("through the referrer" when they chose it). For a phone call,
    whether a voicemail was left and whether the service was named must be said, and each is
    allowed only if the person said yes to it.
    """
    with committed(db):
        allocation, referral = _case(db, allocation_id, provider_id)
        _check_move(EventKind.FIRST_CONTACT, allocation, referral, "record a first contact")
        _check_not_restricted(referral, "first-contact")
        method = _method(channel)
        safe = SafeContact.of(referral)
        if not safe.allows(method):
            raise UnsafeChannel(
                f"{method.label} is not one of the ways the person said is safe to contact them. "
                "Use one of the safe ways shown at the top of the case.",
                "channel",
            )
        if method is ContactMethod.PHONE:
            _check_phone_call(safe, voicemail_left, service_named)
        else:
            voicemail_left = service_named = None
        if on > calendar.today():
            raise BadDetails("The date of first contact must be today or in the past", "on")
        if allocation.decided_at is not None and on < calendar.day_of(allocation.decided_at):
            raise BadDetails("The date of first contact cannot be before you accepted the referral", "on")
        allocation.first_contact_on = on
        allocation.first_contact = FirstContact(method, voicemail_left, service_named)
        timeline.record(
            db,
            referral,
            EventKind.FIRST_CONTACT,
            actor,
            offer=allocation,
            note=f"{method.label}, {on.strftime('%-d %B %Y')}",
        )
    return allocation


def _method(channel: ContactMethod | str) -> ContactMethod:
    try:
        return ContactMethod(channel)
    except ValueError:
        raise BadDetails("Choose how you made contact, from the ways shown", "channel") from None


SAID = {
    "no": "said it is not safe to",
    "unsure": "was not sure it is safe to",
    "": "did not say it is safe to",
}


def _check_phone_call(safe: SafeContact, voicemail_left: bool | None, service_named: bool | None) -> None:
    """A phone call keeps to what the person said about voicemail and about saying who is calling."""
    if voicemail_left is None:
        raise BadDetails("Say whether you left a voicemail", "voicemail_left")
    if service_named is None:
        raise BadDetails("Say whether you said who you are", "service_named")
    if voicemail_left and not safe.voicemail_safe:
        raise UnsafeChannel(
            f"The person {SAID[safe.voicemail]} leave a voicemail, so this cannot be recorded. "
            "If a voicemail was left by mistake, tell the triage team today.",
            "voicemail_left",
        )
    if service_named and not safe.may_say_who:
        raise UnsafeChannel(
            f"The person {SAID[safe.say_who]} say who is calling, so this cannot be recorded. "
            "If the service was named by mistake, tell the triage team today.",
            "service_named",
        )


def record_measures(
    db: Session, allocation_id: uuid.UUID, provider_id: int, actor: Actor, values: Mapping[str, Any]
) -> Allocation:
    """What the quarterly return needs from each case: whole, non-negative numbers."""
    with committed(db):
        allocation, referral = _case(db, allocation_id, provider_id)
        _check_move(EventKind.MEASURES_RECORDED, allocation, referral, "record sessions for this case")
        _check_not_restricted(referral, "measures")
        # The scores at the start and end are no longer asked for here (outcome measures are recorded
        # one by one, item by item); an older case keeps the ones it has.
        kept = allocation.measures or Measures()
        values = {"outcome_start": kept.outcome_start, "outcome_end": kept.outcome_end, **values}
        measures = Measures.read(values)
        # Reading changes a value only if it is not a whole number, 0 or more (nor left blank).
        if measures.stored() != {name: values.get(name) for name in Measures.names()}:
            raise BadDetails("Sessions and scores must be whole numbers, 0 or more")
        _check_measures(measures, allocation)
        allocation.measures = measures
        timeline.record(db, referral, EventKind.MEASURES_RECORDED, actor, offer=allocation)
    return allocation


def record_outcome_measure(
    db: Session,
    allocation_id: uuid.UUID,
    provider_id: int,
    actor: Actor,
    *,
    measure_code: str,
    point: MeasurePoint | str,
    taken_on: date,
    answers: Sequence[int],
) -> MeasureRecord:
    """One outcome measure taken with the person: the measure (one in use), when in their support, the
    day, and the score of each item (sealed). Scored here, so scores that cannot be scored are refused.

    The timeline says that measures were recorded, never a score; the audit entry is the timeline's.
    """
    with committed(db):
        allocation, referral = _case(db, allocation_id, provider_id)
        _check_move(
            EventKind.MEASURES_RECORDED, allocation, referral, "record an outcome measure for this case"
        )
        _check_not_restricted(referral, "outcome-measure")
        measure = db.scalar(select(OutcomeMeasure).where(OutcomeMeasure.code == measure_code))
        if measure is None or not measure.active:
            raise BadDetails("Choose a measure from the ones listed", "measure")
        when = _point(point)
        _check_measure_day(allocation, taken_on)
        _check_in_order(db, allocation, measure, when, taken_on)
        try:
            score(measure, answers)
        except ScoringError as error:
            raise BadDetails(str(error), f"item_{error.item}" if error.item else None) from None
        record = MeasureRecord(
            allocation_id=allocation.id,
            measure_id=measure.id,
            point=when,
            taken_on=taken_on,
            recorded_by=uuid.UUID(actor.id) if actor.id else None,
        )
        record.items = ItemScores(tuple(answers))
        db.add(record)
        timeline.record(db, referral, EventKind.MEASURES_RECORDED, actor, offer=allocation)
    return record


def _point(point: MeasurePoint | str) -> MeasurePoint:
    try:
        return MeasurePoint(point)
    except ValueError:
        raise BadDetails("Choose when the measure was taken", "point") from None


def _check_measure_day(allocation: Allocation, taken_on: date) -> None:
    contacted = allocation.first_contact_on
    if contacted is None:
        raise Contradiction(
            "No first contact is recorded, so no measure can have been taken yet. "
            "Record the first contact first."
        )
    if taken_on > calendar.today():
        raise BadDetails("The day the measure was taken must be today or in the past", "taken_on")
    if taken_on < contacted:
        raise BadDetails(
            f"The day the measure was taken cannot be before the first contact, on "
            f"{contacted.strftime('%-d %B %Y')}",
            "taken_on",
        )


def _check_in_order(
    db: Session, allocation: Allocation, measure: OutcomeMeasure, when: MeasurePoint, taken_on: date
) -> None:
    """An end is not taken before the case's first start of the same measure, nor a start after its
    last end: such a pair would read as a change the other way round."""
    days = db.execute(
        select(MeasureRecord.point, MeasureRecord.taken_on).where(
            MeasureRecord.allocation_id == allocation.id, MeasureRecord.measure_id == measure.id
        )
    ).all()
    starts = [day for point, day in days if point is MeasurePoint.START]
    ends = [day for point, day in days if point is MeasurePoint.END]
    if when is MeasurePoint.END and starts and taken_on < min(starts):
        first = min(starts).strftime("%-d %B %Y")
        raise BadDetails(
            f"The end cannot be before the start: {measure.name} was first taken at the start on {first}",
            "taken_on",
        )
    if when is MeasurePoint.START and ends and taken_on > max(ends):
        last = max(ends).strftime("%-d %B %Y")
        raise BadDetails(
            f"The start cannot be after the end: {measure.name} was last taken at the end on {last}",
            "taken_on",
        )


def close(
    db: Session, allocation_id: uuid.UUID, provider_id: int, actor: Actor, outcome: Outcome, note: str = ""
) -> Allocation:
    with committed(db):
        allocation, referral = _case(db, allocation_id, provider_id)
        _check_move(EventKind.CLOSED, allocation, referral, "close this case")
        _check_outcome(outcome, allocation)
        allocation.outcome, allocation.closed_at = outcome, utcnow()
        if gives_feedback_code(allocation):
            _give_feedback_code(db, allocation, referral)
        note = note.strip()
        timeline.record(
            db,
            referral,
            EventKind.CLOSED,
            actor,
            offer=allocation,
            note=outcome.label if not note else f"{outcome.label}. {note}",
        )
    return allocation


# -- survivors' feedback ------------------------------------------------------------------------


def gives_feedback_code(allocation: Allocation) -> bool:
    """Closing gives the person a feedback code when support took place (a first contact was made)."""
    return allocation.first_contact_on is not None


def offer_feedback(db: Session, allocation_id: uuid.UUID, provider_id: int, actor: Actor) -> Allocation:
    """A feedback code at a review point, once per case (another comes when the case closes)."""
    with committed(db):
        allocation, referral = _case(db, allocation_id, provider_id)
        _check_move(EventKind.FEEDBACK_OFFERED, allocation, referral, "give a feedback code")
        _check_not_restricted(referral, "feedback")
        if allocation.feedback_offered_on is not None:
            raise NotAllowedNow(
                f"A feedback code was given for this case on {allocation.feedback_offered_on:%-d %B %Y}. "
                "Each case has one during support, and another when it closes."
            )
        allocation.feedback_offered_on = calendar.today()
        _give_feedback_code(db, allocation, referral)
        timeline.record(db, referral, EventKind.FEEDBACK_OFFERED, actor, offer=allocation)
    return allocation


def _give_feedback_code(db: Session, allocation: Allocation, referral: Referral) -> None:
    """Make a code and send it by email if email is a safe way and an address is held; otherwise keep
    it sealed on the case for the case page to show once, for the worker to give in person or by phone."""
    code = feedback_codes.issue(db, allocation.provider_id)
    safe = SafeContact.of(referral)
    if not (safe.allows(ContactMethod.EMAIL) and referral.email and not restriction.hides_details(referral)):
        allocation.feedback_code = code
        return
    config = current_config()
    words = {"link": f"{config.public_url.rstrip('/')}/feedback", "days": str(config.feedback_code_days)}
    if safe.may_say_who:
        outbox.queue(
            db,
            to=referral.email,
            template="feedback_code",
            subject="Tell us what you think",
            secret=code,
            **words,
        )
    else:  # anyone who sees it learns nothing: no service, nothing about support
        outbox.queue(
            db,
            to=referral.email,
            template="feedback_code_neutral",
            subject="Your code",
            sender_name=NEUTRAL_SENDER,
            secret=code,
            **words,
        )


def take_feedback_code(db: Session, allocation: Allocation, actor: Actor) -> str | None:
    """The case's feedback code not shown yet, emptied as it is taken, so the case page shows it once
    (one past its last day is emptied and not shown)."""
    if getattr(allocation, Allocation.feedback_code.column) is None:
        return None
    with committed(db):
        locked = db.get(Allocation, allocation.id, with_for_update=True, populate_existing=True)
        code = locked.feedback_code if locked else None
        if locked is None or code is None:
            return None
        locked.feedback_code = None
        if not feedback_codes.usable(db, code):
            return None  # past its last day: nothing to give
        audit.record_as(db, actor, "feedback.code_shown", "allocation", allocation.id)
    return code


# -- records that would contradict themselves ----------------------------------------------------
# Each rule has one home, here; the forms check only that each answer is well formed.

NEEDS_FIRST_CONTACT = frozenset({Outcome.SUPPORT_COMPLETED, Outcome.DISENGAGED})
"""Outcomes that say support took place, so a first contact must have been recorded."""


def _check_outcome(outcome: Outcome, allocation: Allocation) -> None:
    contacted = allocation.first_contact_on
    if outcome is Outcome.COULDNT_CONTACT and contacted is not None:
        raise Contradiction(
            f"You recorded a first contact on {contacted.strftime('%-d %B %Y')}, so the case cannot close "
            f"as “{outcome.label}”. Choose another way support ended.",
            "outcome",
        )
    if outcome in NEEDS_FIRST_CONTACT and contacted is None:
        raise Contradiction(
            f"No first contact is recorded, so the case cannot close as “{outcome.label}”. "
            "Record the first contact first, or choose another way support ended.",
            "outcome",
        )


def _check_measures(measures: Measures, allocation: Allocation) -> None:
    offered = measures.sessions_offered
    taken = (measures.sessions_attended or 0) + (measures.sessions_not_attended or 0)
    if offered is not None and taken > offered:
        raise Contradiction(
            "Sessions attended and not attended cannot add up to more than the sessions offered",
            "sessions_attended",
        )
    if allocation.first_contact_on is None:
        for name, label in (("sessions_attended", "sessions attended"), ("group_sessions", "group sessions")):
            if getattr(measures, name):
                raise Contradiction(
                    f"No first contact is recorded, so there cannot be {label} yet. "
                    "Record the first contact first, or enter 0.",
                    name,
                )


# -- the provider's list ------------------------------------------------------------------------

GROUPS = {
    "decision": "Waiting for your decision",
    "active": "Active",
    "closed": "Closed",
}


def _in_group(group: str) -> Any:
    return {
        "decision": Allocation.status == AllocationStatus.PENDING,
        "active": and_(
            Allocation.status == AllocationStatus.ACCEPTED, Referral.status.in_([S.ACCEPTED, S.IN_SUPPORT])
        ),
        "closed": and_(
            Allocation.status == AllocationStatus.ACCEPTED, Referral.status.in_([S.CLOSED, S.WITHDRAWN])
        ),
    }[group]


@dataclass(frozen=True)
class CaseList:
    group: str
    counts: dict[str, int]
    cases: list[Allocation]
    risk_only: bool


def case_list(db: Session, provider_id: int, group: str, risk_only: bool = False) -> CaseList:
    """One group of the provider's own cases (no personal data is listed), with every group's count.

    Whether risks were reported is a fact the person told us, so it counts (for the filter and the
    order) only for a case whose referral they agreed to share and that is not restricted.
    """
    group = group if group in GROUPS else "decision"
    risk = and_(
        Referral.risk_flagged.is_(True), Referral.consent_to_share.is_(True), Referral.restricted_at.is_(None)
    )
    mine = select().select_from(Allocation).join(Referral).where(Allocation.provider_id == provider_id)
    if risk_only:
        mine = mine.where(risk)
    counts = db.execute(mine.add_columns(*(func.count().filter(_in_group(g)) for g in GROUPS))).one()
    query = (
        select(Allocation)
        .join(Referral)
        .where(Allocation.provider_id == provider_id, _in_group(group))
        .options(contains_eager(Allocation.referral).selectinload(Referral.specialisms))
        .order_by(case((risk, 0), else_=1), Allocation.created_at)
    )
    if risk_only:
        query = query.where(risk)
    return CaseList(group, dict(zip(GROUPS, counts, strict=True)), list(db.scalars(query)), risk_only)


@dataclass(frozen=True)
class Waiting:
    """A case waiting for the provider to do something, and for how many working days it has waited."""

    allocation: Allocation
    working_days: int


@dataclass(frozen=True)
class ToDo:
    offers: list[Waiting]
    """Offers waiting for the provider's decision, oldest first."""
    no_first_contact: list[Waiting]
    """Accepted cases with no first contact yet, longest waiting first."""


def to_do(db: Session, provider_id: int) -> ToDo:
    """What the provider's staff need to do next (references only: no personal data is listed)."""
    today = calendar.today()

    def waiting(condition: Any, since: Any) -> list[Waiting]:
        found = db.scalars(
            select(Allocation)
            .join(Referral)
            .where(Allocation.provider_id == provider_id, condition)
            .options(contains_eager(Allocation.referral))
            .order_by(since, Allocation.id)
        )
        return [
            Waiting(a, calendar.working_days_between(calendar.day_of(a.decided_at or a.created_at), today))
            for a in found
        ]

    return ToDo(
        offers=waiting(_in_group("decision"), Allocation.created_at),
        no_first_contact=waiting(
            and_(Allocation.status == AllocationStatus.ACCEPTED, Referral.status == S.ACCEPTED),
            Allocation.decided_at,
        ),
    )
