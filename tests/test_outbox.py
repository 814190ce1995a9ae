"""Email leaves through the outbox, to a real SMTP server on loopback, with no personal data in it.

The mail servers here are real (aiosmtpd on 127.0.0.1, on a port the system picks), and their
certificates are made for each test with ``cryptography``, so certificate checks run for real.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import re
import ssl
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.config import Config, ConfigError
from hub.outbox import MAX_ATTEMPTS, MailSettingsError, OutboxMessage, send_pending, transport_from_url

from . import factories
from .journeys import professional_journey, reference_and_code


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.over_tls: list[bool] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        self.over_tls.append(session.ssl is not None)
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=True)


class LoopbackController(Controller):
    """Listens on port 0, so the system picks a free port, then reads back the port it bound:
    no other process can take the port between choosing and binding."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclasses.dataclass(frozen=True)
class Certificates:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_certificates(folder: Path, *, for_names: tuple[str, ...] = ("127.0.0.1",)) -> Certificates:
    """A self-signed certificate authority of our own, and a server certificate it signed."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test mail relay CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for name in for_names:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt_names.append(x509.DNSName(name))
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, for_names[0])]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    found = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server-key.pem")
    found.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    found.cert_file.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    found.key_file.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return found


MailServer = Callable[..., tuple[int, Inbox]]


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """Start real SMTP servers on 127.0.0.1: ``mail_server(tls=..., starttls=..., auth=...)``."""
    started: list[Controller] = []

    def start(
        *, starttls: Certificates | None = None, implicit_tls: Certificates | None = None, auth: bool = False
    ) -> tuple[int, Inbox]:
        inbox = Inbox()
        options: dict[str, Any] = {}
        if starttls is not None:
            options["tls_context"] = starttls.server_context()
        if auth:
            # Offered even without TLS, as a careless relay would, so the test shows the hub refusing.
            options.update(authenticator=inbox.authenticate, auth_require_tls=False)
        controller = LoopbackController(
            inbox,
            hostname="127.0.0.1",
            port=0,
            ssl_context=implicit_tls.server_context() if implicit_tls else None,
            **options,
        )
        controller.start()
        started.append(controller)
        return controller.port, inbox

    try:
        yield start
    finally:
        for controller in started:
            controller.stop()


@pytest.fixture
def smtp(mail_server: MailServer) -> tuple[str, Inbox]:
    port, inbox = mail_server()
    return f"smtp://127.0.0.1:{port}", inbox


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
    assert "Sent 1 emails; 0 could not be sent" in result.output
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
