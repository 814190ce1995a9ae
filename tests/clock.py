"""One fixed moment for the tests whose answers depend on the date, so that none of them changes at
midnight, at the turn of a quarter, or on a machine whose own time zone is not the UK's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

MIDDAY = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
"""A Tuesday, noon in the UK (GMT): hours from either midnight, weeks from a quarter's end."""

TODAY = MIDDAY.date()


class Clock(Protocol):
    """A test's hand on the clock that ``time_machine.travel`` gives: only what the tests use of it."""

    def shift(self, delta: timedelta | float) -> None: ...
