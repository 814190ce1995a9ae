"""Operator commands: ``flask --app hub seed-demo``, ``check``, ``keys ...``, ``outbox ...`` and the rest.

Long commands show a progress bar with the total on a terminal (on standard error, so standard output
stays what scripts read); elsewhere the bar prints its label, with the total, once. Counts read right
through ``hub.plurals.counted``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from hub import calendar, db
from hub.auth.models import Role
from hub.config import current_config
from hub.keyring import CryptoError, current_keyring
from hub.plurals import counted

if TYPE_CHECKING:
    from hub.keys import RotationReport
    from hub.referrals.sealing import SealingReport

keys_cli = AppGroup("keys", help="Manage the encryption keys in the key file.")
outbox_cli = AppGroup("outbox", help="Send the emails waiting in the outbox, or list them.")
retention_cli = AppGroup("retention", help="Remove what is past its retention period.")
audit_cli = AppGroup("audit", help="Check the audit log's hash chain.")
kpi_cli = AppGroup("kpi", help="Quarterly KPI returns.")
subject_access_cli = AppGroup("subject-access", help="Everything held about one person, for a request.")


def init_app(app: Flask) -> None:
    app.cli.add_command(keys_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(retention_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(kpi_cli)
    app.cli.add_command(subject_access_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(reset_password_command)
    app.cli.add_command(check_command)


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar of ``total`` steps on standard error; yields "move on by n"."""
    if total <= 0:
        yield lambda steps: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True) as bar:
        yield bar.update


@click.command("check", help="What a council must still set before go-live; exits 1 if anything is missing.")
@with_appcontext
def check_command() -> None:
    from hub.readiness import findings

    found = findings(current_config())
    for finding in found:
        click.echo(f"{'OK' if finding.ready else 'MISSING':<8} {finding.what}: {finding.said}")
    missing = sum(not finding.ready for finding in found)
    if missing:
        click.echo(
            f'{counted(missing, "thing")} to set before go-live (README.md, "Running it in production").'
        )
        raise SystemExit(1)
    click.echo("Everything a council must set before go-live is set.")


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
    from hub.keys import count_by_key, rotate

    keyring = current_keyring()
    counts = count_by_key(db.session())
    total = (
        sum(counts.values())
        if not resume
        else sum(n for k, n in counts.items() if k != keyring.current_key_id)
    )
    try:
        with _progress(total, f"Resealing {counted(total, 'value')}") as step:
            report = rotate(
                db.session(),
                keyring,
                new_key=not resume,
                batch_size=batch_size,
                after_batch=_resealed(step),
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
    from hub.keys import count_by_key, use_key

    total = 0 if no_reseal else sum(n for k, n in count_by_key(db.session()).items() if k != key_id)
    try:
        with _progress(total, f"Resealing {counted(total, 'value')}") as step:
            report = use_key(
                db.session(),
                current_keyring(),
                key_id,
                reseal=not no_reseal,
                batch_size=batch_size,
                after_batch=_resealed(step),
            )
    except CryptoError as error:
        raise click.ClickException(str(error)) from None
    if no_reseal:
        click.echo(f"Key {report.key_id} is current on this host. Nothing was resealed.")
        return
    _say_how_resealing_went(report, f"run `flask --app hub keys use {key_id}` again")


def _resealed(step: Callable[[int], None]) -> Callable[[RotationReport], None]:
    """Move the bar on by the values resealed since the last batch."""
    done = [0]

    def after_batch(report: RotationReport) -> None:
        step(report.resealed - done[0])
        done[0] = report.resealed

    return after_batch


def _say_how_resealing_went(report: RotationReport, rerun: str) -> None:
    click.echo(
        f"Current key: {report.key_id}. "
        f"Resealed {counted(report.resealed, 'value')} in {counted(report.batches, 'batch')}."
    )
    if report.remaining:
        left = ", ".join(f"{k}: {n}" for k, n in sorted(report.remaining.items()))
        raise click.ClickException(f"Some values are still under older keys ({left}); {rerun}.")
    click.echo("Every value is sealed under the current key. Older keys can be retired with `keys retire`.")


@keys_cli.command(
    "seal-plain", help="Seal the values older releases kept plain, in batches; safe to rerun after a stop."
)
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
def seal_plain_command(batch_size: int) -> None:
    seal_plain_values(batch_size)


def seal_plain_values(batch_size: int = 500, *, only_if_any: bool = False) -> None:
    """Seal what is left in plain columns, with a progress bar; ``init`` runs it only when any is left."""
    from hub.referrals.sealing import count_plain, seal_plain

    session = db.session()
    total = count_plain(session)
    if only_if_any and not total:
        return
    try:
        with _progress(total, f"Sealing {counted(total, 'plain value')}") as step:
            report = seal_plain(session, batch_size=batch_size, after_batch=_sealed(step))
    except CryptoError as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"Sealed {counted(report.sealed, 'plain value')} in {counted(report.batches, 'batch')}"
        + (f"; emptied {counted(report.emptied, 'value')} of erased referrals." if report.emptied else ".")
    )
    click.echo("No value is left in a plain column.")


def _sealed(step: Callable[[int], None]) -> Callable[[SealingReport], None]:
    """Move the bar on by the values sealed or emptied since the last batch."""
    done = [0]

    def after_batch(report: SealingReport) -> None:
        step(report.done - done[0])
        done[0] = report.done

    return after_batch


@keys_cli.command("status", help="List the keys and how many stored values each one sealed.")
def status_command() -> None:
    from hub.keys import count_by_key

    keyring = current_keyring()
    counts = count_by_key(db.session())
    for key_id in keyring.key_ids:
        marker = " (current)" if key_id == keyring.current_key_id else ""
        created = keyring.created(key_id) or "unknown"
        click.echo(f"{key_id}{marker}  created {created}  {counted(counts.pop(key_id, 0), 'value')}")
    for key_id, count in counts.items():
        click.echo(f"{key_id} (NOT IN THE KEY FILE)  {counted(count, 'value')}")


@keys_cli.command("retire", help="Remove a key from the key file once no stored value uses it.")
@click.argument("key_id")
def retire_command(key_id: str) -> None:
    from hub.keys import retire_key

    try:
        retire_key(db.session(), current_keyring(), key_id)
    except CryptoError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Key {key_id} is retired and no longer in the key file.")


@outbox_cli.command(
    "send", help="Send waiting emails through HUB_SMTP_URL (or, locally, write them to HUB_MAIL_FOLDER)."
)
def outbox_send_command() -> None:
    from hub.outbox import MailFolder, MailSettingsError, count_pending, send_waiting, transport_from_url

    config = current_config()
    transport: Any
    if config.smtp_url:
        try:
            transport = transport_from_url(config.smtp_url, ca_file=config.smtp_ca_file)
        except MailSettingsError as error:
            raise click.ClickException(str(error)) from None
    elif config.mail_folder:
        transport = MailFolder(config.instance_path / config.mail_folder)
    else:
        raise click.ClickException(
            "HUB_SMTP_URL is not set, so no email can be sent. On a local instance, set "
            'HUB_MAIL_FOLDER = "mail" in instance/config.py to write emails as files instead.'
        )
    total = count_pending(db.session())
    with _progress(total, f"Sending {counted(total, 'email')}") as step:
        report = send_waiting(db.session(), transport, config.mail_from, after_each=lambda: step(1))
    done = f"Sent {counted(report.sent, 'email')}"
    if isinstance(transport, MailFolder):
        done = (
            f"Wrote {counted(report.sent, 'email')} as .eml files to {transport.path} (no mail server is set)"
        )
    click.echo(f"{done}; {report.failed:,} could not be sent and will be tried again.")
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    if report.failed:
        raise SystemExit(1)


@outbox_cli.command(
    "list", help="What waits in the outbox or was sent, newest first; no addresses, no contents."
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
def outbox_list_command(limit: int) -> None:
    from hub.outbox import listing

    rows = listing(db.session(), limit)
    if not rows:
        click.echo("The outbox is empty.")
        return
    click.echo(f"{'id':<36}  {'kind':<34}  {'status':<8}  {'created':<16}  {'sent':<16}  tries")
    for row in rows:
        sent = _uk(row.sent_at) if row.sent_at else "-"
        created = _uk(row.created_at)
        click.echo(
            f"{row.id:<36}  {row.template:<34}  {row.status:<8}  {created:<16}  {sent:<16}  {row.attempts}"
        )
    by_status: dict[str, int] = {}
    for row in rows:
        by_status[row.status] = by_status.get(row.status, 0) + 1
    shown = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    click.echo(f"{counted(len(rows), 'message')} shown ({shown}); times are UK time.")


def _uk(moment: Any) -> str:
    return f"{calendar.local(moment):%Y-%m-%d %H:%M}"


@retention_cli.command(
    "purge", help="Erase what the retention schedule says is due, keeping what the KPIs count. Asks nothing."
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Judge what is due as on this day (YYYY-MM-DD), today or earlier. Default: today.",
)
@click.option("--dry-run", is_flag=True, help="Change nothing; say what would be erased.")
def retention_purge_command(as_of: Any, dry_run: bool) -> None:
    from hub.audit import Actor
    from hub.privacy.purge import due, purge

    day = as_of.date() if as_of else calendar.today()
    if day > calendar.today():
        raise click.ClickException(
            f"{day:%-d %B %Y} is after today. Erasing early cannot be undone, "
            "so --as-of must be today or earlier."
        )
    found = due(db.session(), day)
    if dry_run:
        _say_erased("Would erase", found.records, found.held)
        click.echo(f"Would remove {counted(found.expired_codes, 'expired feedback code')}.")
        click.echo("Nothing was changed (--dry-run).")
        return
    total = sum(len(ids) for ids in found.ids.values())
    with _progress(total, f"Erasing {counted(found.total, 'record')}") as step:
        erased = purge(db.session(), found, Actor(id=None, role="operator"), lambda kind, n: step(n))
    _say_erased("Erased", erased, found.held)
    click.echo(f"Removed {counted(found.removed_codes, 'expired feedback code')}.")


RETENTION_NOUNS = {
    "referral_answers": ("referral's answers", "referrals' answers"),
    "case_records": ("case record", "case records"),
    "sent_emails": ("sent email", "sent emails"),
    "form_drafts": ("page of unsent answers", "pages of unsent answers"),
    "staff_accounts": ("disabled staff account", "disabled staff accounts"),
}


def _say_erased(verb: str, records: dict[Any, int], held: int) -> None:
    for kind, (one, many) in RETENTION_NOUNS.items():
        click.echo(f"{verb} {counted(records.get(kind, 0), one, many)}.")
    click.echo(f"Skipped {counted(held, 'referral')} under a legal hold.")


@audit_cli.command("verify", help="Recompute the audit log's hash chain and say where it first breaks.")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.File("r"),
    help="A checkpoint from `audit checkpoint`: the log must still hold it.",
)
def audit_verify_command(checkpoint_file: Any) -> None:
    from hub.audit import entry_count, verify

    saved = json.load(checkpoint_file) if checkpoint_file else None
    total = entry_count(db.session())
    with _progress(total, f"Checking {counted(total, 'entry')}") as step:
        verdict = verify(db.session(), saved, after_each=lambda: step(1))
    if not verdict.intact:
        click.echo(f"The audit log is broken at entry {verdict.first_break}: {verdict.problem}.", err=True)
        raise SystemExit(1)
    click.echo(
        f"The audit log is intact: {counted(verdict.count, 'entry')}, newest hash {verdict.head_hash}."
    )


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
    role = user.role.label.lower()
    article = "an" if role[0] in "aeiou" else "a"
    click.echo(f"Created {article} {role} account. They set up their authenticator app at first sign-in.")


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
    click.echo(f"Reminded {counted(len(names), 'provider')}." + (f" ({', '.join(names)})" if names else ""))


@subject_access_cli.command(
    "export",
    help="Write the subject-access pack (HTML and JSON in one zip) for the referrals that match into DIR. "
    "Match by --email, --phone, or --name with --dob; asks nothing; exits 1 when nothing matches.",
)
@click.option("--email", default="", help="The person's email address.")
@click.option("--phone", default="", help="The person's phone number.")
@click.option("--name", default="", help="The person's full name (with --dob).")
@click.option("--dob", default="", metavar="YYYY-MM-DD", help="The person's date of birth (with --name).")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, writable=True, path_type=Path),
    help="The folder to write the zip into.",
)
def subject_access_export_command(email: str, phone: str, name: str, dob: str, out_dir: Path) -> None:
    from hub.audit import Actor
    from hub.privacy import subject_access

    search = subject_access.Search(name.strip(), _birth_date(dob), email.strip(), phone.strip())
    operator = Actor(id=None, role="operator")
    try:
        found = subject_access.find(db.session(), current_keyring(), search)
    except subject_access.SearchRefused as error:
        raise click.UsageError(f"{error} (--name with --dob, --email or --phone).") from None
    subject_access.searched(db.session(), operator, None)
    if not found:
        click.echo("No referral matches. Nothing was written.", err=True)
        raise SystemExit(1)
    body, references = subject_access.pack(db.session(), [one.id for one in found], operator)
    target = out_dir / subject_access.file_name(references)
    with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as written:
        written.write(body)
    click.echo(f"Wrote {target} ({counted(len(references), 'referral')}): {', '.join(references)}.")
    click.echo("The referrer's details in it are marked for review before release.")


def _birth_date(typed: str) -> date | None:
    if not typed:
        return None
    try:
        return date.fromisoformat(typed.strip())
    except ValueError:
        raise click.BadParameter(
            "give the date of birth as YYYY-MM-DD, like 1994-03-14", param_hint="--dob"
        ) from None
