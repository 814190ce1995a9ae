"""What an operator sees: the go-live check, emails as files on a local instance, the outbox listed
without personal data, progress with a total, and counts that read right."""

from __future__ import annotations

import dataclasses
import email
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import outbox
from hub.config import Config
from hub.db import utcnow
from hub.outbox import MAX_ATTEMPTS, OutboxMessage
from hub.plurals import counted

from .mail_server import Inbox

READY = {
    "smtp_url": "smtp://hub:s3cret-pass@relay.internal:587",
    "council_name": "Harbourside Borough Council",
    "public_url": "https://referrals.harbourside.example",
    "mash_contact": "Harbourside MASH on 01632 960000",
    "data_protection_contact": "dpo@harbourside.example or 01632 960001",
    "secure_cookies": True,
    "secret_key": "q8Zr1Jm4Vb7Xc2Lp9Hs6Tn3Wd0Ky5Fg-Ue_Oa8Ri2Mx",
    "database_url": "postgresql+psycopg://hub@db.internal/hub",
    "given": frozenset(
        {
            "HUB_COUNCIL_NAME",
            "HUB_PUBLIC_URL",
            "HUB_MASH_CONTACT",
            "HUB_DATA_PROTECTION_CONTACT",
            "HUB_SMTP_URL",
        }
    ),
}


def configure(app: Flask, **settings: Any) -> Config:
    config: Config = dataclasses.replace(app.extensions["hub.config"], **settings)
    app.extensions["hub.config"] = config
    return config


def lines(output: str) -> dict[str, str]:
    """``{what: "OK …" | "MISSING …"}`` from the check's output."""
    found = {}
    for line in output.splitlines():
        status, _, rest = line.partition(" ")
        if status in {"OK", "MISSING"}:
            what, _, said = rest.strip().partition(": ")
            found[what] = f"{status} {said}"
    return found


# -- flask --app hub check ---------------------------------------------------------------------------


def test_check_passes_when_everything_for_go_live_is_set(app: Flask) -> None:
    config = configure(app, **READY)
    config.key_file.chmod(0o600)

    result = app.test_cli_runner().invoke(args=["check"])

    assert result.exit_code == 0, result.output
    found = lines(result.output)
    assert set(found) == {
        "Mail server",
        "Emails as files",
        "Council name",
        "Public address",
        "MASH contact",
        "Data protection contact",
        "Secure cookies",
        "Key file",
        "Secret key",
        "Database",
    }
    assert all(said.startswith("OK ") for said in found.values()), found
    assert "relay.internal:587" in found["Mail server"]
    assert "s3cret-pass" not in result.output and str(READY["secret_key"]) not in result.output
    assert "Everything a council must set before go-live is set." in result.output


def test_check_names_each_missing_setting_and_where_and_fails(app: Flask) -> None:
    config = configure(
        app,
        smtp_url=None,
        mail_folder="mail",
        secure_cookies=False,
        secret_key="test-secret-" + "a" * 30,
        database_url="sqlite:////srv/hub/hub.sqlite3",
        public_url="http://127.0.0.1:5000",
        given=frozenset({"HUB_PUBLIC_URL"}),
    )
    config.key_file.chmod(0o640)

    result = app.test_cli_runner().invoke(args=["check"])

    assert result.exit_code == 1
    found = lines(result.output)
    expected = {
        "Mail server": "HUB_SMTP_URL",
        "Emails as files": "remove HUB_MAIL_FOLDER",
        "Council name": "set HUB_COUNCIL_NAME in the environment or instance/config.py",
        "Public address": "HUB_PUBLIC_URL must start https://",
        "MASH contact": "set HUB_MASH_CONTACT",
        "Data protection contact": "set HUB_DATA_PROTECTION_CONTACT",
        "Secure cookies": "HUB_SECURE_COOKIES is off",
        "Key file": f"chmod 600 {config.key_file}",
        "Secret key": "HUB_SECRET_KEY looks like a placeholder",
        "Database": "set HUB_DATABASE_URL",
    }
    for what, named in expected.items():
        assert found[what].startswith("MISSING ") and named in found[what], (what, found[what])
    assert "10 things to set before go-live" in result.output


def test_check_reads_one_missing_thing_in_the_singular_and_a_broken_mail_url(app: Flask) -> None:
    config = configure(app, **{**READY, "smtp_url": "smtp://relay.internal:25?starttls=sometimes"})
    config.key_file.chmod(0o600)
    result = app.test_cli_runner().invoke(args=["check"])
    assert result.exit_code == 1
    assert lines(result.output)["Mail server"].startswith("MISSING In HUB_SMTP_URL, starttls= must be")
    assert "1 thing to set before go-live" in result.output


def test_config_knows_which_settings_were_given_without_changing_equality(tmp_path: Path) -> None:
    base = {"HUB_SECRET_KEY": "s" * 40}
    plain = Config.load(tmp_path, environ=base)
    named = Config.load(tmp_path, environ={**base, "HUB_COUNCIL_NAME": plain.council_name})
    assert "HUB_COUNCIL_NAME" not in plain.given and "HUB_COUNCIL_NAME" in named.given
    assert plain == named  # the same settings in effect, however they were arrived at


# -- emails as files on a local instance --------------------------------------------------------------


def queued(db: Session, to: str = "someone.private@example.org") -> OutboxMessage:
    message = outbox.queue(
        db, to=to, template="kpi_return_reminder", subject="A reminder", provider_name="Harbour", quarter="Q"
    )
    db.commit()
    return message


def test_a_local_instance_without_a_mail_server_writes_each_email_as_a_file(
    app: Flask, db_session: Session
) -> None:
    config = configure(app, smtp_url=None, mail_folder="mail")
    message = queued(db_session)

    result = app.test_cli_runner().invoke(args=["outbox", "send"])

    assert result.exit_code == 0, result.output
    folder = config.instance_path / "mail"
    assert f"Wrote 1 email as .eml files to {folder}" in result.output
    [written] = list(folder.glob("*.eml"))
    assert folder.stat().st_mode & 0o777 == 0o700 and written.stat().st_mode & 0o777 == 0o600
    read = email.message_from_bytes(written.read_bytes())
    assert read["To"] == "someone.private@example.org" and read["Subject"] == "A reminder"
    db_session.expire_all()
    assert message.sent_at is not None and message.attempts == 1
    again = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert "Wrote 0 emails" in again.output and len(list(folder.glob("*.eml"))) == 1


def test_a_configured_mail_server_is_used_even_with_a_mail_folder(
    app: Flask, db_session: Session, smtp: tuple[str, Inbox]
) -> None:
    url, inbox = smtp
    config = configure(app, smtp_url=url, mail_folder="mail")
    queued(db_session)
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 email;" in result.output and len(inbox.messages) == 1
    assert not (config.instance_path / "mail").exists()


def test_without_a_mail_server_or_a_mail_folder_nothing_is_sent_and_it_says_what_to_set(
    app: Flask, db_session: Session
) -> None:
    configure(app, smtp_url=None, mail_folder="")
    message = queued(db_session)
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code != 0
    assert "HUB_SMTP_URL is not set" in result.output and "HUB_MAIL_FOLDER" in result.output
    db_session.expire_all()
    assert message.sent_at is None and message.attempts == 0


def test_a_mail_folder_that_cannot_be_written_keeps_the_message_to_try_again(
    app: Flask, db_session: Session, tmp_path: Path
) -> None:
    (tmp_path / "blocked").write_text("a file where the folder should be", encoding="utf-8")
    configure(app, smtp_url=None, mail_folder="blocked")
    message = queued(db_session)
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 1
    assert "Could not write the email to the mail folder" in result.output
    db_session.expire_all()
    assert message.sent_at is None and message.attempts == 1


# -- outbox list ---------------------------------------------------------------------------------------


def test_outbox_list_shows_each_message_and_no_personal_data(app: Flask, db_session: Session) -> None:
    waiting = queued(db_session, to="first.private@example.org")
    sent = queued(db_session, to="second.private@example.org")
    gave_up = queued(db_session, to="third.private@example.org")
    sent.sent_at, sent.attempts = utcnow() + timedelta(minutes=1), 1
    gave_up.attempts, gave_up.last_error = MAX_ATTEMPTS, "Could not send through the mail server (OSError)."
    db_session.commit()
    sealed = [
        bytes(value)
        for value in db_session.scalars(select(OutboxMessage.to_address_sealed))  # type: ignore[attr-defined]
    ]

    result = app.test_cli_runner().invoke(args=["outbox", "list"])

    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines()[1:] if line[:1].isalnum()}
    assert " waiting " in rows[str(waiting.id)] and " sent " in rows[str(sent.id)]
    assert " given up " in rows[str(gave_up.id)] and "kpi_return_reminder" in rows[str(gave_up.id)]
    assert "3 messages shown (1 given up, 1 sent, 1 waiting)" in result.output
    for private in ("private@example.org", "A reminder", "Harbour", "@"):
        assert private not in result.output
    for value in sealed:
        for shown in (value.hex(), value.decode("latin-1"), value[:12].hex()):
            assert shown not in result.output
    limited = app.test_cli_runner().invoke(args=["outbox", "list", "--limit", "1"])
    assert "1 message shown" in limited.output


def test_an_empty_outbox_says_so(app: Flask) -> None:
    assert "The outbox is empty." in app.test_cli_runner().invoke(args=["outbox", "list"]).output


# -- progress and plurals ------------------------------------------------------------------------------


def test_long_commands_name_their_total_once_when_not_on_a_terminal(app: Flask, db_session: Session) -> None:
    for n in range(3):
        queued(db_session, to=f"person{n}@example.org")
    runner = app.test_cli_runner()
    rotated = runner.invoke(args=["keys", "rotate", "--batch-size", "1"])
    assert rotated.exit_code == 0, rotated.output
    assert rotated.output.count("Resealing 3 values") == 1
    assert "Resealed 3 values in 3 batches." in rotated.output
    assert "[#" not in rotated.output and "\r" not in rotated.output
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "Checking 1 entry\n" in verified.output  # the finished rotation, in the singular
    assert "The audit log is intact: 1 entry," in verified.output


@pytest.mark.parametrize(
    ("number", "noun", "words"),
    [
        (0, "provider", "0 providers"),
        (1, "provider", "1 provider"),
        (2, "provider", "2 providers"),
        (1200, "value", "1,200 values"),
        (1, "entry", "1 entry"),
        (3, "entry", "3 entries"),
        (2, "batch", "2 batches"),
        (2, "more person", "2 more people"),
        (2, "new referral", "2 new referrals"),
        (1, "day", "1 day"),
        (4, "day", "4 days"),
        (5, "allocation", "5 allocations"),
    ],
)
def test_counts_read_right(number: int, noun: str, words: str) -> None:
    assert counted(number, noun) == words
