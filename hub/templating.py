"""Templates: the GOV.UK Frontend macros (govuk-frontend-jinja) and WTForms widgets beside the hub's own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, PackageLoader, PrefixLoader
from markupsafe import Markup, escape

from hub import calendar
from hub.config import current_config
from hub.plurals import counted, noun

SERVICE_NAME = "Post-abuse support referrals"

GOVUK_FRONTEND_FOR_MACROS = {"4.1.0": "6.3.0"}
"""The GOV.UK Frontend release each govuk-frontend-jinja release was written for (its changelog says)."""


def init_app(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            app.jinja_loader,  # type: ignore[list-item]
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    app.context_processor(_service)
    app.jinja_env.filters["uk_date"] = uk_date
    app.jinja_env.filters["uk_time"] = uk_time
    app.jinja_env.filters["uk_when"] = uk_when
    app.jinja_env.filters["counted"] = counted
    app.jinja_env.filters["noun"] = noun
    app.jinja_env.filters["typed_lines"] = typed_lines


def uk_date(value: date | datetime, style: str = "%-d %B %Y") -> str:
    """A date as people in the UK read it; a stored (UTC) moment is first put on the UK clock."""
    return (calendar.local(value) if isinstance(value, datetime) else value).strftime(style)


def uk_time(value: datetime) -> str:
    """A stored moment in words, on the UK clock, as GOV.UK writes times: "3 March 2026 at 2:15pm" (and
    midday and midnight by name)."""
    moment = calendar.local(value)
    if (moment.hour, moment.minute) in {(0, 0), (12, 0)}:
        clock = "midnight" if moment.hour == 0 else "midday"
    else:
        clock = f"{(moment.hour + 11) % 12 + 1}:{moment.minute:02d}{'am' if moment.hour < 12 else 'pm'}"
    return f"{moment.day} {moment:%B %Y} at {clock}"


def uk_when(value: datetime | None, never: str = "Never") -> str:
    """``uk_time``, or ``never`` for a moment that has not happened (an account never signed in)."""
    return never if value is None else uk_time(value)


def _service() -> dict[str, Any]:
    config = current_config()
    return {"council_name": config.council_name, "service_name": SERVICE_NAME, "hub_config": config}


NOT_GIVEN = "Not given"


def typed_lines(text: str) -> Markup:
    """Text as someone typed it, every character escaped: blank lines part paragraphs, single line
    breaks stay as breaks. The first line starts where the element starts (no leading break), so a
    summary list's value sits level with its label."""
    paragraphs = [p.strip("\n") for p in str(text).replace("\r\n", "\n").split("\n\n")]
    shown = [Markup("<br>").join(escape(line) for line in p.split("\n")) for p in paragraphs if p.strip()]
    if len(shown) <= 1:
        return shown[0] if shown else Markup("")
    return Markup("").join(Markup('<p class="govuk-body">{}</p>').format(p) for p in shown)


def summary_value(value: str | Sequence[str]) -> dict[str, Any]:
    """A GOV.UK summary list value: choices as a bulleted list (one choice as plain text), typed text
    with its line breaks kept, and "Not given" for nothing. The one place answers are shaped for
    check-answers, the triage team's referral page and a provider's case page."""
    if isinstance(value, str):
        if not value.strip():
            return {"text": NOT_GIVEN}
        return {"html": typed_lines(value)} if "\n" in value else {"text": value}
    items = [str(item) for item in value if str(item).strip()]
    if len(items) <= 1:
        return {"text": items[0] if items else NOT_GIVEN}
    bullets = Markup("").join(Markup("<li>{}</li>").format(item) for item in items)
    return {"html": Markup('<ul class="govuk-list govuk-list--bullet">{}</ul>').format(bullets)}
