"""Requests about a person's data: the register, finding the person by the blind indexes only, and the
subject-access pack, tried as a careless officer, a plain administrator and a forger would."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.calendar import today
from hub.outbox import OutboxMessage
from hub.privacy import requests
from hub.privacy.models import ErasureDecision, RequestReferral, RequestStatus, RightsRequest
from hub.referrals import consent
from hub.referrals.models import ConsentMethod, Referral

from . import factories
from .clock import Clock
from .journeys import professional_journey, reference_and_code, self_journey
from .staff import Desk, signed_in

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
ROBIN = {"full_name": "Robin Quill-Tester", "date_of_birth-day": "14", "date_of_birth-month": "3"}
BORN = {"born-day": "14", "born-month": "3", "born-year": "1994"}


@pytest.fixture
def clock() -> Iterator[Clock]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def officer(app: Flask, db_session: Session, clock: Clock) -> Desk:
    return Desk(signed_in(app, db_session, Role.ADMIN, data_protection=True)[0])


def refer_robin_twice(app: Flask) -> tuple[str, str, str]:
    """Robin referred by a professional and by themselves, and another Robin Quill-Tester born in 1980."""
    professional = professional_journey(
        app.test_client(),
        person={
            **ROBIN,
            "date_of_birth-year": "1994",
            "email": "robin.quill@example.org",
            "phone": "07700 900123",
        },
    )
    first, _ = reference_and_code(professional.complete())
    mine, _ = reference_and_code(self_journey(app.test_client()).complete())
    other = self_journey(
        app.test_client(),
        about={"date_of_birth-year": "1980"},
        contact={"email": "another.robin@example.org", "phone": "07700 900999"},
    )
    someone_else, _ = reference_and_code(other.complete())
    return first, mine, someone_else


def new_request(officer: Desk, **changes: str) -> str:
    answers = {
        "kind": "access",
        "person_name": "Robin Quill-Tester",
        "asker": "person",
        "identity_check": "Saw their passport at the office",
        "received-day": "25",
        "received-month": "11",
        "received-year": "2026",
        **changes,
    }
    response = officer.send("/admin/requests/new", **answers)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    location: str = response.headers["Location"]
    return location


def link_all(officer: Desk, here: str, **search: str) -> str:
    found = officer.send(f"{here}/search", **search)
    ids = re.findall(r'name="referrals" type="checkbox" value="([^"]+)"', found.get_data(as_text=True))
    linked = officer.send(f"{here}/link", **search, referrals=ids)
    assert linked.status_code == 303
    return officer.get(here)[1]


def unzip(body: bytes) -> tuple[dict[str, Any], str]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert sorted(archive.namelist()) == ["subject-access.html", "subject-access.json"]
        return json.loads(archive.read("subject-access.json")), archive.read("subject-access.html").decode()


def test_the_pack_holds_both_referrals_of_a_person_referred_twice_and_nothing_about_anyone_else(
    app: Flask, db_session: Session, officer: Desk
) -> None:
    first, mine, someone_else = refer_robin_twice(app)
    here = new_request(officer)

    page = link_all(officer, here, name="robin quill tester", **BORN)
    assert first in page and mine in page and someone_else not in page

    response = officer.client.get(f"{here}/pack")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    contents, document = unzip(response.data)
    whole = json.dumps(contents) + document
    assert sorted(r["reference"] for r in contents["referrals"]) == sorted([first, mine])
    assert someone_else not in whole and "1980" not in whole
    assert "another.robin@example.org" not in whole and "07700 900999" not in whole
    professional, own = sorted(contents["referrals"], key=lambda r: r["reference"] != first)
    assert professional["referrer"]["answers"][0]["answer"] == "Avery Caseworker"
    assert "For review before release" in professional["referrer"]["for_review_before_release"]
    assert "For review before release: the referrer's details" in document
    assert {"field": "full_name", "question": "Full name", "answer": "Robin Quill-Tester"} in own["answers"]
    assert [e["action"] for e in own["audit"]][:1] == ["referral.submitted"]
    # The email sent to Robin's own address is in; the one to the professional who referred is not.
    sent_to = {e["to"] for e in contents["emails"]["sent"]}
    assert sent_to == {"robin.quill@example.org"}
    assert "<script" not in document and "<h1>What the referral hub holds about you</h1>" in document


def test_older_emails_without_an_address_index_are_said_to_be_left_out(
    app: Flask, db_session: Session, officer: Desk
) -> None:
    refer_robin_twice(app)
    factories.outbox_message(db_session, to_address="robin.quill@example.org")  # as queued before 0022
    db_session.commit()
    here = new_request(officer)
    link_all(officer, here, email="Robin.Quill@example.org ")
    contents, document = unzip(officer.client.get(f"{here}/pack").data)
    assert contents["emails"]["note"].startswith("Emails queued before the hub kept a keyed hash")
    assert contents["emails"]["note"] in document


def test_a_search_never_writes_its_terms_to_the_audit_log_or_a_web_address(
    app: Flask, db_session: Session, officer: Desk
) -> None:
    refer_robin_twice(app)
    here = new_request(officer)
    _status, page = officer.get(here)
    assert re.search(r'<form method="post" action="/admin/requests/[^"?]+/search#find"', page)
    searched = officer.send(f"{here}/search", email="robin.quill@example.org", phone="07700 900123")
    assert searched.status_code == 200 and "2 referrals match" in searched.get_data(as_text=True)

    entries = db_session.scalars(select(AuditEntry)).all()
    written = json.dumps([e.content() for e in entries], default=str).lower()
    for term in ("robin", "quill", "example.org", "07700", "900123"):
        assert term not in written
    assert "privacy.person_searched" in written


def test_a_search_needs_a_name_with_a_date_of_birth(app: Flask, db_session: Session, officer: Desk) -> None:
    here = new_request(officer)
    response = officer.send(f"{here}/search", name="Robin Quill-Tester")
    page = response.get_data(as_text=True)
    assert "Give a full name together with a date of birth" in page
    assert 'value="Robin Quill-Tester"' in page
    empty = officer.send(f"{here}/search").get_data(as_text=True)
    assert "Give a full name and date of birth, an email address or a phone number" in empty


def test_due_dates_and_the_register_lists_open_requests_first_with_overdue_in_words(
    app: Flask, db_session: Session, officer: Desk
) -> None:
    late = factories.rights_request(db_session, person_name="Late Person", received_on=date(2026, 10, 1))
    factories.rights_request(
        db_session, person_name="Closed Person", state=RequestStatus.DONE, closed_on=date(2026, 11, 2)
    )
    db_session.commit()
    here = new_request(officer)
    assert "It is due on 29 December 2026" in officer.get(here)[1]  # Christmas and Boxing Day

    _status, register = officer.get("/admin/requests")
    order = [register.index(name) for name in ("Late Person", "Robin Quill-Tester", "Closed Person")]
    assert order == sorted(order)
    assert "Overdue</strong> Was due 2 November 2026" in register
    assert "Due 29 December 2026" in register
    assert late.due_on == date(2026, 11, 2)  # 1 November 2026 is a Sunday


def test_a_request_received_in_the_future_or_for_someone_unnamed_is_refused_and_kept(
    app: Flask, db_session: Session, officer: Desk
) -> None:
    response = officer.send(
        "/admin/requests/new",
        kind="erasure",
        person_name="Robin Quill-Tester",
        asker="representative",
        asker_name="",
        identity_check="Letter from a solicitor",
        **{"received-day": "1", "received-month": "12", "received-year": "2026"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and page.count("<title>Error: ") == 1
    assert "must be today or in the past" in page and 'value="Robin Quill-Tester"' in page
    assert db_session.scalars(select(RightsRequest)).all() == []


def test_an_extension_needs_a_reason_and_three_months_is_the_most(
    app: Flask, db_session: Session, officer: Desk
) -> None:
    here = new_request(officer, **{"received-day": "31", "received-month": "10"})
    no_reason = officer.send(f"{here}/extend", further="2", reason=" ")
    assert "Enter why the request needs longer" in no_reason.get_data(as_text=True)
    too_long = officer.send(f"{here}/extend", further="3", reason="It is complex")
    assert too_long.status_code == 200 and "Not a valid choice" in too_long.get_data(as_text=True)

    done = officer.send(f"{here}/extend", further="2", reason="It is complex")
    assert "It is now due on 1 February 2027" in officer.get(done.headers["Location"])[1]
    again = officer.send(f"{here}/extend", further="1", reason="Still complex")
    assert "It is already extended that far" in officer.get(again.headers["Location"])[1]

    request = db_session.scalars(select(RightsRequest)).one()
    with pytest.raises(requests.RequestRefused, match="one or two further months"):
        requests.extend(db_session, request, 3, "More", Actor(id=None, role="admin"))
    db_session.expire_all()
    assert request.due_on == date(2027, 2, 1)  # three months on is Sunday 31 January 2027
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("privacy.request_%")))
    assert list(actions).count("privacy.request_extended") == 1


def test_closing_a_request_as_refused_then_nothing_more_can_change(
    app: Flask, db_session: Session, officer: Desk
) -> None:
    here = new_request(officer)
    closed = officer.send(
        f"{here}/close",
        result="refused",
        outcome="Manifestly unfounded: the same request a week ago",
        **{"on-day": "30", "on-month": "11", "on-year": "2026"},
    )
    _status, page = officer.get(closed.headers["Location"])
    assert "The request is closed as refused" in page and "Refused</strong> on 30 November 2026" in page
    late = officer.send(f"{here}/extend", further="1", reason="Too late")
    assert "already closed" in officer.get(late.headers["Location"])[1]


def test_forged_ids_are_refused_and_change_nothing(app: Flask, db_session: Session, officer: Desk) -> None:
    first, _mine, someone_else = refer_robin_twice(app)
    robins = new_request(officer)
    link_all(officer, robins, email="robin.quill@example.org")
    other_request = new_request(officer, person_name="Another Person")
    others = {r.reference: r.id for r in db_session.scalars(select(Referral))}
    before = db_session.scalars(select(RequestReferral.referral_id)).all()

    # Unlinking Robin's referral through a request it is not linked to.
    forged = officer.send(f"{other_request}/unlink", referral=str(others[first]))
    assert "not linked to this request" in officer.get(forged.headers["Location"])[1]
    # Linking a referral the search did not find (the other Robin), alongside one it did.
    search = {"email": "robin.quill@example.org"}
    smuggled = officer.send(
        f"{other_request}/link", **search, referrals=[str(others[first]), str(others[someone_else])]
    )
    assert "Choose only referrals that the search found" in officer.get(smuggled.headers["Location"])[1]
    assert officer.send(f"{other_request}/link", referrals=[str(others[someone_else])]).status_code == 303
    db_session.expire_all()
    assert db_session.scalars(select(RequestReferral.referral_id)).all() == before
    # A request id no database holds, or not an id at all.
    for bad in ("00000000-0000-4000-8000-00000000dead", "not-an-id"):
        assert officer.client.get(f"/admin/requests/{bad}").status_code == 404
        assert officer.client.get(f"/admin/requests/{bad}/pack").status_code == 404


def test_a_plain_administrator_gets_403_on_every_page_of_the_register(
    app: Flask, db_session: Session, clock: Clock
) -> None:
    request = factories.rights_request(db_session)
    db_session.commit()
    admin = Desk(signed_in(app, db_session, Role.ADMIN)[0])
    here = f"/admin/requests/{request.id}"
    for path in ("/admin/requests", "/admin/requests/new", here, f"{here}/pack"):
        assert admin.client.get(path).status_code == 403, path
    for path in (
        "/admin/requests/new",
        f"{here}/search",
        f"{here}/link",
        f"{here}/unlink",
        f"{here}/extend",
        f"{here}/close",
    ):
        assert admin.send(path, email="robin.quill@example.org").status_code == 403, path
    assert not db_session.scalars(select(AuditEntry).where(AuditEntry.action.like("privacy.%"))).all()


def test_emails_queued_now_carry_the_blind_index_of_their_address(app: Flask, db_session: Session) -> None:
    refer_robin_twice(app)
    messages = db_session.scalars(select(OutboxMessage)).all()
    assert messages and all(m.to_index for m in messages)
    robin = db_session.scalars(select(Referral).where(Referral.email_index.is_not(None))).first()
    assert robin is not None
    assert robin.email_index in {m.to_index for m in messages}


# -- the operator's command ---------------------------------------------------------------------


def run(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["subject-access", "export", *args])


def test_the_command_writes_the_same_pack_and_prints_the_references(
    app: Flask, db_session: Session, tmp_path: Path, clock: Clock
) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    first, mine, someone_else = refer_robin_twice(app)
    result = run(app, "--name", "Robin Quill-Tester", "--dob", "1994-03-14", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert first in result.output and mine in result.output and someone_else not in result.output
    (written,) = tmp_path.iterdir()
    assert written.stat().st_mode & 0o777 == 0o600
    contents, _document = unzip(written.read_bytes())
    assert sorted(r["reference"] for r in contents["referrals"]) == sorted([first, mine])
    exported = db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "privacy.pack_exported")
    ).all()
    assert len(exported) == 2 and {e.role for e in exported} == {"operator"}


def test_the_command_on_an_empty_hub_and_with_bad_options(
    app: Flask, db_session: Session, tmp_path: Path, clock: Clock
) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    nobody = run(app, "--email", "nobody@example.org", "--out", str(tmp_path))
    assert nobody.exit_code == 1 and "No referral matches. Nothing was written." in nobody.output
    no_dob = run(app, "--name", "Robin Quill-Tester", "--out", str(tmp_path))
    assert no_dob.exit_code == 2 and "Give a full name together with a date of birth" in no_dob.output
    bad_dob = run(app, "--name", "Robin", "--dob", "14/03/1994", "--out", str(tmp_path))
    assert bad_dob.exit_code == 2 and "YYYY-MM-DD" in bad_dob.output
    nothing = run(app, "--out", str(tmp_path))
    assert nothing.exit_code == 2 and "--email or --phone" in nothing.output
    no_folder = run(app, "--email", "a@example.org", "--out", str(tmp_path / "missing"))
    assert no_folder.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_an_erasure_request_leads_from_the_register_to_the_erasure_and_then_shows_it_erased(
    app: Flask, db_session: Session, officer: Desk
) -> None:
    first, mine, _ = refer_robin_twice(app)
    here = new_request(officer, kind="erasure")
    page = link_all(officer, here, name="robin quill tester", **BORN)
    decide = re.findall(r'href="(/admin/referrals/[^"]+/erasure)"', page)
    assert len(decide) == 2 and "Erased" not in page

    # Both are still waiting in the queue: erasing now would leave the triage team an empty referral.
    erase = {"decision": "erase", "basis": "Article 17(1)(a): no longer needed", "confirm": "yes"}
    refused = officer.send(decide[0], **erase).get_data(as_text=True)
    assert "is still open (“Waiting in the queue”), so it cannot be erased yet" in refused
    assert "Ask the triage team to record that the person withdrew their consent" in refused
    assert db_session.scalars(select(ErasureDecision)).all() == []
    assert db_session.scalars(select(Referral).where(Referral.erased_at.is_not(None))).all() == []
    assert "This referral is still open, so it cannot be erased yet" in officer.get(decide[0])[1]

    # The triage team records the withdrawal (which closes it); then it is erased.
    referral_id = uuid.UUID(decide[0].split("/")[3])
    allocator = Actor(id=str(uuid.uuid4()), role=Role.ALLOCATOR)
    consent.withdraw(
        db_session, referral_id, allocator, on=today(), method=ConsentMethod.PHONE, note="Asked to be erased"
    )
    assert "still open" not in officer.get(decide[0])[1]
    answered = officer.send(decide[0], **erase)
    assert answered.status_code in (200, 303)
    erased = db_session.scalars(select(Referral).where(Referral.erased_at.is_not(None))).all()
    assert len(erased) == 1 and erased[0].full_name is None and erased[0].reference in (first, mine)
    assert officer.get(here)[1].count(">Erased<") == 1
    # The erased referral can no longer be found by the person's details: only the other one is found.
    found = officer.send(f"{here}/search", name="robin quill tester", **BORN).get_data(as_text=True)
    (other,) = {first, mine} - {erased[0].reference}
    assert len(re.findall(r'name="referrals" type="checkbox"', found)) == 1 and other in found


def test_a_restriction_request_leads_to_the_restriction_and_the_register_shows_it(
    app: Flask, db_session: Session, officer: Desk
) -> None:
    refer_robin_twice(app)
    here = new_request(officer, kind="restriction")
    page = link_all(officer, here, name="robin quill tester", **BORN)
    pages = re.findall(r'href="/admin/restrictions/([^"]+)"', page)
    assert len(pages) == 2 and "Restricted<" not in page
    restricted = officer.send(
        f"/admin/restrictions/{pages[0]}/restrict", basis="Article 18(1)(a): accuracy contested"
    )
    assert restricted.status_code == 303
    after = officer.get(here)[1]
    assert after.count(">Restricted<") == 1 and "Lift or review the restriction" in after


def test_a_rectification_request_says_who_corrects_the_answer(
    app: Flask, db_session: Session, officer: Desk
) -> None:
    refer_robin_twice(app)
    here = new_request(officer, kind="rectification")
    page = link_all(officer, here, name="robin quill tester", **BORN)
    assert page.count("Ask the triage team to correct the answer") == 2


def test_the_pack_holds_an_answer_as_it_was_before_a_correction_and_says_it_is_restricted(
    app: Flask, db_session: Session, officer: Desk
) -> None:
    first, _, _ = refer_robin_twice(app)
    referral = db_session.scalars(select(Referral).where(Referral.reference == first)).one()
    allocator = Desk(signed_in(app, db_session, Role.ALLOCATOR)[0])
    corrected = allocator.send(
        f"/triage/referrals/{referral.id}/correct/email", value="robin.q@example.org", reason="They told us"
    )
    assert corrected.status_code == 303
    restricted = officer.send(f"/admin/restrictions/{referral.id}/restrict", basis="Accuracy contested")
    assert restricted.status_code == 303

    here = new_request(officer)
    link_all(officer, here, email="robin.q@example.org")
    contents, document = unzip(officer.client.get(f"{here}/pack").data)
    (held,) = contents["referrals"]
    assert held["reference"] == first and held["restricted_since"]
    corrections = [e["corrected"] for e in held["timeline"] if e["corrected"]]
    assert corrections == [{"answer": "Email", "before": "robin.quill@example.org"}]
    assert "Email before the correction: robin.quill@example.org" in document
    assert "the organisation supporting them sees only the reference" in document
