"""Quarterly returns: sealed at rest and bound to provider, quarter and version; pre-filled figures
equal to hand counts; draft, submit and amend; checks with kind messages; one provider's return only."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import Connection, select, update
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.calendar import Quarter
from hub.keyring import CryptoError, UnsealError
from hub.kpi import returns
from hub.kpi.models import KpiReturn, ReturnState
from hub.kpi.prefill import prefill, trs_figures
from hub.providers.models import Provider
from hub.referrals.models import (
    Allocation,
    AllocationStatus,
    DeclineReason,
    ReferralSource,
)

from . import factories
from .journeys import TOKEN
from .staff import signed_in
from .test_sealed_storage import dump_every_table

Q3 = Quarter(2026, 3)
AFTER_Q3 = "2026-10-05 10:00:00+00:00"
PROVIDER = Actor(id=None, role="provider_staff")


def complete(**changes: str) -> dict[str, str]:
    """Every entered figure of the common set, consistent with itself (breakdowns add up)."""
    figures = {
        "people_supported": "40",
        "new_starts": "12",
        "sessions_one_to_one": "4817",
        "group_sessions": "9",
        "sessions_not_attended": "31",
        "planned_endings": "6",
        "unplanned_endings": "2",
        "outcome_measured": "10",
        "reliable_improvement": "7",
        "felt_safer_pct": "92.5",
        "satisfied_pct": "88",
        "age_under_25": "10",
        "age_25_to_44": "20",
        "age_45_to_64": "8",
        "age_65_plus": "1",
        "age_not_known": "1",
        "gender_woman": "30",
        "gender_man": "9",
        "gender_other": "0",
        "gender_not_known": "1",
        "ethnicity_white": "30",
        "ethnicity_mixed": "2",
        "ethnicity_asian": "5",
        "ethnicity_black": "1",
        "ethnicity_other": "1",
        "ethnicity_not_known": "1",
        "disability_yes": "9",
        "disability_no": "29",
        "disability_not_known": "2",
    }
    return {**figures, **changes}


def with_hub_figures(db: Session, provider: Provider, **changes: str) -> dict[str, str]:
    known = prefill(db, provider.id, Q3)
    asked = {d.code for d in returns.definitions(db, Q3)}  # the hub counts some figures before they are asked
    hub = {
        code: ("" if p.value is None else returns.figure_text(p.value))
        for code, p in known.items()
        if code in asked
    }
    return {**hub, **complete(**changes)}


@pytest.fixture
def provider(db_session: Session) -> Provider:
    found = factories.provider(db_session, name="Harbour")
    db_session.commit()  # as in life: a refused save rolls back only itself
    return found


def test_figures_are_sealed_and_appear_nowhere_in_the_database(
    db_session: Session, connection: Connection, provider: Provider
) -> None:
    with time_machine.travel(AFTER_Q3):
        checked = returns.save(
            db_session, provider.id, Q3, with_hub_figures(db_session, provider), {}, PROVIDER
        )
    assert not checked.errors
    dump = dump_every_table(connection)
    for figure in (b"4817", b"92.5"):
        assert figure not in dump
    [saved] = db_session.scalars(select(KpiReturn)).all()
    assert saved.figures_checked()["sessions_one_to_one"] == 4817


def test_a_return_moved_to_another_provider_quarter_or_version_cannot_be_opened(
    db_session: Session, provider: Provider
) -> None:
    other = factories.provider(db_session)
    original = factories.kpi_return(db_session, provider_id=provider.id, quarter=20263, version=1)
    original.figures = {"sessions_one_to_one": 4817}
    for where in ({"provider_id": other.id}, {"quarter": 20264}, {"version": 2}):
        target = factories.kpi_return(
            db_session, **{"provider_id": provider.id, "quarter": 20263, "version": 1, **where}
        )
        target.figures_sealed = original.figures_sealed  # type: ignore[attr-defined]
        with pytest.raises(UnsealError):
            target.figures_checked()
    db_session.flush()
    # The row itself relabelled (its id no longer matches): refused before anything is opened.
    db_session.execute(update(KpiReturn).where(KpiReturn.id == original.id).values(quarter=20262))
    db_session.expire_all()
    moved = db_session.get(KpiReturn, original.id)
    assert moved is not None
    with pytest.raises(CryptoError, match="does not match its provider, quarter and version"):
        moved.figures_checked()


# -- pre-filled figures against hand counts ---------------------------------------------------------


def offer(
    db: Session, provider: Provider, received: datetime, offered: datetime, **fields: Any
) -> Allocation:
    referral = factories.referral(db, source=fields.pop("source", ReferralSource.PROFESSIONAL))
    referral.created_at = received
    allocation = factories.allocation(db, referral_id=referral.id, provider_id=provider.id, **fields)
    allocation.created_at = offered
    db.flush()
    return allocation


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_prefill_equals_hand_counts_across_boundaries_holidays_and_declines(
    db_session: Session, provider: Provider
) -> None:
    other = factories.provider(db_session)
    # Q3 in UK time is 1 July 00:00 BST (30 June 23:00 UTC) to 30 September 23:59 BST.
    offer(
        db_session, provider, at("2026-06-20T10:00+00:00"), at("2026-06-30T23:30+00:00")
    )  # 00:30 BST 1 July: in
    offer(
        db_session, provider, at("2026-09-20T10:00+00:00"), at("2026-09-30T23:30+00:00")
    )  # 00:30 BST 1 Oct: out
    accepted = offer(
        db_session,
        provider,
        at("2026-07-01T09:00+01:00"),
        at("2026-07-04T09:00+01:00"),  # a Saturday; 3 days after arrival
        status=AllocationStatus.ACCEPTED,
        decided_at=at("2026-07-06T09:00+01:00"),
        first_contact_on=date(
            2026, 7, 13
        ),  # 5 working days after Sat 4 July: Mon 6 .. Fri 10 = 5, Mon 13 = 6
        source=ReferralSource.SELF,
    )
    offer(
        db_session,
        provider,
        at("2026-08-20T09:00+01:00"),
        at("2026-08-27T09:00+01:00"),  # 7 days after arrival
        status=AllocationStatus.ACCEPTED,
        decided_at=at("2026-08-27T15:00+01:00"),
        first_contact_on=date(
            2026, 9, 2
        ),  # Thu 27 Aug: Fri 28, Mon 31 Aug is a bank holiday, Tue 1, Wed 2 = 3 days
    )
    waiting = offer(
        db_session,
        provider,
        at("2026-09-01T09:00+01:00"),
        at("2026-09-02T09:00+01:00"),
        status=AllocationStatus.ACCEPTED,
        decided_at=at("2026-09-03T09:00+01:00"),
        first_contact_on=date(2026, 10, 2),  # after the quarter: still waiting at its end
    )
    declined = offer(
        db_session,
        provider,
        at("2026-07-10T09:00+01:00"),
        at("2026-07-11T09:00+01:00"),
        status=AllocationStatus.DECLINED,
        decided_at=at("2026-07-12T09:00+01:00"),
        decline_reason=DeclineReason.OUTSIDE_AREA,
    )
    # The declined referral re-allocated elsewhere counts for the other provider only.
    again = factories.allocation(db_session, referral_id=declined.referral_id, provider_id=other.id)
    again.created_at = at("2026-07-13T09:00+01:00")
    db_session.flush()

    known = {code: figure.value for code, figure in prefill(db_session, provider.id, Q3).items()}
    assert known["referrals_allocated"] == 5  # 1 July (BST), 4 July, 27 Aug, 2 Sep, 11 July
    assert known["self_referrals"] == 1
    assert known["accepted"] == 3 and known["declined"] == 1
    assert known["declined_outside_area"] == 1 and known["declined_no_capacity"] == 0
    # Days from arrival to offer: 10 (20 June -> 1 July), 3, 7, 1, 1 -> median 3.
    assert known["median_days_to_allocation"] == 3.0
    # Days from offer to first contact in Q3: 9 (4 -> 13 July) and 6 (27 Aug -> 2 Sep) -> median 7.5.
    assert known["median_days_to_first_contact"] == 7.5
    # Within 5 working days: 27 Aug -> 2 Sep yes (3 days, the bank holiday not counted); 4 -> 13 July no (6).
    assert known["first_contact_within_5_days_pct"] == 50.0
    assert known["waiting_at_quarter_end"] == 1
    assert accepted.first_contact_on and waiting.first_contact_on
    assert prefill(db_session, other.id, Q3)["referrals_allocated"].value == 1
    trs = {code: figure.value for code, figure in trs_figures(db_session, Q3).items()}
    # Five referrals first offered in Q3 (days 10, 3, 7, 1, 1); the 13 July offer of the declined one to
    # the other provider is a re-allocation, not a first offer; the 1 October (BST) offer is Q4's.
    # Working days from arrival to first offer: 8 (Sat 20 June -> Wed 1 July), 2, 5 (Thu 20 -> Thu 27 Aug,
    # just in time with the default 5), 1, 0 (Fri 10 -> Sat 11 July) -> median 2; 4 of 5 in time.
    assert trs == {
        "trs_median_days_to_allocation": 3.0,
        "trs_declines": 1,
        "trs_reallocations": 1,
        "trs_first_allocations": 5,
        "trs_median_working_days_to_allocation": 2.0,
        "trs_allocated_in_time": 4,
        "trs_allocated_in_time_pct": 80.0,
    }
    stricter = trs_figures(db_session, Q3, overdue_after=4)
    assert (
        stricter["trs_allocated_in_time"].value == 3 and stricter["trs_allocated_in_time_pct"].value == 60.0
    )


# -- draft, submit, amend ---------------------------------------------------------------------------


def test_draft_submit_amend(db_session: Session, provider: Provider) -> None:
    with time_machine.travel(AFTER_Q3):
        partial = returns.save(db_session, provider.id, Q3, {"people_supported": "40"}, {}, PROVIDER)
        assert not partial.errors
        [draft] = returns.versions(db_session, provider.id, Q3)
        assert draft.state is ReturnState.DRAFT and returns.state_of([draft]) == "Draft"
        incomplete = returns.save(
            db_session, provider.id, Q3, {"people_supported": "40"}, {}, PROVIDER, submit=True
        )
        assert (
            incomplete.errors["new_starts"]
            == "Enter a figure for new people starting support (0 if there were none)"
        )
        full = with_hub_figures(db_session, provider)
        assert not returns.save(db_session, provider.id, Q3, full, {}, PROVIDER, submit=True).errors
        [submitted] = returns.versions(db_session, provider.id, Q3)
        assert submitted.state is ReturnState.SUBMITTED and submitted.submitted_at is not None
        with pytest.raises(returns.ReturnError, match="submitted, so it is locked"):
            returns.save(db_session, provider.id, Q3, full, {}, PROVIDER)
        with pytest.raises(returns.ReturnError, match="Say why the return needs amending"):
            returns.amend(db_session, provider.id, Q3, "  ", PROVIDER)
        second = returns.amend(db_session, provider.id, Q3, "Group sessions were undercounted.", PROVIDER)
        assert second.version == 2 and second.figures_checked() == submitted.figures_checked()
        changed = {**full, "group_sessions": "11"}
        assert not returns.save(db_session, provider.id, Q3, changed, {}, PROVIDER, submit=True).errors
    first, latest = returns.versions(db_session, provider.id, Q3)
    assert first.figures_checked()["group_sessions"] == 9 and latest.figures_checked()["group_sessions"] == 11
    assert latest.amendment_reason == "Group sessions were undercounted."
    assert returns.state_of([first, latest]) == "Amended"
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("kpi.%"))).all()
    assert actions == ["kpi.return_submitted", "kpi.amendment_started", "kpi.return_amended"]


def test_a_quarter_not_yet_ended_cannot_be_returned(db_session: Session, provider: Provider) -> None:
    with (
        time_machine.travel("2026-09-15 10:00:00+00:00"),
        pytest.raises(returns.ReturnError, match="once the quarter"),
    ):
        returns.save(db_session, provider.id, Q3, complete(), {}, PROVIDER)


@pytest.mark.parametrize(
    ("code", "typed", "message"),
    [
        ("people_supported", "-1", "People supported in the quarter must be a whole number, 0 or more"),
        ("people_supported", "2.5", "People supported in the quarter must be a whole number, 0 or more"),
        ("people_supported", "lots", "People supported in the quarter must be a number"),
        ("felt_safer_pct", "101", "People who said they felt safer must be a number from 0 to 100"),
        (
            "felt_safer_pct",
            "50.25",
            "People who said they felt safer must have no more than one decimal place",
        ),
        ("felt_safer_pct", "NaN", "People who said they felt safer must be a number"),
        ("felt_safer_pct", "1e400", "People who said they felt safer must be a number"),
        ("people_supported", "\u0663", "People supported in the quarter must be a number"),
        ("people_supported", "\uff14\uff10", "People supported in the quarter must be a number"),
        ("people_supported", "9" * 39, "People supported in the quarter must be a number up to 10,000,000"),
    ],
)
def test_each_figure_is_checked_with_a_kind_message(
    db_session: Session, provider: Provider, code: str, typed: str, message: str
) -> None:
    with time_machine.travel(AFTER_Q3):
        checked = returns.save(db_session, provider.id, Q3, complete(**{code: typed}), {}, PROVIDER)
    assert checked.errors[code] == message and checked.typed[code] == typed
    assert returns.versions(db_session, provider.id, Q3) == []


def test_breakdowns_must_add_up_and_changed_hub_figures_need_a_reason(
    db_session: Session, provider: Provider
) -> None:
    with time_machine.travel(AFTER_Q3):
        checked = returns.save(
            db_session,
            provider.id,
            Q3,
            with_hub_figures(db_session, provider, age_under_25="12"),
            {},
            PROVIDER,
        )
        assert checked.errors == {
            "age_under_25": "The age band figures add up to 42, but people supported in the quarter is 40. "
            "They must be equal."
        }
        changed = with_hub_figures(db_session, provider, referrals_allocated="3")
        checked = returns.save(db_session, provider.id, Q3, changed, {}, PROVIDER)
        assert checked.errors == {
            "referrals_allocated": "Say why referrals offered to you differs from the hub's figure (0)"
        }
        reason = {"referrals_allocated": "Three came by phone before the hub was used."}
        assert not returns.save(db_session, provider.id, Q3, changed, reason, PROVIDER).errors
    [draft] = returns.versions(db_session, provider.id, Q3)
    assert draft.reasons == reason


# -- the pages --------------------------------------------------------------------------------------


def test_the_return_page_shows_errors_in_the_summary_and_keeps_what_was_typed(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    with time_machine.travel(AFTER_Q3, tick=False):
        client, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
        page = client.get("/kpi/returns/2026/3").get_data(as_text=True)
        token = TOKEN.search(page)
        assert token and "July to September 2026" in page and "The hub's figure" in page
        data = {f"figure-{k}": v for k, v in complete(felt_safer_pct="150", people_supported="forty").items()}
        response = client.post(
            "/kpi/returns/2026/3", data={"csrf_token": token.group(1), "action": "submit", **data}
        )
        page = html.unescape(response.get_data(as_text=True))
    summary = re.search(r'<div class="govuk-error-summary__body">(.*?)</ul>', page, re.S)
    assert summary
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary.group(1))
    assert ("#figure-people_supported", "People supported in the quarter must be a number") in links
    assert (
        "#figure-felt_safer_pct",
        "People who said they felt safer must be a number from 0 to 100",
    ) in links
    assert 'value="forty"' in page and 'value="150"' in page
    assert returns.versions(db_session, provider.id, Q3) == []


def test_one_provider_never_reads_or_changes_anothers_return(app: Flask, db_session: Session) -> None:
    mine, theirs = factories.provider(db_session), factories.provider(db_session)
    with time_machine.travel(AFTER_Q3, tick=False):
        their_draft = returns.save(db_session, theirs.id, Q3, {"sessions_one_to_one": "9263"}, {}, PROVIDER)
        assert not their_draft.errors
        client, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=mine.id)
        page = client.get("/kpi/returns/2026/3").get_data(as_text=True)
        assert (
            'value="9263"' not in page and "<strong>Not started</strong>" in page
        )  # mine: nothing saved yet
        token = TOKEN.search(page)
        assert token
        client.post(
            "/kpi/returns/2026/3",
            data={"csrf_token": token.group(1), "action": "save", "figure-sessions_one_to_one": "12"},
        )
        assert client.get("/kpi/returns/2026/3?version=1").status_code == 200
        assert client.get("/kpi/returns/2026/9").status_code == 404
    [their_version] = returns.versions(db_session, theirs.id, Q3)
    assert their_version.figures_checked()["sessions_one_to_one"] == 9263
    [my_version] = returns.versions(db_session, mine.id, Q3)
    assert my_version.figures_checked()["sessions_one_to_one"] == 12


# -- reminders --------------------------------------------------------------------------------------


def test_a_provider_without_a_submitted_return_is_reminded_once_after_the_set_days(
    db_session: Session,
) -> None:
    from hub.kpi.reminders import send_reminders
    from hub.outbox import OutboxMessage

    factories.provider(db_session, name="Late", referrals_email="late@example.org")
    done = factories.provider(db_session, name="Done", referrals_email="done@example.org")
    drafting = factories.provider(db_session, name="Drafting", referrals_email="drafting@example.org")
    db_session.commit()
    with time_machine.travel(AFTER_Q3):
        assert not returns.save(
            db_session, done.id, Q3, with_hub_figures(db_session, done), {}, PROVIDER, submit=True
        ).errors
        assert not returns.save(
            db_session, drafting.id, Q3, {"people_supported": "4817"}, {}, PROVIDER
        ).errors
    assert send_reminders(db_session, date(2026, 10, 13), after_days=14) == []  # 13 days after 30 September
    assert send_reminders(db_session, date(2026, 10, 14), after_days=14) == ["Drafting", "Late"]
    assert send_reminders(db_session, date(2026, 10, 15), after_days=14) == []  # once only
    messages = db_session.scalars(select(OutboxMessage)).all()
    assert sorted(m.to_address or "" for m in messages) == ["drafting@example.org", "late@example.org"]
    for message in messages:
        assert "July to September 2026 (Q2 2026/27)" in message.body and "/kpi/returns/2026/3" in message.body
        assert message.subject == "Your quarterly return for July to September 2026 (Q2 2026/27) is due"
        assert "4817" not in message.body


# -- the common set changes from a quarter on ------------------------------------------------------


def test_an_admin_adds_and_retires_figures_from_a_quarter_on_without_touching_past_returns(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    with time_machine.travel(AFTER_Q3):
        assert not returns.save(
            db_session, provider.id, Q3, with_hub_figures(db_session, provider), {}, PROVIDER, submit=True
        ).errors
        client, _ = signed_in(app, db_session, Role.ADMIN)
        page = client.get("/admin/kpi").get_data(as_text=True)
        token = TOKEN.search(page)
        assert token
        form = {
            "csrf_token": token.group(1),
            "code": "waiting_over_4_weeks",
            "label": "People waiting over 4 weeks",
            "unit": "count",
            "description": "",
            "starts": "20263",  # ended: refused
        }
        refused = html.unescape(client.post("/admin/kpi", data=form).get_data(as_text=True))
        assert "July to September 2026 (Q2 2026/27) has ended, so its figures cannot change." in refused
        assert 'value="waiting_over_4_weeks"' in refused  # what was typed is kept
        assert client.post("/admin/kpi", data={**form, "starts": "20264"}).status_code == 303
        duplicate = html.unescape(
            client.post("/admin/kpi", data={**form, "starts": "20271"}).get_data(as_text=True)
        )
        assert "A figure with the code waiting_over_4_weeks is already in use then." in duplicate
        [retired] = [d for d in returns.definitions(db_session, Q3) if d.code == "group_sessions"]
        response = client.post(
            f"/admin/kpi/{retired.id}/retire", data={"csrf_token": token.group(1), "starts": "20264"}
        )
        assert response.status_code == 303
    db_session.expire_all()  # the page changed the rows through its own session
    codes = {
        quarter: {d.code for d in returns.definitions(db_session, quarter)} for quarter in (Q3, Q3.next())
    }
    assert "waiting_over_4_weeks" not in codes[Q3] and "waiting_over_4_weeks" in codes[Q3.next()]
    assert "group_sessions" in codes[Q3] and "group_sessions" not in codes[Q3.next()]
    [submitted] = returns.versions(db_session, provider.id, Q3)
    assert submitted.state is ReturnState.SUBMITTED
    assert submitted.figures_checked()["group_sessions"] == float(complete()["group_sessions"])
    actions = db_session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("kpi.definition%"))
    ).all()
    assert actions == ["kpi.definition_added", "kpi.definition_retired"]
