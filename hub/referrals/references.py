"""Human-friendly referral references such as ``PAS-7KQ4-M2XD``, in the alphabet of :mod:`hub.codes`."""

from __future__ import annotations

from hub.codes import readable_code

PREFIX = "PAS"


def new_reference() -> str:
    return f"{PREFIX}-{readable_code(2, 4)}"


def normalise_reference(text: str) -> str:
    """Accept what people type: any case, spaces or missing dashes."""
    compact = "".join(c for c in text.upper() if c.isalnum())
    if compact.startswith(PREFIX):
        compact = compact[len(PREFIX) :]
    if len(compact) != 8:
        return ""
    return f"{PREFIX}-{compact[:4]}-{compact[4:]}"
