"""The table of states and moves (`hub/referrals/states.py`): the one rule for which move each status allows.

Walked whole: every service makes its move exactly when the table allows it, and otherwise refuses
with its typed error and writes nothing; ``timeline.record`` refuses what the table does not allow even
when a service forgot to check; every page offers a move exactly when the table allows it to that
role, and a move posted anyway is refused without a server error; the table's graph has no
unreachable status and no dead end; the docs show the table itself.
"""

from __future__ import annotations

import ast
import re
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.keyring import current_keyring
from hub.providers.models import Provider
from hub.referrals import cases, consent, duplicates, rectification, states, timeline, triage_moves
from hub.referrals.allocation import AllocationError, allocate
from hub.referrals.models import (
    WAITING,
    Allocation,
    AllocationStatus,
    ConsentMethod,
    ConsentRecord,
    ContactMethod,
    DeclineReason,
    DuplicateDecision,
    EventKind,
    Outcome,
    Referral,
    ReferralEvent,
    ReferralStatus,
    SafeContact,
)
from hub.referrals.states import IllegalMove

from . import factories
from .staff import Desk, signed_in

S, A = ReferralStatus, AllocationStatus
ROOT = Path(__file__).resolve().parent.parent
TODAY = date.today()
TRS = Actor(id=None, role="allocator")
TRS_MOVES = [move.kind for move in states.TABLE if move.by is Role.ALLOCATOR]
PROVIDER_MOVES = [
    move.kind for move in states.TABLE if move.by is Role.PROVIDER_STAFF and None not in move.offer
]
"""The provider's moves on an offer it holds (a direct self-referral's move makes its own: test_direct.py)."""

# The rules the table replaced, written out again by hand: a change to the table must be meant.
WAITING_ = {S.SUBMITTED, S.DECLINED_BY_PROVIDER}
OPEN = {S.SUBMITTED, S.DECLINED_BY_PROVIDER, S.INFO_REQUESTED, S.ALLOCATED, S.ACCEPTED, S.IN_SUPPORT}
EXPECTED: dict[
    EventKind, tuple[str, set[ReferralStatus], ReferralStatus | None, dict[Any, Any], dict[Any, Any]]
] = {
    EventKind.ALLOCATED: ("allocator", WAITING_, S.ALLOCATED, {None: A.PENDING}, {}),
    EventKind.INFO_REQUESTED: ("allocator", WAITING_, S.INFO_REQUESTED, {}, {}),
    EventKind.INFO_RECEIVED: ("allocator", {S.INFO_REQUESTED}, S.SUBMITTED, {}, {}),
    EventKind.SIGNPOSTED: ("allocator", WAITING_ | {S.INFO_REQUESTED}, S.SIGNPOSTED, {}, {}),
    EventKind.WITHDRAWN: (
        "allocator",
        WAITING_ | {S.INFO_REQUESTED, S.ALLOCATED},
        S.WITHDRAWN,
        {},
        {A.PENDING: A.CANCELLED},
    ),
    EventKind.CONSENT_RECORDED: ("allocator", OPEN, None, {}, {}),
    EventKind.CONSENT_WITHDRAWN: ("allocator", OPEN, S.WITHDRAWN, {}, {A.PENDING: A.CANCELLED}),
    EventKind.DUPLICATE_SAME_PERSON: ("allocator", set(S), None, {}, {}),
    EventKind.DUPLICATE_NOT_SAME: ("allocator", set(S), None, {}, {}),
    EventKind.CORRECTED: ("allocator", set(S), None, {}, {}),
    EventKind.RESTRICTED: ("admin", set(S), None, {}, {}),
    EventKind.RESTRICTION_LIFTED: ("admin", set(S), None, {}, {}),
    EventKind.DIRECT_ACCEPTED: ("provider_staff", {S.SUBMITTED}, S.ACCEPTED, {None: A.ACCEPTED}, {}),
    EventKind.ACCEPTED: ("provider_staff", {S.ALLOCATED}, S.ACCEPTED, {A.PENDING: A.ACCEPTED}, {}),
    EventKind.DECLINED: (
        "provider_staff",
        {S.ALLOCATED},
        S.DECLINED_BY_PROVIDER,
        {A.PENDING: A.DECLINED},
        {},
    ),
    EventKind.FIRST_CONTACT: ("provider_staff", {S.ACCEPTED}, S.IN_SUPPORT, {A.ACCEPTED: A.ACCEPTED}, {}),
    EventKind.MEASURES_RECORDED: (
        "provider_staff",
        {S.ACCEPTED, S.IN_SUPPORT, S.CLOSED},
        None,
        {A.ACCEPTED: A.ACCEPTED},
        {},
    ),
    EventKind.CLOSED: ("provider_staff", {S.ACCEPTED, S.IN_SUPPORT}, S.CLOSED, {A.ACCEPTED: A.ACCEPTED}, {}),
    EventKind.FEEDBACK_OFFERED: (
        "provider_staff",
        {S.IN_SUPPORT},
        None,
        {A.ACCEPTED: A.ACCEPTED},
        {},
    ),
}


def test_the_table_is_the_rules_it_replaced_and_names_every_move() -> None:
    assert set(states.MOVES) == set(EventKind), "every kind of timeline event is a move of the table"
    assert len(states.TABLE) == len(states.MOVES), "one row per move"
    for move in states.TABLE:
        found = (move.by.value, set(move.from_), move.to, dict(move.offer), dict(move.open_offers))
        assert found == EXPECTED[move.kind], move.kind


# -- the graph ------------------------------------------------------------------------------------


def ways_on(status: ReferralStatus) -> set[ReferralStatus]:
    """The other statuses one move takes a referral in ``status`` to."""
    return {m.to for m in states.TABLE if status in m.from_ and m.to is not None and m.to is not status}


def reachable(start: ReferralStatus) -> set[ReferralStatus]:
    found, frontier = {start}, [start]
    while frontier:
        for after in ways_on(frontier.pop()) - found:
            found.add(after)
            frontier.append(after)
    return found


def test_every_status_is_reached_from_where_a_referral_arrives() -> None:
    assert reachable(states.ARRIVES) == set(S)


def test_every_status_but_the_final_ones_has_a_way_out_and_every_way_ends() -> None:
    for status in S:
        assert bool(ways_on(status)) == (status not in states.FINAL), status
        assert reachable(status) & states.FINAL, f"{status} can never end"


def test_the_queue_index_and_the_provider_stages_agree_with_the_table() -> None:
    # The partial index's condition is written out in SQL; it must be where allocating starts from.
    assert set(re.findall(r"'(\w+)'", WAITING)) == {s.value for s in states.MOVES[EventKind.ALLOCATED].from_}
    assert {s for s in S if states.with_provider(s)} == {S.ALLOCATED, S.ACCEPTED, S.IN_SUPPORT}


# -- every service, every move, every status --------------------------------------------------------

# The offers a referral at each status has, as the hub leaves them, for the triage team's moves.
OFFER_AT = {
    S.ALLOCATED: A.PENDING,
    S.ACCEPTED: A.ACCEPTED,
    S.IN_SUPPORT: A.ACCEPTED,
    S.CLOSED: A.ACCEPTED,
    S.DECLINED_BY_PROVIDER: A.DECLINED,
    S.WITHDRAWN: A.CANCELLED,
}
REFUSED = (AllocationError, triage_moves.MoveRefused, consent.ConsentRefused, duplicates.DecisionRefused)


def referral_at(
    db: Session, status: ReferralStatus, offer: AllocationStatus | None, provider: Provider, **fields: Any
) -> tuple[Referral, Allocation | None]:
    referral = factories.referral(db, status=status, **fields)
    referral.safe_contact = SafeContact(methods=(ContactMethod.TEXT,))
    allocation = None
    if offer is not None:
        allocation = factories.allocation(db, referral_id=referral.id, provider_id=provider.id, status=offer)
    db.commit()
    return referral, allocation


def written(db: Session, *referrals: Referral) -> tuple[Any, ...]:
    """Everything a move could write, for these referrals and in the tables it writes to."""
    db.expire_all()
    ids = [r.id for r in referrals]
    return (
        db.execute(
            select(
                Referral.status,
                Referral.status_changed_at,
                Referral.consent_to_share,
                Referral.possible_duplicate,
            )
            .where(Referral.id.in_(ids))
            .order_by(Referral.id)
        ).all(),
        db.execute(
            select(Allocation.id, Allocation.status, Allocation.decided_at, Allocation.outcome)
            .where(Allocation.referral_id.in_(ids))
            .order_by(Allocation.id)
        ).all(),
        *(db.scalar(select(func.count()).select_from(t)) for t in (ReferralEvent, AuditEntry, ConsentRecord)),
        db.scalar(select(func.count()).select_from(DuplicateDecision)),
    )


def triage_move(
    db: Session, kind: EventKind, referral: Referral, provider: Provider, other: Referral
) -> None:
    if kind is EventKind.ALLOCATED:
        allocate(db, referral.id, provider.id, TRS, "Chosen by the test.")
    elif kind in triage_moves.WORDS:
        triage_moves.move(db, referral.id, kind, TRS, "A note for the test.")
    elif kind is EventKind.CONSENT_RECORDED:
        consent.record_share(db, referral.id, TRS, from_whom="Sam", on=TODAY, method=ConsentMethod.PHONE)
    elif kind is EventKind.CONSENT_WITHDRAWN:
        consent.withdraw(db, referral.id, TRS, on=TODAY, method=ConsentMethod.PHONE, note="Asked to stop.")
    elif kind is EventKind.CORRECTED:
        rectification.correct(
            db, current_keyring(), referral.id, "postcode", "S60 1AE", TRS, reason="They moved house."
        )
    else:
        duplicates.decide(db, referral.id, other.id, kind is EventKind.DUPLICATE_SAME_PERSON, TRS)


def newest_event(db: Session, referral: Referral) -> ReferralEvent:
    found = db.scalars(
        select(ReferralEvent)
        .where(ReferralEvent.referral_id == referral.id)
        .order_by(ReferralEvent.occurred_at.desc())
    ).first()
    assert found is not None
    return found


def check_made(db: Session, kind: EventKind, referral: Referral, status: ReferralStatus) -> None:
    move = states.MOVES[kind]
    db.expire_all()
    assert referral.status is (move.to or status)
    event = newest_event(db, referral)
    assert (event.kind, event.from_status, event.to_status) == (kind, status, move.to)


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("kind", TRS_MOVES)
def test_each_triage_move_is_made_exactly_when_the_table_allows_it(
    db_session: Session, kind: EventKind, status: ReferralStatus
) -> None:
    provider = factories.provider(db_session)
    same = f"same-person-{uuid.uuid4().hex[:20]}"
    fields = {"consent_to_share": kind is not EventKind.CONSENT_RECORDED, "identity_index": same}
    referral, offer = referral_at(db_session, status, OFFER_AT.get(status), provider, **fields)
    other, _ = referral_at(db_session, status, None, provider, identity_index=same)
    before = written(db_session, referral, other)
    if not states.allowed(kind, status):
        with pytest.raises(REFUSED, match=r"now|already dealt with"):
            triage_move(db_session, kind, referral, provider, other)
        assert written(db_session, referral, other) == before, "a refused move writes nothing"
        return
    triage_move(db_session, kind, referral, provider, other)
    check_made(db_session, kind, referral, status)
    move = states.MOVES[kind]
    if offer is not None:
        assert offer.status is move.open_offers.get(OFFER_AT[status], OFFER_AT[status])
        decided = OFFER_AT[status] is A.PENDING and offer.status is not A.PENDING
        assert (offer.decided_at is not None) == decided, "an offer is decided when it leaves pending"
    if move.offer:
        made = db_session.scalars(select(Allocation).where(Allocation.referral_id == referral.id)).all()
        assert [a.status for a in made if a.id != (offer.id if offer else None)] == [A.PENDING]


def provider_move(db: Session, kind: EventKind, allocation: Allocation, who: Actor) -> None:
    pid = allocation.provider_id
    {
        EventKind.ACCEPTED: lambda: cases.accept(db, allocation.id, pid, who),
        EventKind.DECLINED: lambda: cases.decline(db, allocation.id, pid, who, DeclineReason.NO_CAPACITY),
        EventKind.FIRST_CONTACT: lambda: cases.record_first_contact(
            db, allocation.id, pid, who, TODAY, "text"
        ),
        EventKind.MEASURES_RECORDED: lambda: cases.record_measures(
            db, allocation.id, pid, who, {"sessions_offered": 3}
        ),
        EventKind.CLOSED: lambda: cases.close(db, allocation.id, pid, who, Outcome.NO_LONGER_WANTED),
        EventKind.FEEDBACK_OFFERED: lambda: cases.offer_feedback(db, allocation.id, pid, who),
    }[kind]()


@pytest.mark.parametrize("offer", list(A))
@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("kind", PROVIDER_MOVES)
def test_each_provider_move_is_made_exactly_when_the_table_allows_it(
    db_session: Session, kind: EventKind, status: ReferralStatus, offer: AllocationStatus
) -> None:
    provider = factories.provider(db_session)
    account = factories.staff_user(db_session, role=Role.PROVIDER_STAFF, provider_id=provider.id)
    who = Actor(id=str(account.id), role="provider_staff")
    referral, allocation = referral_at(db_session, status, offer, provider)
    assert allocation is not None
    before = written(db_session, referral)
    if not states.allowed(kind, status, offer):
        with pytest.raises(cases.NotAllowedNow, match=r"You cannot .* now: the case is"):
            provider_move(db_session, kind, allocation, who)
        assert written(db_session, referral) == before, "a refused move writes nothing"
        return
    provider_move(db_session, kind, allocation, who)
    check_made(db_session, kind, referral, status)
    after = states.MOVES[kind].offer[offer]
    assert allocation.status is after
    decided = offer is A.PENDING and after is not A.PENDING
    assert (allocation.decided_at is not None) == decided, "an offer is decided when it leaves pending"


# -- timeline.record, when a service forgot to check --------------------------------------------------


def untouched(
    db: Session, referral: Referral, status: ReferralStatus, offer: Allocation | None, was: Any
) -> None:
    assert referral.status is status and (offer is None or offer.status is was)
    assert not [o for o in db.new if isinstance(o, ReferralEvent | AuditEntry)], "nothing was written"


@pytest.mark.parametrize("kind", list(EventKind))
def test_record_itself_refuses_every_move_the_table_does_not_allow(
    db_session: Session, kind: EventKind
) -> None:
    move = states.MOVES[kind]
    provider = factories.provider(db_session)
    who = Actor(id=None, role=move.by.value)
    offers: list[AllocationStatus | None] = [None, *A] if move.offer else [None]
    for status in S:
        for was in offers:
            referral = factories.referral(db_session, status=status)
            offer = None
            if was is not None:
                offer = factories.allocation(
                    db_session, referral_id=referral.id, provider_id=provider.id, status=was
                )
            elif move.offer:
                offer = Allocation(referral_id=referral.id, provider_id=provider.id)  # a new offer
            if states.allowed(kind, status, was):
                timeline.record(db_session, referral, kind, who, offer=offer)
                assert referral.status is (move.to or status)
                continue
            with pytest.raises(IllegalMove, match="is not in the table of moves"):
                timeline.record(db_session, referral, kind, who, offer=offer)
            untouched(db_session, referral, status, offer, was)


def somewhere_allowed(move: states.Move) -> tuple[ReferralStatus, AllocationStatus | None]:
    return sorted(move.from_)[0], next(iter(move.offer), None)


@pytest.mark.parametrize("kind", list(EventKind))
def test_record_refuses_a_move_by_anyone_the_table_does_not_name(
    db_session: Session, kind: EventKind
) -> None:
    move = states.MOVES[kind]
    status, was = somewhere_allowed(move)
    provider = factories.provider(db_session)
    for role in ("allocator", "provider_staff", "commissioner", "admin", "public", "operator"):
        referral = factories.referral(db_session, status=status)
        offer = None
        if move.offer:
            offer = Allocation(referral_id=referral.id, provider_id=provider.id)
            if was is not None:
                offer = factories.allocation(
                    db_session, referral_id=referral.id, provider_id=provider.id, status=was
                )
        if role in (move.by, states.OPERATOR):
            timeline.record(db_session, referral, kind, Actor(id=None, role=role), offer=offer)
            continue
        with pytest.raises(IllegalMove, match="is not in the table of moves"):
            timeline.record(db_session, referral, kind, Actor(id=None, role=role), offer=offer)
        untouched(db_session, referral, status, offer, was)


def test_record_refuses_a_status_changed_behind_its_back(db_session: Session) -> None:
    provider = factories.provider(db_session)
    referral = factories.referral(db_session, status=S.SUBMITTED)
    referral.status = S.INFO_REQUESTED  # as if a service wrote it; the table allows INFO_RECEIVED from here
    with pytest.raises(IllegalMove, match=r"outside timeline\.record"):
        timeline.record(db_session, referral, EventKind.INFO_RECEIVED, TRS)
    closing = factories.referral(db_session, status=S.IN_SUPPORT)
    offer = factories.allocation(
        db_session, referral_id=closing.id, provider_id=provider.id, status=A.PENDING
    )
    offer.status = A.ACCEPTED  # the table allows closing an accepted case in support
    with pytest.raises(IllegalMove, match=r"outside timeline\.record"):
        timeline.record(
            db_session, closing, EventKind.CLOSED, Actor(id=None, role="provider_staff"), offer=offer
        )
    assert not [o for o in db_session.new if isinstance(o, ReferralEvent)]


def test_record_needs_the_referrals_own_offer_for_a_move_on_one_and_no_other(db_session: Session) -> None:
    provider = factories.provider(db_session)
    queued = factories.referral(db_session, status=S.SUBMITTED)
    with pytest.raises(IllegalMove, match="made on an offer"):
        timeline.record(db_session, queued, EventKind.ALLOCATED, TRS)
    offered = factories.referral(db_session, status=S.ALLOCATED)
    elsewhere = factories.allocation(db_session, provider_id=provider.id, status=A.PENDING)
    with pytest.raises(IllegalMove, match="another referral's"):
        timeline.record(
            db_session, offered, EventKind.ACCEPTED, Actor(None, "provider_staff"), offer=elsewhere
        )
    own = factories.allocation(db_session, referral_id=queued.id, provider_id=provider.id, status=A.DECLINED)
    with pytest.raises(IllegalMove, match="takes no offer"):
        timeline.record(db_session, queued, EventKind.INFO_REQUESTED, TRS, offer=own)
    assert (queued.status, offered.status, elsewhere.status, own.status) == (
        S.SUBMITTED,
        S.ALLOCATED,
        A.PENDING,
        A.DECLINED,
    )
    assert not [o for o in db_session.new if isinstance(o, ReferralEvent)]


def test_only_timeline_record_writes_a_status() -> None:
    """No other module assigns a ``status`` or bulk-updates one, so every move goes through the table."""
    offenders = []
    for path in sorted((ROOT / "hub").rglob("*.py")):
        if path == ROOT / "hub" / "referrals" / "timeline.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets = list(node.targets)
            elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                targets = [node.target]
            flat = [e for t in targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])]
            if targets and any(isinstance(t, ast.Attribute) and t.attr == "status" for t in flat):
                offenders.append(f"{path.relative_to(ROOT)}:{targets[0].lineno}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "values"
                and any(k.arg == "status" for k in node.keywords)
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


# -- the pages --------------------------------------------------------------------------------------

# Each form on the referral page, by the last part of its address, and the move it makes.
TRIAGE_FORMS = {
    "allocate": EventKind.ALLOCATED,
    "request-information": EventKind.INFO_REQUESTED,
    "information-received": EventKind.INFO_RECEIVED,
    "signpost": EventKind.SIGNPOSTED,
    "withdraw": EventKind.WITHDRAWN,
    "consent": EventKind.CONSENT_RECORDED,
    "consent-withdrawn": EventKind.CONSENT_WITHDRAWN,
    "duplicates": EventKind.DUPLICATE_SAME_PERSON,
}
CASE_FORMS = {
    "accept": EventKind.ACCEPTED,
    "decline": EventKind.DECLINED,
    "first-contact": EventKind.FIRST_CONTACT,
    "measures": EventKind.MEASURES_RECORDED,
    "close": EventKind.CLOSED,
    "feedback": EventKind.FEEDBACK_OFFERED,
}


def triage_expected(status: ReferralStatus, consent_to_share: bool) -> set[str]:
    """What the referral page should offer: the table's moves, less what consent to share rules out."""
    allowed = states.moves_from(status, Role.ALLOCATOR)
    found = {slug for slug, kind in TRIAGE_FORMS.items() if kind in allowed}
    found.discard("consent" if consent_to_share else "allocate")
    return found


def forms_on(page: str, base: str) -> set[str]:
    return set(re.findall(rf'action="{re.escape(base)}/([a-z-]+)"', page))


def test_the_referral_page_offers_a_move_exactly_when_the_table_allows_it(
    app: Flask, db_session: Session
) -> None:
    client, _ = signed_in(app, db_session, Role.ALLOCATOR)
    factories.provider(db_session)
    for consent_to_share in (True, False):
        for status in S:
            same = f"page-{uuid.uuid4().hex[:20]}"
            referral = factories.referral(
                db_session, status=status, consent_to_share=consent_to_share, identity_index=same
            )
            factories.referral(db_session, identity_index=same)  # a possible duplicate, not decided yet
            db_session.commit()
            response = client.get(f"/triage/referrals/{referral.id}")
            assert response.status_code == 200
            base = f"/triage/referrals/{referral.id}"
            assert forms_on(response.get_data(as_text=True), base) == triage_expected(
                status, consent_to_share
            ), (
                status,
                consent_to_share,
            )


def test_the_case_page_offers_a_move_exactly_when_the_table_allows_it(
    app: Flask, db_session: Session
) -> None:
    provider = factories.provider(db_session)
    client, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
    for status in S:
        for offer in A:
            _, allocation = referral_at(db_session, status, offer, provider)
            assert allocation is not None
            response = client.get(f"/provider/cases/{allocation.id}")
            assert response.status_code == 200
            allowed = states.moves_from(status, Role.PROVIDER_STAFF, offer)
            expected = {slug for slug, kind in CASE_FORMS.items() if kind in allowed}
            assert (
                forms_on(response.get_data(as_text=True), f"/provider/cases/{allocation.id}") == expected
            ), (
                status,
                offer,
            )


def day_fields(prefix: str) -> dict[str, str]:
    return {
        f"{prefix}-day": str(TODAY.day),
        f"{prefix}-month": str(TODAY.month),
        f"{prefix}-year": str(TODAY.year),
    }


TRIAGE_POSTS: dict[str, Callable[[Provider, Referral], dict[str, str]]] = {
    "allocate": lambda p, o: {"provider": str(p.id), "reason": "Chosen by the test."},
    "request-information": lambda p, o: {"request-information-note": "What is needed."},
    "information-received": lambda p, o: {"information-received-note": "It came."},
    "signpost": lambda p, o: {"signpost-note": "A local service."},
    "withdraw": lambda p, o: {"withdraw-note": "They asked."},
    "consent": lambda p, o: {
        "consent-from_whom": "Sam",
        "consent-method": "phone",
        **day_fields("consent-on"),
    },
    "consent-withdrawn": lambda p, o: {
        "consent-withdrawn-method": "phone",
        "consent-withdrawn-note": "Asked to stop.",
        **day_fields("consent-withdrawn-on"),
    },
    "duplicates": lambda p, o: {"duplicates-other": str(o.id), "duplicates-same_person": "yes"},
}


def test_every_triage_move_posted_at_every_status_is_made_or_refused_plainly(
    app: Flask, db_session: Session
) -> None:
    desk = Desk(signed_in(app, db_session, Role.ALLOCATOR)[0])
    provider = factories.provider(db_session, new_starts=None, max_active=None)  # never full
    for status in S:
        for slug, kind in TRIAGE_FORMS.items():
            same = f"post-{uuid.uuid4().hex[:20]}"
            referral, _ = referral_at(
                db_session,
                status,
                OFFER_AT.get(status),
                provider,
                identity_index=same,
                consent_to_share=slug != "consent",
            )
            other, _ = referral_at(db_session, S.SUBMITTED, None, provider, identity_index=same)
            response = desk.send(
                f"/triage/referrals/{referral.id}/{slug}", **TRIAGE_POSTS[slug](provider, other)
            )
            db_session.expire_all()
            if states.allowed(kind, status):
                assert response.status_code == 303, (status, slug)
                assert referral.status is (states.MOVES[kind].to or status)
            else:
                assert response.status_code == 200, (status, slug)
                assert "There is a problem" in response.get_data(as_text=True)
                assert referral.status is status


CASE_POSTS = {
    "accept": {},
    "decline": {"decline-reason": "no_capacity"},
    "first-contact": {"first-contact-channel": "text", **day_fields("first-contact-on")},
    "measures": {"measures-sessions_offered": "3"},
    "close": {"close-outcome": "no_longer_wanted"},
    "feedback": {},
}


def test_every_case_move_posted_at_every_status_is_made_or_refused_plainly(
    app: Flask, db_session: Session
) -> None:
    provider = factories.provider(db_session)
    desk = Desk(signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)[0])
    for status in S:
        for offer in A:
            for slug, kind in CASE_FORMS.items():
                referral, allocation = referral_at(db_session, status, offer, provider)
                assert allocation is not None
                response = desk.send(f"/provider/cases/{allocation.id}/{slug}", **CASE_POSTS[slug])
                db_session.expire_all()
                if states.allowed(kind, status, offer):
                    assert response.status_code == 303, (status, offer, slug)
                    assert (referral.status, allocation.status) == (
                        states.MOVES[kind].to or status,
                        states.MOVES[kind].offer[offer],
                    )
                else:
                    assert response.status_code == 200, (status, offer, slug)
                    assert (referral.status, allocation.status) == (status, offer)


# -- the docs ---------------------------------------------------------------------------------------

START = "<!-- The table below is hub.referrals.states.markdown(); tests/test_states.py checks it. -->"
END = "<!-- End of the table. -->"


def test_the_docs_show_the_table_itself() -> None:
    text = (ROOT / "docs" / "TRIAGE.md").read_text(encoding="utf-8")
    assert START in text and END in text
    shown = text.split(START, 1)[1].split(END, 1)[0]
    assert shown.strip() == states.markdown().strip(), (
        "docs/TRIAGE.md is out of date: paste in the output of "
        "python -c 'from hub.referrals.states import markdown; print(markdown())'"
    )
