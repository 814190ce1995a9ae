"""Email leaves through the outbox, to a real SMTP server on loopback, with no personal data in it.

The mail servers here are real (aiosmtpd on 127.0.0.1, on a port the system picks), and their
certificates are made for each test with ``cryptography``, so certificate checks run for real.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub import audit
from hub.config import Config, ConfigError
from hub.db import utcnow
from hub.outbox import (
    MAX_ATTEMPTS,
    MailSettingsError,
    OutboxMessage,
    drop_unsent,
    send_pending,
    transport_from_url,
    unsent_ids,
)

from . import factories
from .journeys import professional_journey, reference_and_code
from .mail_server import Inbox, MailServer, make_certificates


def use_mail(app: Flask, url: str, ca_file: Path | None = None) -> None:
    app.extensions["hub.config"] = dataclasses.replace(
        app.extensions["hub.config"], smtp_url=url, smtp_ca_file=ca_file
    )


def outbox_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_the_referrer_gets_the_reference_and_nothing_about_the_person(
    app: Flask, client: FlaskClient, db_session: Session, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    reference, _ = reference_and_code(professional_journey(client).complete())
    use_mail(app, url)

    result = app.test_cli_runner().invoke(args=["outbox", "send"])

    assert result.exit_code == 0, result.output
    assert "Sent 1 email;" in result.output
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


def sent_nothing(db: Session, message: OutboxMessage, inbox: Inbox) -> None:
    """The message waits in the outbox with a plain reason, and the server received nothing."""
    db.expire_all()
    assert inbox.messages == [] and inbox.logins == []
    assert message.sent_at is None and message.attempts == 1
    assert message.last_error and "someone@example.org" not in message.last_error


def test_a_relay_whose_certificate_cannot_be_verified_gets_nothing(
    app: Flask, db_session: Session, mail_server: MailServer, tmp_path: Path
) -> None:
    port, inbox = mail_server(starttls=make_certificates(tmp_path))
    message = factories.outbox_message(db_session)
    db_session.commit()
    use_mail(app, f"smtp://127.0.0.1:{port}")

    result = app.test_cli_runner().invoke(args=["outbox", "send"])

    assert result.exit_code == 1
    assert "Sent 0 emails; 1 could not be sent" in result.output
    assert "certificate could not be verified" in result.output and "HUB_SMTP_CA_FILE" in result.output
    sent_nothing(db_session, message, inbox)
    assert outbox_count(db_session) == 1


def test_a_relay_is_trusted_once_its_certificate_authority_is_set(
    app: Flask, db_session: Session, mail_server: MailServer, tmp_path: Path
) -> None:
    certificates = make_certificates(tmp_path)
    port, inbox = mail_server(starttls=certificates, auth=True)
    message = factories.outbox_message(db_session)
    db_session.commit()
    use_mail(app, f"smtp://hub%40council:s%3Acret@127.0.0.1:{port}", certificates.ca_file)

    result = app.test_cli_runner().invoke(args=["outbox", "send"])

    assert result.exit_code == 0, result.output
    assert "Sent 1 email; 0 could not be sent" in result.output
    assert inbox.over_tls == [True]
    assert inbox.logins == [("hub@council", "s:cret")]
    db_session.expire_all()
    assert message.sent_at is not None and message.last_error is None


def test_a_certificate_for_another_host_is_refused_even_from_the_trusted_authority(
    db_session: Session, mail_server: MailServer, tmp_path: Path
) -> None:
    certificates = make_certificates(tmp_path, for_names=("mail.example.org",))
    port, inbox = mail_server(starttls=certificates)
    message = factories.outbox_message(db_session)

    assert send_pending(
        db_session, f"smtp://127.0.0.1:{port}", "hub@example.org", ca_file=certificates.ca_file
    ) == (0, 1)
    sent_nothing(db_session, message, inbox)
    assert "certificate could not be verified" in (message.last_error or "")


def test_a_password_is_never_sent_to_a_server_without_tls(
    app: Flask, db_session: Session, mail_server: MailServer
) -> None:
    port, inbox = mail_server(auth=True)  # offers AUTH in the clear, and no STARTTLS
    message = factories.outbox_message(db_session)
    db_session.commit()
    use_mail(app, f"smtp://hub:secret-password@127.0.0.1:{port}")

    result = app.test_cli_runner().invoke(args=["outbox", "send"])

    assert result.exit_code == 1
    assert "did not offer TLS, which these settings require, so nothing was sent" in result.output
    assert "secret-password" not in result.output
    sent_nothing(db_session, message, inbox)
    assert message.last_error == (
        "The mail server did not offer TLS, which these settings require, so nothing was sent."
    )


def test_starttls_required_refuses_a_server_without_it_even_with_no_password(
    db_session: Session, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    message = factories.outbox_message(db_session)
    assert send_pending(db_session, f"{url}?starttls=required", "hub@example.org") == (0, 1)
    sent_nothing(db_session, message, inbox)


def test_a_plain_local_relay_without_a_password_still_works(
    db_session: Session, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    message = factories.outbox_message(db_session)
    assert send_pending(db_session, url, "hub@example.org") == (1, 0)
    assert inbox.over_tls == [False] and message.sent_at is not None


def test_starttls_off_skips_an_offered_certificate_on_a_relay_without_a_password(
    db_session: Session, mail_server: MailServer, tmp_path: Path
) -> None:
    port, inbox = mail_server(starttls=make_certificates(tmp_path))
    factories.outbox_message(db_session)
    assert send_pending(db_session, f"smtp://127.0.0.1:{port}?starttls=off", "hub@example.org") == (1, 0)
    assert inbox.over_tls == [False]


def test_implicit_tls_verifies_the_certificate_too(
    db_session: Session, mail_server: MailServer, tmp_path: Path
) -> None:
    certificates = make_certificates(tmp_path)
    port, inbox = mail_server(implicit_tls=certificates)
    message = factories.outbox_message(db_session)
    url = f"smtps://127.0.0.1:{port}"

    assert send_pending(db_session, url, "hub@example.org") == (0, 1)
    assert inbox.messages == [] and "certificate could not be verified" in (message.last_error or "")

    assert send_pending(db_session, url, "hub@example.org", ca_file=certificates.ca_file) == (1, 0)
    assert len(inbox.messages) == 1 and message.sent_at is not None


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://relay.example", "must look like smtp://"),
        ("smtp://relay.example?starttls=sometimes", "starttls= must be one of: when-offered, required, off"),
        ("smtp://relay.example?tls=yes", "a setting the hub does not know: tls"),
        ("smtps://relay.example?starttls=required", "starttls= does not apply"),
        ("smtp://hub:hunter2@relay.example?starttls=off", "a password is only ever sent over TLS"),
        ("smtp://relay.example:99999", "port that is not a number"),
    ],
)
def test_mail_settings_that_cannot_work_say_what_to_change(
    app: Flask, db_session: Session, url: str, says: str
) -> None:
    factories.outbox_message(db_session)
    db_session.commit()
    with pytest.raises(MailSettingsError, match=re.escape(says)):
        transport_from_url(url)
    use_mail(app, url)
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code != 0 and says in result.output and "hunter2" not in result.output
    db_session.expire_all()
    assert [m.attempts for m in db_session.scalars(select(OutboxMessage))] == [0]


def test_the_ca_file_setting_is_read_and_checked(tmp_path: Path) -> None:
    certificates = make_certificates(tmp_path / "certs")
    secret = {"HUB_SECRET_KEY": "s" * 40}
    config = Config.load(tmp_path, environ={**secret, "HUB_SMTP_CA_FILE": "certs/ca.pem"})
    assert config.smtp_ca_file == certificates.ca_file
    assert Config.load(tmp_path, environ=secret).smtp_ca_file is None
    with pytest.raises(ConfigError, match=r"HUB_SMTP_CA_FILE names .* which is not a file"):
        Config.load(tmp_path, environ={**secret, "HUB_SMTP_CA_FILE": "certs/missing.pem"})


def test_dropping_takes_only_the_named_unsent_messages_and_audits_each(db_session: Session) -> None:
    named = factories.outbox_message(db_session)
    sent = factories.outbox_message(db_session, sent_at=utcnow(), attempts=1)
    other = factories.outbox_message(db_session)
    given_up = factories.outbox_message(db_session, attempts=MAX_ATTEMPTS)
    db_session.commit()
    assert unsent_ids(db_session) == {named.id, other.id, given_up.id}

    operator = audit.Actor(id=None, role="operator")
    assert drop_unsent(db_session, {named.id, sent.id, given_up.id}, operator) == 2

    left = {m.id for m in db_session.scalars(select(OutboxMessage))}
    assert left == {sent.id, other.id}, "a sent message is the record that it went; another is not named"
    entries = db_session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == "outbox.dropped"))
    assert sorted(e.object_id or "" for e in entries) == sorted([str(named.id), str(given_up.id)])
    assert drop_unsent(db_session, set(), operator) == 0
    assert drop_unsent(db_session, {named.id}, operator) == 0, "dropping twice drops nothing more"
