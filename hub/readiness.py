"""``flask --app hub check``: what a council must still set before go-live, each with where to set it.

Every finding is either ready or missing; a missing one says what to set and where. It reads the
settings and the key file only: it changes nothing and opens no sealed value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from hub.config import Config
from hub.outbox import MailSettingsError, transport_from_url

WHERE = "in the environment or instance/config.py"
# Words a made-up secret starts with; a random one starts so only by a chance too small to matter.
PLACEHOLDER = re.compile(
    r"(change[-_ ]?me|dev|development|test|testing|secret|example|insecure|default|password)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Finding:
    ready: bool
    what: str
    said: str
    """When ready, what is set; when missing, what to set and where."""


def findings(config: Config) -> list[Finding]:
    return [check(config) for check in CHECKS]


def _mail_server(config: Config) -> Finding:
    what = "Mail server"
    if not config.smtp_url:
        return Finding(False, what, f"set HUB_SMTP_URL {WHERE}, e.g. smtp://relay.internal:25")
    try:
        transport = transport_from_url(config.smtp_url, ca_file=config.smtp_ca_file)
    except MailSettingsError as error:
        return Finding(False, what, str(error))
    return Finding(True, what, f"HUB_SMTP_URL sends through {transport.host}:{transport.port}")


def _no_mail_folder(config: Config) -> Finding:
    what = "Emails as files"
    if config.mail_folder:
        return Finding(
            False,
            what,
            "remove HUB_MAIL_FOLDER from the environment and instance/config.py: it is for a local instance"
            " (its files hold addresses)",
        )
    return Finding(True, what, "off (HUB_MAIL_FOLDER is empty)")


def _given(name: str, what: str, value: Callable[[Config], str], hint: str) -> Callable[[Config], Finding]:
    def check(config: Config) -> Finding:
        if name in config.given:
            return Finding(True, what, f"{name} is {value(config)}")
        return Finding(False, what, f"set {name} {WHERE}: {hint}")

    return check


def _public_address(config: Config) -> Finding:
    what = "Public address"
    url = urlsplit(config.public_url)
    if "HUB_PUBLIC_URL" not in config.given:
        hint = "the address people use, e.g. https://referrals.council.example (links in emails)"
        return Finding(False, what, f"set HUB_PUBLIC_URL {WHERE}: {hint}")
    if url.scheme != "https" or url.hostname in {"localhost", "127.0.0.1", "::1", None}:
        return Finding(False, what, f"HUB_PUBLIC_URL must start https:// and name the public host {WHERE}")
    return Finding(True, what, f"HUB_PUBLIC_URL is {config.public_url}")


def _secure_cookies(config: Config) -> Finding:
    what = "Secure cookies"
    if not config.secure_cookies:
        return Finding(
            False,
            what,
            f"HUB_SECURE_COOKIES is off: set it to True (or remove it) {WHERE}, and serve over https",
        )
    return Finding(True, what, "on: cookies are sent over https only")


def _key_file(config: Config) -> Finding:
    what = "Key file"
    try:
        mode = config.key_file.stat().st_mode & 0o777
    except OSError:
        return Finding(
            False, what, f"{config.key_file} cannot be read: run `flask --app hub init` or set HUB_KEY_FILE"
        )
    if mode & 0o077:
        return Finding(False, what, f"{config.key_file} can be read by others: chmod 600 {config.key_file}")
    return Finding(True, what, f"{config.key_file} can be read by its owner only")


def _secret_key(config: Config) -> Finding:
    what = "Secret key"
    key = config.secret_key
    if len(set(key)) < 16 or PLACEHOLDER.match(key):
        hint = "a new random value, e.g. from: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        return Finding(False, what, f"HUB_SECRET_KEY looks like a placeholder: set it {WHERE} to {hint}")
    return Finding(True, what, "HUB_SECRET_KEY looks random")


def _database(config: Config) -> Finding:
    what = "Database"
    if config.database_url.startswith("sqlite"):
        hint = "e.g. postgresql+psycopg://hub@db.internal/hub (SQLite is for trying the hub)"
        return Finding(False, what, f"set HUB_DATABASE_URL {WHERE} to PostgreSQL, {hint}")
    return Finding(True, what, f"{urlsplit(config.database_url).scheme} (not SQLite)")


CHECKS: list[Callable[[Config], Finding]] = [
    _mail_server,
    _no_mail_folder,
    _given(
        "HUB_COUNCIL_NAME",
        "Council name",
        lambda c: c.council_name,
        "the council's name, shown in every page's header",
    ),
    _public_address,
    _given(
        "HUB_MASH_CONTACT",
        "MASH contact",
        lambda c: c.mash_contact,
        "how to reach your Multi Agency Safeguarding Hub, shown to referrals about under-18s",
    ),
    _given(
        "HUB_DATA_PROTECTION_CONTACT",
        "Data protection contact",
        lambda c: c.data_protection_contact,
        "how a person reaches your data protection officer, shown in the privacy notice",
    ),
    _secure_cookies,
    _key_file,
    _secret_key,
    _database,
]
