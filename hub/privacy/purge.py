"""The retention schedule carried out: what is due on a day, and erasing it (``retention purge``).

Each kind is judged by its rule in ``hub.privacy.schedule``. What is due is found with plain columns
only (dates, statuses, whether a sealed column is empty), never by opening a sealed value. Erasing is
safe to repeat: what was erased holds nothing more to erase, so a second run finds nothing. Each
referral is erased in a transaction of its own, with its row locked, after checking again that it is
not under a legal hold.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from hub import audit, calendar
from hub.audit import Actor
from hub.auth.models import StaffUser
from hub.db import committed
from hub.feedback import codes as feedback_codes
from hub.outbox import OutboxMessage
from hub.privacy import erasure
from hub.privacy.schedule import Kind, Rule, rules
from hub.referrals.models import ConsultationVolunteer, DraftPage, Referral
from hub.referrals.states import FINAL

BATCH = 200
SCHEDULE_REASON = "Due under the retention schedule"


@dataclass
class Due:
    """What is due on one day, by kind: ids of the rows (for case records, of their referrals), how many
    records that is, and how many referrals a legal hold keeps back."""

    ids: dict[Kind, list[Any]] = field(default_factory=dict)
    records: dict[Kind, int] = field(default_factory=dict)
    held: int = 0
    # Survivors' feedback codes that stopped working before this day (hub.feedback): never personal
    # data and never counted, so removed whatever the schedule says; how many, and how many were removed.
    codes_expired_before: date | None = None
    expired_codes: int = 0
    removed_codes: int = 0

    @property
    def total(self) -> int:
        return sum(self.records.values())


def _closed_by(moment: datetime) -> Any:
    return (Referral.status.in_(FINAL), Referral.status_changed_at <= moment)


def _case_records_left() -> Any:
    return [
        exists().where(model.referral_id == Referral.id, erasure.still_holding(model))  # type: ignore[attr-defined]
        for model in erasure.CASE_RECORDS
    ]


def _case_record_count(db: Session, referral_ids: list[uuid.UUID]) -> int:
    count = 0
    for start in range(0, len(referral_ids), 500):
        part = referral_ids[start : start + 500]
        for model in erasure.CASE_RECORDS:
            of_these: Any = getattr(model, "referral_id").in_(part)  # noqa: B009
            count += db.scalar(select(func.count()).where(of_these, erasure.still_holding(model))) or 0
    return count


def _due_ids(db: Session, kind: Kind, by: datetime) -> list[Any]:
    if kind is Kind.FORM_DRAFTS:
        return list(db.scalars(select(DraftPage.id).where(DraftPage.saved_at <= by)))
    if kind is Kind.SENT_EMAILS:
        # Emails to the address of a held referral are kept with it, as its answers are.
        held_addresses = select(Referral.email_index).where(erasure.held(), Referral.email_index.is_not(None))
        query = select(OutboxMessage.id).where(
            OutboxMessage.sent_at <= by,
            OutboxMessage.erased_at.is_(None),
            or_(OutboxMessage.to_index.is_(None), OutboxMessage.to_index.not_in(held_addresses)),
        )
        return list(db.scalars(query))
    if kind is Kind.STAFF_ACCOUNTS:
        query = select(StaffUser.id).where(
            StaffUser.disabled,
            StaffUser.disabled_at <= by,
            StaffUser.email_sealed.is_not(None),  # type: ignore[attr-defined]
        )
        return list(db.scalars(query))
    if kind is Kind.REFERRAL_ANSWERS:
        query = select(Referral.id).where(*_closed_by(by), Referral.erased_at.is_(None), not_(erasure.held()))
        return list(db.scalars(query.order_by(Referral.status_changed_at, Referral.id)))
    if kind is Kind.CONSULTATION_VOLUNTEERS:
        return _volunteers_due(db, by)
    if kind is Kind.CASE_RECORDS:
        left = _case_records_left()
        query = select(Referral.id).where(*_closed_by(by), not_(erasure.held()), left[0] | left[1] | left[2])
        return list(db.scalars(query.order_by(Referral.status_changed_at, Referral.id)))
    return []


def _volunteers_due(db: Session, by: datetime) -> list[Any]:
    """Volunteers whose day given is at or before the day of ``by`` (only the day is kept, so a day
    counts whole: given on 3 November 2024, due on 3 November 2026 under 2 years)."""
    query = select(ConsultationVolunteer.id).where(ConsultationVolunteer.given_on <= calendar.day_of(by))
    return list(db.scalars(query.order_by(ConsultationVolunteer.given_on, ConsultationVolunteer.id)))


def _erase_volunteers(db: Session, ids: list[Any], actor: Actor) -> int:
    """A volunteer's row holds nothing the KPIs count, so it is deleted whole."""
    with committed(db):
        for volunteer_id in ids:
            audit.record_as(db, actor, "retention.erased", ConsultationVolunteer.__tablename__, volunteer_id)
        gone = db.execute(delete(ConsultationVolunteer).where(ConsultationVolunteer.id.in_(ids)))
    return int(gone.rowcount)  # type: ignore[attr-defined]


def _held(db: Session, schedule: list[Rule], as_of: date) -> int:
    """Referrals a legal hold keeps back from erasure that the schedule would otherwise erase now."""
    wanted = []
    for rule in schedule:
        by = rule.due_by(as_of)
        if by is None:
            continue
        if rule.kind is Kind.REFERRAL_ANSWERS:
            wanted.append((Referral.status_changed_at <= by) & Referral.erased_at.is_(None))
        elif rule.kind is Kind.CASE_RECORDS:
            left = _case_records_left()
            wanted.append((Referral.status_changed_at <= by) & (left[0] | left[1] | left[2]))
    if not wanted:
        return 0
    either = wanted[0] if len(wanted) == 1 else wanted[0] | wanted[1]
    query = select(func.count()).where(Referral.status.in_(FINAL), erasure.held(), either)
    return db.scalar(query) or 0


def due(db: Session, as_of: date, schedule: list[Rule] | None = None) -> Due:
    """Everything the schedule (or ``schedule``, a changed one) makes due on ``as_of``."""
    schedule = schedule if schedule is not None else rules(db)
    found = Due()
    for rule in schedule:
        by = rule.due_by(as_of)
        if by is None:
            continue
        ids = _due_ids(db, rule.kind, by)
        found.ids[rule.kind] = ids
        found.records[rule.kind] = _case_record_count(db, ids) if rule.kind is Kind.CASE_RECORDS else len(ids)
    found.held = _held(db, schedule, as_of)
    found.codes_expired_before, found.expired_codes = as_of, feedback_codes.expired(db, as_of)
    return found


def _batches(ids: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _erase_drafts(db: Session, ids: list[Any], actor: Actor) -> int:
    with committed(db):
        for page_id in ids:
            audit.record_as(db, actor, "retention.erased", DraftPage.__tablename__, page_id)
        db.execute(delete(DraftPage).where(DraftPage.id.in_(ids)))
    return len(ids)


def _erase_emails(db: Session, ids: list[Any], actor: Actor) -> int:
    with committed(db):
        messages = db.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))
        return erasure.erase_emails(db, messages, actor)


def _erase_accounts(db: Session, ids: list[Any], actor: Actor) -> int:
    """A disabled account's name, email and authenticator secret; the account stays, by its id, for
    the audit log and the timelines (which then say "a former member of staff")."""
    with committed(db):
        users = db.scalars(select(StaffUser).where(StaffUser.id.in_(ids), StaffUser.disabled)).all()
        for user in users:
            user.email = user.display_name = user.totp_secret = None
            user.email_index = f"erased-{user.id.hex}"
            audit.record_as(db, actor, "retention.erased", StaffUser.__tablename__, user.id)
    return len(users)


def _erase_referrals(db: Session, kind: Kind, ids: list[Any], actor: Actor) -> int:
    erased = 0
    for referral_id in ids:
        with committed(db):
            referral = db.get(Referral, referral_id, with_for_update=True, populate_existing=True)
            if referral is None or erasure.is_held(db, referral_id):
                continue
            if kind is Kind.REFERRAL_ANSWERS:
                erased += erasure.erase_answers(db, referral, actor, SCHEDULE_REASON)
            else:
                erased += erasure.erase_case_records(db, [referral_id], actor)
    return erased


def purge(
    db: Session, found: Due, actor: Actor, after_each: Callable[[Kind, int], None] = lambda kind, n: None
) -> dict[Kind, int]:
    """Erase what ``found`` (from :func:`due`) holds; how many records were erased, by kind.
    ``after_each`` hears of each batch (or referral) done, for a progress bar."""
    erased: dict[Kind, int] = {}
    for kind, ids in found.ids.items():
        erased[kind] = 0
        if kind in (Kind.REFERRAL_ANSWERS, Kind.CASE_RECORDS):
            for referral_id in ids:
                done = _erase_referrals(db, kind, [referral_id], actor)
                erased[kind] += done
                after_each(kind, 1)
            continue
        eraser = {
            Kind.FORM_DRAFTS: _erase_drafts,
            Kind.SENT_EMAILS: _erase_emails,
            Kind.STAFF_ACCOUNTS: _erase_accounts,
            Kind.CONSULTATION_VOLUNTEERS: _erase_volunteers,
        }[kind]
        for batch in _batches(ids):
            erased[kind] += eraser(db, batch, actor)
            after_each(kind, len(batch))
    if found.codes_expired_before is not None:
        found.removed_codes = feedback_codes.remove_expired(db, found.codes_expired_before)
    return erased
