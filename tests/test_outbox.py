"""Email leaves through the outbox, to a real SMTP server on loopback, with no personal data in it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import port_for
import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.outbox import MAX_ATTEMPTS, OutboxMessage, send_pending

from .journeys import professional_journey, reference_and_code


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port_for.select_random())
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}", inbox
    finally:
        controller.stop()


def test_the_referrer_gets_the_reference_and_nothing_about_the_person(
    app: Flask, client: FlaskClient, db_session: Session, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    reference, _ = reference_and_code(professional_journey(client).complete())
    app.extensions["hub.config"] = dataclasses.replace(app.extensions["hub.config"], smtp_url=url)

    result = app.test_cli_runner().invoke(args=["outbox", "send"])

    assert result.exit_code == 0, result.output
    assert "Sent 1 emails" in result.output
    [(recipients, message)] = inbox.messages
    assert recipients == ["avery.caseworker@example.gov.uk"]
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert reference in body
    for private in ("Jordan", "Pemberly", "Jo ", "07700", "S60", "Probation", "perpetrator"):
        assert private not in body and private not in str(message["Subject"])
    db_session.expire_all()
    assert all(m.sent_at for m in db_session.scalars(select(OutboxMessage)))
    assert app.test_cli_runner().invoke(args=["outbox", "send"]).output.startswith("Sent 0 emails")


def test_a_message_that_cannot_be_sent_is_kept_and_tried_again(db_session: Session, app: Flask) -> None:
    from . import factories

    message = factories.outbox_message(db_session)
    sent, failed = send_pending(db_session, "smtp://127.0.0.1:1", "hub@example.org")
    assert (sent, failed) == (0, 1)
    assert message.sent_at is None and message.attempts == 1 and message.last_error
    assert "example.org" not in (message.last_error or "")
    message.attempts = MAX_ATTEMPTS
    assert send_pending(db_session, "smtp://127.0.0.1:1", "hub@example.org") == (0, 0)


def test_sending_without_a_mail_server_says_what_to_set(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code != 0 and "HUB_SMTP_URL is not set" in result.output
