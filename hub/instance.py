"""``flask --app hub init``: make ``instance/`` (config with a new secret, a new key file) and migrate.

It is registered as a Flask plugin command, so it runs before the app can be built: building the
app needs the secret and the key file that this command creates.
"""

from __future__ import annotations

import os
import secrets

import click

from hub.config import Config, default_instance_path


@click.command(
    "init", help="Create instance/ config and keys if missing, and migrate to the newest revision."
)
def init_command() -> None:
    from hub import create_app, db
    from hub.cli import seal_plain_values
    from hub.keyring import Keyring
    from hub.migrate import upgrade

    instance = default_instance_path()
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    instance.chmod(0o700)  # it holds the secret, the keys and the embedded database
    config_file = instance / "config.py"
    if not config_file.exists() and not os.environ.get("HUB_SECRET_KEY"):
        fd = os.open(config_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(
                "# Local settings for the hub, written by `flask --app hub init`. Never commit this file.\n"
                "# Any HUB_* setting may go here; the environment overrides it.\n"
                f"HUB_SECRET_KEY = {secrets.token_urlsafe(48)!r}\n"
                "HUB_SECURE_COOKIES = False  # local http only; leave True (the default) in production\n"
                "HUB_MAIL_FOLDER = 'mail'  # local only: emails as .eml files when HUB_SMTP_URL is unset\n"
            )
        click.echo(f"Wrote {config_file} with a new secret key.")

    config = Config.load(instance)
    if not config.key_file.exists():
        Keyring.create(config.key_file)
        click.echo(
            f"Wrote a new key file to {config.key_file} (mode 0600). Back it up: without it, "
            "sealed values cannot be read."
        )

    app = create_app(config)
    with app.app_context():
        engine = db.database().engine
        with engine.begin() as connection:
            upgrade(connection)
        click.echo("The database is at the newest revision.")
        seal_plain_values(only_if_any=True)  # what older releases kept plain; needs the key file
        db.session().close()
        engine.dispose()
