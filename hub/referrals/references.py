"""Human-friendly referral references such as ``PAS-7KQ4-M2XD``.

The alphabet leaves out characters that are easy to confuse when read aloud or written down
(0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V).
"""

from __future__ import annotations

import secrets

ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
PREFIX = "PAS"


def new_reference() -> str:
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(4)) for _ in range(2))
    return "-".join([PREFIX, *groups])


def normalise_reference(text: str) -> str:
    """Accept what people type: any case, spaces or missing dashes."""
    compact = "".join(c for c in text.upper() if c.isalnum())
    if compact.startswith(PREFIX):
        compact = compact[len(PREFIX) :]
    if len(compact) != 8:
        return ""
    return f"{PREFIX}-{compact[:4]}-{compact[4:]}"
