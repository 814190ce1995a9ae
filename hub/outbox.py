"""Email goes out through an outbox table, so a message is written in the same transaction as the
change it reports and is sent (and retried) by ``flask --app hub outbox send``.

No message body may hold personal data: only a reference, a link and plain words. The address is
sealed like any other personal value.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from urllib.parse import unquote, urlsplit

from flask import render_template
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hub.crypto import Sealed
from hub.db import Base, Created, SealedRowMixin, UTCDateTime, utcnow

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

    to_address = Sealed(str)


def queue(
    db: Session, *, to: str, template: str, subject: str, sender_name: str | None = None, **context: str
) -> OutboxMessage:
    """Add a message to the outbox; the caller's transaction commits it with everything else."""
    message = OutboxMessage(
        template=template,
        subject=subject,
        body=render_template(f"email/{template}.txt", **context),
        sender_name=sender_name,
    )
    message.to_address = to
    db.add(message)
    return message


def pending(db: Session) -> Sequence[OutboxMessage]:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.created_at)
    )
    return db.scalars(query).all()


def send_pending(db: Session, smtp_url: str, mail_from: str) -> tuple[int, int]:
    """Send what is waiting. Returns (sent, failed). Each message is committed as it goes."""
    sent = failed = 0
    for message in pending(db):
        email = EmailMessage()
        email["From"] = _sender(mail_from, message.sender_name)
        email["To"] = message.to_address or ""
        email["Subject"] = message.subject
        email.set_content(message.body)
        try:
            with _connect(smtp_url) as smtp:
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as error:
            message.attempts += 1
            message.last_error = type(error).__name__  # never the address or the server's reply text
            failed += 1
        else:
            message.attempts += 1
            message.sent_at = utcnow()
            sent += 1
        db.commit()
    return sent, failed


def _sender(mail_from: str, name: str | None) -> str:
    """The configured sender, or its address under the message's own (neutral) name."""
    return formataddr((name, parseaddr(mail_from)[1])) if name else mail_from


def _connect(smtp_url: str) -> smtplib.SMTP:
    """``smtp://user:password@host:port`` (STARTTLS when offered) or ``smtps://`` (TLS from the start)."""
    url = urlsplit(smtp_url)
    if url.scheme not in {"smtp", "smtps"} or not url.hostname:
        raise ValueError("HUB_SMTP_URL must look like smtp://host:25 or smtps://user:password@host:465")
    smtp: smtplib.SMTP
    if url.scheme == "smtps":
        smtp = smtplib.SMTP_SSL(url.hostname, url.port or 465, timeout=30)
    else:
        smtp = smtplib.SMTP(url.hostname, url.port or 25, timeout=30)
        smtp.ehlo()
        if smtp.has_extn("starttls"):
            smtp.starttls()
            smtp.ehlo()
    if url.username:
        smtp.login(unquote(url.username), unquote(url.password or ""))
    return smtp
