"""Counts in words that read right: "1 provider", "2 providers", "1,200 values".

The one home of plurals for command output, banners and templates (the ``counted`` filter).
"""

from __future__ import annotations

IRREGULAR = {"person": "people", "entry": "entries", "batch": "batches", "this": "these", "is": "are"}


def plural(singular: str) -> str:
    """The plural of a noun the hub counts (every word of a phrase is not changed, only the first)."""
    first, _, rest = singular.partition(" ")
    many = IRREGULAR.get(first) or (
        first[:-1] + "ies"
        if first.endswith("y") and first[-2:-1] not in "aeiou"
        else first + "es"
        if first.endswith(("s", "x", "ch", "sh"))
        else first + "s"
    )
    return f"{many} {rest}" if rest else many


def counted(number: int, singular: str, plural_form: str | None = None) -> str:
    """``number`` and the noun, singular for exactly one: ``counted(2, "provider")`` is "2 providers"."""
    noun = singular if number == 1 else plural_form or plural(singular)
    return f"{number:,} {noun}"
