"""One transaction style: ``hub.db.committed`` saves all of a change or none of it, whatever goes wrong.

For each family of writing services a step after the first write is made to fail, and the whole
database must read exactly as it did before: no row added, changed or removed, no audit entry, no
outbox message. A test reads the source to check that nothing but ``hub/db.py`` commits or rolls back.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pyotp
import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import hub.models  # noqa: F401  (every table, so the snapshot sees them all)
from hub import audit, demo, outbox
from hub.audit import Actor, AuditEntry
from hub.auth import services as accounts
from hub.auth.models import Role, StaffSession
from hub.calendar import Quarter
from hub.db import Base, TransactionDoomed, committed, utcnow
from hub.keyring import Keyring
from hub.kpi import definitions, returns
from hub.kpi.models import KpiReturn, Unit
from hub.kpi.reminders import send_reminders
from hub.outbox import OutboxMessage
from hub.providers.models import Provider, ProviderCapacity, Specialism
from hub.providers.services import set_capacity
from hub.referrals import allocation, cases, consent, duplicates, intake, timeline
from hub.referrals.models import Allocation, ConsentMethod, EventKind, ReferralSource
from hub.referrals.triage_moves import move

from . import factories
from .factories import TEST_PASSWORD
from .journeys import self_journey
from .test_kpi_returns import AFTER_Q3, Q3, with_hub_figures

HUB = Path(__file__).resolve().parent.parent / "hub"
TRS = Actor(id=None, role="allocator")
OPERATOR = Actor(id=None, role="operator")


class Injected(Exception):
    """The failure a test puts into a service, after it has written something."""


class Interrupted(BaseException):
    """Not an Exception at all (like KeyboardInterrupt, or a worker's timeout)."""


def snapshot(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to compare before and after (with anything the session still holds)."""
    db.flush()  # a change left behind by a service that did not roll back shows up here
    return {
        table.name: sorted((tuple(row) for row in db.execute(select(table))), key=repr)
        for table in Base.metadata.sorted_tables
    }


def fails(*, on_call: int = 1, then: Callable[..., Any] | None = None) -> Callable[..., Any]:
    """A stand-in that does what ``then`` does until its ``on_call``-th call, which raises Injected."""
    calls = {"n": 0}

    def stand_in(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] >= on_call:
            raise Injected
        return then(*args, **kwargs) if then else None

    return stand_in


# -- the helper ----------------------------------------------------------------------------------------


def test_the_block_commits_what_it_wrote(db_session: Session) -> None:
    with committed(db_session):
        message = factories.outbox_message(db_session)
        audit.record(db_session, "test.event", role="operator")
    assert not db_session.in_transaction()
    db_session.rollback()  # nothing left to undo: it was saved
    assert db_session.get(OutboxMessage, message.id) is not None
    assert db_session.scalars(select(AuditEntry.action)).all() == ["test.event"]


@pytest.mark.parametrize("raised", [Injected, ValueError, Interrupted])
def test_anything_raised_in_the_block_undoes_all_of_it_and_goes_on(
    db_session: Session, raised: type[BaseException]
) -> None:
    saved = snapshot(db_session)
    with pytest.raises(raised), committed(db_session):
        factories.provider(db_session)  # flushed: the database holds it until the rollback
        factories.outbox_message(db_session)
        audit.record(db_session, "test.event", role="operator")
        raise raised
    assert snapshot(db_session) == saved


def test_a_commit_that_fails_undoes_everything(db_session: Session) -> None:
    factories.specialism(db_session, code="counselling-test")
    db_session.commit()
    saved = snapshot(db_session)
    with pytest.raises(IntegrityError), committed(db_session):
        factories.outbox_message(db_session)
        audit.record(db_session, "test.event", role="operator")
        db_session.add(Specialism(code="counselling-test", label="The same code again"))  # flushed at commit
    assert snapshot(db_session) == saved


def test_a_block_inside_another_joins_it_and_only_the_outermost_commits(db_session: Session) -> None:
    saved = snapshot(db_session)
    with pytest.raises(Injected), committed(db_session):
        with committed(db_session):
            factories.outbox_message(db_session)
            audit.record(db_session, "test.inner", role="operator")
        assert db_session.in_transaction()  # the inner block saved nothing yet
        raise Injected
    assert snapshot(db_session) == saved


def test_a_failure_inside_caught_by_the_outer_block_still_saves_nothing(db_session: Session) -> None:
    saved = snapshot(db_session)
    with pytest.raises(TransactionDoomed), committed(db_session):
        factories.outbox_message(db_session)
        try:
            with committed(db_session):
                audit.record(db_session, "test.inner", role="operator")
                raise Injected
        except Injected:
            pass
        factories.outbox_message(db_session)  # written after the failure: must not be saved alone
    assert snapshot(db_session) == saved
    with committed(db_session):  # the next transaction is not doomed
        factories.outbox_message(db_session)
    assert len(db_session.scalars(select(OutboxMessage)).all()) == 1
    db_session.rollback()
    assert len(db_session.scalars(select(OutboxMessage)).all()) == 1


# -- every family of writing services ------------------------------------------------------------------


def test_a_referral_that_fails_at_its_last_step_leaves_no_referral_email_or_entry_and_keeps_the_draft(
    app: Flask, db_session: Session, keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = app.test_client()
    self_journey(client).answer_all()
    with client.session_transaction() as cookie:
        draft = intake.load_draft(db_session, cookie["draft_id"], ReferralSource.SELF)
    assert draft is not None
    saved = snapshot(db_session)
    monkeypatch.setattr(audit, "record", fails())
    with pytest.raises(Injected):
        intake.submit(db_session, keyring, draft)  # the draft removed, the referral and its email added
    assert snapshot(db_session) == saved


def test_an_account_that_fails_at_its_audit_entry_is_not_created(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = snapshot(db_session)
    monkeypatch.setattr(audit, "record_as", fails())
    with pytest.raises(Injected):
        accounts.create_user(
            db_session,
            email="new.person@example.org",
            display_name="New Person",
            role=Role.ALLOCATOR,
            password=TEST_PASSWORD,
            actor=OPERATOR,
        )
    assert snapshot(db_session) == saved


def test_a_wrong_password_whose_entry_fails_counts_nothing(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = factories.staff_user(db_session)
    db_session.commit()
    saved = snapshot(db_session)
    monkeypatch.setattr(audit, "record", fails())
    with pytest.raises(Injected):
        accounts.check_password(db_session, user.email or "", "not the password", None)
    assert snapshot(db_session) == saved


def test_a_sign_in_whose_entry_fails_opens_no_session(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = pyotp.random_base32()
    user = factories.staff_user(db_session, totp_secret=secret, totp_last_step=1)
    db_session.commit()
    saved = snapshot(db_session)
    monkeypatch.setattr(audit, "record", fails())
    with pytest.raises(Injected):
        accounts.check_second_factor(db_session, user, pyotp.TOTP(secret).now(), None)
    assert not db_session.scalars(select(StaffSession)).all()
    assert snapshot(db_session) == saved


def test_a_confirmed_reset_that_fails_inside_the_reset_changes_neither_account(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = pyotp.random_base32()
    admin = factories.staff_user(db_session, role=Role.ADMIN, totp_secret=secret, totp_last_step=1)
    user = factories.staff_user(db_session)
    db_session.commit()
    saved = snapshot(db_session)
    monkeypatch.setattr(audit, "record_as", fails())
    with pytest.raises(Injected):
        accounts.reset_password_confirmed(db_session, user, admin, pyotp.TOTP(secret).now(), None)
    assert snapshot(db_session) == saved


def test_a_capacity_change_whose_entry_fails_changes_nothing(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = factories.provider(db_session, new_starts=10, max_active=20)
    db_session.commit()
    saved = snapshot(db_session)
    monkeypatch.setattr(audit, "record_as", fails())
    with pytest.raises(Injected):
        set_capacity(db_session, provider.id, 99, 99, TRS)
    capacity = db_session.scalar(select(ProviderCapacity).where(ProviderCapacity.provider_id == provider.id))
    assert capacity is not None and capacity.max_active == 20
    assert snapshot(db_session) == saved


@pytest.fixture
def harbour(db_session: Session) -> Provider:
    found = factories.provider(db_session, name="Harbour", referrals_email="harbour@example.org")
    db_session.commit()
    return found


def test_a_return_submitted_whose_entry_fails_is_not_saved(
    db_session: Session, harbour: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = snapshot(db_session)
    monkeypatch.setattr(audit, "record_as", fails())
    with time_machine.travel(AFTER_Q3), pytest.raises(Injected):
        returns.save(db_session, harbour.id, Q3, with_hub_figures(db_session, harbour), {}, TRS, submit=True)
    assert not db_session.scalars(select(KpiReturn)).all()
    assert snapshot(db_session) == saved


def test_an_amendment_whose_entry_fails_makes_no_new_version(
    db_session: Session, harbour: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    with time_machine.travel(AFTER_Q3):
        figures = with_hub_figures(db_session, harbour)
        assert not returns.save(db_session, harbour.id, Q3, figures, {}, TRS, submit=True).errors
        saved = snapshot(db_session)
        monkeypatch.setattr(audit, "record_as", fails())
        with pytest.raises(Injected):
            returns.amend(db_session, harbour.id, Q3, "A typing slip.", TRS)
    assert snapshot(db_session) == saved


def test_a_new_kpi_whose_entry_fails_is_not_added(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = snapshot(db_session)
    monkeypatch.setattr(audit, "record_as", fails())
    with pytest.raises(Injected):
        definitions.add(
            db_session,
            code="waiting_list_test",
            label="A new figure",
            unit=Unit.COUNT,
            description="",
            starts=Quarter.current(),
            actor=TRS,
        )
    assert snapshot(db_session) == saved


def test_reminders_that_fail_part_way_send_none_and_note_none(
    db_session: Session, harbour: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    factories.provider(db_session, name="Lighthouse", referrals_email="lighthouse@example.org")
    db_session.commit()
    saved = snapshot(db_session)
    monkeypatch.setattr(outbox, "queue", fails(on_call=2, then=outbox.queue))
    with pytest.raises(Injected):
        send_reminders(db_session, date(2026, 10, 14), after_days=14)
    assert snapshot(db_session) == saved


def offered(db: Session, provider: Provider) -> Allocation:
    referral = factories.referral(db)
    db.commit()
    return allocation.allocate(db, referral.id, provider.id, TRS, reason="Chosen by the test.")


def test_an_allocation_that_fails_at_telling_the_provider_is_not_made(
    db_session: Session, harbour: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    referral = factories.referral(db_session)
    db_session.commit()
    saved = snapshot(db_session)
    monkeypatch.setattr(allocation, "_tell_provider", fails())
    with pytest.raises(Injected):
        allocation.allocate(db_session, referral.id, harbour.id, TRS, reason="Chosen by the test.")
    assert snapshot(db_session) == saved


def test_a_case_accepted_whose_entry_fails_stays_waiting(
    db_session: Session, harbour: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    offer = offered(db_session, harbour)
    saved = snapshot(db_session)
    monkeypatch.setattr(audit, "record_as", fails())
    with pytest.raises(Injected):
        cases.accept(db_session, offer.id, harbour.id, Actor(id=None, role="provider_staff"))
    assert snapshot(db_session) == saved


def test_a_triage_move_whose_entry_fails_leaves_the_offer_and_the_referral_as_they_were(
    db_session: Session, harbour: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    offer = offered(db_session, harbour)  # withdrawing cancels it first, then records the event
    saved = snapshot(db_session)
    monkeypatch.setattr(audit, "record_as", fails())
    with pytest.raises(Injected):
        move(db_session, offer.referral_id, EventKind.WITHDRAWN, TRS, note="They asked us to stop.")
    assert snapshot(db_session) == saved


def test_consent_recorded_whose_entry_fails_is_not_recorded(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    referral = factories.referral(db_session, consent_to_share=False)
    db_session.commit()
    saved = snapshot(db_session)
    monkeypatch.setattr(audit, "record_as", fails())
    with pytest.raises(Injected):
        consent.record_share(
            db_session,
            referral.id,
            TRS,
            from_whom="The person",
            on=date.today(),
            method=ConsentMethod.PHONE,
        )
    assert snapshot(db_session) == saved


def test_a_duplicate_decision_that_fails_on_the_second_timeline_is_not_kept(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = factories.referral(db_session, phone_index="same-phone-index", possible_duplicate=True)
    second = factories.referral(db_session, phone_index="same-phone-index", possible_duplicate=True)
    db_session.commit()
    saved = snapshot(db_session)
    monkeypatch.setattr(timeline, "record", fails(on_call=2, then=timeline.record))
    with pytest.raises(Injected):
        duplicates.decide(db_session, first.id, second.id, True, TRS)
    assert snapshot(db_session) == saved


def test_sending_that_breaks_on_one_message_keeps_the_ones_already_sent_and_undoes_that_one(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent, broken = factories.outbox_message(db_session), factories.outbox_message(db_session)
    db_session.commit()
    monkeypatch.setattr(outbox, "_send", lambda *_: None)  # the mail server takes each message
    monkeypatch.setattr(outbox, "utcnow", fails(on_call=2, then=utcnow))  # the second one's time breaks
    with pytest.raises(Injected):
        outbox.send_waiting(db_session, outbox.transport_from_url("smtp://127.0.0.1:1"), "hub@example.org")
    db_session.flush()  # anything the failed attempt left behind would be written now
    db_session.expire_all()
    assert broken.sent_at is None and broken.attempts == 0
    db_session.rollback()  # each message's attempt is its own transaction: the first one is saved
    assert sent.sent_at is not None and sent.attempts == 1


def test_demo_data_that_fails_at_the_last_part_adds_nothing(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = snapshot(db_session)
    monkeypatch.setattr(demo, "_demo_returns", fails())
    with pytest.raises(Injected):
        demo.seed(db_session)
    assert snapshot(db_session) == saved


def test_a_request_that_fails_half_way_shows_the_kind_page_and_saves_nothing(
    app: Flask, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .staff import Desk, signed_in

    provider = factories.provider(db_session, new_starts=10, max_active=20)
    client, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
    desk = Desk(client)
    saved = snapshot(db_session)
    monkeypatch.setattr(audit, "record_as", fails())
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 handler answers
    response = desk.send("/provider/capacity", new_starts_per_quarter="99", max_active="99")
    assert response.status_code == 500
    assert "What you sent has not been saved" in response.get_data(as_text=True)
    assert snapshot(db_session) == saved


# -- nothing else commits or rolls back ----------------------------------------------------------------

ENDS_TRANSACTIONS = {"commit", "rollback"}
ALLOWED = {"hub/db.py": "the one helper, and the 500 handler's rollback, live here"}


def transaction_ends(source: str) -> list[str]:
    """Each call of ``.commit(...)`` or ``.rollback(...)`` in the source, as ``line: name``."""
    return [
        f"{node.lineno}: {node.func.attr}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ENDS_TRANSACTIONS
    ]


def test_the_check_finds_a_commit_or_rollback_however_it_is_written() -> None:
    source = (
        "def view():\n"
        "    db.session().commit()\n"
        "    session = db.session()\n"
        "    session.rollback()\n"
        "    g.db_session.commit(  )\n"
    )
    assert transaction_ends(source) == ["2: commit", "4: rollback", "5: commit"]
    assert transaction_ends("with committed(db):\n    db.add(row)\nnote = 'db.commit()'\n") == []


def test_nothing_but_the_helper_commits_or_rolls_back() -> None:
    found = {}
    for path in sorted(HUB.rglob("*.py")):
        name = path.relative_to(HUB.parent).as_posix()
        ends = transaction_ends(path.read_text(encoding="utf-8"))
        if ends and name not in ALLOWED:
            found[name] = ends
    assert found == {}, "use hub.db.committed (or audit.viewed in a view) instead"


VIEW_WRITES = {"committed", "record", "record_as"}


def view_writes(source: str) -> list[str]:
    """Each use of ``committed``, ``audit.record`` or ``audit.record_as`` in a view module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in VIEW_WRITES:
                found.append(f"{node.lineno}: {name}")
    return found


def test_the_view_check_finds_a_view_writing_its_own_entry() -> None:
    source = "audit.record_as(s, actor, 'referral.viewed', 'referral', 1)\nwith committed(s):\n    pass\n"
    assert view_writes(source) == ["1: record_as", "2: committed"]


def test_views_record_a_read_only_through_audit_viewed() -> None:
    views = [p for p in HUB.rglob("*.py") if p.stem.endswith("views") or p.stem == "public_pages"]
    assert len(views) >= 8
    found = {p.name: view_writes(p.read_text(encoding="utf-8")) for p in views}
    assert {name: calls for name, calls in found.items() if calls} == {}
