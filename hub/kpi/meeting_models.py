"""The joint performance meeting's record for a quarter, and the actions agreed at it.

Organisations (who attended, who owns an action) are named by a short key: ``trs``, ``commissioners``
or ``provider-<id>`` (see hub/kpi/meeting.py). The notes and what each action asks are free text and
may mention people, so they are sealed; dates, keys and statuses are plain, as the pack counts them.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Enum, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, Created, SealedRowMixin, UTCDateTime, utcnow
from hub.sealed import Sealed


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"

    @property
    def label(self) -> str:
        return {"open": "Open", "in_progress": "In progress", "done": "Done"}[self.value]


class MeetingRecord(SealedRowMixin, Base):
    """One quarter's meeting: when it was held, which organisations came, and the notes."""

    __tablename__ = "meeting_record"

    quarter: Mapped[int] = mapped_column(unique=True)
    held_on: Mapped[date | None]
    attended: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes = Sealed(str)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class MeetingAction(SealedRowMixin, Base):
    """An action agreed at the meeting about ``raised_in``; carried to each later quarter's record until
    it is done (``done_in`` is the quarter whose record marked it done). Its ``progress`` is the action's
    status (open, in progress, done), named apart from a referral's status, which only the timeline sets."""

    __tablename__ = "meeting_action"

    raised_in: Mapped[int] = mapped_column(index=True)
    what = Sealed(str)
    owner: Mapped[str] = mapped_column(String(40))
    due_on: Mapped[date]
    progress: Mapped[ActionStatus] = mapped_column(
        Enum(ActionStatus, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e]),
        default=ActionStatus.OPEN,
    )
    done_in: Mapped[int | None]
    created_at: Mapped[Created]
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
