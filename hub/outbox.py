"""Email goes out through an outbox table, so a message is written in the same transaction as the
change it reports and is sent (and retried) by ``flask --app hub outbox send``.

A local instance with no mail server sends the same way to a :class:`MailFolder` instead: each
email is written as an ``.eml`` file (``HUB_MAIL_FOLDER``), so it can be opened and read.

No message body may hold personal data: only a reference, a link and plain words. The address is
sealed like any other personal value. A single-use code a message carries (a survivor's feedback
code) is kept sealed apart from the body, put into it only as the message is sent, and forgotten
once it has gone.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from flask import render_template
from sqlalchemy import String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hub import audit
from hub.db import Base, BlindIndex, Created, SealedRowMixin, UTCDateTime, committed, utcnow
from hub.keyring import current_keyring
from hub.normalise import normalise_email
from hub.sealed import Sealed

MAX_ATTEMPTS = 5


class OutboxMessage(SealedRowMixin, Base):
    __tablename__ = "outbox_message"

    template: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[Created]
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    # A sender name to show instead of the configured one (a neutral name, for a survivor who did
    # not say we may name the service).
    sender_name: Mapped[str | None] = mapped_column(String(80))

    # When the retention schedule emptied the body and the address of this sent message.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    to_address = Sealed(str)
    # A code the body carries in place of SECRET_IN_BODY; emptied once the message is sent.
    secret = Sealed(str)
    # A keyed hash of the address (as ``Referral.email_index``), so a subject-access export finds the
    # emails sent to a person without opening every address. Messages queued before it was kept have none.
    to_index: Mapped[BlindIndex]


SECRET_IN_BODY = "[the code]"  # noqa: S105  (a placeholder, not a secret)
"""Where a message's sealed ``secret`` goes in its body: the template writes it as ``{{ secret }}``."""


def queue(
    db: Session,
    *,
    to: str,
    template: str,
    subject: str,
    sender_name: str | None = None,
    secret: str | None = None,
    **context: str,
) -> OutboxMessage:
    """Add a message to the outbox; the caller's transaction commits it with everything else.

    ``secret`` (a single-use code) is kept sealed, not in the body, until the message is sent."""
    message = OutboxMessage(
        template=template,
        subject=subject,
        body=render_template(f"email/{template}.txt", secret=SECRET_IN_BODY, **context),
        sender_name=sender_name,
    )
    message.secret = secret
    message.to_address = to
    message.to_index = current_keyring().blind_index("email", normalise_email(to))
    db.add(message)
    return message


def drop_unsent(db: Session, ids: Collection[uuid.UUID], actor: audit.Actor) -> int:
    """Take the messages with these ids out of the outbox unsent, so that ``outbox send`` never sends
    them; one already sent stays (it is the record that it went). Each message dropped is audited
    (``outbox.dropped``, its id only). Returns how many were dropped.

    For ``seed-demo``: the emails its made-up history would have sent are never sent.
    """
    if not ids:
        return 0
    unsent = db.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(list(ids)), OutboxMessage.sent_at.is_(None))
    ).all()
    with committed(db):
        for message in unsent:
            audit.record_as(db, actor, "outbox.dropped", "outbox_message", message.id)
            db.delete(message)
    return len(unsent)


def unsent_ids(db: Session) -> set[uuid.UUID]:
    """The ids of every message not sent yet (waiting, retrying or given up)."""
    return set(db.scalars(select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None))))


def _waiting() -> Any:
    return (OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)


def pending(db: Session) -> Sequence[OutboxMessage]:
    query = select(OutboxMessage).where(*_waiting()).order_by(OutboxMessage.created_at)
    return db.scalars(query).all()


def count_pending(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(OutboxMessage).where(*_waiting())) or 0


@dataclass(frozen=True)
class Listed:
    """One message as ``outbox list`` shows it: what kind, where it stands, when; no address, no body."""

    id: str
    template: str
    status: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int


def listing(db: Session, limit: int) -> list[Listed]:
    """The newest ``limit`` messages, newest first, read without opening any sealed value."""
    query = (
        select(
            OutboxMessage.id,
            OutboxMessage.template,
            OutboxMessage.created_at,
            OutboxMessage.sent_at,
            OutboxMessage.attempts,
        )
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
        .limit(limit)
    )
    return [
        Listed(
            str(row.id),
            row.template,
            _status(row.sent_at, row.attempts),
            row.created_at,
            row.sent_at,
            row.attempts,
        )
        for row in db.execute(query)
    ]


def _status(sent_at: datetime | None, attempts: int) -> str:
    if sent_at is not None:
        return "sent"
    if attempts >= MAX_ATTEMPTS:
        return "given up"
    return "waiting" if attempts == 0 else "retrying"


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int
    problems: tuple[str, ...] = ()
    """Why messages could not be sent, in plain words, each once (never an address or server text)."""


def send_pending(
    db: Session, smtp_url: str, mail_from: str, *, ca_file: Path | None = None
) -> tuple[int, int]:
    """Send what is waiting. Returns (sent, failed). Each message's attempt is saved as it goes."""
    report = send_waiting(db, transport_from_url(smtp_url, ca_file=ca_file), mail_from)
    return report.sent, report.failed


def send_waiting(
    db: Session,
    transport: Transport | MailFolder,
    mail_from: str,
    *,
    after_each: Callable[[], None] | None = None,
) -> SendReport:
    """Send what is waiting through ``transport`` (or write it to a mail folder); a message that
    fails stays, with a plain reason. ``after_each`` is called once a message's try is saved."""
    sent = failed = 0
    problems: dict[str, None] = {}
    for message in pending(db):
        with committed(db):  # each message's attempt is saved as it goes
            problem = _send(message, transport, mail_from)
            message.attempts += 1
            message.last_error = problem
            if problem is None:
                message.sent_at = utcnow()
                message.secret = None  # it has gone to the person; the hub keeps no copy
                sent += 1
            else:
                problems[problem] = None
                failed += 1
        if after_each is not None:
            after_each()
    return SendReport(sent, failed, tuple(problems))


def _send(message: OutboxMessage, transport: Transport | MailFolder, mail_from: str) -> str | None:
    """Hand one message to the mail server; None when it took it, else why not, in plain words."""
    email = EmailMessage()
    email["From"] = _sender(mail_from, message.sender_name)
    email["To"] = message.to_address or ""
    email["Subject"] = message.subject
    secret = message.secret
    email.set_content(message.body.replace(SECRET_IN_BODY, secret) if secret else message.body)
    if isinstance(transport, MailFolder):
        return transport.write(email, message)
    try:
        with _connect(transport) as smtp:
            smtp.send_message(email)
    except (OSError, smtplib.SMTPException) as error:
        return _plain_reason(error)
    return None


def _sender(mail_from: str, name: str | None) -> str:
    """The configured sender, or its address under the message's own (neutral) name."""
    return formataddr((name, parseaddr(mail_from)[1])) if name else mail_from


@dataclass(frozen=True)
class MailFolder:
    """Where a local instance with no mail server puts each email, as a file any mail program opens.

    Only for a local instance (``HUB_MAIL_FOLDER``): the files hold the addresses in the clear. The
    folder and the files can be read by their owner only.
    """

    path: Path

    def write(self, email: EmailMessage, message: OutboxMessage) -> str | None:
        """Write one email; None when written, else why not, in plain words (never the path's contents)."""
        name = f"{message.created_at:%Y%m%d-%H%M%S}-{message.id}.eml"
        try:
            self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor = os.open(self.path / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(email.as_bytes())
        except OSError as error:
            return f"Could not write the email to the mail folder ({type(error).__name__})."
        return None


# -- the connection to the mail server --------------------------------------------------------------

StartTls = Literal["when-offered", "required", "off"]
STARTTLS_CHOICES: tuple[StartTls, ...] = ("when-offered", "required", "off")


class MailSettingsError(ValueError):
    """HUB_SMTP_URL or HUB_SMTP_CA_FILE cannot be used as they are; the message says what to change."""


class TlsNotOffered(smtplib.SMTPException):
    """These settings require TLS and the server did not offer STARTTLS, so nothing was sent."""


@dataclass(frozen=True)
class Transport:
    """How to reach the mail server, read from ``HUB_SMTP_URL`` and ``HUB_SMTP_CA_FILE``.

    - ``smtp://relay:25``: STARTTLS when the server offers it (certificate verified); plain only if
      the server offers no STARTTLS and no user name is given.
    - ``smtp://relay:587?starttls=required``: refuse to send unless the server offers STARTTLS.
    - ``smtp://user:password@relay:587``: a user name makes STARTTLS required, always.
    - ``smtps://user:password@relay:465``: TLS from the first byte.
    - ``smtp://127.0.0.1:25?starttls=off``: never STARTTLS, for a relay on the same machine whose
      certificate cannot be verified; refused with a user name.

    Certificates are verified and must name the host in the URL. ``ca_file`` (``HUB_SMTP_CA_FILE``)
    is the certificate authority of a private relay; when set, only it is trusted.
    """

    host: str
    port: int
    implicit_tls: bool = False
    starttls: StartTls = "when-offered"
    username: str | None = None
    password: str = ""
    ca_file: Path | None = None

    @property
    def tls_required(self) -> bool:
        return self.implicit_tls or self.starttls == "required" or self.username is not None

    def tls_context(self) -> ssl.SSLContext:
        # Hostname checked and certificate required: the defaults of create_default_context.
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)


def transport_from_url(smtp_url: str, *, ca_file: Path | None = None) -> Transport:
    """Read ``HUB_SMTP_URL``; raise :class:`MailSettingsError` saying what is wrong (never the password)."""
    url = urlsplit(smtp_url)
    if url.scheme not in {"smtp", "smtps"} or not url.hostname:
        raise MailSettingsError(
            "HUB_SMTP_URL must look like smtp://relay.example:25, "
            "smtp://user:password@relay.example:587 or smtps://user:password@relay.example:465."
        )
    try:
        port = url.port
    except ValueError:
        raise MailSettingsError("HUB_SMTP_URL has a port that is not a number from 1 to 65535.") from None
    query = parse_qs(url.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"starttls"})
    if unknown:
        raise MailSettingsError(f"HUB_SMTP_URL has a setting the hub does not know: {', '.join(unknown)}.")
    starttls = query.get("starttls", ["when-offered"])[-1]
    if starttls not in STARTTLS_CHOICES:
        raise MailSettingsError(
            "In HUB_SMTP_URL, starttls= must be one of: " + ", ".join(STARTTLS_CHOICES) + "."
        )
    implicit = url.scheme == "smtps"
    if implicit and "starttls" in query:
        raise MailSettingsError(
            "HUB_SMTP_URL: smtps:// uses TLS from the start, so starttls= does not apply."
        )
    username = unquote(url.username) if url.username else None
    if username is not None and starttls == "off":
        raise MailSettingsError(
            "HUB_SMTP_URL has a user name and starttls=off: "
            "a password is only ever sent over TLS, so remove starttls=off."
        )
    if ca_file is not None and not Path(ca_file).is_file():
        raise MailSettingsError(f"HUB_SMTP_CA_FILE names {ca_file}, which is not a file.")
    return Transport(
        host=url.hostname,
        port=port or (465 if implicit else 25),
        implicit_tls=implicit,
        starttls=starttls,
        username=username,
        password=unquote(url.password or ""),
        ca_file=Path(ca_file) if ca_file is not None else None,
    )


def _connect(transport: Transport) -> smtplib.SMTP:
    """A connection ready to send: TLS as the settings require, then the login, if any."""
    smtp: smtplib.SMTP
    if transport.implicit_tls:
        smtp = smtplib.SMTP_SSL(transport.host, transport.port, timeout=30, context=transport.tls_context())
    else:
        smtp = smtplib.SMTP(transport.host, transport.port, timeout=30)
    try:
        if not transport.implicit_tls:
            smtp.ehlo()
            if transport.starttls != "off" and smtp.has_extn("starttls"):
                smtp.starttls(context=transport.tls_context())
                smtp.ehlo()
            elif transport.tls_required:
                raise TlsNotOffered("the mail server did not offer STARTTLS")
        if transport.username is not None:
            smtp.login(transport.username, transport.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _plain_reason(error: BaseException) -> str:
    """Why a message was not sent, for ``outbox list`` and the operator: no address, no server text."""
    if isinstance(error, TlsNotOffered):
        return "The mail server did not offer TLS, which these settings require, so nothing was sent."
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            "The mail server's certificate could not be verified, so nothing was sent "
            "(for a private relay, set HUB_SMTP_CA_FILE)."
        )
    if isinstance(error, ssl.SSLError):
        return f"TLS with the mail server failed ({type(error).__name__}), so nothing was sent."
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "The mail server did not accept the user name and password."
    return f"Could not send through the mail server ({type(error).__name__})."
