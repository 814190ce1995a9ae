"""Demo data for ``flask --app hub seed-demo``. Every person in it is made up; a rerun adds nothing twice.

A fresh instance gets the three demo providers, one account per role (each with its authenticator
set up, its password and key printed once), and two years of made-up history: referrals that arrive
through the intake service, are allocated, accepted, declined, contacted, closed, signposted or
withdrawn through the services staff use, and the providers' quarterly returns. Each step is made
with the hub's clock set to the moment it is said to have happened (:func:`hub.db.clock_at`), so
every status, timeline entry and audit entry is one the hub itself could have written; nothing is
written to a status directly.

Made-up people look made up: "Demo Person 17", addresses at example.org, phone numbers from the
range Ofcom keeps for drama (07700 900000 to 900999), no real places.

Everything is added only to a hub with no staff accounts at all before the run (and the history only
if it has no referrals and no returns either). So a hub with any account of its own, real or not,
never gets demo providers on its public pages, a demo password beside its own, made-up work in its
queue, emails from the made-up history, or its KPI set's start moved; seed-demo says so, and what to
do instead.

The emails the made-up history queues (allocation notices, decline notices, confirmations to the
made-up referrers) are dropped from the outbox unsent, through :func:`hub.outbox.drop_unsent`
(audited): nothing from the history waits to be sent, and only what an evaluator does in the demo
queues an email.
"""

from __future__ import annotations

import random
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from hub import audit, outbox
from hub.audit import Actor
from hub.calendar import LOCAL_TIME, Quarter, is_working_day, today
from hub.db import clock_at, committed, utcnow
from hub.feedback import codes as feedback_codes
from hub.feedback.models import Answer
from hub.feedback.questions import QUESTIONS, Question
from hub.keyring import current_keyring
from hub.kpi import returns
from hub.kpi.models import KpiDefinition, KpiReturn
from hub.kpi.prefill import prefill
from hub.kpi.returns import figure_text
from hub.plurals import counted
from hub.providers.models import HELP_CHOOSING, NO_PREFERENCE, Provider, ProviderCapacity, Serves, Specialism
from hub.referrals import allocation, cases, consent, duplicates, intake, triage_moves
from hub.referrals.models import (
    Allocation,
    AllocationStatus,
    ConsentMethod,
    DeclineReason,
    EventKind,
    Outcome,
    Referral,
    ReferralSource,
)

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
SLUGS = ("rise", "grow", "rothacs")
WHAT_THEY_OFFER = {
    "rise": ["practical_advocacy", "criminal_justice"],
    "grow": ["group_work", "family_partner"],
    "rothacs": ["counselling", "trauma_therapy"],
}

QUARTERS_OF_HISTORY = 9
"""Referrals arrive from the start of the quarter this many quarters back (nine ended quarters, then
this one so far); every ended quarter has the providers' returns, all three submitted for each but
the last ended one, so the eight quarters before that one have every provider's return."""

DEMO_NAMES = (  # noqa: SIM905  (a list of words reads best as words)
    "Ash Bailey Cam Dani Eden Frankie Gray Harley Indy Jay Kai Logan Max Nico Ollie Pip Quinn Remy Rory "
    "Sky Tate Val Wren Zan Bo Charlie Ellis Finley Hollis Jules Kris Mo Noor Pat Reese Shay Toni Wynn "
    "Ari Blair Cody Dee Emery Fran Hayden Jesse Lane Marley Nat Perry Ray Sasha Terry Vic Avery Bryn "
    "Carey Darcy Evan Fen Glen Hart Io Jude Kes Lou Mika Ness Oak Parker Reed Sol Teal Uma Vale West "
    "Yael Zephyr"
).split()
"""Preferred names for the made-up people after the first seven (full names are "Demo Person N")."""

NOTES = {
    "info": "Demo: asked the referrer which days are safe to call.",
    "signposted": "Demo: signposted to the council's generic adult counselling line, as they asked.",
    "withdrawn": "Demo: the referrer said the person no longer wants a referral.",
    "under_18": "Demo: signposted to the council's children's social care team, with their agreement.",
    "allocated": "Demo: fits what they asked for, and the provider has space.",
}


# -- the made-up people and what happens to them ----------------------------------------------------


@dataclass(frozen=True)
class Step:
    after: float
    """Days after the referral arrived (whole days land on the next working day, at working hours)."""
    action: str
    detail: str = ""


@dataclass
class Person:
    n: int
    full_name: str
    preferred: str
    arrives: date
    source: ReferralSource
    steps: list[Step] = field(default_factory=list)
    born: date | None = None
    risk: bool = False
    share: bool = True
    specialisms: tuple[str, ...] = ()
    methods: tuple[str, ...] = ("email",)
    choice: str = HELP_CHOOSING
    email: str | None = None
    phone: str | None = None


def _person(n: int, arrives: date, source: ReferralSource, steps: list[Step], **fields: object) -> Person:
    """Demo Person ``n``, with a made-up email at example.org and a phone number from the drama range."""
    preferred = str(fields.pop("preferred", DEMO_NAMES[(n - 8) % len(DEMO_NAMES)]))
    full_name = str(fields.pop("full_name", f"Demo Person {n}"))
    born = fields.pop("born", None) or date(arrives.year - 22 - (n * 7) % 31, 1 + n % 12, 1 + (n * 5) % 28)
    person = Person(n, full_name, preferred, arrives, source, steps, born=born)  # type: ignore[arg-type]
    person.specialisms = tuple(WHAT_THEY_OFFER[SLUGS[n % 3]][: 1 + n % 2])
    person.email = f"{preferred.lower()}.{n}@example.org"
    person.phone = f"07700 900{n:03d}"
    for name, value in fields.items():
        setattr(person, name, value)
    return person


def _supported(provider: str, outcome: Outcome | None, *, contact: bool = True, lag: int = 2) -> list[Step]:
    """Offered, accepted, contacted (``lag`` days or more after accepting), sessions recorded, closed with
    ``outcome`` (None: still in support)."""
    steps = [Step(4, "allocate", provider), Step(6, "accept")]
    if contact:
        steps += [Step(6 + lag, "contact"), Step(60, "measures")]
    if outcome is not None:
        after = {Outcome.SUPPORT_COMPLETED: 110, Outcome.DISENGAGED: 75}.get(outcome, 35)
        steps.append(Step(after, "close", outcome.value))
    return steps


def _declined_then(first: str, reason: DeclineReason, then: list[Step]) -> list[Step]:
    """Offered to ``first``, who hands it back with ``reason``; then what ``then`` says (a new offer)."""
    return [Step(3, "allocate", first), Step(5, "decline", reason.value), *then]


def _quarter_of_people(i: int, first_day: date, n: int) -> list[Person]:
    """Six people who arrived in one past quarter (``i`` counts the quarters from the oldest); the
    providers take turns, so each has cases of every kind."""
    a, b, c = (SLUGS[(i + k) % 3] for k in range(3))
    prof, self_ = ReferralSource.PROFESSIONAL, ReferralSource.SELF
    ending = (Outcome.REFERRED_ELSEWHERE, Outcome.SUPPORT_COMPLETED, Outcome.NO_LONGER_WANTED)[i % 3]
    asked = (
        [Step(2, "info"), Step(9, "info_back"), *_later(8, _supported(b, Outcome.SUPPORT_COMPLETED))],
        [Step(2, "info"), Step(12, "signpost")],
        [Step(2, "info"), Step(14, "withdraw")],
    )[i % 3]
    no_contact = Outcome.COULDNT_CONTACT if i % 2 == 0 else Outcome.NO_LONGER_WANTED
    stories: list[tuple[ReferralSource, list[Step], bool]] = [
        (prof, _supported(a, Outcome.SUPPORT_COMPLETED, lag=1 + i % 4), i % 4 == 1),
        (
            self_,
            _supported(b, Outcome.DISENGAGED if i % 2 else Outcome.SUPPORT_COMPLETED, lag=3 + i % 5),
            False,
        ),
        (prof, _declined_then(b, list(DeclineReason)[i % 5], _later(3, _supported(c, ending))), False),
        (prof if i % 2 else self_, _supported(c, no_contact, contact=False), False),
        (prof, asked, False),
        (
            self_,
            [Step(3, "signpost")] if i % 3 == 1 else _supported(a, Outcome.SUPPORT_COMPLETED),
            i % 3 == 2,
        ),
    ]
    found = []
    for k, (source, steps, risk) in enumerate(stories):
        provider = next((s.detail for s in reversed(steps) if s.action == "allocate"), c)
        arrives = first_day + timedelta(days=4 + 14 * k + (i * 3) % 7)
        found.append(
            _person(
                n + k,
                arrives,
                source,
                steps,
                risk=risk,
                specialisms=tuple(WHAT_THEY_OFFER[provider][: 1 + k % 2]),
                methods=(("email",), ("phone",), ("text", "email"))[k % 3],
            )
        )
    return found


def _later(days: float, steps: list[Step]) -> list[Step]:
    return [Step(step.after + days, step.action, step.detail) for step in steps]


def _first_seven(today: date) -> list[Person]:
    """The people the demo has always had, each in a state a page or a test looks for."""
    prof, self_ = ReferralSource.PROFESSIONAL, ReferralSource.SELF

    def ago(days: int) -> date:
        return today - timedelta(days=days)

    def named(
        letter: str, preferred: str, born: date, source: ReferralSource, days: int, **fields: object
    ) -> Person:
        person = Person(0, f"Demo Person {letter}", preferred, ago(days), source, [], born=born)
        person.email = f"{preferred.lower()}@example.org"
        for name, value in fields.items():
            setattr(person, name, value)
        return person

    return [
        named("A", "Alex", date(1994, 3, 14), self_, 1),  # waiting
        named("B", "Sam", date(1999, 11, 2), prof, 12, risk=True),  # overdue, risks reported
        named(
            "E",
            "Robin",
            date(1991, 8, 21),
            prof,
            9,
            risk=True,
            steps=[Step(1, "allocate", "rothacs"), Step(3, "decline", DeclineReason.RISK_TOO_HIGH.value)],
        ),  # handed back by a provider
        named("F", "Lee", date(1985, 2, 11), prof, 6, share=False),  # consent to share needed
        named("G", "Drew", date(1996, 10, 5), self_, 4, steps=[Step(1, "allocate", "rise")]),  # offered
        named("C", "Jo", date(1987, 6, 30), prof, 20, steps=[Step(2, "info")]),  # waiting for information
        named("D", "Kit", date(2002, 1, 9), self_, 3, steps=[Step(1, "allocate", "grow")]),  # offered
    ]


def _recently(today: date, n: int) -> list[Person]:  # long: one line per made-up person, each a state to show
    """People who arrived in the last few months, in every state the triage team and providers see."""
    prof, self_ = ReferralSource.PROFESSIONAL, ReferralSource.SELF

    def ago(days: int) -> date:
        return today - timedelta(days=days)

    def seventeen(days: int) -> date:
        arrived = ago(days)
        return date(arrived.year - 17, arrived.month, 1)

    old_dup = _person(n, ago(560), self_, _supported("rothacs", Outcome.SUPPORT_COMPLETED))
    new_dup = _person(
        n + 1, ago(5), self_, [], preferred=old_dup.preferred, full_name=old_dup.full_name, born=old_dup.born
    )
    new_dup.email, new_dup.phone = old_dup.email, old_dup.phone
    old_same = _person(n + 2, ago(400), prof, [Step(3, "signpost")])
    new_same = _person(
        n + 3,
        ago(60),
        prof,
        [Step(1, "same_person"), *_supported("rothacs", None)],
        preferred=old_same.preferred,
        full_name=old_same.full_name,
        born=old_same.born,
    )
    new_same.email, new_same.phone = old_same.email, old_same.phone
    return [
        old_dup,
        new_dup,  # a possible duplicate, found at intake, not decided yet
        old_same,
        new_same,  # the triage team decided it is the same person
        _person(n + 4, ago(2), self_, [], born=seventeen(2)),  # waiting, under 18
        _person(n + 5, ago(25), self_, [], methods=("text",)),  # overdue
        _person(n + 6, ago(35), prof, [], methods=("phone",)),  # overdue
        _person(n + 7, ago(5), prof, [Step(2, "allocate", "rothacs")]),  # offered
        _person(n + 8, ago(10), prof, [Step(2, "allocate", "grow"), Step(3, "accept")]),  # accepted
        _person(
            n + 9, ago(45), self_, [Step(3, "allocate", "rothacs"), Step(5, "accept")]
        ),  # accepted, no contact
        _person(
            n + 10,
            ago(28),
            prof,
            _declined_then(
                "grow",
                DeclineReason.NO_CAPACITY,
                [Step(7, "allocate", "rothacs"), Step(9, "accept"), Step(14, "contact")],
            ),
        ),  # declined, offered again, in support
        _person(n + 11, ago(30), prof, [Step(4, "consent_share"), *_supported("rise", None)], share=False),
        _person(
            n + 12,
            ago(50),
            prof,
            [Step(3, "allocate", "grow"), Step(5, "accept"), Step(15, "consent_withdraw")],
        ),  # consent withdrawn
        _person(n + 13, ago(40), self_, [Step(1, "under_18")], born=seventeen(40)),  # signposted, under 18
        _person(n + 14, ago(70), prof, _supported("grow", None), born=seventeen(70)),  # in support, under 18
        _person(n + 15, ago(18), prof, [Step(2, "info"), Step(8, "info_back")], methods=("referrer",)),
        _person(n + 16, ago(90), self_, _supported("rise", None), methods=("phone", "email")),  # in support
    ]


def people(on: date) -> list[Person]:
    """Everyone in the demo's history as it stands ``on`` a day, oldest arrival first."""
    found = _first_seven(on)
    n = 8
    for i, quarter in enumerate(reversed(Quarter.containing(on).back(QUARTERS_OF_HISTORY + 1)[1:])):
        found += _quarter_of_people(i, quarter.first_day, n)
        n += 6
    found += _recently(on, n)
    return sorted(found, key=lambda p: (p.arrives, p.n))


# -- seeding --------------------------------------------------------------------------------------


def seed(db: Session) -> list[str]:
    """Add whatever demo data is missing, all in one transaction: a failure part of the way adds nothing."""
    oldest = Quarter.current().back(QUARTERS_OF_HISTORY + 1)[-1]
    from hub.auth.models import StaffUser

    with committed(db):
        if db.scalar(select(func.count()).select_from(StaffUser)):
            return _left_alone(db)
        started = _at(oldest.first_day, 8 * 60)
        said = _demo_providers(db, started)
        created = _demo_accounts(db, started)
        said += _demo_history(db, oldest)
        said += _demo_consultation(db)
        said += _demo_meeting(db)
        said += _authenticators(db, created)
        said += _demo_publications(db)  # last: what is published is frozen, with the targets set by then
    return said


def _demo_publications(db: Session) -> list[str]:
    """The older ended quarters published on /pathway by the demo commissioner; the last ended quarter
    is left for the demo to publish after its meeting."""
    from hub.config import current_config
    from hub.kpi import publication

    config = current_config()
    actor = _actor(db, "commissioner", "commissioner")
    older = Quarter.last_ended().back(QUARTERS_OF_HISTORY - 1)[1:]  # the ended quarters with returns
    for quarter in reversed(older):
        publication.publish(db, actor, quarter, config.suppression_threshold, config.overdue_working_days)
    return [
        f"Published the {len(older)} quarters from {older[-1].label} to {older[0].label} on the public "
        f"pathway report (/pathway); {Quarter.last_ended().label} is left to publish from /commissioner/kpi."
    ]


DEMO_DIRECT = (
    ("grow", 12, "Demo: asked at a Grow drop-in for someone to talk to.", True),
    ("rothacs", 2, "Demo: phoned Rothacs to ask about counselling.", False),
)
"""Self-referrals made directly to a provider: whose, how many days ago (in this quarter), what they
said, and whether the first contact was made."""


@dataclass
class _Direct:
    """One direct self-referral as the history goes on: who takes it on, the answers, then its case."""

    db: Session
    actor: Actor
    provider_id: int
    pages: dict[str, dict[str, object]]
    offer_id: uuid.UUID | None = None

    def take_on(self) -> None:
        from hub.referrals import direct

        agreed = direct.Consent(True, ConsentMethod.IN_PERSON, today())
        taken = direct.take_on(self.db, current_keyring(), self.actor, self.provider_id, self.pages, agreed)
        self.offer_id = taken.allocation_id

    def contact(self) -> None:
        assert self.offer_id is not None  # noqa: S101  (taken on first)
        cases.record_first_contact(self.db, self.offer_id, self.provider_id, self.actor, today(), "text")


def _demo_direct(story: _Story) -> list[_Event]:
    """Two people who asked a provider for support themselves, recorded by its staff this quarter (one
    contacted since), as steps of the history at their own moments."""
    found = []
    now = utcnow()
    for n, (slug, days, wanted, contacted) in enumerate(DEMO_DIRECT):
        if slug not in story.providers:
            continue
        when = max(
            Quarter.current().starts, now - timedelta(days=days, hours=2)
        )  # this quarter, never to come
        pages: dict[str, dict[str, object]] = {
            "about": {
                "preferred_name": ("Ash", "Lou")[n],
                "full_name": f"Demo Person D{n + 1}",
                "date_of_birth": date(1990 + 5 * n, 6, 1 + n).isoformat(),
            },
            "contact": {"methods": ["text"], "phone": f"07700 90079{n}", "voicemail": "no", "say_who": "no"},
            "support": {"specialisms": [], "support_wanted": wanted},
        }
        case = _Direct(story.db, story.staff[slug], story.providers[slug].id, pages)
        found.append(_Event(when, (900 + n, 0), case.take_on))
        if contacted:
            found.append(_Event(when + min(timedelta(hours=1), (now - when) / 2), (900 + n, 1), case.contact))
    return found


def _demo_consultation(db: Session) -> list[str]:
    """Some of the latest self-referrals answered the question about helping shape the service (two yes,
    one no, and a yes on a withdrawn referral, which the list leaves out), and one person left a name
    and a safe way at /take-part."""
    from hub.referrals import consultation
    from hub.referrals.models import ContactMethod, ReferralSource, ReferralStatus

    latest = select(Referral).where(Referral.source == ReferralSource.SELF, Referral.erased_at.is_(None))
    latest = latest.order_by(Referral.created_at.desc(), Referral.id)
    found = list(db.scalars(latest))
    open_ones = [r for r in found if r.status is not ReferralStatus.WITHDRAWN and r.consent_to_referral]
    withdrawn = [r for r in found if r.status is ReferralStatus.WITHDRAWN][:1]
    answers = [True, True, False]
    for referral, answer in zip(open_ones, answers, strict=False):
        referral.consultation_opt_in = answer
    for referral in withdrawn:
        referral.consultation_opt_in = True
    consultation.volunteer(
        db,
        name="Kit",
        method=ContactMethod.TEXT,
        detail="07700 900561",
        voicemail="",
        say_who="no",
        safe_times="Evenings after 7pm",
    )
    said_yes = min(len(open_ones), 2) + len(withdrawn)
    return [
        f"{counted(said_yes, 'demo self-referral')} said we may ask them to help shape the service, and "
        "one person left a name and a safe way at /take-part: see /triage/consultation."
    ]


def _demo_meeting(db: Session) -> list[str]:
    """Every ended quarter with returns but the last is shared for the joint meeting (each had its
    meeting, so the meeting's trends have them all); the latest of them has its record and two actions:
    one done at that meeting, one still in progress and so carried to the next quarter's record, which
    has one action of its own (that quarter is not shared yet). Written now, after the made-up history,
    so the audit log stays in the order things happened."""
    from hub.kpi import meeting
    from hub.kpi.meeting_models import ActionStatus

    commissioner = _actor(db, "commissioner", "commissioner")
    met, latest = Quarter.last_ended().previous(), Quarter.last_ended()
    held = next(d for d in (met.last_day + timedelta(days=n) for n in range(14, 30)) if is_working_day(d))
    owners = [f"provider-{p.id}" for p in db.scalars(select(Provider).order_by(Provider.slug))] or [
        meeting.TRS
    ]
    for earlier in reversed(Quarter.last_ended().back(QUARTERS_OF_HISTORY - 1)[1:]):  # met is the last
        meeting.share(db, commissioner, earlier)
    everyone = [key for key, _ in meeting.organisations(db, met)]
    notes = (
        "Referrals rose again this quarter; no one waited for a first appointment at the quarter's end.\n"
        "Providers asked that outcomes be compared only where most closed cases were measured."
    )
    meeting.save_record(db, commissioner, met, held, everyone, notes)
    actions = [
        (met, "Agree one way of counting sessions not attended.", owners[0], 60, ActionStatus.IN_PROGRESS),
        (
            met,
            "Send the triage team's allocation times to every provider.",
            meeting.TRS,
            14,
            ActionStatus.DONE,
        ),
        (latest, "Bring the survivors' feedback to the next meeting.", owners[-1], 120, None),
    ]
    for quarter, what, owner, days, status in actions:
        action = meeting.add_action(db, commissioner, quarter, what, owner, held + timedelta(days=days))
        if status is not None:
            meeting.set_status(db, commissioner, quarter, action, status)
    return [
        f"The quarters up to {met.label} are shared for the joint meeting; {met.label} has its record and "
        "two actions, and the one still in "
        f"progress is carried to the record for {latest.label} (not shared yet): see /meeting."
    ]


def _left_alone(db: Session) -> list[str]:
    """What seed-demo says on a hub that had staff accounts before it ran: it added no accounts and no
    history, and (on a hub that has nothing else yet) what to do instead."""
    said = [
        "This hub has staff accounts, so seed-demo added nothing: no demo providers, accounts or "
        "made-up history (no referrals, returns or emails). It adds those only to a hub with no staff "
        "accounts at all."
    ]
    if not _has_work(db):
        said.append(
            "Its staff would see made-up referrals as real work. To try the demo, run seed-demo on a "
            "fresh instance of its own (its own HUB_INSTANCE_PATH and database) instead."
        )
    return said


def _has_work(db: Session) -> bool:
    return bool(
        db.scalar(select(func.count()).select_from(Referral))
        or db.scalar(select(func.count()).select_from(KpiReturn))
    )


def _at(day: date, minutes: int) -> datetime:
    """``minutes`` past midnight, UK time, on ``day``, as a stored (UTC) moment."""
    return datetime.combine(day, clock_time(), LOCAL_TIME).astimezone(UTC) + timedelta(minutes=minutes)


def _demo_providers(db: Session, since: datetime) -> list[str]:
    """The demo's providers, added when its history starts: each quarter expects their returns."""
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
            created_at=since,
            summary=summary,
            specialisms=[specialisms[c] for c in offers],
            serves=serves,
            min_age=min_age,
            max_age=max_age,
        )
        provider.capacity = ProviderCapacity(new_starts_per_quarter=new_starts, max_active=max_active)
        db.add(provider)
        said.append(f"Added demo provider {name}.")
    db.flush()
    return said


# -- accounts ---------------------------------------------------------------------------------------

DEMO_DOMAIN = "demo.invalid"


@dataclass(frozen=True)
class Made:
    """A demo account made by this run, with the password chosen for it (printed once)."""

    user_id: uuid.UUID
    email: str
    password: str
    role_label: str


def _demo_accounts(db: Session, when: datetime) -> list[Made]:
    """One account per role and one per provider, each with a new random password (``seed`` calls this
    only on a hub with no accounts, so a hub with real accounts never gets a demo password beside them)."""
    from hub.auth.models import Role
    from hub.auth.services import create_user, set_data_protection

    wanted: list[tuple[str, str, Role, int | None]] = [
        ("allocator", "Demo Allocator", Role.ALLOCATOR, None),
        ("commissioner", "Demo Commissioner", Role.COMMISSIONER, None),
        ("admin", "Demo Administrator", Role.ADMIN, None),
    ]
    for provider in db.scalars(select(Provider).order_by(Provider.slug)):
        wanted.append((provider.slug, f"Demo {provider.name} worker", Role.PROVIDER_STAFF, provider.id))
    made = []
    with clock_at(when):  # the demo's staff were there from the start of its history
        for name, display_name, role, provider_id in wanted:
            password = "-".join(secrets.token_hex(3) for _ in range(4))
            email = f"{name}@{DEMO_DOMAIN}"
            user = create_user(
                db,
                email=email,
                display_name=display_name,
                role=role,
                password=password,
                provider_id=provider_id,
                actor=Actor(id=None, role="operator"),
            )
            if role is Role.ADMIN:  # so the pages of the data-protection duty can be tried
                set_data_protection(db, user, True, Actor(id=None, role="operator"))
            made.append(Made(user.id, email, password, role.label))
    return made


def _authenticators(db: Session, made: list[Made]) -> list[str]:
    """Set up each new demo account's authenticator as its first sign-in would (then sign that session
    out), and say each account's email, password and authenticator key, once."""
    import pyotp

    from hub.auth import services, totp
    from hub.auth.models import StaffUser

    if not made:
        return []
    said = [
        "Demo accounts (sign in at /login with the password, then a code from an authenticator app that",
        "has the account's key; add the key to the app as a time-based key, or scan its otpauth:// link):",
    ]
    for account in made:
        user = db.get(StaffUser, account.user_id)
        assert user is not None  # noqa: S101  (made in this transaction)
        secret = services.pending_secret(db, user)
        db.flush()  # the sign-in below reads the account afresh
        # The code of the time step before this one: accepted (one step of drift), and it leaves this
        # step's code free for the first real sign-in.
        code = pyotp.TOTP(secret, interval=totp.STEP).at(time.time() - totp.STEP)
        _codes, token = services.confirm_enrolment(db, user, code, None)
        services.sign_out(db, token)
        said.append(f"  {account.email:28} password {account.password}   ({account.role_label})")
        said.append(f"      authenticator key {secret}   {totp.provisioning_uri(secret, account.email)}")
    said.append(
        "These passwords and keys are shown only now. Use `flask --app hub create-user` for real accounts."
    )
    return said


# -- the history ------------------------------------------------------------------------------------


@dataclass
class _Case:
    """One made-up person's referral as the history goes on: its id and its latest offer."""

    person: Person
    referral_id: uuid.UUID | None = None
    offer_id: uuid.UUID | None = None
    provider: str | None = None


@dataclass(order=True)
class _Event:
    moment: datetime
    order: tuple[int, int]
    run: Callable[[], None] = field(compare=False)


def _demo_history(db: Session, oldest: Quarter) -> list[str]:
    """Nine quarters and this one so far of referrals and returns, each step made through its service at
    its own moment; then the emails the history queued are dropped unsent. Only for a hub whose demo
    accounts this run made (so it had no staff accounts)."""
    if _has_work(db):
        return ["No made-up history was added: this hub has referrals or returns already."]
    queued_before = outbox.unsent_ids(db)
    story = _Story(db)
    everyone = people(today())
    events = [event for person in everyone for event in story.events_of(person)]
    events += _demo_returns(db, story, oldest)
    events += _demo_feedback(db, story)
    events += _demo_targets(db, oldest)
    events += _demo_direct(story)
    now = utcnow()
    for event in sorted(events):
        if event.moment >= now:
            continue  # not yet: the person's later steps are later still
        with clock_at(event.moment):
            event.run()
            db.flush()
    dropped = outbox.drop_unsent(db, outbox.unsent_ids(db) - queued_before, Actor(id=None, role="operator"))
    states = db.scalars(select(Referral.status).distinct()).all()
    last = Quarter.last_ended()
    return [
        f"Added {len(everyone)} demo referrals (made-up people) that arrived from {oldest.label} "
        f"to today (the {QUARTERS_OF_HISTORY} quarters before this one, and this one so far), now in "
        f"{len(states)} different states.",
        f"Added every provider's return for the {QUARTERS_OF_HISTORY - 1} quarters from {oldest.label} "
        f"to {last.previous().label}; for {last.label}, one submitted, one draft and one not started.",
        f"Added {counted(len(DEMO_DIRECT), 'self-referral')} made directly to a provider this quarter, "
        "recorded by its staff.",
        f"The {counted(dropped, 'email')} the made-up history would have sent were dropped from the "
        "outbox unsent; only what you do in the demo queues an email.",
    ]


DEMO_TARGETS = (
    # (quarters after the oldest, figure, value, direction, why this matters)
    (
        1,
        "waiting_at_quarter_end",
        0,
        "at_most",
        "The pathway promised no waiting lists: no one should be "
        "waiting for a first appointment when a quarter ends.",
    ),
    (
        1,
        "median_days_to_first_contact",
        7,
        "at_most",
        "A first call soon after someone is referred keeps "
        "them with us: a long wait after asking for help can feel like being let down again.",
    ),
    (
        1,
        "people_supported",
        60,
        "at_least",
        "The contract pays for support for about this many people a quarter across the three providers.",
    ),
    (
        1,
        "trs_median_days_to_allocation",
        3,
        "at_most",
        "Triage should pass each referral on within a few "
        "days, so the wait is for support, not for paperwork.",
    ),
    (
        5,
        "people_supported",
        75,
        "at_least",
        "Raised when the contract grew: more people are referred each quarter now.",
    ),
)
"""Targets the demo commissioner set early in the made-up history, one raised later, so some figures
meet their target and some do not."""


def _demo_targets(db: Session, oldest: Quarter) -> list[_Event]:
    """The demo commissioner sets each target through the service, a few days into its quarter."""
    from hub.kpi.models import Direction
    from hub.kpi.targets import set_target

    commissioner = _actor(db, "commissioner", "commissioner")
    events = []
    for n, (after, code, value, direction, why) in enumerate(DEMO_TARGETS):
        quarter = oldest
        for _ in range(after):
            quarter = quarter.next()

        def run(
            quarter: Quarter = quarter,
            code: str = code,
            value: float = value,
            direction: str = direction,
            why: str = why,
        ) -> None:
            set_target(db, commissioner, code, quarter, value, Direction(direction), why)

        events.append(_Event(_at(quarter.first_day + timedelta(days=3), 10 * 60 + n), (20_000, n), run))
    return events


FEEDBACK_PER_QUARTER = {
    "rise": (6, 5, 6, 8, 7, 10, 9, 7, 11, 8),
    "grow": (5, 5, 4, 6, 7, 5, 6, 3, 7, 5),
    "rothacs": (7, 8, 9, 11, 10, 9, 12, 10, 8, 6),
}
"""Made-up responses in each quarter of the demo's history (QUARTERS_OF_HISTORY before this one) and this
one so far, oldest first; Grow's
in two quarters (4, and 3 in the quarter before last) are under the minimum, so Grow's staff see no
counts for them and its returns leave the feedback figures blank (commissioners see them)."""

FEEDBACK_WORDS = (
    "They never rushed me and I could stop when I needed to.",
    "Waiting for the first call was hard, but after that it was good.",
    "I wish the sessions had been in the evening.",
    "It helped to be believed.",
    "I would have liked to know more about what happens next.",
    "The group was the first time I did not feel alone.",
)


def _demo_feedback(db: Session, story: _Story) -> list[_Event]:
    """Survivors' feedback, given with codes through the real service (each code made and used at once),
    spread over each quarter up to now."""
    now, quarters = (
        utcnow(),
        list(reversed(Quarter.current().back(len(next(iter(FEEDBACK_PER_QUARTER.values())))))),
    )
    events = []
    for number, (slug, counts) in enumerate(FEEDBACK_PER_QUARTER.items()):
        rng = random.Random(f"feedback-{slug}")  # noqa: S311  (made-up answers, not secrets)
        for quarter, count in zip(quarters, counts, strict=True):
            span = min(now, quarter.ends) - quarter.starts
            for n in range(count):
                moment = quarter.starts + span * (n + 0.5) / count
                events.append(
                    _Event(
                        moment, (20_000 + quarter.key, number * 100 + n), _feedback_step(db, story, slug, rng)
                    )
                )
    return events


def _feedback_step(db: Session, story: _Story, slug: str, rng: random.Random) -> Callable[[], None]:
    weights = {"yes": 6, "partial": 2, "no": 1, "rather_not_say": 1, "blank": 1}
    chosen = {
        question.name: _made_up_answer(rng.choices(list(weights), list(weights.values()))[0], question)
        for question in QUESTIONS
    }
    words = rng.choice(FEEDBACK_WORDS) if rng.random() < 0.4 else ""

    def give() -> None:
        provider_id = story.providers[slug].id
        feedback_codes.redeem(
            db, feedback_codes.issue(db, provider_id), feedback_codes.Answers(chosen, words)
        )

    return give


def _made_up_answer(kind: str, question: Question) -> Answer | None:
    answers = question.answers  # yes, the middle answer, no, rather not say
    return {"yes": answers[0], "partial": answers[1], "no": answers[2], "rather_not_say": answers[3]}.get(
        kind
    )


class _Story:
    """Makes each made-up person's steps through the services, as the staff at each step would."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.keyring = current_keyring()
        self.providers = {p.slug: p for p in db.scalars(select(Provider))}
        self.trs = _actor(db, "allocator", "allocator")
        self.staff = {slug: _actor(db, slug, "provider_staff") for slug in self.providers}

    def events_of(self, person: Person) -> list[_Event]:
        """The person's arrival and each step, at moments that only go forward."""
        case = _Case(person)
        moment = _at(person.arrives, 9 * 60 + (person.n * 37) % 420)
        found = [_Event(moment, (person.n, 0), lambda: self.arrive(case))]
        for index, step in enumerate(person.steps, start=1):
            moment = max(_step_moment(person.arrives, step.after, index), moment + timedelta(minutes=3))
            found.append(_Event(moment, (person.n, index), _bound(self.act, case, step)))
        return found

    def arrive(self, case: _Case) -> None:
        person = case.person
        source = person.source
        draft_id = None
        for page, answers in _answers(person).items():
            draft_id = intake.save_page(self.db, draft_id, source, page, answers)
        draft = intake.load_draft(self.db, draft_id, source)
        assert draft is not None  # noqa: S101  (saved just now)
        sent = intake.submit(self.db, self.keyring, draft)
        case.referral_id = self.db.scalar(select(Referral.id).where(Referral.reference == sent.reference))

    def act(self, case: _Case, step: Step) -> None:
        assert case.referral_id is not None  # noqa: S101  (the arrival comes first)
        if step.action in TRIAGE_MOVES:
            kind, note = TRIAGE_MOVES[step.action]
            triage_moves.move(self.db, case.referral_id, kind, self.trs, note)
        elif step.action == "allocate":
            provider = self.providers[step.detail]
            offer = allocation.allocate(self.db, case.referral_id, provider.id, self.trs, NOTES["allocated"])
            case.offer_id, case.provider = offer.id, step.detail
        elif step.action in {"consent_share", "consent_withdraw", "same_person"}:
            self.triage_decision(case, step.action)
        else:
            self.provider_step(case, step)

    def triage_decision(self, case: _Case, action: str) -> None:
        assert case.referral_id is not None  # noqa: S101
        on, by = today(), ConsentMethod.THROUGH_REFERRER
        if action == "consent_share":
            consent.record_share(
                self.db,
                case.referral_id,
                self.trs,
                from_whom="The person, through their referrer",
                on=on,
                method=by,
            )
        elif action == "consent_withdraw":
            note = "Demo: the person asked, through their referrer, for the referral to be closed."
            consent.withdraw(self.db, case.referral_id, self.trs, on=on, method=by, note=note)
        else:
            referral = self.db.get(Referral, case.referral_id)
            assert referral is not None  # noqa: S101
            for match in duplicates.matches(self.db, referral):
                if match.same_person is None:
                    duplicates.decide(self.db, referral.id, match.other.id, True, self.trs)

    def provider_step(self, case: _Case, step: Step) -> None:
        assert case.offer_id is not None and case.provider is not None  # noqa: S101
        offer, provider_id, actor = case.offer_id, self.providers[case.provider].id, self.staff[case.provider]
        n = case.person.n
        if step.action == "accept":
            cases.accept(self.db, offer, provider_id, actor)
        elif step.action == "decline":
            reason = DeclineReason(step.detail)
            note = "Demo: the person has moved away." if reason is DeclineReason.OTHER else ""
            cases.decline(self.db, offer, provider_id, actor, reason, note)
        elif step.action == "contact":
            method = case.person.methods[0]
            phone = {"voicemail_left": False, "service_named": False} if method == "phone" else {}
            cases.record_first_contact(self.db, offer, provider_id, actor, today(), method, **phone)
        elif step.action == "measures":
            offered = 8 + n % 5
            values = {
                "sessions_offered": offered,
                "sessions_attended": offered - 1 - n % 3,
                "sessions_not_attended": 1 + n % 3,
                "group_sessions": 0 if case.provider == "rothacs" else 2 + n % 4,
                "outcome_start": 22 + n % 9,
                "outcome_end": 10 + n % 8,
            }
            cases.record_measures(self.db, offer, provider_id, actor, values)
        else:
            cases.close(self.db, offer, provider_id, actor, Outcome(step.detail))
        _demo_outcome_measures(self.db, case, step, provider_id, actor)


TRIAGE_MOVES = {
    "info": (EventKind.INFO_REQUESTED, NOTES["info"]),
    "info_back": (EventKind.INFO_RECEIVED, ""),
    "signpost": (EventKind.SIGNPOSTED, NOTES["signposted"]),
    "under_18": (EventKind.SIGNPOSTED, NOTES["under_18"]),
    "withdraw": (EventKind.WITHDRAWN, NOTES["withdrawn"]),
}


def _bound(act: Callable[[_Case, Step], None], case: _Case, step: Step) -> Callable[[], None]:
    return lambda: act(case, step)


def _step_moment(arrived: date, after: float, index: int) -> datetime:
    """A step's moment: on the first working day from ``after`` days on, in working hours, unless that
    is still to come (then the day itself)."""
    day = arrived + timedelta(days=int(after))
    worked = day
    while not is_working_day(worked):
        worked += timedelta(days=1)
    minutes = 10 * 60 + 7 * index + int((after % 1) * 300)
    moment = _at(worked, minutes)
    return moment if moment < utcnow() - timedelta(hours=1) else _at(day, minutes)


def _actor(db: Session, name: str, role: str) -> Actor:
    """The demo account that acts for ``name``, or the operator when the hub had accounts already."""
    from hub.auth.services import find_by_email

    user = find_by_email(db, f"{name}@{DEMO_DOMAIN}")
    if user is None or user.role.value != role:
        return Actor(id=None, role="operator")
    return Actor(id=str(user.id), role=role)


def _answers(person: Person) -> dict[str, dict[str, object]]:
    """What the public form's pages would have kept for this person."""
    born = person.born.isoformat() if person.born else None
    wanted = "Demo referral: someone to talk to, at their own pace."
    contact: dict[str, object] = {
        "methods": list(person.methods),
        "voicemail": "yes" if person.n % 4 == 1 and "phone" in person.methods else "no",
        "say_who": "no",
        "safe_times": "",
    }
    if person.source is ReferralSource.SELF:
        return {
            "about": {
                "preferred_name": person.preferred,
                "full_name": person.full_name,
                "date_of_birth": born,
            },
            "contact": {
                **contact,
                "phone": person.phone or "",
                "email": person.email or "",
                "address": "",
                "postcode": "",
            },
            "provider": {"provider": person.choice},
            "support": {"specialisms": list(person.specialisms), "support_wanted": wanted},
        }
    return _professional_pages(person, born, wanted, contact)


DEMO_AGENCIES = (
    "adult_social_care",
    "health",
    "housing",
    "police",
    "voluntary",
    "childrens_services",
    "health",
)
"""The kinds of organisation the demo's professional referrals come from, in turn (some more than others)."""


def _professional_pages(
    person: Person, born: str | None, wanted: str, contact: dict[str, object]
) -> dict[str, dict[str, object]]:
    risks = "Demo: a made-up current risk." if person.risk else ""
    return {
        "referrer": {
            "referrer_name": "Demo Referrer" if person.n < 8 else f"Demo Referrer {person.n % 5 + 1}",
            "referrer_role": "Support worker",
            "referrer_organisation": ("Demo Adult Services", "Demo GP Practice", "Demo Housing Team")[
                person.n % 3
            ],
            "referrer_agency": DEMO_AGENCIES[person.n % len(DEMO_AGENCIES)],
            "referrer_email": "referrer@example.org"
            if person.n < 8
            else f"referrer{person.n % 5 + 1}@example.org",
            "referrer_phone": "",
        },
        "consent": {"consent": ["referral", "share"] if person.share else ["referral"]},
        "person": {
            "full_name": person.full_name,
            "preferred_name": person.preferred,
            "date_of_birth": born,
            "email": person.email or "",
            "phone": person.phone or "",
            "address": "",
            "postcode": "",
        },
        "support": {
            "specialisms": list(person.specialisms),
            "support_wanted": wanted,
            "preferred_provider": NO_PREFERENCE,
        },
        "risks": {"current_risks": risks, "children_in_household": "no", "other_agencies": ""},
        "access": {"language": "", "interpreter": "no", "bsl": "no", "adjustments": ""},
        "contact": contact,
    }


# -- the providers' quarterly returns ----------------------------------------------------------------

RETURN_DAYS = {"rise": 9, "grow": 13, "rothacs": 6}
"""Days after a quarter ends that each provider sends its return."""
CASELOAD = {"rise": 16, "grow": 11, "rothacs": 24}
"""People each provider supports besides the hub's referrals (its own caseload from before the hub)."""


def _demo_returns(db: Session, story: _Story, oldest: Quarter) -> list[_Event]:
    """Each ended quarter's return from each provider, sent some days after the quarter ended (in the
    first days of a quarter, between its start and now): every one submitted, except the last quarter's,
    where one is submitted, one is a draft and one not started.

    The common KPI set is in force from the first quarter of the demo's history: the demo hub has been
    running since then, as if it was set up with the set (on a fresh instance with no accounts and no
    returns, nothing that was made changes its meaning). Each definition moved is audited, at the
    moment the demo's history starts.
    """
    moved = db.scalars(
        select(KpiDefinition.id).where(
            KpiDefinition.from_quarter > oldest.key, KpiDefinition.until_quarter.is_(None)
        )
    ).all()
    superseded = _superseded_before(db, oldest)
    db.execute(update(KpiDefinition).where(KpiDefinition.id.in_(moved)).values(from_quarter=oldest.key))
    with clock_at(_at(oldest.first_day, 8 * 60)):
        for definition_id in [*moved, *superseded]:
            audit.record_as(
                db,
                Actor(id=None, role="operator"),
                "kpi.definition_start_moved",
                "kpi_definition",
                definition_id,
            )
    last, now = Quarter.last_ended(), utcnow()
    events = []
    quarter = oldest
    while quarter <= last:
        for number, slug in enumerate(SLUGS):
            submit = quarter < last or slug == "rothacs"
            if quarter == last and slug == "grow":
                continue
            send = _return_step(db, story, quarter, slug, submit=submit)
            moment = _at(quarter.next().first_day + timedelta(days=RETURN_DAYS[slug]), 11 * 60 + number)
            # In a quarter's first days the last ended quarter's returns are sent already, sooner.
            moment = min(moment, quarter.ends + (now - quarter.ends) * (number + 1) / 4)
            events.append(_Event(moment, (10_000 + quarter.key, number), send))
        quarter = quarter.next()
    return events


def _superseded_before(db: Session, oldest: Quarter) -> list[int]:
    """Codes redefined since (the same code from a later quarter, such as the outcome figures the hub
    counts from October 2026): the demo hub was set up with the newest definition, so the older one is
    put in force for the quarter before its history only, out of the way (the newer one is moved to the
    start of the history with the rest); returns the older ones' ids, to audit the move."""
    rows = db.scalars(select(KpiDefinition).order_by(KpiDefinition.from_quarter)).all()
    newest = {d.code: d for d in rows if d.until_quarter is None and d.from_quarter > oldest.key}
    before = oldest.previous().key
    older = [d for d in rows if d.code in newest and d.until_quarter is not None]
    for definition in older:
        definition.from_quarter = definition.until_quarter = before
    db.flush()
    return [d.id for d in older]


def _return_step(
    db: Session, story: _Story, quarter: Quarter, slug: str, *, submit: bool
) -> Callable[[], None]:
    def send() -> None:
        provider = story.providers[slug]
        figures = _figures(db, provider.id, quarter, slug)
        checked = returns.save(db, provider.id, quarter, figures, {}, story.staff[slug], submit=submit)
        if checked.errors:
            raise RuntimeError(f"the demo return does not pass the checks: {checked.errors}")

    return send


def _figures(db: Session, provider_id: int, quarter: Quarter, slug: str) -> dict[str, str]:
    """The return as the provider would fill it in: the hub's figures as they are, and typed figures that
    fit them (the hub's cases in the quarter, with the provider's own caseload beside them)."""
    known = prefill(db, provider_id, quarter)
    figures = {code: "" if f.value is None else figure_text(f.value) for code, f in known.items()}
    figures_known = dict(figures)
    rng = random.Random(f"{slug}{quarter.key}")  # noqa: S311  (made-up figures, not secrets)
    hub = _hub_cases(db, provider_id, quarter)
    supported = hub.supported + CASELOAD[slug] + rng.randint(-3, 4)
    sessions = supported * rng.randint(4, 7)
    planned = hub.planned + rng.randint(1, 3)
    figures.update(
        people_supported=str(supported),
        new_starts=str(min(supported, hub.started + rng.randint(1, 4))),
        sessions_one_to_one=str(sessions),
        group_sessions=str(0 if slug == "rothacs" else rng.randint(6, 14)),
        sessions_not_attended=str(sessions // rng.randint(7, 11)),
        planned_endings=str(planned),
        unplanned_endings=str(min(supported - planned, hub.unplanned + rng.randint(0, 2))),
        felt_safer_pct=f"{rng.uniform(76, 93):.1f}",
        satisfied_pct=f"{rng.uniform(84, 98):.1f}",
    )
    for prefix, weights in _breakdowns(slug).items():
        for code, value in zip(weights, _split(supported, list(weights.values())), strict=True):
            figures[f"{prefix}_{code}"] = str(value)
    asked = returns.definitions(db, quarter)
    # A figure the hub fills in for this quarter (felt safer, from survivors' feedback) is left as it is.
    figures.update({d.code: figures_known[d.code] for d in asked if d.prefilled and d.code in figures_known})
    return {code: value for code, value in figures.items() if code in {d.code for d in asked}}


def _breakdowns(slug: str) -> dict[str, dict[str, float]]:
    women = slug != "rothacs"
    return {
        "age": {"under_25": 0.2, "25_to_44": 0.5, "45_to_64": 0.25, "65_plus": 0.02, "not_known": 0.03},
        "gender": {
            "woman": 0.97 if women else 0.7,
            "man": 0.0 if women else 0.25,
            "other": 0.02,
            "not_known": 0.01,
        },
        "ethnicity": {
            "white": 0.8,
            "mixed": 0.05,
            "asian": 0.08,
            "black": 0.04,
            "other": 0.01,
            "not_known": 0.02,
        },
        "disability": {"yes": 0.3, "no": 0.6, "not_known": 0.1},
    }


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` shared out by ``weights``, in whole numbers that add up to it (largest remainders)."""
    exact = [total * w / sum(weights) for w in weights]
    found = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - found[i], reverse=True)
    for i in by_remainder[: total - sum(found)]:
        found[i] += 1
    return found


@dataclass(frozen=True)
class _HubCases:
    supported: int  # in support at some time in the quarter
    started: int  # first contact in the quarter
    planned: int  # closed in the quarter with support completed
    unplanned: int  # closed in the quarter otherwise, after a first contact


def _hub_cases(db: Session, provider_id: int, quarter: Quarter) -> _HubCases:
    accepted = db.scalars(
        select(Allocation).where(
            Allocation.provider_id == provider_id,
            Allocation.status == AllocationStatus.ACCEPTED,
            Allocation.first_contact_on <= quarter.last_day,
            or_(Allocation.closed_at.is_(None), Allocation.closed_at >= quarter.starts),
        )
    ).all()
    closed = [a for a in accepted if a.closed_at is not None and a.closed_at < quarter.ends]
    return _HubCases(
        supported=len(accepted),
        started=sum(1 for a in accepted if a.first_contact_on and a.first_contact_on >= quarter.first_day),
        planned=sum(1 for a in closed if a.outcome is Outcome.SUPPORT_COMPLETED),
        unplanned=sum(1 for a in closed if a.outcome is not Outcome.SUPPORT_COMPLETED),
    )


# -- outcome measures on the demo's cases -----------------------------------------------------------

CORE_10 = "core-10"


def _core_10(total: int, risk: int = 0) -> list[int]:
    """CORE-10 answers, as a person would give them, that score ``total`` (with item 6, the risk item,
    answered ``risk``); items 2 and 3 are reverse-scored, so they are answered 4 - score."""
    scores, left = [0] * 10, total - risk
    for i in (0, 1, 2, 3, 4, 6, 7, 8, 9):
        scores[i] = min(4, left)
        left -= scores[i]
    scores[5] = risk
    return [4 - s if i in (1, 2) else s for i, s in enumerate(scores)]


DEMO_CHANGE = (-14, -8, -3, -16, 6, -9)
"""How much a made-up person's CORE-10 total moves from start to end, by their number: a realistic mix
of recovered, improved, no reliable change and (one in six) deteriorated."""


def _demo_outcome_measures(db: Session, case: _Case, step: Step, provider_id: int, actor: Actor) -> None:
    """CORE-10 at the first contact for most people (one person still in support answers the risk item
    above 0), and at the end for most of those whose support ended after sessions."""
    n, offer = case.person.n, case.offer_id
    assert offer is not None  # noqa: S101  (a provider's step is on an offer)
    start = 17 + (n * 5) % 16
    still_open = not any(s.action == "close" for s in case.person.steps)
    if step.action == "contact" and n % 6 != 5:
        risk = 1 if still_open and n % 8 == 0 else 0
        _demo_measure(db, offer, provider_id, actor, "start", _core_10(start, risk))
    elif step.action == "close" and n % 6 != 5 and Outcome(step.detail) in cases.NEEDS_FIRST_CONTACT:
        if Outcome(step.detail) is Outcome.DISENGAGED and n % 2:
            return  # people who stopped taking part are not always measured at the end
        end = max(0, min(36, start + DEMO_CHANGE[(n + n // 6) % len(DEMO_CHANGE)]))
        _demo_measure(db, offer, provider_id, actor, "end", _core_10(end))


def _demo_measure(
    db: Session, offer: uuid.UUID, provider_id: int, actor: Actor, point: str, answers: list[int]
) -> None:
    cases.record_outcome_measure(
        db,
        offer,
        provider_id,
        actor,
        measure_code=CORE_10,
        point=point,
        taken_on=today(),
        answers=answers,
    )
