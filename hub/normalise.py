"""Normalising values before a blind index is made of them, so that equal values find each other."""

from __future__ import annotations

import re
import unicodedata


def normalise_name(name: str) -> str:
    """Case, accents, punctuation and spacing do not make two names different."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s]", " ", letters).split())


def normalise_email(email: str) -> str:
    return email.strip().casefold()


def normalise_phone(phone: str) -> str:
    """UK numbers: ``+44 7700 900123`` and ``07700900123`` are the same number."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("0044"):
        digits = "0" + digits[4:]
    elif digits.startswith("44") and phone.strip().startswith("+"):
        digits = "0" + digits[2:]
    return digits
