"""Operator commands: ``flask --app hub seed-demo`` and ``flask --app hub keys ...``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from hub import db
from hub.auth.models import Role
from hub.config import current_config
from hub.keyring import CryptoError, current_keyring

if TYPE_CHECKING:
    from hub.keys import RotationReport

keys_cli = AppGroup("keys", help="Manage the encryption keys in the key file.")
outbox_cli = AppGroup("outbox", help="Send the emails waiting in the outbox.")
retention_cli = AppGroup("retention", help="Remove what is past its retention period.")
audit_cli = AppGroup("audit", help="Check the audit log's hash chain.")
kpi_cli = AppGroup("kpi", help="Quarterly KPI returns.")


def init_app(app: Flask) -> None:
    app.cli.add_command(keys_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(kpi_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(reset_password_command)


@click.command("seed-demo", help="Demo providers, specialisms, capacity and sample referrals.")
@with_appcontext
def seed_demo_command() -> None:
    from hub.demo import seed

    for line in seed(db.session()):
        click.echo(line)


@keys_cli.command("rotate", help="Add a new key, make it current, and reseal every value under it.")
@click.option("--resume", is_flag=True, help="Do not add a key; finish resealing under the current one.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000))
def rotate_command(resume: bool, batch_size: int) -> None:
    from hub.keys import rotate

    try:
        report = rotate(
            db.session(),
            current_keyring(),
            new_key=not resume,
            batch_size=batch_size,
            after_batch=_reseal_progress,
        )
    except CryptoError as error:
        raise click.ClickException(str(error)) from None
    _say_how_resealing_went(report, "run it again with --resume")


@keys_cli.command("add", help="Add a new key that opens values but does not seal any yet; prints its id.")
def add_command() -> None:
    from hub.keys import add_key

    try:
        key_id = add_key(db.session(), current_keyring())
    except CryptoError as error:
        raise click.ClickException(str(error)) from None
    click.echo(key_id)
    click.echo(
        f"Key {key_id} is in the key file but is not current. Copy the key file to every host, "
        f"then run `flask --app hub keys use {key_id}`.",
        err=True,
    )


@keys_cli.command("use", help="Make a key in the key file current, then reseal every value under it.")
@click.argument("key_id")
@click.option("--no-reseal", is_flag=True, help="Only make the key current on this host.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000))
def use_command(key_id: str, no_reseal: bool, batch_size: int) -> None:
    from hub.keys import use_key

    try:
        report = use_key(
            db.session(),
            current_keyring(),
            key_id,
            reseal=not no_reseal,
            batch_size=batch_size,
            after_batch=_reseal_progress,
        )
    except CryptoError as error:
        raise click.ClickException(str(error)) from None
    if no_reseal:
        click.echo(f"Key {report.key_id} is current on this host. Nothing was resealed.")
        return
    _say_how_resealing_went(report, f"run `flask --app hub keys use {key_id}` again")


def _reseal_progress(batches: int) -> None:
    if batches % 10 == 0:
        click.echo(f"  {batches} batches resealed", err=True)


def _say_how_resealing_went(report: RotationReport, rerun: str) -> None:
    click.echo(
        f"Current key: {report.key_id}. Resealed {report.resealed} values in {report.batches} batches."
    )
    if report.remaining:
        left = ", ".join(f"{k}: {n}" for k, n in sorted(report.remaining.items()))
        raise click.ClickException(f"Some values are still under older keys ({left}); {rerun}.")
    click.echo("Every value is sealed under the current key. Older keys can be retired with `keys retire`.")


@keys_cli.command("status", help="List the keys and how many stored values each one sealed.")
def status_command() -> None:
    from hub.keys import count_by_key

    keyring = current_keyring()
    counts = count_by_key(db.session())
    for key_id in keyring.key_ids:
        marker = " (current)" if key_id == keyring.current_key_id else ""
        created = keyring.created(key_id) or "unknown"
        click.echo(f"{key_id}{marker}  created {created}  values {counts.pop(key_id, 0)}")
    for key_id, count in counts.items():
        click.echo(f"{key_id} (NOT IN THE KEY FILE)  values {count}")


@keys_cli.command("retire", help="Remove a key from the key file once no stored value uses it.")
@click.argument("key_id")
def retire_command(key_id: str) -> None:
    from hub.keys import retire_key

    try:
        retire_key(db.session(), current_keyring(), key_id)
    except CryptoError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Key {key_id} is retired and no longer in the key file.")


@outbox_cli.command("send", help="Send waiting emails through HUB_SMTP_URL; failures are retried.")
def outbox_send_command() -> None:
    from hub.outbox import MailSettingsError, send_waiting, transport_from_url

    config = current_config()
    if not config.smtp_url:
        raise click.ClickException("HUB_SMTP_URL is not set, so no email can be sent.")
    try:
        transport = transport_from_url(config.smtp_url, ca_file=config.smtp_ca_file)
    except MailSettingsError as error:
        raise click.ClickException(str(error)) from None
    report = send_waiting(db.session(), transport, config.mail_from)
    click.echo(f"Sent {report.sent} emails; {report.failed} could not be sent and will be tried again.")
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    if report.failed:
        raise SystemExit(1)


@retention_cli.command("purge", help="Remove unsent form answers more than 24 hours old.")
def retention_purge_command() -> None:
    from hub.referrals.intake import purge_expired_drafts

    removed = purge_expired_drafts(db.session())
    click.echo(f"Removed {removed} pages of unsent answers past their 24 hours.")


@audit_cli.command("verify", help="Recompute the audit log's hash chain and say where it first breaks.")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.File("r"),
    help="A checkpoint from `audit checkpoint`: the log must still hold it.",
)
def audit_verify_command(checkpoint_file: Any) -> None:
    from hub.audit import verify

    saved = json.load(checkpoint_file) if checkpoint_file else None
    verdict = verify(db.session(), saved)
    if not verdict.intact:
        click.echo(f"The audit log is broken at entry {verdict.first_break}: {verdict.problem}.", err=True)
        raise SystemExit(1)
    click.echo(f"The audit log is intact: {verdict.count} entries, newest hash {verdict.head_hash}.")


@audit_cli.command("checkpoint", help="Print the log's length and newest hash, to keep somewhere else.")
def audit_checkpoint_command() -> None:
    from hub.audit import checkpoint

    click.echo(json.dumps(checkpoint(db.session())))


@click.command("create-user", help="Create a staff account. The password is asked for, never echoed.")
@click.option("--email", required=True, help="The person's work email address; they sign in with it.")
@click.option("--name", "display_name", required=True, help="The name shown to colleagues.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--provider", "provider_slug", help="For provider staff: the provider's short name, e.g. rise.")
@click.password_option(help="At least 12 characters; asked for if not given.")
@with_appcontext
def create_user_command(
    email: str, display_name: str, role: str, provider_slug: str | None, password: str
) -> None:
    from sqlalchemy import select

    from hub.audit import Actor
    from hub.auth.services import AccountError, create_user
    from hub.providers.models import Provider

    provider_id = None
    if provider_slug:
        provider_id = db.session().scalar(select(Provider.id).where(Provider.slug == provider_slug))
        if provider_id is None:
            raise click.ClickException(f"There is no provider called {provider_slug!r}.")
    try:
        user = create_user(
            db.session(),
            email=email,
            display_name=display_name,
            role=Role(role),
            password=password,
            provider_id=provider_id,
            actor=Actor(id=None, role="operator"),
        )
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Created a {user.role.label.lower()} account. They set up their authenticator app at first sign-in."
    )


@click.command(
    "reset-password",
    help="Give a staff account a temporary password (printed once) that they must change at sign-in.",
)
@click.option("--email", required=True, help="The work email address the person signs in with.")
@with_appcontext
def reset_password_command(email: str) -> None:
    from hub.audit import Actor
    from hub.auth.services import find_by_email, reset_password

    user = find_by_email(db.session(), email)
    if user is None:
        raise click.ClickException("There is no account with that email address.")
    temporary = reset_password(db.session(), user, Actor(id=None, role="operator"))
    click.echo(f"Temporary password (shown only now): {temporary}")
    click.echo(
        "Give it to them in person or by phone. It works for one sign-in in the next 3 days;"
        " then they choose their own. Every session they had has ended."
    )


@kpi_cli.command("remind", help="Email providers whose return for the last quarter is overdue (once each).")
def kpi_remind_command() -> None:
    from hub import calendar
    from hub.kpi.reminders import send_reminders

    names = send_reminders(db.session(), calendar.today(), current_config().return_reminder_days)
    click.echo(f"Reminded {len(names)} providers." + (f" ({', '.join(names)})" if names else ""))
