"""Real SMTP servers on loopback for the tests (aiosmtpd on 127.0.0.1, on a port the system picks),
with certificates made for each test with ``cryptography``, so certificate checks run for real."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import ipaddress
import ssl
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .loopback import START_DEADLINE


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
    no other process can take the port between choosing and binding. It may take as long as a busy
    machine needs to start (aiosmtpd's own limit is 5 seconds)."""

    def __init__(self, handler: Any, **options: Any) -> None:
        super().__init__(handler, ready_timeout=START_DEADLINE, **options)

    def _trigger_server(self) -> None:
        server = cast(asyncio.Server, self.server)  # what loop.create_server made
        self.port = server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]  # aiosmtpd leaves it unannotated


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
