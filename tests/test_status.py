"""Checking a referral from outside: the stage and its date, and nothing for a wrong guess."""

from __future__ import annotations

import dataclasses
import re

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.keyring import Keyring
from hub.referrals.models import Referral, ReferralStatus

from .journeys import TOKEN, professional_journey, reference_and_code, self_journey


def check(client: FlaskClient, reference: str, proof: str) -> str:
    token = TOKEN.search(client.get("/status").get_data(as_text=True))
    assert token
    response = client.post(
        "/status", data={"csrf_token": token.group(1), "reference": reference, "proof": proof}
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def shown(page: str) -> str:
    """The page without its CSRF token and the typed values (kept for the person), to compare answers."""
    return re.sub(r'(name="(reference|proof)" type="text") value="[^"]*"', r"\1", TOKEN.sub("", page))


def test_a_survivor_sees_the_stage_and_date_with_their_code(client: FlaskClient) -> None:
    reference, code = reference_and_code(self_journey(client).complete())
    assert code
    page = check(client, reference.lower().replace("-", " "), code.lower())
    assert "Received" in page and "Where the referral is" in page
    assert "Robin" not in page and "robin.quill" not in page


def test_a_referrer_can_check_with_their_work_email(client: FlaskClient) -> None:
    reference, _ = reference_and_code(professional_journey(client).complete())
    page = check(client, reference, "  Avery.Caseworker@Example.GOV.UK ")
    assert "Received" in page and "Jordan" not in page


@pytest.mark.parametrize(
    ("status", "stage"),
    [
        (ReferralStatus.INFO_REQUESTED, "With the triage team"),
        (ReferralStatus.ALLOCATED, "With a support organisation"),
        (ReferralStatus.IN_SUPPORT, "Support has started"),
        (ReferralStatus.WITHDRAWN, "Closed"),
    ],
)
def test_the_stage_is_in_plain_words(
    client: FlaskClient, db_session: Session, status: ReferralStatus, stage: str
) -> None:
    reference, code = reference_and_code(self_journey(client).complete())
    referral = db_session.scalars(select(Referral)).one()
    referral.status = status
    db_session.commit()
    assert stage in check(client, reference, code or "")


def test_a_wrong_code_and_a_wrong_reference_get_the_same_answer_for_the_same_work(
    client: FlaskClient, keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference, code = reference_and_code(self_journey(client).complete())
    reference_and_code(professional_journey(client).complete())
    calls: list[str] = []
    real_index = keyring.blind_index

    def counted(purpose: str, value: str) -> str:
        calls.append(purpose)
        return real_index(purpose, value)

    monkeypatch.setattr(keyring, "blind_index", counted)
    answers = []
    for guess_reference, guess in [
        (reference, "AAAA-AAAA-AAAA"),
        ("PAS-AAAA-AAAA", code or ""),
        ("not a reference", "AAAA"),
        (reference, "avery.caseworker@example.gov.uk"),
    ]:
        calls.clear()
        answers.append(shown(check(client, guess_reference, guess)))
        assert sorted(calls) == ["referrer_email", "status_code"], "every check does the same work"
    assert all("could not find a referral" in page for page in answers)
    assert len(set(answers)) == 1


def test_checking_is_throttled(app: Flask, client: FlaskClient) -> None:
    app.extensions["hub.config"] = dataclasses.replace(
        app.extensions["hub.config"], status_rate_limit="2 per minute"
    )
    with time_machine.travel("2026-11-02 09:00:00+00:00", tick=False):  # all three in the one minute
        token = TOKEN.search(client.get("/status").get_data(as_text=True))
        assert token
        data = {"csrf_token": token.group(1), "reference": "PAS-AAAA-AAAA", "proof": "AAAA"}
        codes = [client.post("/status", data=data).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_missing_answers_are_explained(client: FlaskClient) -> None:
    token = TOKEN.search(client.get("/status").get_data(as_text=True))
    assert token
    page = client.post("/status", data={"csrf_token": token.group(1)}).get_data(as_text=True)
    assert re.search(r'href="#reference">Enter the reference', page)
    assert re.search(r'href="#proof">Enter the secret code', page)
