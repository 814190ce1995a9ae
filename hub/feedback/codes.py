"""Single-use feedback codes: made when a case closes (or at a review point), used once on ``/feedback``.

A code is 12 characters from the readable alphabet (``hub.codes``: 23 characters, so about 54 bits),
shown in three groups of four. Only its keyed hash is kept (HMAC-SHA256 under the key file's index
key, as status codes are), with the provider and the last day it works: never the case it came from.
Using a code deletes it in the same transaction that stores the answers, so it works once and no
row is left that ties the answers to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hub import calendar
from hub.codes import ALPHABET, readable_code
from hub.config import current_config
from hub.db import committed
from hub.feedback.models import Answer, FeedbackCode, FeedbackResponse
from hub.feedback.questions import QUESTIONS
from hub.keyring import current_keyring

GROUPS, SIZE = 3, 4
LENGTH = GROUPS * SIZE


class CodeNotAccepted(Exception):
    """The code is not one the hub holds now: mistyped, used already, or past its last day.

    One message for every cause, so trying codes teaches nothing."""

    def __str__(self) -> str:
        days = current_config().feedback_code_days
        return (
            "We could not use that code. Check it and try again: it has 12 letters and numbers, like "
            f"7KQ4-MWXD-9PRT. A code works once, for {days} days after it was given. If yours still does "
            "not work, you can tell the organisation that supported you what you think in another way, "
            "or ask them for help."
        )


def normalise(typed: str) -> str:
    """What was typed, as the code is kept: capitals, no spaces or dashes (``7kq4 m2xd-9prt``)."""
    return "".join(c for c in typed.upper() if c.isascii() and c.isalnum())


def well_formed(typed: str) -> bool:
    code = normalise(typed)
    return len(code) == LENGTH and all(c in ALPHABET for c in code)


def _hash(code: str) -> str:
    return current_keyring().blind_index("feedback_code", normalise(code))


def issue(db: Session, provider_id: int) -> str:
    """A new code for a person the provider supported, returned in plain to be given to them once.

    Joins the caller's transaction (the case's closing), so no code exists for a change not saved."""
    code = readable_code(GROUPS, SIZE)
    expires_on = calendar.today() + timedelta(days=current_config().feedback_code_days)
    with committed(db):
        db.add(FeedbackCode(code_hash=_hash(code), provider_id=provider_id, expires_on=expires_on))
    return code


def _usable(db: Session, code: str, *, lock: bool = False) -> FeedbackCode:
    if not well_formed(code):
        raise CodeNotAccepted
    query = select(FeedbackCode).where(FeedbackCode.code_hash == _hash(code))
    found = db.scalar(query.with_for_update() if lock else query)
    if found is None or found.expires_on < calendar.today():
        raise CodeNotAccepted
    return found


def check(db: Session, code: str) -> None:
    """Raise :class:`CodeNotAccepted` unless the code can be used now. Changes nothing."""
    _usable(db, code)


def usable(db: Session, code: str) -> bool:
    try:
        _usable(db, code)
    except CodeNotAccepted:
        return False
    return True


@dataclass(frozen=True)
class Answers:
    """What the person chose for each question (None: left blank), and anything else they wrote."""

    chosen: dict[str, Answer | None]
    anything_else: str = ""


def redeem(db: Session, code: str, answers: Answers) -> None:
    """Store the answers and delete the code, together: a second use finds no code and stores nothing."""
    with committed(db):
        found = _usable(db, code, lock=True)
        gone = db.execute(delete(FeedbackCode).where(FeedbackCode.id == found.id))
        if getattr(gone, "rowcount", 1) != 1:  # used at the same moment in another request
            raise CodeNotAccepted
        response = FeedbackResponse(
            provider_id=found.provider_id,
            quarter=calendar.Quarter.current().key,
            **{q.name: answers.chosen.get(q.name) for q in QUESTIONS},
        )
        response.anything_else = answers.anything_else.strip() or None
        db.add(response)


def expired(db: Session, as_of: date) -> int:
    """How many codes stopped working before ``as_of``."""
    return (
        db.scalar(select(func.count()).select_from(FeedbackCode).where(FeedbackCode.expires_on < as_of)) or 0
    )


def remove_expired(db: Session, as_of: date) -> int:
    """Delete the codes that stopped working before ``as_of`` (``retention purge``); how many."""
    with committed(db):
        gone = db.execute(delete(FeedbackCode).where(FeedbackCode.expires_on < as_of))
    return int(getattr(gone, "rowcount", 0) or 0)
