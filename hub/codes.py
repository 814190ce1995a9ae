"""Codes that people read aloud, write down or copy: references, recovery codes, one-off passwords.

The alphabet leaves out characters that are easy to confuse when read aloud or written down
(0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V).
"""

from __future__ import annotations

import secrets

ALPHABET = "34679ACDEFGHJKMNPQRTWXY"


def readable_code(groups: int, size: int) -> str:
    """``groups`` groups of ``size`` random characters from :data:`ALPHABET`, joined by dashes."""
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(size)) for _ in range(groups))
