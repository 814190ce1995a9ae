"""Typed settings, read once at start-up from the environment and ``instance/config.py``.

Every setting has a ``HUB_*`` name. The environment wins over ``instance/config.py``, which
``flask --app hub init`` writes. A missing secret stops start-up with a sentence that says what
to set; there is no fallback secret.
"""

from __future__ import annotations

import os
import re
import runpy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The hub cannot start with the settings it was given."""


WHITE_TEXT_CONTRAST_NEEDED = 4.5
"""WCAG 2.2 AA for normal text: the header's white text must read on the council's colour."""


def white_text_contrast(colour: str) -> float:
    """The WCAG contrast ratio of white text on ``colour`` (``#rrggbb``), from relative luminance."""

    def linear(pair: str) -> float:
        value = int(pair, 16) / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(colour[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


def _check_brand_colour(colour: str) -> None:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
        raise ConfigError(f"HUB_BRAND_COLOUR must be a colour like #1d70b8, not {colour[:20]!r}.")
    ratio = white_text_contrast(colour)
    if ratio < WHITE_TEXT_CONTRAST_NEEDED:
        shown = int(ratio * 100) / 100  # never rounded up to a pass
        raise ConfigError(
            f"HUB_BRAND_COLOUR {colour} is too light: white text on it has a contrast ratio of "
            f"{shown:.2f}:1, and it needs at least {WHITE_TEXT_CONTRAST_NEEDED}:1. "
            "Choose a darker colour, like #1d70b8."
        )


def _check_feedback(settings: Mapping[str, Any]) -> None:
    for name, least in (("HUB_FEEDBACK_CODE_DAYS", 1), ("HUB_FEEDBACK_MIN_RESPONSES", 2)):
        given = str(settings.get(name) or "").strip()
        if given and not (given.isascii() and given.isdigit() and int(given) >= least):
            raise ConfigError(f"{name} must be a whole number, {least} or more, not {given[:20]!r}.")


def current_config() -> Config:
    """The running app's settings."""
    from flask import current_app

    config: Config = current_app.extensions["hub.config"]
    return config


def default_instance_path() -> Path:
    """Where local config, keys and the SQLite database live unless ``HUB_INSTANCE_PATH`` says."""
    return Path(os.environ.get("HUB_INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


OPTIONAL_SETTINGS = (
    "exit_url",
    "council_name",
    "mail_from",
    "trs_email",
    "public_url",
    "brand_colour",
    "mash_contact",
    "data_protection_contact",
    "ratelimit_storage_uri",
    "form_rate_limit",
    "public_form_rate_limit",
    "form_session_rate_limit",
    "overall_rate_limit",
    "status_rate_limit",
    "trusted_proxies",
    "idle_timeout_minutes",
    "overdue_working_days",
    "suppression_threshold",
    "return_reminder_days",
    "absolute_timeout_hours",
    "inactive_account_days",
    "mail_folder",
    "feedback_code_days",
    "feedback_min_responses",
)
"""Settings with a default, each read from ``HUB_<NAME>``."""


@dataclass(frozen=True)
class Config:
    secret_key: str
    database_url: str
    key_file: Path
    instance_path: Path
    smtp_url: str | None = None
    # The certificate authority of a private mail relay; when set, only it is trusted for mail.
    smtp_ca_file: Path | None = None
    exit_url: str = "https://www.bbc.co.uk/weather"
    council_name: str = "Rotherham Metropolitan Borough Council"
    secure_cookies: bool = True
    testing: bool = False
    mail_from: str = "referrals@localhost"
    # The triage team's shared mailbox; without it, each allocator's account is emailed.
    trs_email: str = ""
    public_url: str = "http://127.0.0.1:5000"
    brand_colour: str = "#0b0c0c"
    mash_contact: str = "the council's Multi Agency Safeguarding Hub (MASH)"
    # How a person reaches the council's data protection officer, in the privacy notice's words.
    data_protection_contact: str = "the council's data protection officer, through the council's website"
    ratelimit_storage_uri: str = "memory://"
    # Staff sign-in posts per address.
    form_rate_limit: str = "30 per minute;300 per hour"
    # Public form posts per address: generous, as a council office or a library shares one address.
    public_form_rate_limit: str = "300 per minute;3000 per hour"
    # Public form posts per form session (one person's journey), so one person cannot use up the office's.
    form_session_rate_limit: str = "20 per minute;200 per hour"
    overall_rate_limit: str = "3000 per minute"
    status_rate_limit: str = "10 per minute;40 per hour"
    trusted_proxies: int = 0
    idle_timeout_minutes: int = 30
    overdue_working_days: int = 5
    # Published counts from 1 to this are shown as "*" (hub.kpi.disclosure, for /pathway and exports).
    suppression_threshold: int = 7
    # Days after a quarter ends before a provider with no submitted return is reminded.
    return_reminder_days: int = 14
    absolute_timeout_hours: int = 12
    # Staff accounts with no sign-in for this many days are listed for disabling at /admin/users/inactive.
    inactive_account_days: int = 90
    # With no HUB_SMTP_URL, `outbox send` writes each email as a file in this folder (relative to
    # instance/); for a local instance only, as the files hold addresses in the clear. Empty: off.
    mail_folder: str = ""
    # Days a survivor's feedback code works for, from the day it is given.
    feedback_code_days: int = 60
    # Providers see a quarter's feedback only once it has this many responses, so no one is recognised.
    feedback_min_responses: int = 5
    # The HUB_* names that were given a value (so `check` can tell "set" from "left at the default").
    given: frozenset[str] = field(default=frozenset(), compare=False)

    @classmethod
    def load(cls, instance_path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
        """Read ``instance/config.py`` then the environment; raise ConfigError naming what is missing."""
        instance = (instance_path or default_instance_path()).resolve()
        env = os.environ if environ is None else environ
        settings: dict[str, Any] = {}
        config_file = instance / "config.py"
        if config_file.is_file():
            settings.update(
                {k: v for k, v in runpy.run_path(str(config_file)).items() if k.startswith("HUB_")}
            )
        settings.update({k: v for k, v in env.items() if k.startswith("HUB_")})

        secret_key = str(settings.get("HUB_SECRET_KEY") or "")
        if len(secret_key) < 32:
            raise ConfigError(
                "HUB_SECRET_KEY is not set (or is shorter than 32 characters): "
                "run `flask --app hub init` or set HUB_SECRET_KEY in the environment."
            )
        _check_brand_colour(str(settings.get("HUB_BRAND_COLOUR") or cls.brand_colour))
        _check_feedback(settings)
        key_file = Path(settings.get("HUB_KEY_FILE") or instance / "keys.json")
        if not key_file.is_absolute():
            key_file = instance / key_file
        smtp_ca_file = Path(settings["HUB_SMTP_CA_FILE"]) if settings.get("HUB_SMTP_CA_FILE") else None
        if smtp_ca_file is not None and not smtp_ca_file.is_absolute():
            smtp_ca_file = instance / smtp_ca_file
        if smtp_ca_file is not None and not smtp_ca_file.is_file():
            raise ConfigError(
                f"HUB_SMTP_CA_FILE names {smtp_ca_file}, which is not a file: "
                "set it to the certificate (PEM) of the authority that signed the mail relay's certificate."
            )
        return cls(
            secret_key=secret_key,
            database_url=str(settings.get("HUB_DATABASE_URL") or f"sqlite:///{instance / 'hub.sqlite3'}"),
            key_file=key_file,
            instance_path=instance,
            smtp_url=settings.get("HUB_SMTP_URL") or None,
            smtp_ca_file=smtp_ca_file,
            secure_cookies=_flag(settings.get("HUB_SECURE_COOKIES", True)),
            given=frozenset(name for name, value in settings.items() if value not in (None, "")),
            **{
                name: type(getattr(cls, name))(settings[f"HUB_{name.upper()}"])
                for name in OPTIONAL_SETTINGS
                if settings.get(f"HUB_{name.upper()}") not in (None, "")
            },
        )
