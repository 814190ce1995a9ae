"""Demo data for ``flask --app hub seed-demo``. Every person in it is made up; a rerun adds nothing twice."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db import committed, utcnow
from hub.providers.models import Provider, ProviderCapacity, Serves, Specialism
from hub.referrals.models import ContactMethod, Referral, ReferralSource, Risks, SafeContact
from hub.referrals.references import new_reference

SPECIALISMS = {
    "counselling": "Counselling",
    "trauma_therapy": "Trauma-focused therapy",
    "group_work": "Group work",
    "women_only": "Women-only support",
    "male_survivors": "Support for male survivors",
    "family_partner": "Family and partner support",
    "practical_advocacy": "Practical and advocacy support",
    "criminal_justice": "Support through the criminal-justice process",
}

PROVIDERS = [
    (
        "rise",
        "Rotherham Rise",
        "Support for women: practical help, advocacy, and support through the criminal-justice process.",
        ["women_only", "practical_advocacy", "criminal_justice", "group_work"],
        (30, 45),
        (Serves.WOMEN, 18, None),
    ),
    (
        "grow",
        "GROW",
        "Women-only support in groups and one to one, with support for families and partners.",
        ["women_only", "group_work", "family_partner", "practical_advocacy"],
        (20, 30),
        (Serves.WOMEN, 16, None),
    ),
    (
        "rothacs",
        "Rotherham Abuse Counselling Service (Rothacs)",
        "Counselling and trauma-focused therapy for adults of any gender, including male survivors.",
        ["counselling", "trauma_therapy", "male_survivors", "family_partner"],
        (25, 60),
        (Serves.EVERYONE, 18, None),
    ),
]

DEMO_PEOPLE = [
    ("Demo Person A", "Alex", date(1994, 3, 14), ReferralSource.SELF),
    ("Demo Person B", "Sam", date(1999, 11, 2), ReferralSource.PROFESSIONAL),
    ("Demo Person E", "Robin", date(1991, 8, 21), ReferralSource.PROFESSIONAL),
    ("Demo Person F", "Lee", date(1985, 2, 11), ReferralSource.PROFESSIONAL),
    ("Demo Person G", "Drew", date(1996, 10, 5), ReferralSource.SELF),
    ("Demo Person C", "Jo", date(1987, 6, 30), ReferralSource.PROFESSIONAL),
    ("Demo Person D", "Kit", date(2002, 1, 9), ReferralSource.SELF),
]
# What the queue and the plan page should show for some of them: reported risks, or a professional
# referral the person agreed to but not (yet) to sharing ("Consent to share needed").
DEMO_RISKS = {"Sam", "Robin"}
DEMO_NO_CONSENT_TO_SHARE = {"Lee"}


def seed(db: Session) -> list[str]:
    """Add whatever demo data is missing, all in one transaction: a failure part of the way adds nothing."""
    with committed(db):
        said = _demo_providers(db) + _demo_referrals(db)
        said += _demo_accounts(db)
        said += _demo_cases(db)
        said += _demo_returns(db)
    return said or ["The demo data is already there; nothing was added."]


def _demo_providers(db: Session) -> list[str]:
    said: list[str] = []
    specialisms = {s.code: s for s in db.scalars(select(Specialism))}
    for code, label in SPECIALISMS.items():
        if code not in specialisms:
            specialisms[code] = Specialism(code=code, label=label)
            db.add(specialisms[code])
    existing = set(db.scalars(select(Provider.slug)))
    for slug, name, summary, offers, (new_starts, max_active), (serves, min_age, max_age) in PROVIDERS:
        if slug in existing:
            continue
        provider = Provider(
            slug=slug,
            name=name,
            summary=summary,
            specialisms=[specialisms[c] for c in offers],
            serves=serves,
            min_age=min_age,
            max_age=max_age,
        )
        provider.capacity = ProviderCapacity(new_starts_per_quarter=new_starts, max_active=max_active)
        db.add(provider)
        said.append(f"Added demo provider {name}.")
    return said


def _demo_referrals(db: Session) -> list[str]:
    if db.scalar(select(func.count()).select_from(Referral)):
        return []
    from hub.calendar import day_of
    from hub.referrals import consent

    arrived = utcnow() - timedelta(days=len(DEMO_PEOPLE))
    for n, (full_name, preferred, born, source) in enumerate(DEMO_PEOPLE):
        referral = _demo_referral(full_name, preferred, born, source, arrived + timedelta(days=n))
        agreed = ["referral"] if preferred in DEMO_NO_CONSENT_TO_SHARE else ["referral", "share"]
        records = consent.record_at_intake(referral, agreed, day_of(referral.created_at))
        for record in records:
            record.recorded_at = referral.created_at  # recorded when the made-up form was sent
        db.add(referral)
        db.flush()  # the referral's row before its consent records
        db.add_all(records)
    return [f"Added {len(DEMO_PEOPLE)} demo referrals (made-up people)."]


def _demo_referral(
    full_name: str, preferred: str, born: date, source: ReferralSource, arrived: datetime
) -> Referral:
    from hub.keyring import current_keyring
    from hub.referrals.intake import set_blind_indexes

    referral = Referral(
        reference=new_reference(),
        source=source,
        risk_flagged=preferred in DEMO_RISKS,
        created_at=arrived,
        status_changed_at=arrived,
    )
    if referral.risk_flagged:
        referral.risks = Risks(current_risks="Demo: a made-up current risk.", children_in_household="no")
    referral.full_name = full_name
    referral.preferred_name = preferred
    referral.date_of_birth = born
    referral.safe_contact = SafeContact(methods=(ContactMethod.EMAIL,), voicemail="no", say_who="no")
    referral.email = f"{preferred.lower()}@example.org"
    referral.support_wanted = "Demo referral: someone to talk to."
    if source is ReferralSource.PROFESSIONAL:
        referral.referrer_name = "Demo Referrer"
        referral.referrer_email = "referrer@example.org"
    # So that a new referral for one of them is flagged as a possible duplicate.
    set_blind_indexes(referral, current_keyring())
    return referral


def _demo_returns(db: Session) -> list[str]:
    """Last quarter's return: submitted by one demo provider, a draft from another, none from the third."""
    from hub.audit import Actor
    from hub.calendar import Quarter
    from hub.kpi import returns
    from hub.kpi.models import KpiReturn
    from hub.kpi.prefill import prefill

    if db.scalar(select(func.count()).select_from(KpiReturn)):
        return []
    quarter = Quarter.last_ended()
    operator = Actor(id=None, role="operator")
    providers = {p.slug: p for p in db.scalars(select(Provider))}
    for slug, people, submit in (("rothacs", 34, True), ("grow", 21, False)):
        known = prefill(db, providers[slug].id, quarter)
        figures = {code: "" if f.value is None else str(f.value) for code, f in known.items()}
        for definition in returns.definitions(db, quarter):
            if not definition.prefilled:
                figures[definition.code] = "0" if definition.breakdown else str(people // 3)
        figures.update(people_supported=str(people), felt_safer_pct="87.5", satisfied_pct="91")
        figures.update(age_25_to_44=str(people), gender_woman=str(people), ethnicity_white=str(people))
        figures.update(disability_no=str(people))
        checked = returns.save(db, providers[slug].id, quarter, figures, {}, operator, submit=submit)
        if checked.errors:
            raise RuntimeError(f"the demo return does not pass the checks: {checked.errors}")
    return [f"Added demo returns for {quarter.label} (one submitted, one draft, one not started)."]


def _demo_cases(db: Session) -> list[str]:
    """Offer two demo referrals to providers (one waiting for a decision, one accepted), and one that a
    provider returned to the queue, once."""
    from hub.audit import Actor
    from hub.referrals.allocation import allocate
    from hub.referrals.cases import accept, decline
    from hub.referrals.models import Allocation, DeclineReason

    if db.scalar(select(func.count()).select_from(Allocation)):
        return []
    operator = Actor(id=None, role="operator")
    providers = {p.slug: p for p in db.scalars(select(Provider))}
    shared = select(Referral).where(Referral.consent_to_share.is_(True))
    people = db.scalars(shared.order_by(Referral.created_at, Referral.reference)).all()[-3:]
    for referral, slug in zip(people, ("grow", "rise", "rothacs"), strict=True):
        offer = allocate(db, referral.id, providers[slug].id, operator, "Demo allocation.", from_plan=True)
        if slug == "grow":
            decline(db, offer.id, providers[slug].id, operator, DeclineReason.NO_CAPACITY, "Demo: no space.")
        if slug == "rothacs":
            accept(db, offer.id, providers[slug].id, operator)
    return [
        "Offered three demo referrals to providers (one waiting for a decision, one accepted, one returned)."
    ]


def _demo_accounts(db: Session) -> list[str]:
    """One account per role and one per provider, each with a new random password, printed once."""
    from hub.audit import Actor
    from hub.auth.models import Role, StaffUser
    from hub.auth.services import create_user

    if db.scalar(select(func.count()).select_from(StaffUser)):
        return []
    wanted: list[tuple[str, str, Role, int | None]] = [
        ("allocator@demo.invalid", "Demo Allocator", Role.ALLOCATOR, None),
        ("commissioner@demo.invalid", "Demo Commissioner", Role.COMMISSIONER, None),
        ("admin@demo.invalid", "Demo Administrator", Role.ADMIN, None),
    ]
    for provider in db.scalars(select(Provider).order_by(Provider.slug)):
        wanted.append(
            (
                f"{provider.slug}@demo.invalid",
                f"Demo {provider.name} worker",
                Role.PROVIDER_STAFF,
                provider.id,
            )
        )
    said = ["Demo accounts (sign in at /login; each sets up an authenticator app at first sign-in):"]
    for email, name, role, provider_id in wanted:
        password = "-".join(secrets.token_hex(3) for _ in range(4))
        create_user(
            db,
            email=email,
            display_name=name,
            role=role,
            password=password,
            provider_id=provider_id,
            actor=Actor(id=None, role="operator"),
        )
        said.append(f"  {email:28} password {password}   ({role.label})")
    said.append("These passwords are shown only now. Use `flask --app hub create-user` for real accounts.")
    return said
