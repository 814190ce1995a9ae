"""``seed-demo``'s made-up history: every state a page shows, eight quarters of returns, accounts an
evaluator can sign in with, nothing that looks like a real person, and real accounts left alone."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from itertools import groupby
from typing import Any

import pyotp
import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.auth.models import Role, StaffUser
from hub.calendar import Quarter, day_of, today, working_days_between
from hub.config import current_config
from hub.db import utcnow
from hub.demo import seed
from hub.kpi import meeting
from hub.kpi.joint import TREND_CODES, TREND_QUARTERS, joint_quarter, trends
from hub.kpi.meeting_models import ActionStatus
from hub.kpi.models import KpiDefinition, KpiReturn, KpiTarget, ReturnState
from hub.outbox import OutboxMessage
from hub.providers.models import Provider, Specialism
from hub.referrals import allocation
from hub.referrals.models import (
    Allocation,
    AllocationStatus,
    Outcome,
    Referral,
    ReferralEvent,
    ReferralSource,
    ReferralStatus,
)
from hub.referrals.states import WAITING

from . import factories
from .journeys import TOKEN
from .staff import signed_in

S = ReferralStatus
ACCOUNT_LINE = re.compile(
    r"^\s+(\S+@demo\.invalid)\s+password (\S+)\s.*\n\s+authenticator key ([A-Z2-7]+)", re.M
)


def shown_states(db: Session) -> Counter[str]:
    """Each referral as the queue and the provider's pages would name its state."""
    overdue_after = current_config().overdue_working_days
    found: Counter[str] = Counter()
    for referral in db.scalars(select(Referral)):
        state = referral.status.value
        if referral.status is S.SUBMITTED:
            waited = working_days_between(day_of(referral.created_at), today())
            state = "overdue" if waited > overdue_after else "waiting"
        found[state] += 1
    return found


def test_a_fresh_hub_gets_a_referral_in_every_state(db_session: Session) -> None:
    said = seed(db_session)
    oldest = Quarter.current().back(10)[-1]
    assert (
        f"Added 78 demo referrals (made-up people) that arrived from {oldest.label} to today "
        "(the 9 quarters before this one, and this one so far)" in "\n".join(said)
    )
    referrals = db_session.scalars(select(Referral)).all()
    states = shown_states(db_session)
    assert len(referrals) >= 60
    assert len(states) >= 8, states
    for state in (
        "waiting",
        "overdue",
        "info_requested",
        "allocated",
        "accepted",
        "in_support",
        "closed",
        "declined_by_provider",
        "signposted",
        "withdrawn",
    ):
        assert states[state], f"no demo referral is {state}: {states}"

    offers = db_session.scalars(select(Allocation)).all()
    assert {a.outcome for a in offers if a.outcome} == set(Outcome), "a case closed with each outcome"
    declined = {a.referral_id for a in offers if a.status is AllocationStatus.DECLINED}
    offered_again = {a.referral_id for a in offers if a.status is not AllocationStatus.DECLINED}
    assert declined & offered_again, "a referral declined by one provider and offered to another"
    waiting = [r for r in referrals if r.status in WAITING]
    assert [r.preferred_name for r in waiting if not r.consent_to_share] == ["Lee"], "consent to share needed"
    assert sum(r.possible_duplicate for r in referrals) >= 2, "a pair marked at intake, not decided yet"
    decided = db_session.scalars(
        select(ReferralEvent.kind).where(ReferralEvent.kind == "duplicate_same_person")
    )
    assert decided.all(), "a pair the triage team decided is the same person"
    assert {r.source for r in referrals} == set(ReferralSource)
    assert 2 <= sum(r.under_18 for r in referrals) <= 5, "a few under-18 flags"
    # As README and seed-demo say: 78, spread over exactly the nine quarters before this one and this
    # one so far, none in the future; and two self-referrals made directly to a provider this quarter.
    assert len(referrals) == 78 + 2
    direct = [r for r in referrals if r.direct]
    assert [(r.source, Quarter.of(r.created_at)) for r in direct] == [
        (ReferralSource.SELF, Quarter.current())
    ] * 2
    assert {r.status for r in direct} == {S.ACCEPTED, S.IN_SUPPORT}
    professional = [r for r in referrals if r.source is ReferralSource.PROFESSIONAL]
    assert all(r.referrer_agency is not None for r in professional), "every demo referrer says its kind"
    assert len({r.referrer_agency for r in professional}) >= 5
    arrived = {Quarter.of(r.created_at) for r in referrals}
    assert arrived == set(Quarter.current().back(10)) and max(r.created_at for r in referrals) < utcnow()
    # As README says: the ended quarters before the last are shared for the meeting, and the action not
    # done at the latest of their meetings is carried, with one of its own, to the last ended quarter's.
    met = Quarter.last_ended().previous()
    assert meeting.shared_quarters(db_session) == met.back(7)
    carried = [(a.raised_in, a.progress) for a in meeting.actions_for(db_session, Quarter.last_ended())]
    assert carried == [(met.key, ActionStatus.IN_PROGRESS), (Quarter.last_ended().key, ActionStatus.OPEN)]


def _in_an_order_that_follows(moves: Sequence[ReferralEvent]) -> list[ReferralEvent]:
    """The events in time order; events of the same moment (a first contact and the measure taken at
    it) in whichever order follows on from the status before them, as the database may return them in
    either."""
    found: list[ReferralEvent] = []
    status: S | None = S.SUBMITTED
    for _, same in groupby(moves, key=lambda e: e.occurred_at):
        waiting = list(same)
        while waiting:
            event = next((e for e in waiting if e.from_status is status), waiting[0])
            waiting.remove(event)
            found.append(event)
            status = event.to_status or status
    return found


def test_each_state_came_by_the_moves_the_hub_makes(db_session: Session) -> None:
    """Every status is where its timeline's last move left it; every step was audited at its moment."""
    seed(db_session)
    for referral in db_session.scalars(select(Referral)):
        moves = db_session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == referral.id)
            .order_by(ReferralEvent.occurred_at)
        ).all()
        status = S.SUBMITTED
        for event in _in_an_order_that_follows(moves):
            assert event.from_status is status and event.occurred_at >= referral.created_at
            status = event.to_status or status
        assert referral.status is status, referral.reference
    db_session.commit()
    verdict = audit.verify(db_session)
    assert verdict.intact, verdict.problem
    entries = db_session.scalars(select(audit.AuditEntry).order_by(audit.AuditEntry.seq)).all()
    moments = [e.occurred_at for e in entries]
    assert moments == sorted(moments), "the history is written in the order it happened"
    # Each referral sent through the forms is "submitted"; one made directly to a provider is taken on.
    made = Counter(e.action for e in entries)
    assert made["referral.submitted"] == len(
        db_session.scalars(select(Referral).where(~Referral.direct)).all()
    )
    assert made["referral.direct_accepted"] == len(
        db_session.scalars(select(Referral).where(Referral.direct)).all()
    )


def test_eight_quarters_of_returns_from_every_provider_make_the_trend_lines(
    app: Flask, db_session: Session
) -> None:
    seed(db_session)
    providers = db_session.scalars(select(Provider)).all()
    last = Quarter.last_ended()
    submitted = Counter(
        r.provider_id for r in db_session.scalars(select(KpiReturn)) if r.state is ReturnState.SUBMITTED
    )
    assert len(providers) == 3 and all(submitted[p.id] >= 8 for p in providers), submitted
    full = last.previous().back(8)
    for provider in providers:
        quarters = {
            r.quarter
            for r in db_session.scalars(select(KpiReturn).where(KpiReturn.provider_id == provider.id))
            if r.state is ReturnState.SUBMITTED
        }
        assert {q.key for q in full} <= quarters, provider.name
        assert all(r.figures_checked() for r in db_session.scalars(select(KpiReturn))), "no empty return"

    found = trends(db_session, last, TREND_QUARTERS, TREND_CODES)
    assert [t.definition.code for t in found] == TREND_CODES
    # As README says: the default window (eight quarters up to the last ended one) has Rothacs's eight
    # points and seven for the other two; the window before it has eight for every provider.
    rothacs = next(p.name for p in providers if p.slug == "rothacs")
    for trend in found:
        # A count with a demo target has all providers together too, to judge against the target.
        assert set(trend.series) - {"All providers"} == {p.name for p in providers}
        for name, values in trend.series.items():
            if name == "All providers":
                continue
            points = sum(v is not None for v in values)
            assert points == (8 if name == rothacs else 7), (trend.definition.code, name, values)
    for trend in trends(db_session, last.previous(), TREND_QUARTERS, TREND_CODES):
        assert all(None not in values for values in trend.series.values()), trend.definition.code
    supported = next(t for t in found if t.definition.code == "people_supported")
    assert any(len(set(values)) > 1 for values in supported.series.values()), "the lines are not flat"
    # Targets set early in the history, one raised later: some figures meet theirs and some do not.
    verdicts = {s.code: s.summary.met for s in joint_quarter(db_session, last.previous()).against_target()}
    assert len(verdicts) >= 4 and True in verdicts.values() and False in verdicts.values(), verdicts
    raised = db_session.scalars(select(KpiTarget.value).where(KpiTarget.code == "people_supported")).all()
    assert sorted(v or 0 for v in raised) == [60, 75] and "Target" in dict(supported.rows_against_target())

    client, _ = signed_in(app, db_session, Role.COMMISSIONER)
    page = client.get("/commissioner/kpi").get_data(as_text=True)
    for provider in providers:
        rows = re.findall(rf'<th scope="row"[^>]*>{re.escape(provider.name)}</th>(.*?)</tr>', page, re.S)
        assert len(rows) >= len(TREND_CODES)
        assert all(len(re.findall(r"<td[^>]*>\s*[0-9]", row)) >= 7 for row in rows[-len(TREND_CODES) :])


def test_the_last_quarter_shows_a_return_of_each_kind(db_session: Session) -> None:
    seed(db_session)
    last = Quarter.last_ended().key
    states = {
        p.slug: [
            r.state
            for r in db_session.scalars(select(KpiReturn).where(KpiReturn.quarter == last))
            if r.provider_id == p.id
        ]
        for p in db_session.scalars(select(Provider))
    }
    assert states == {"rothacs": [ReturnState.SUBMITTED], "rise": [ReturnState.DRAFT], "grow": []}


def demo_accounts(said: list[str]) -> dict[str, tuple[str, str]]:
    return {email: (password, key) for email, password, key in ACCOUNT_LINE.findall("\n".join(said))}


def test_the_printed_password_and_key_sign_a_demo_account_in(app: Flask, db_session: Session) -> None:
    accounts = demo_accounts(seed(db_session))
    assert set(accounts) == {
        f"{name}@demo.invalid" for name in ("allocator", "commissioner", "admin", "rise", "grow", "rothacs")
    }
    password, key = accounts["rise@demo.invalid"]
    client = app.test_client()
    token = TOKEN.search(client.get("/login").get_data(as_text=True))
    assert token
    sent = client.post(
        "/login", data={"csrf_token": token.group(1), "email": "rise@demo.invalid", "password": password}
    )
    assert sent.headers["Location"] == "/login/two-factor", "the authenticator is set up already"
    token = TOKEN.search(client.get("/login/two-factor").get_data(as_text=True))
    assert token
    wrong = client.post("/login/two-factor", data={"csrf_token": token.group(1), "code": "000000"})
    assert wrong.status_code == 200
    code = {"csrf_token": token.group(1), "code": pyotp.TOTP(key).now()}
    assert client.post("/login/two-factor", data=code).headers["Location"] == "/staff"
    assert client.get("/provider/cases").status_code == 200


@pytest.mark.parametrize(
    "account",
    [
        {"role": Role.ADMIN, "email": "someone@council.example.gov.uk"},
        {"role": Role.ALLOCATOR, "email": "left@council.example.gov.uk", "disabled": True},
        # An account made by hand with a demo-looking address is still not one this run made.
        {"role": Role.ALLOCATOR, "email": "allocator@demo.invalid"},
    ],
    ids=["admin", "disabled", "demo-looking"],
)
def test_a_hub_with_any_account_gets_no_made_up_work_and_its_account_is_untouched(
    app: Flask, db_session: Session, account: dict[str, Any]
) -> None:
    real = factories.staff_user(db_session, **account)
    db_session.commit()
    before = _row(db_session, real)
    definitions = _definitions(db_session)
    entries = audit.checkpoint(db_session)["count"]

    said = seed(db_session)

    assert not demo_accounts(said) and not any("password" in line for line in said)
    text = "\n".join(said)
    assert "seed-demo added nothing" in text and "fresh instance" in text
    assert not any(line.startswith("Added") for line in said)
    for table in (Provider, Specialism, Referral, KpiReturn, OutboxMessage, Allocation):
        assert db_session.scalars(select(table)).all() == [], table.__name__
    assert _definitions(db_session) == definitions, "the KPI set's start is not moved"
    [only] = db_session.scalars(select(StaffUser)).all()
    db_session.expire_all()
    assert _row(db_session, only) == before
    assert audit.checkpoint(db_session)["count"] == entries, "nothing was done, so nothing was audited"
    result = app.test_cli_runner().invoke(args=["outbox", "list"])
    assert result.exit_code == 0 and "The outbox is empty." in result.output


def test_a_hub_with_referrals_but_no_accounts_gets_accounts_and_no_history(db_session: Session) -> None:
    """A hub that took referrals before anyone had an account: its referrals stay its own."""
    factories.referral(db_session)
    factories.outbox_message(db_session)
    db_session.commit()
    definitions = _definitions(db_session)
    said = seed(db_session)
    assert len(demo_accounts(said)) == 6
    assert "No made-up history was added: this hub has referrals or returns already." in said
    assert len(db_session.scalars(select(Referral)).all()) == 1
    assert db_session.scalars(select(KpiReturn)).all() == []
    assert len(db_session.scalars(select(OutboxMessage)).all()) == 1, "its own email still waits"
    assert _definitions(db_session) == definitions


def test_the_made_up_history_leaves_nothing_waiting_in_the_outbox(app: Flask, db_session: Session) -> None:
    """Every email the history queued is dropped unsent and audited; one that was waiting before the run
    is not the demo's and stays; what an evaluator does afterwards queues its email as usual."""
    own = factories.outbox_message(db_session)
    db_session.commit()
    said = seed(db_session)
    [line] = [line for line in said if "dropped from the outbox unsent" in line]
    dropped = int(re.sub(r"\D", "", line.split(" emails ")[0]))
    assert dropped > 100
    assert [m.id for m in db_session.scalars(select(OutboxMessage))] == [own.id]
    actions = Counter(e.action for e in db_session.scalars(select(audit.AuditEntry)))
    assert actions["outbox.dropped"] == dropped
    assert audit.verify(db_session).intact

    runner = app.test_cli_runner()
    listed = runner.invoke(args=["outbox", "list"]).output
    assert "1 message shown (1 waiting)" in listed and str(own.id) in listed

    waiting = next(
        r
        for r in db_session.scalars(select(Referral).where(Referral.status == S.SUBMITTED))
        if r.consent_to_share and not r.possible_duplicate and not r.under_18
    )
    rothacs = db_session.scalars(select(Provider).where(Provider.slug == "rothacs")).one()
    allocation.allocate(db_session, waiting.id, rothacs.id, audit.Actor(id=None, role="operator"), "")
    db_session.commit()
    assert len(db_session.scalars(select(OutboxMessage)).all()) > 1, "a new offer queues its notice"


def test_a_second_run_adds_nothing_and_leaves_an_account_made_since_alone(db_session: Session) -> None:
    seed(db_session)
    real = factories.staff_user(db_session, role=Role.ALLOCATOR, email="new.starter@council.example.gov.uk")
    db_session.commit()
    before = _row(db_session, real)
    counts = {
        t: len(db_session.scalars(select(t)).all()) for t in (Referral, Allocation, KpiReturn, StaffUser)
    }
    entries = audit.checkpoint(db_session)["count"]
    again = seed(db_session)
    assert len(again) == 1 and again[0].startswith("This hub has staff accounts, so seed-demo added no")
    assert {t: len(db_session.scalars(select(t)).all()) for t in counts} == counts
    assert audit.checkpoint(db_session)["count"] == entries
    db_session.expire_all()
    assert _row(db_session, real) == before


def _definitions(db: Session) -> list[tuple[str, int, int | None]]:
    query = select(KpiDefinition.code, KpiDefinition.from_quarter, KpiDefinition.until_quarter)
    return sorted((code, start, until) for code, start, until in db.execute(query))


def _row(db: Session, user: StaffUser) -> dict[str, Any]:
    table = StaffUser.__table__
    row = db.execute(select(table).where(table.c.id == user.id)).one()
    return dict(row._mapping)


def test_no_one_in_the_demo_looks_like_a_real_person(db_session: Session) -> None:
    said = seed(db_session)
    referrals = db_session.scalars(select(Referral)).all()
    for referral in referrals:
        assert re.fullmatch(r"Demo Person \w+", referral.full_name or ""), referral.full_name
        assert referral.email is None or re.fullmatch(r"[a-z0-9.]+@example\.(org|com)", referral.email)
        assert referral.phone is None or re.fullmatch(r"07700 900[0-9]{3}", referral.phone)
        assert referral.address is None and referral.postcode is None
        assert referral.referrer_email is None or referral.referrer_email.endswith("@example.org")
        assert referral.referrer_name is None or referral.referrer_name.startswith("Demo Referrer")
    emails = [line.split()[0] for line in said if "password" in line and "@" in line]
    assert emails and all(e.endswith("@demo.invalid") for e in emails)
    for user in db_session.scalars(select(StaffUser)):
        assert (user.display_name or "").startswith("Demo ")


@pytest.mark.parametrize(
    "moment",
    [
        "2027-01-01 00:30:00+00:00",  # the first half hour of a quarter (and a bank holiday)
        "2026-12-28 09:00:00+00:00",  # a Monday bank holiday, after Christmas
        "2027-06-30 22:59:00+00:00",  # the last minute of a quarter, UK time
    ],
)
def test_seeding_works_whatever_the_day(db_session: Session, moment: str) -> None:
    with time_machine.travel(moment, tick=False):
        seed(db_session)
        states = shown_states(db_session)
        assert {"waiting", "overdue", "allocated", "accepted", "in_support", "closed"} <= set(states), states
        last = Quarter.last_ended().key
        kinds = {
            (r.provider_id, r.state)
            for r in db_session.scalars(select(KpiReturn).where(KpiReturn.quarter == last))
        }
        assert sorted(state.value for _, state in kinds) == ["draft", "submitted"], "as README says"
        full = trends(db_session, Quarter.last_ended().previous(), TREND_QUARTERS, TREND_CODES)
        assert all(None not in values for t in full for values in t.series.values())
        assert max(e.occurred_at for e in db_session.scalars(select(ReferralEvent))) < utcnow()
        assert max(r.created_at for r in db_session.scalars(select(Referral))) < utcnow() - timedelta(
            minutes=1
        )
