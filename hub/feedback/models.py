"""Feedback codes (a keyed hash, the provider and an expiry day) and the answers given with them.

An answer row holds the provider, the quarter it was given in, the answers as short words the
database counts, and the free text sealed. It has no time, no code and no case: nothing in it, or
in any other table, says whose answer it is.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date

from sqlalchemy import Enum, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, SealedRowMixin
from hub.sealed import Sealed


class FeedbackCode(Base):
    """A code not used yet. Using it deletes this row in the transaction that stores the answers."""

    __tablename__ = "feedback_code"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # HMAC-SHA256 of the normalised code under the key file's index key (Keyring.blind_index).
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="RESTRICT"), index=True)
    # The last day the code works (a day, no time of day).
    expires_on: Mapped[date] = mapped_column(index=True)


class Answer(enum.StrEnum):
    """Every answer a question offers; each question offers three of the first six and "rather not say"."""

    YES = "yes"
    A_LITTLE = "a_little"
    SOMETIMES = "sometimes"
    PARTLY = "partly"
    MAYBE = "maybe"
    NO = "no"
    RATHER_NOT_SAY = "rather_not_say"


def _answer() -> Enum:
    return Enum(Answer, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class FeedbackResponse(SealedRowMixin, Base):
    """One person's answers. None for a question left blank."""

    __tablename__ = "feedback_response"
    __table_args__ = (Index("ix_feedback_response_provider_quarter", "provider_id", "quarter"),)

    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="RESTRICT"))
    # The quarter the answers were given in, as year * 10 + quarter (20264: October to December 2026).
    quarter: Mapped[int]
    felt_safer: Mapped[Answer | None] = mapped_column(_answer())
    listened_to: Mapped[Answer | None] = mapped_column(_answer())
    in_control: Mapped[Answer | None] = mapped_column(_answer())
    satisfied: Mapped[Answer | None] = mapped_column(_answer())
    recommend: Mapped[Answer | None] = mapped_column(_answer())
    anything_else = Sealed(str)
