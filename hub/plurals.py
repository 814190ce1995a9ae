"""Counts in words that read right: "1 provider", "2 providers", "1,200 values".

The one home of plurals for command output, banners and templates (the ``counted`` filter).
"""

from __future__ import annotations

IRREGULAR = {"person": "people", "entry": "entries", "batch": "batches"}


def plural(singular: str) -> str:
    """The plural of a noun or a short phrase that ends in one ("new referral" → "new referrals").

    A phrase whose noun is not last ("page of answers") is given its plural by the caller.
    """
    before, _, noun = singular.rpartition(" ")
    if noun in IRREGULAR:
        many = IRREGULAR[noun]
    elif noun.endswith("y") and noun[-2:-1] not in tuple("aeiou"):
        many = noun[:-1] + "ies"
    elif noun.endswith(("s", "x", "ch", "sh")):
        many = noun + "es"
    else:
        many = noun + "s"
    return f"{before} {many}" if before else many


def noun(number: int, singular: str, plural_form: str | None = None) -> str:
    """The noun alone, for a page that shows the number apart (large): ``noun(2, "account")``."""
    return singular if number == 1 else plural_form or plural(singular)


def counted(number: int, singular: str, plural_form: str | None = None) -> str:
    """``number`` and the noun, singular for exactly one: ``counted(2, "provider")`` is "2 providers"."""
    return f"{number:,} {noun(number, singular, plural_form)}"
