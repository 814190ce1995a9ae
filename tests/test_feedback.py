"""Survivors' anonymous feedback: a code works once and only by a safe way, and nothing stored ties an
answer to its case (the schema and the data); who may read what; the figures pre-filled in the return."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.calendar import Quarter
from hub.config import Config, ConfigError
from hub.db import Base
from hub.feedback import codes
from hub.feedback.models import Answer, FeedbackCode, FeedbackResponse
from hub.keyring import current_keyring
from hub.kpi.feedback_figures import feedback_figures
from hub.outbox import MailFolder, OutboxMessage, send_waiting
from hub.privacy import erasure
from hub.providers.models import Provider
from hub.referrals import cases, restriction
from hub.referrals.allocation import allocate
from hub.referrals.models import Allocation, ContactMethod, EventKind, Outcome, ReferralEvent, SafeContact

from . import factories
from .clock import TODAY, Clock
from .journeys import TOKEN
from .staff import Desk, signed_in

pytestmark = pytest.mark.usefixtures("midday")

TRS = Actor(id=None, role="allocator")
OPERATOR = Actor(id=None, role="operator")
NOT_ACCEPTED = "We could not use that code"


@pytest.fixture
def provider(db_session: Session) -> Provider:
    return factories.provider(db_session, name="Harbour")


def worker(db: Session, provider: Provider) -> Actor:
    account = factories.staff_user(db, role=Role.PROVIDER_STAFF, provider_id=provider.id)
    return Actor(id=str(account.id), role="provider_staff")


def in_support(db: Session, provider: Provider, safe: SafeContact, email: str | None = None) -> Allocation:
    """A case the provider accepted and made first contact on."""
    referral = factories.referral(db)
    referral.safe_contact = safe
    referral.email = email
    db.commit()
    allocation = allocate(db, referral.id, provider.id, TRS, reason="Test.")
    who = worker(db, provider)
    cases.accept(db, allocation.id, provider.id, who)
    cases.record_first_contact(db, allocation.id, provider.id, who, TODAY, safe.methods[0], **_call(safe))
    return allocation


def _call(safe: SafeContact) -> dict[str, Any]:
    return {"voicemail_left": False, "service_named": False} if safe.methods[0] is ContactMethod.PHONE else {}


PHONE_ONLY = SafeContact(methods=(ContactMethod.PHONE,))
EMAIL_SAFE = SafeContact(methods=(ContactMethod.EMAIL, ContactMethod.TEXT))
EMAIL_SAFE_NAMED = SafeContact(methods=(ContactMethod.EMAIL,), say_who="yes")


def closed_with_code(
    db: Session, provider: Provider, safe: SafeContact = PHONE_ONLY
) -> tuple[Allocation, str]:
    """A case closed after support: its code, kept for the case page (phone is the only safe way)."""
    allocation = in_support(db, provider, safe)
    cases.close(db, allocation.id, provider.id, worker(db, provider), Outcome.SUPPORT_COMPLETED)
    db.expire_all()
    code = allocation.feedback_code
    assert code is not None
    return allocation, code


def answers(**chosen: Answer | None) -> codes.Answers:
    return codes.Answers(dict(chosen), "")


def counts(db: Session) -> tuple[int, int]:
    db.expire_all()
    responses = db.scalar(select(func.count()).select_from(FeedbackResponse)) or 0
    waiting = db.scalar(select(func.count()).select_from(FeedbackCode)) or 0
    return responses, waiting


# -- a code works once ------------------------------------------------------------------------------


def test_a_code_works_once_and_a_second_use_stores_nothing(db_session: Session, provider: Provider) -> None:
    code = codes.issue(db_session, provider.id)
    assert re.fullmatch(r"[34679ACDEFGHJKMNPQRTWXY]{4}(-[34679ACDEFGHJKMNPQRTWXY]{4}){2}", code)
    assert counts(db_session) == (0, 1)
    codes.redeem(db_session, code, answers(felt_safer=Answer.YES))
    assert counts(db_session) == (1, 0)
    with pytest.raises(codes.CodeNotAccepted):
        codes.redeem(db_session, code, answers(felt_safer=Answer.NO))
    assert counts(db_session) == (1, 0)
    stored = db_session.scalars(select(FeedbackResponse)).one()
    assert (stored.provider_id, stored.quarter, stored.felt_safer) == (provider.id, 20264, Answer.YES)


def test_a_typed_code_is_read_whatever_its_case_spaces_or_dashes(
    db_session: Session, provider: Provider
) -> None:
    code = codes.issue(db_session, provider.id)
    typed = f"  {code.lower().replace('-', ' ')} "
    codes.redeem(db_session, typed, answers())
    assert counts(db_session) == (1, 0)


def test_an_expired_code_is_refused_changes_nothing_and_the_purge_removes_it(
    app: Flask, db_session: Session, provider: Provider, midday: Clock
) -> None:
    code = codes.issue(db_session, provider.id)
    midday.shift(timedelta(days=60))
    codes.check(db_session, code)  # its last day: it still works
    midday.shift(timedelta(days=1))
    with pytest.raises(codes.CodeNotAccepted):
        codes.redeem(db_session, code, answers(satisfied=Answer.YES))
    assert counts(db_session) == (0, 1)
    dry = app.test_cli_runner().invoke(args=["retention", "purge", "--dry-run"])
    assert "Would remove 1 expired feedback code." in dry.output and counts(db_session) == (0, 1)
    done = app.test_cli_runner().invoke(args=["retention", "purge"])
    assert done.exit_code == 0, done.output
    assert "Removed 1 expired feedback code." in done.output
    assert counts(db_session) == (0, 0)


def test_unknown_used_and_expired_codes_get_the_same_kind_message(
    client: FlaskClient, db_session: Session, provider: Provider, midday: Clock
) -> None:
    used, expired = codes.issue(db_session, provider.id), codes.issue(db_session, provider.id)
    codes.redeem(db_session, used, answers())
    expired_hash = current_keyring().blind_index("feedback_code", codes.normalise(expired))
    row = db_session.scalars(select(FeedbackCode).where(FeedbackCode.code_hash == expired_hash)).one()
    row.expires_on = TODAY - timedelta(days=1)
    db_session.commit()
    token = _token(client)
    pages = []
    for typed in (used, expired, "MWXD-7KQ4-9PRT"):
        response = client.post("/feedback", data={"csrf_token": token, "code": typed})
        assert response.status_code == 200
        page = html.unescape(response.get_data(as_text=True))
        assert "<title>Error: " in page and NOT_ACCEPTED in page
        assert "tell the organisation that supported you what you think in another way" in page
        assert typed in page  # what was typed is kept
        pages.append(page.replace(typed, "CODE"))
    assert pages[0] == pages[1] == pages[2]
    assert counts(db_session) == (1, 1)


def _token(client: FlaskClient) -> str:
    found = TOKEN.search(client.get("/feedback").get_data(as_text=True))
    assert found
    return found.group(1)


# -- the public form ------------------------------------------------------------------------------


def test_the_journey_code_questions_thank_you_keeps_the_code_out_of_addresses_and_the_session(
    app: Flask, client: FlaskClient, db_session: Session, provider: Provider
) -> None:
    code = codes.issue(db_session, provider.id)
    db_session.commit()
    token = _token(client)
    questions = client.post("/feedback", data={"csrf_token": token, "code": code.lower()})
    assert questions.status_code == 200
    page = html.unescape(questions.get_data(as_text=True))
    assert "Do you feel safer than before you came to us?" in page and "I'd rather not say" in page
    assert f'name="code" type="hidden" value="{codes.normalise(code)}"' in page
    # Too long: refused, everything chosen and written kept, nothing stored.
    chosen = {"felt_safer": "a_little", "listened_to": "yes", "satisfied": "rather_not_say"}
    long = client.post(
        "/feedback/answers",
        data={"csrf_token": token, "code": codes.normalise(code), **chosen, "anything_else": "x" * 2001},
    )
    kept = html.unescape(long.get_data(as_text=True))
    assert "What you would like to tell us must be 2,000 characters or fewer" in kept
    assert 'value="a_little" checked' in kept and "x" * 2001 in kept
    assert counts(db_session) == (0, 1)
    sent = client.post(
        "/feedback/answers",
        data={"csrf_token": token, "code": codes.normalise(code), **chosen, "anything_else": " It helped. "},
    )
    assert sent.status_code == 303 and sent.headers["Location"] == "/feedback/thank-you"
    thanks = client.get("/feedback/thank-you").get_data(as_text=True)
    assert "Thank you for your feedback" in thanks
    # An offer to help shape the service is a separate form, kept apart from these answers.
    assert 'href="/take-part"' in thanks and "kept apart from the answers you just sent" in thanks
    stored = db_session.scalars(select(FeedbackResponse)).one()
    assert (stored.felt_safer, stored.listened_to, stored.in_control, stored.satisfied, stored.recommend) == (
        Answer.A_LITTLE,
        Answer.YES,
        None,
        Answer.RATHER_NOT_SAY,
        None,
    )
    assert stored.anything_else == "It helped."
    cookie = client.get_cookie("hub")
    assert cookie is not None
    with app.test_request_context():
        session_data = app.session_interface.get_signing_serializer(app).loads(cookie.value)  # type: ignore[attr-defined]
    assert codes.normalise(code) not in str(session_data) and code not in str(session_data)


def test_the_code_page_and_questions_work_without_javascript_and_have_exit_this_page(
    client: FlaskClient,
) -> None:
    page = client.get("/feedback").get_data(as_text=True)
    assert 'action="/feedback"' in page and 'method="post"' in page
    assert "govuk-exit-this-page" in page and 'href="/exit"' in page


def test_a_code_in_the_address_is_never_used(
    client: FlaskClient, db_session: Session, provider: Provider
) -> None:
    code = codes.issue(db_session, provider.id)
    db_session.commit()
    token = _token(client)
    shown = client.get(f"/feedback?code={code}")
    assert shown.status_code == 200 and code not in shown.get_data(as_text=True)
    posted = client.post(f"/feedback?code={code}", data={"csrf_token": token})
    assert "Enter your feedback code" in posted.get_data(as_text=True)
    answered = client.post(f"/feedback/answers?code={code}", data={"csrf_token": token, "felt_safer": "yes"})
    assert answered.status_code == 200 and "Enter the code as it was given to you" in answered.get_data(
        as_text=True
    )
    assert client.get(f"/feedback/answers?code={code}").status_code == 303
    assert counts(db_session) == (0, 1)


def test_an_answer_not_offered_is_a_kind_error_and_nothing_is_stored(
    client: FlaskClient, db_session: Session, provider: Provider
) -> None:
    code = codes.issue(db_session, provider.id)
    db_session.commit()
    response = client.post(
        "/feedback/answers", data={"csrf_token": _token(client), "code": code, "felt_safer": "maybe"}
    )
    assert "Choose one of the answers shown, or leave the question blank" in response.get_data(as_text=True)
    assert counts(db_session) == (0, 1)


def test_trying_codes_is_limited_per_address(app: Flask, client: FlaskClient) -> None:
    app.extensions["hub.config"] = dataclasses.replace(
        app.extensions["hub.config"], status_rate_limit="3 per minute"
    )
    token = _token(client)
    statuses = [
        client.post(path, data={"csrf_token": token, "code": "7KQ4-MWXD-9PRT"}).status_code
        for path in ("/feedback", "/feedback/answers", "/feedback", "/feedback")
    ]
    assert statuses == [200, 200, 200, 429]


# -- reaching the person only by a safe way ---------------------------------------------------------


def feedback_emails(db: Session) -> list[OutboxMessage]:
    db.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.template.startswith("feedback_code"))
    return list(db.scalars(query))


@pytest.mark.parametrize(
    ("safe", "template", "subject"),
    [
        (EMAIL_SAFE, "feedback_code_neutral", "Your code"),
        (EMAIL_SAFE_NAMED, "feedback_code", "Tell us what you think"),
    ],
)
def test_closing_emails_the_code_when_email_is_safe_and_the_email_holds_it_only_until_sent(
    db_session: Session, provider: Provider, tmp_path: Path, safe: SafeContact, template: str, subject: str
) -> None:
    allocation = in_support(db_session, provider, safe, email="robin.quill@example.org")
    cases.close(
        db_session, allocation.id, provider.id, worker(db_session, provider), Outcome.SUPPORT_COMPLETED
    )
    (message,) = feedback_emails(db_session)
    assert (message.template, message.subject) == (template, subject)
    assert allocation.feedback_code is None  # nothing for the case page to show
    code = message.secret
    assert code is not None and code not in message.body and "[the code]" in message.body
    assert "abuse" not in (message.subject + message.body).lower()
    assert ("Trauma and Resilience Service" in message.body) is (safe.say_who == "yes")
    report = send_waiting(db_session, MailFolder(tmp_path / "mail"), "hub@example.org")
    assert report.sent >= 1
    written = "".join(p.read_text() for p in (tmp_path / "mail").glob("*.eml"))
    assert code in written
    db_session.expire_all()
    assert message.secret is None and getattr(message, OutboxMessage.secret.column) is None
    codes.redeem(db_session, code, answers())  # the emailed code works


@pytest.mark.parametrize(
    ("safe", "email"),
    [(PHONE_ONLY, "robin.quill@example.org"), (EMAIL_SAFE, None)],
    ids=["email not a safe way", "no address held"],
)
def test_without_a_safe_email_the_code_is_kept_for_the_case_page_and_nothing_is_emailed(
    db_session: Session, provider: Provider, safe: SafeContact, email: str | None
) -> None:
    allocation = in_support(db_session, provider, safe, email=email)
    cases.close(
        db_session, allocation.id, provider.id, worker(db_session, provider), Outcome.SUPPORT_COMPLETED
    )
    db_session.expire_all()
    assert feedback_emails(db_session) == []
    assert allocation.feedback_code is not None
    codes.check(db_session, allocation.feedback_code)


def test_a_case_closed_without_support_gives_no_code(db_session: Session, provider: Provider) -> None:
    referral = factories.referral(db_session)
    referral.safe_contact = EMAIL_SAFE
    referral.email = "robin.quill@example.org"
    db_session.commit()
    allocation = allocate(db_session, referral.id, provider.id, TRS, reason="Test.")
    who = worker(db_session, provider)
    cases.accept(db_session, allocation.id, provider.id, who)
    cases.close(db_session, allocation.id, provider.id, who, Outcome.COULDNT_CONTACT)
    assert counts(db_session) == (0, 0) and feedback_emails(db_session) == []


def test_the_case_page_shows_the_code_once_and_never_again(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation, code = closed_with_code(db_session, provider)
    client, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
    assert client.head(f"/provider/cases/{allocation.id}").status_code == 200  # reads no page: keeps it
    first = client.get(f"/provider/cases/{allocation.id}").get_data(as_text=True)
    assert "Feedback code: shown once" in first and code in first
    again = client.get(f"/provider/cases/{allocation.id}").get_data(as_text=True)
    assert code not in again and "Feedback code" not in again
    db_session.expire_all()
    assert getattr(allocation, Allocation.feedback_code.column) is None
    shown = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "feedback.code_shown")).all()
    assert [e.object_id for e in shown] == [str(allocation.id)]
    codes.check(db_session, code)  # still usable by the person


def test_another_provider_never_sees_the_code(app: Flask, db_session: Session, provider: Provider) -> None:
    allocation, code = closed_with_code(db_session, provider)
    other = factories.provider(db_session, name="Cove")
    client, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=other.id)
    response = client.get(f"/provider/cases/{allocation.id}")
    assert response.status_code == 404 and code not in response.get_data(as_text=True)
    db_session.expire_all()
    assert allocation.feedback_code == code


def test_a_code_can_be_given_at_a_review_point_once(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = in_support(db_session, provider, PHONE_ONLY)
    client, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
    desk = Desk(client)
    page = desk.get(f"/provider/cases/{allocation.id}")[1]
    assert "Give a feedback code now" in page
    done = desk.send(f"/provider/cases/{allocation.id}/feedback")
    assert done.status_code == 303
    page = desk.get(f"/provider/cases/{allocation.id}")[1]
    assert "Their feedback code is shown below, once." in page and "Feedback code: shown once" in page
    assert "Give a feedback code now" not in page and "Feedback code given at a review point" in page
    again = desk.send(f"/provider/cases/{allocation.id}/feedback")
    assert again.status_code == 200
    assert "A feedback code was given for this case on 3 November 2026" in html.unescape(
        again.get_data(as_text=True)
    )
    assert counts(db_session) == (0, 1)
    db_session.expire_all()
    assert allocation.feedback_offered_on == TODAY


def test_a_restricted_case_is_never_emailed_a_code_and_shows_it_once_the_restriction_is_lifted(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    """While restricted the worker cannot see how it is safe to reach the person, so nothing is emailed."""
    allocation = in_support(db_session, provider, EMAIL_SAFE, email="sam@example.org")
    dpo = Actor(id=None, role="admin")
    restriction.restrict(db_session, allocation.referral, dpo, basis="Article 18(1)(a)")
    client, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
    desk = Desk(client)
    closed = desk.send(f"/provider/cases/{allocation.id}/close", **{"close-outcome": "support_completed"})
    assert closed.status_code == 303
    page = desk.get(f"/provider/cases/{allocation.id}")[1]
    assert "will be shown on this page, once, when the restriction is lifted" in page
    assert "Feedback code: shown once" not in page
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 0, "nothing emailed"
    db_session.expire_all()
    code = allocation.feedback_code
    assert code is not None and code not in page
    restriction.lift(db_session, allocation.referral, dpo, basis="Restriction no longer needed")
    page = desk.get(f"/provider/cases/{allocation.id}")[1]
    assert "Feedback code: shown once" in page and code in page
    assert code not in desk.get(f"/provider/cases/{allocation.id}")[1], "shown once"


def test_no_review_point_code_before_the_first_contact(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    """As closing gives a code only after support began, so does a review point."""
    referral = factories.referral(db_session)
    referral.safe_contact = PHONE_ONLY
    db_session.commit()
    allocation = allocate(db_session, referral.id, provider.id, TRS, reason="Test.")
    cases.accept(db_session, allocation.id, provider.id, worker(db_session, provider))
    client, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
    desk = Desk(client)
    assert "Give a feedback code now" not in desk.get(f"/provider/cases/{allocation.id}")[1]
    refused = desk.send(f"/provider/cases/{allocation.id}/feedback")
    assert refused.status_code == 200 and "You cannot give a feedback code now" in html.unescape(
        refused.get_data(as_text=True)
    )
    assert counts(db_session) == (0, 0)
    db_session.expire_all()
    assert allocation.feedback_offered_on is None


def test_no_code_is_written_to_the_timeline_the_audit_log_or_any_log(
    app: Flask, db_session: Session, provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    allocation, code = closed_with_code(db_session, provider)
    client, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
    client.get(f"/provider/cases/{allocation.id}")
    public = app.test_client()
    token = _token(public)
    public.post("/feedback", data={"csrf_token": token, "code": code})
    public.post("/feedback/answers", data={"csrf_token": token, "code": code, "recommend": "yes"})
    assert counts(db_session)[0] == 1
    bare = codes.normalise(code)
    notes = [event.note or "" for event in db_session.scalars(select(ReferralEvent))]
    audit_rows = [str(tuple(row)) for row in db_session.execute(select(AuditEntry))]
    for text in (*notes, *audit_rows, caplog.text):
        assert code not in text and bare not in text


# -- no stored row links an answer to its case ------------------------------------------------------


def test_the_answers_table_has_no_column_or_key_that_could_tie_an_answer_to_a_case(
    connection: Connection,
) -> None:
    table = Base.metadata.tables["feedback_response"]
    assert set(table.columns.keys()) == {
        "id",
        "provider_id",
        "quarter",
        "felt_safer",
        "listened_to",
        "in_control",
        "satisfied",
        "recommend",
        "anything_else_sealed",
    }
    assert {fk.column.table.name for fk in table.foreign_keys} == {"provider"}
    # The migrated database says the same.
    inspector = inspect(connection)
    columns = {c["name"] for c in inspector.get_columns("feedback_response")}
    assert columns == set(table.columns.keys())
    assert [fk["referred_table"] for fk in inspector.get_foreign_keys("feedback_response")] == ["provider"]
    for name in columns:
        assert not re.search(r"referral|allocation|case|code|time|_at$|_on$|date|seq", name), name


def dump(connection: Connection) -> list[str]:
    found: list[str] = []
    for table in Base.metadata.sorted_tables:
        for row in connection.execute(select(table)):
            found.extend(value.hex() if isinstance(value, bytes) else str(value) for value in row)
    return found


def test_after_a_code_is_used_no_row_anywhere_holds_it_or_its_hash_and_the_answer_joins_nothing(
    app: Flask, db_session: Session, connection: Connection, provider: Provider
) -> None:
    allocation, code = closed_with_code(db_session, provider)
    client, _ = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
    assert code in client.get(f"/provider/cases/{allocation.id}").get_data(as_text=True)
    code_hash = current_keyring().blind_index("feedback_code", codes.normalise(code))
    public = app.test_client()
    token = _token(public)
    public.post("/feedback", data={"csrf_token": token, "code": code})
    public.post("/feedback/answers", data={"csrf_token": token, "code": code, "felt_safer": "yes"})
    db_session.expire_all()
    (response,) = db_session.scalars(select(FeedbackResponse)).all()
    everything = "\n".join(dump(connection))
    for secret in (code, codes.normalise(code), code.lower(), code_hash):
        assert secret not in everything
    # The answer's values are the provider, a quarter and answers: none is the case's, the referral's,
    # the code's or a time.
    values = {str(v) for v in connection.execute(select(Base.metadata.tables["feedback_response"])).one()}
    case_values = {str(allocation.id), str(allocation.referral_id), str(allocation.closed_at), code_hash}
    assert not values & case_values
    assert str(response.id) not in "\n".join(str(tuple(r)) for r in db_session.execute(select(AuditEntry)))


def test_erasing_the_referral_empties_a_code_not_shown_yet(db_session: Session, provider: Provider) -> None:
    allocation, _code = closed_with_code(db_session, provider)
    erasure.erase_referral(db_session, allocation.referral, OPERATOR, because="Erased on request")
    db_session.expire_all()
    assert getattr(allocation, Allocation.feedback_code.column) is None


# -- who reads the feedback -------------------------------------------------------------------------


def give(db: Session, provider_id: int, quarter: Quarter, count: int, **chosen: Answer | None) -> None:
    for n in range(count):
        response = factories.feedback_response(db, provider_id=provider_id, quarter=quarter.key, **chosen)
        response.anything_else = f"{provider_id}-{quarter.key}-words-{n}"
    db.commit()


def test_providers_see_their_own_ended_quarters_with_enough_responses_and_commissioners_see_all(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    other = factories.provider(db_session, name="Cove")
    last, before, now = Quarter(2026, 3), Quarter(2026, 2), Quarter(2026, 4)
    give(db_session, provider.id, last, 5, felt_safer=Answer.YES)
    give(db_session, provider.id, before, 4, felt_safer=Answer.NO)
    give(db_session, provider.id, now, 6, felt_safer=Answer.YES)
    give(db_session, other.id, last, 7, felt_safer=Answer.A_LITTLE)
    mine = Desk(signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)[0])
    status, page = mine.get("/provider/feedback")
    assert status == 200
    assert f"{provider.id}-{last.key}-words-0" in page and "5 responses." in page
    assert f"{provider.id}-{before.key}-words" not in page and "No: 4" not in page
    assert f"{provider.id}-{now.key}-words" not in page
    # A quarter not shown is not even listed: its name would say someone answered in it, and when.
    assert last.label in page and before.label not in page and now.label not in page
    assert "Other quarters are not listed, whether or not anyone answered in them" in page
    assert f"{other.id}-" not in page and "A little: 7" not in page
    viewed = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "feedback.viewed")).all()
    assert [e.object_id for e in viewed] == [str(provider.id)]

    commissioner = Desk(signed_in(app, db_session, Role.COMMISSIONER)[0])
    _, everything = commissioner.get("/commissioner/feedback")
    for words in (
        f"{provider.id}-{before.key}-words-3",
        f"{provider.id}-{now.key}-words-5",
        f"{other.id}-{last.key}",
    ):
        assert words in everything
    assert "Cove" in everything and "Harbour" in everything


def test_a_provider_with_no_feedback_sees_none_and_other_roles_are_refused(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    mine = Desk(signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)[0])
    assert "There is no quarter to show yet." in mine.get("/provider/feedback")[1]
    assert mine.get("/commissioner/feedback")[0] == 403
    allocator = Desk(signed_in(app, db_session, Role.ALLOCATOR)[0])
    assert allocator.get("/provider/feedback")[0] == 403


# -- the figures in the return --------------------------------------------------------------------


def test_the_prefilled_figures_equal_hand_counts_on_a_crafted_quarter(
    db_session: Session, provider: Provider
) -> None:
    quarter = Quarter(2026, 3)
    other = factories.provider(db_session, name="Cove")
    # felt safer: 3 yes, 2 a little, 1 no, 2 rather not say, 1 blank -> 3 of 6 answered = 50.0
    # satisfied: 4 yes, 1 partly, 1 no, 1 rather not say, 2 blank -> 4 of 6 answered = 66.7
    rows = [
        (Answer.YES, Answer.YES),
        (Answer.YES, Answer.YES),
        (Answer.YES, Answer.YES),
        (Answer.A_LITTLE, Answer.YES),
        (Answer.A_LITTLE, Answer.PARTLY),
        (Answer.NO, Answer.NO),
        (Answer.RATHER_NOT_SAY, Answer.RATHER_NOT_SAY),
        (Answer.RATHER_NOT_SAY, None),
        (None, None),
    ]
    for safer, satisfied in rows:
        factories.feedback_response(
            db_session, provider_id=provider.id, quarter=quarter.key, felt_safer=safer, satisfied=satisfied
        )
    give(db_session, other.id, quarter, 5, felt_safer=Answer.NO)  # another provider's: not counted
    give(db_session, provider.id, Quarter(2026, 2), 5, felt_safer=Answer.NO)  # another quarter's
    found = feedback_figures(db_session, provider.id, quarter)
    assert found["feedback_responses"].value == 9
    assert found["felt_safer_pct"].value == 50.0
    assert found["satisfied_pct"].value == 66.7
    assert "3 of the 6 people who answered" in found["felt_safer_pct"].how


def test_under_the_minimum_or_before_the_quarter_ends_the_return_shows_no_feedback_figure(
    db_session: Session, provider: Provider
) -> None:
    give(db_session, provider.id, Quarter(2026, 3), 4, felt_safer=Answer.YES, satisfied=Answer.NO)
    give(db_session, provider.id, Quarter(2026, 4), 9, felt_safer=Answer.YES)
    for quarter, why in ((Quarter(2026, 3), "Fewer than 5 people"), (Quarter(2026, 4), "has not ended")):
        found = feedback_figures(db_session, provider.id, quarter)
        assert {code: f.value for code, f in found.items()} == dict.fromkeys(
            ("feedback_responses", "felt_safer_pct", "satisfied_pct")
        )
        assert all(why in f.how for f in found.values())


def test_the_return_asks_the_new_feedback_figures_from_this_quarter_and_the_old_ones_before(
    db_session: Session,
) -> None:
    from hub.kpi.returns import definitions

    def asked(quarter: Quarter) -> dict[str, bool]:
        return {
            d.code: d.prefilled
            for d in definitions(db_session, quarter)
            if "feedback" in d.code or d.code in {"felt_safer_pct", "satisfied_pct"}
        }

    assert asked(Quarter(2026, 3)) == {"felt_safer_pct": False, "satisfied_pct": False}
    assert asked(Quarter(2026, 4)) == {
        "felt_safer_pct": True,
        "satisfied_pct": True,
        "feedback_responses": True,
    }


def test_a_minimum_below_two_or_a_code_life_below_one_day_stops_the_hub(tmp_path: Path) -> None:
    base = {"HUB_SECRET_KEY": "s" * 40}
    for name, value in (
        ("HUB_FEEDBACK_MIN_RESPONSES", "1"),
        ("HUB_FEEDBACK_CODE_DAYS", "0"),
        ("HUB_FEEDBACK_CODE_DAYS", "²"),
    ):
        with pytest.raises(ConfigError, match=name):
            Config.load(tmp_path, {**base, name: value})
    assert Config.load(tmp_path, {**base, "HUB_FEEDBACK_MIN_RESPONSES": "10"}).feedback_min_responses == 10


def test_timeline_labels_the_review_point_code_without_the_code(
    db_session: Session, provider: Provider
) -> None:
    allocation = in_support(db_session, provider, PHONE_ONLY)
    cases.offer_feedback(db_session, allocation.id, provider.id, worker(db_session, provider))
    event = db_session.scalars(
        select(ReferralEvent).where(ReferralEvent.kind == EventKind.FEEDBACK_OFFERED)
    ).one()
    assert event.note is None and EventKind.FEEDBACK_OFFERED.label == "Feedback code given at a review point"
