"""Taking in a referral: drafts kept sealed between pages, then one transaction that makes the referral.

Answers are kept sealed, one :class:`DraftPage` row per page, and opened as a :class:`Draft`
(``{page: {field: value}}``); the browser only holds the draft's random id. :func:`submit` checks
the answers again, builds the referral with its flags and blind indexes, queues the
acknowledgement email, and removes the draft, all in one commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, and_, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub import audit, calendar, outbox
from hub.db import committed, utcnow
from hub.keyring import Keyring
from hub.normalise import normalise_email, normalise_name, normalise_phone
from hub.providers.models import HELP_CHOOSING, RESERVED_SLUGS, Provider, Specialism
from hub.referrals import consent, duplicates, notice, states
from hub.referrals.models import (
    AccessNeeds,
    ContactMethod,
    DraftPage,
    Referral,
    ReferralSource,
    ReferrerAgency,
    Risks,
    SafeContact,
)
from hub.referrals.references import new_reference
from hub.referrals.status import new_status_code

DRAFT_LIFETIME = timedelta(hours=24)
TRS_NAME = "Trauma and Resilience Service"
NEUTRAL_SENDER = "Appointments"
"""The sender's name on email to a survivor who did not say we may name the service."""

PROFESSIONAL_PAGES = ("referrer", "consent", "person", "support", "risks", "access", "contact")
SELF_PAGES = ("about", "contact", "provider", "support")


class IntakeError(Exception):
    """The answers cannot become a referral yet; ``page`` is where to put it right."""

    def __init__(self, message: str, page: str) -> None:
        super().__init__(message)
        self.page = page


class ConsentMissing(IntakeError):
    pass


@dataclass(frozen=True)
class Submitted:
    reference: str
    status_code: str | None
    under_18: bool
    chosen: str | None = None  # the organisation the person chose, by name; None: none chosen
    help_choosing: bool = False  # a person referring themselves asked us to help them choose


# -- drafts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """The pages one person has answered so far in one journey, opened."""

    id: uuid.UUID
    source: ReferralSource
    answers: dict[str, dict[str, Any]]


class AlreadySent(Exception):
    """The draft was sent (or forgotten) by another request in the meantime."""


def _draft_key(draft_id: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(draft_id))
    except ValueError:
        return None


def page_row_id(draft_id: uuid.UUID, source: ReferralSource, page: str) -> uuid.UUID:
    """Each page of a draft has one row, whose id (and so whose seal) names the draft, journey and page."""
    return uuid.uuid5(draft_id, f"{source.value}/{page}")


def _of_draft(draft_id: uuid.UUID, source: ReferralSource | None = None) -> Any:
    found = DraftPage.draft_id == draft_id
    return found if source is None else and_(found, DraftPage.source == source)


def load_draft(db: Session, draft_id: Any, source: ReferralSource) -> Draft | None:
    """The pages saved under this id for this journey, leaving out (and removing) expired ones."""
    key = _draft_key(draft_id)
    if key is None:
        return None
    rows = db.scalars(select(DraftPage).where(_of_draft(key, source))).all()
    oldest_kept = utcnow() - DRAFT_LIFETIME
    expired = [row.id for row in rows if row.saved_at <= oldest_kept]
    if expired:
        with committed(db):
            db.execute(delete(DraftPage).where(DraftPage.id.in_(expired)))
    answers = {row.page: dict(row.answers or {}) for row in rows if row.id not in expired}
    return Draft(key, source, answers) if answers else None


def save_page(
    db: Session, draft_id: Any, source: ReferralSource, page: str, answers: Mapping[str, Any]
) -> uuid.UUID:
    """Keep one page's answers in one write (insert, or replace what that page held before).

    Returns the draft's id: the one given, or a new one when there was none.
    """
    key = _draft_key(draft_id) or uuid.uuid4()
    row_id = page_row_id(key, source, page)
    row = {
        "id": row_id,
        "draft_id": key,
        "source": source,
        "page": page,
        "saved_at": utcnow(),
        "answers_sealed": DraftPage.answers.seal(row_id, dict(answers)),
    }
    with committed(db):
        db.execute(_upsert_page(db.get_bind().dialect.name), row)
    return key


@lru_cache(maxsize=4)
def _upsert_page(dialect: str) -> Any:
    """Insert a page's row, or replace the answers it held: one statement, built once per database kind."""
    table = cast(Table, DraftPage.__table__)
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={name: statement.excluded[name] for name in ("saved_at", "answers_sealed")},
    )


def forget_draft(db: Session, draft_id: Any) -> None:
    """Remove every page saved under this id at once (Exit this page). Nothing happens if there are none."""
    key = _draft_key(draft_id)
    if key is None:
        return
    with committed(db):
        db.execute(delete(DraftPage).where(_of_draft(key)))


def answers_of(draft: Draft | None) -> dict[str, dict[str, Any]]:
    return dict(draft.answers) if draft is not None else {}


def date_of_birth(answers: Mapping[str, Mapping[str, Any]]) -> date | None:
    for page in ("person", "about"):
        value = answers.get(page, {}).get("date_of_birth")
        if value:
            return date.fromisoformat(value)
    return None


def is_under_18(born: date | None, today: date | None = None) -> bool:
    if born is None:
        return False
    return calendar.age_on(born, today or calendar.today()) < 18


def missing_pages(source: ReferralSource, answers: Mapping[str, Any]) -> list[str]:
    pages = PROFESSIONAL_PAGES if source is ReferralSource.PROFESSIONAL else SELF_PAGES
    return [page for page in pages if page not in answers]


# -- submission ---------------------------------------------------------------------------------


def submit(db: Session, keyring: Keyring, draft: Draft) -> Submitted:
    """Turn a complete draft into a referral, in one transaction that also removes the draft.

    Raises :class:`AlreadySent` if another request sent the same draft first (a double click, or
    a second tab): the draft's rows are removed first, and only one transaction can remove them.
    """
    answers = answers_of(draft)
    missing = missing_pages(draft.source, answers)
    if missing:
        raise IntakeError("Some questions have not been answered yet.", missing[0])
    with committed(db):
        removed = db.execute(delete(DraftPage).where(_of_draft(draft.id, draft.source)))
        if not removed.rowcount:  # type: ignore[attr-defined]
            raise AlreadySent
        referral, status_code = _referral_from(db, keyring, draft, answers)
        _acknowledge(db, referral)
        audit.record(db, "referral.submitted", role="public", object_kind="referral", object_id=referral.id)
    chosen = referral.preferred_provider.name if referral.preferred_provider else None
    return Submitted(referral.reference, status_code, referral.under_18, chosen, bool(referral.help_choosing))


def _referral_from(
    db: Session, keyring: Keyring, draft: Draft, answers: Mapping[str, Mapping[str, Any]]
) -> tuple[Referral, str | None]:
    """The referral the answers describe, with its flags, blind indexes and consent records, added."""
    referral = Referral(
        reference=unused_reference(db),
        source=draft.source,
        status=states.ARRIVES,
        privacy_notice=notice.CURRENT,  # the check page and the consent page link to this version
    )
    if draft.source is ReferralSource.PROFESSIONAL:
        _apply_professional(db, referral, answers)
    else:
        apply_self_answers(db, referral, answers)
    referral.under_18 = is_under_18(referral.date_of_birth)
    # The consent facts (and so the gate, consent_to_referral and consent_to_share) from the form.
    agreed = answers.get("consent", {}).get("consent") or []
    records = consent.record_at_intake(referral, agreed, calendar.today())
    set_blind_indexes(referral, keyring)
    referral.possible_duplicate = duplicates.mark(db, referral)

    status_code = None
    if draft.source is ReferralSource.SELF:
        status_code, referral.status_secret_hash = new_status_code(keyring)
    db.add(referral)
    db.flush()  # the referral's row first: its consent records refer to it
    db.add_all(records)
    return referral, status_code


def unused_reference(db: Session) -> str:
    while True:
        reference = new_reference()
        if db.scalar(select(Referral.id).where(Referral.reference == reference)) is None:
            return reference


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _apply_professional(db: Session, referral: Referral, answers: Mapping[str, Mapping[str, Any]]) -> None:
    referrer, agreed, person = answers["referrer"], answers["consent"], answers["person"]
    if "referral" not in (agreed.get("consent") or []):
        raise ConsentMissing("The person has not agreed to the referral.", "consent")
    for name in (
        "referrer_name",
        "referrer_role",
        "referrer_organisation",
        "referrer_email",
        "referrer_phone",
    ):
        setattr(referral, name, _text(referrer.get(name)))
    referral.referrer_agency = _agency(referrer.get("referrer_agency"))
    _apply_person(referral, person)
    support = answers["support"]
    referral.support_wanted = _text(support.get("support_wanted"))
    referral.specialisms = _specialisms(db, support.get("specialisms"))
    referral.preferred_provider = _provider(db, support.get("preferred_provider"), "support")
    risks = Risks.read(answers["risks"])
    referral.risks, referral.risk_flagged = risks, risks.flagged
    referral.access_needs = AccessNeeds.read(answers["access"])
    referral.safe_contact = SafeContact.read(answers["contact"])


NO_AGENCY = "Select the kind of organisation you work for."


def _agency(value: Any) -> ReferrerAgency:
    """The kind of organisation, one of the fixed list; a draft begun before the form asked has none, and
    goes back to the page that asks (every new professional referral records one)."""
    try:
        return ReferrerAgency(value)
    except ValueError:
        raise IntakeError(NO_AGENCY, "referrer") from None


def apply_self_answers(db: Session, referral: Referral, answers: Mapping[str, Mapping[str, Any]]) -> None:
    """The self-referral's pages onto the referral (also a direct self-referral's, hub.referrals.direct)."""
    about, contact = answers["about"], answers["contact"]
    _apply_person(
        referral, {**about, **{k: contact.get(k) for k in ("email", "phone", "address", "postcode")}}
    )
    choice = answers["provider"].get("provider")
    referral.help_choosing = choice == HELP_CHOOSING
    referral.preferred_provider = _provider(db, choice, "provider")
    support = answers["support"]
    referral.support_wanted = _text(support.get("support_wanted"))
    referral.specialisms = _specialisms(db, support.get("specialisms"))
    referral.safe_contact = SafeContact.read(contact)
    referral.consultation_opt_in = {"yes": True, "no": False}.get(support.get("consultation") or "")


def _apply_person(referral: Referral, person: Mapping[str, Any]) -> None:
    for name in ("full_name", "preferred_name", "email", "phone", "address", "postcode"):
        setattr(referral, name, _text(person.get(name)))
    born = person.get("date_of_birth")
    referral.date_of_birth = date.fromisoformat(born) if born else None


def _specialisms(db: Session, codes: Any) -> list[Specialism]:
    if not codes:
        return []
    return list(db.scalars(select(Specialism).where(Specialism.code.in_(list(codes)))))


NO_LONGER_TAKING = (
    "The organisation chosen is no longer taking referrals. Choose another, or leave the choice to us."
)


def _provider(db: Session, slug: Any, page: str) -> Provider | None:
    """The active provider chosen; refused (nothing is sent) when it stopped taking referrals since."""
    if not slug or slug in RESERVED_SLUGS:
        return None
    provider = db.scalar(select(Provider).where(Provider.slug == slug, Provider.active.is_(True)))
    if provider is None:
        raise IntakeError(NO_LONGER_TAKING, page)
    return provider


def set_blind_indexes(referral: Referral, keyring: Keyring) -> None:
    """The keyed hashes of the person's identifiers, by which later referrals find possible duplicates."""
    if referral.full_name and referral.date_of_birth:
        identity = f"{normalise_name(referral.full_name)}|{referral.date_of_birth.isoformat()}"
        referral.identity_index = keyring.blind_index("identity", identity)
    if referral.email:
        referral.email_index = keyring.blind_index("email", normalise_email(referral.email))
    if referral.phone and normalise_phone(referral.phone):
        referral.phone_index = keyring.blind_index("phone", normalise_phone(referral.phone))
    if referral.referrer_email:
        referral.referrer_email_index = keyring.blind_index(
            "referrer_email", normalise_email(referral.referrer_email)
        )


def _acknowledge(db: Session, referral: Referral) -> None:
    """Tell the referrer (reference only), and the survivor only if they said email is safe."""
    if referral.referrer_email:
        outbox.queue(
            db,
            to=referral.referrer_email,
            template="referral_received_referrer",
            subject="Referral received",
            reference=referral.reference,
        )
    safe = SafeContact.of(referral)
    if referral.source is ReferralSource.SELF and safe.allows(ContactMethod.EMAIL) and referral.email:
        if safe.may_say_who:
            outbox.queue(
                db,
                to=referral.email,
                template="request_received_self",
                subject=f"{TRS_NAME}: we have your request",
            )
        else:
            # Anyone who sees this email learns nothing: no service, nothing about support.
            outbox.queue(
                db,
                to=referral.email,
                template="request_received_self_neutral",
                subject="Thank you for your message",
                sender_name=NEUTRAL_SENDER,
            )
