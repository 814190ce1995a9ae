"""The retention schedule: for each kind of record, how long it is kept after which event, and why.

The periods and reasons are data (``RetentionRule``, defaults written by migration 0021) that an
administrator changes at ``/admin/retention``; what each kind covers and the event it runs from are
fixed here, because ``hub.privacy.purge`` does exactly that. ``rules(db)`` is the schedule as the
pages, the purge and the public privacy notice read it.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit, calendar
from hub.audit import Actor
from hub.db import committed, utcnow
from hub.plurals import counted
from hub.privacy.models import RetentionRule


class Kind(enum.StrEnum):
    REFERRAL_ANSWERS = "referral_answers"
    CASE_RECORDS = "case_records"
    SENT_EMAILS = "sent_emails"
    FORM_DRAFTS = "form_drafts"
    STAFF_ACCOUNTS = "staff_accounts"
    AUDIT_ENTRIES = "audit_entries"
    CONSULTATION_VOLUNTEERS = "consultation_volunteers"


class Unit(enum.StrEnum):
    HOURS = "hours"
    DAYS = "days"
    MONTHS = "months"
    YEARS = "years"

    @property
    def most(self) -> int:
        """The longest period a council may set in this unit: a century, or a year of hours."""
        return {Unit.HOURS: 8760, Unit.DAYS: 36_500, Unit.MONTHS: 1200, Unit.YEARS: 100}[self]

    @property
    def singular(self) -> str:
        return self.value.removesuffix("s")

    def approximate(self, amount: int) -> timedelta:
        """About how long ``amount`` of this unit is, only to tell a shorter period from a longer one."""
        days = {Unit.HOURS: 1 / 24, Unit.DAYS: 1.0, Unit.MONTHS: 30.44, Unit.YEARS: 365.25}[self]
        return timedelta(days=amount * days)


@dataclass(frozen=True)
class About:
    """What one kind of record is, and the event its period runs from."""

    label: str
    covers: str
    runs_from: str
    fixed: bool = False  # the period cannot be changed (the audit log cannot be erased)


KINDS: dict[Kind, About] = {
    Kind.REFERRAL_ANSWERS: About(
        "Referral answers",
        "Everything the person and their referrer told us on the form: names, date of birth, contact "
        "details, address, safe-contact answers, access needs, the support wanted and the risks.",
        "the referral was closed, signposted or withdrawn",
    ),
    Kind.CASE_RECORDS: About(
        "Case records",
        "The notes on the referral's timeline, the triage team's reasons, a provider's reasons for "
        "declining, and who gave or withdrew consent, with the notes about it.",
        "the referral was closed, signposted or withdrawn",
    ),
    Kind.SENT_EMAILS: About(
        "Sent emails", "The body and the address of each email the hub sent.", "the email was sent"
    ),
    Kind.FORM_DRAFTS: About(
        "Unsent form answers",
        "Pages of a public form that were saved but never sent.",
        "the page was last saved",
    ),
    Kind.STAFF_ACCOUNTS: About(
        "Disabled staff accounts",
        "The name and work email of a staff account that is disabled.",
        "the account was disabled",
    ),
    Kind.AUDIT_ENTRIES: About(
        "Audit entries",
        "Who did what and when: ids, roles and actions, never personal details.",
        "the entry was written",
        fixed=True,
    ),
    Kind.CONSULTATION_VOLUNTEERS: About(
        "People who offered to help shape the service",
        "The name and the one safe way to contact someone who left them on the take part page. "
        "Taken off sooner when they ask.",
        "the day they gave them",
    ),
}


@dataclass(frozen=True)
class Rule:
    kind: Kind
    label: str
    covers: str
    runs_from: str
    reason: str
    amount: int | None
    unit: Unit | None
    changed_at: datetime | None
    changed_by: uuid.UUID | None
    fixed: bool

    @property
    def kept(self) -> bool:
        return self.unit is None or self.amount is None

    @property
    def period(self) -> str:
        """The period in words: "7 years", "24 hours", or "Kept"."""
        return period_words(self.amount, self.unit)

    def due_by(self, as_of: date) -> datetime | None:
        """Records whose event was at or before this moment are due on ``as_of``; None when kept."""
        return due_by(self.amount, self.unit, as_of)


def period_words(amount: int | None, unit: Unit | None) -> str:
    if unit is None or amount is None:
        return "Kept"
    return counted(amount, unit.singular)


def due_by(amount: int | None, unit: Unit | None, as_of: date) -> datetime | None:
    """The latest moment of an event whose period has run out on ``as_of`` (judged at the end of that
    day, or now for today). Months and years count whole UK calendar days: a referral closed on
    3 November 2019 is due on 3 November 2026 under 7 years, and not on the 2nd."""
    if unit is None or amount is None:
        return None
    if unit in (Unit.HOURS, Unit.DAYS):
        return calendar.as_of_moment(as_of) - timedelta(**{unit.value: amount})
    months = amount * (12 if unit is Unit.YEARS else 1)
    return calendar.midnight_before(calendar.months_earlier(as_of, months) + timedelta(days=1)) - timedelta(
        microseconds=1
    )


def _rule(kind: Kind, row: RetentionRule | None) -> Rule:
    about = KINDS[kind]
    unit = Unit(row.unit) if row is not None and row.unit in set(Unit) else None
    return Rule(
        kind=kind,
        label=about.label,
        covers=about.covers,
        runs_from=about.runs_from,
        reason=row.reason if row is not None else "",
        amount=row.amount if row is not None and unit is not None else None,
        unit=unit,
        changed_at=row.changed_at if row is not None else None,
        changed_by=row.changed_by if row is not None else None,
        fixed=about.fixed,
    )


def rules(db: Session) -> list[Rule]:
    """The whole schedule, in the order of ``Kind``. A kind with no row is kept (never erased)."""
    rows = {row.kind: row for row in db.scalars(select(RetentionRule))}
    return [_rule(kind, rows.get(kind.value)) for kind in Kind]


def rule(db: Session, kind: Kind) -> Rule:
    return _rule(kind, db.get(RetentionRule, kind.value))


class ScheduleError(Exception):
    """A change the schedule cannot take; the message says why, as a sentence without a full stop."""


REASON_MAX = 1000


def shortens(before: Rule, amount: int | None, unit: Unit | None) -> bool:
    """Whether the new period is shorter than the rule's (so records may become due at once)."""
    if unit is None or amount is None:
        return False
    if before.kept or before.unit is None or before.amount is None:
        return True
    return unit.approximate(amount) < before.unit.approximate(before.amount)


def check(kind: Kind, amount: int | None, unit: Unit | None, reason: str) -> None:
    if KINDS[kind].fixed:
        raise ScheduleError(f"{KINDS[kind].label} are always kept, so their period cannot be changed")
    if unit is not None and (amount is None or not 1 <= amount <= unit.most):
        raise ScheduleError(f"Enter a whole number of {unit.value} from 1 to {unit.most:,}")
    if not reason.strip():
        raise ScheduleError("Say why the records are kept this long")
    if len(reason) > REASON_MAX:
        raise ScheduleError(f"The reason must be {REASON_MAX:,} characters or fewer")


def change(db: Session, kind: Kind, amount: int | None, unit: Unit | None, reason: str, actor: Actor) -> bool:
    """Set a kind's period (``unit`` None: kept) and reason; False (nothing written) when both are as
    they were. One audit entry for each change: ``retention.period_changed``, ``retention.reason_changed``."""
    check(kind, amount, unit, reason)
    if unit is None:
        amount = None
    with committed(db):
        row = db.get(RetentionRule, kind.value, with_for_update=True)
        if row is None:
            row = RetentionRule(kind=kind.value, reason="")
            db.add(row)
        period = (amount, unit.value if unit else None)
        changed = [(row.amount, row.unit) != period, row.reason != reason]
        if changed[0]:
            row.amount, row.unit = period
            audit.record_as(db, actor, "retention.period_changed", "retention_rule", kind.value)
        if changed[1]:
            row.reason = reason
            audit.record_as(db, actor, "retention.reason_changed", "retention_rule", kind.value)
        if any(changed):
            row.changed_at = utcnow()
            row.changed_by = uuid.UUID(actor.id) if actor.id else None
    return any(changed)
