"""The one home of "now" and "today": UK time, working days and quarters.

The service is in England, so a day, a quarter and a working day begin and end at midnight UK time
(GMT in winter, BST in summer), whatever the server's own clock zone. Timestamps are stored in UTC
(:func:`hub.db.utcnow`); every question about dates goes through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from hub.db import utcnow

LOCAL_TIME = ZoneInfo("Europe/London")


def local(moment: datetime) -> datetime:
    """A stored (UTC) moment on the UK clock."""
    return moment.astimezone(LOCAL_TIME)


def day_of(moment: datetime) -> date:
    """The UK date of a stored moment."""
    return local(moment).date()


def today() -> date:
    """Today's date in the UK."""
    return day_of(utcnow())


def age_on(born: date, day: date) -> int:
    """How old, in whole years, someone born on ``born`` is on ``day`` (a 29 February birthday counts
    from 1 March in other years)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@lru_cache(maxsize=8)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=[year]))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (England's bank holidays are not)."""
    days, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            days += 1
    return days


def next_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def months_later(day: date, months: int) -> date:
    """The same date ``months`` calendar months later; when that month is too short for it, that
    month's last day (31 January, one month later: 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    last = following - timedelta(days=1)
    return date(year, month, min(day.day, last.day))


def answer_due(received: date, months: int = 1) -> date:
    """When a request about a person's data must be answered (the ICO's rule): ``months`` calendar
    months after the day it was received, moved to the next working day when that is a weekend or
    a bank holiday. One month at first; an extension counts from the same day, up to three."""
    return next_working_day(months_later(received, months))


MONTHS = ("January", "April", "July", "October")
LAST_MONTHS = ("March", "June", "September", "December")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def from_key(cls, key: int) -> Quarter:
        return cls(key // 10, key % 10)

    @classmethod
    def containing(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def current(cls) -> Quarter:
        """The quarter it is now, in UK time."""
        return cls.containing(today())

    @classmethod
    def of(cls, moment: datetime) -> Quarter:
        """The quarter a stored moment falls in, in UK time."""
        return cls.containing(day_of(moment))

    @classmethod
    def last_ended(cls) -> Quarter:
        return cls.current().previous()

    @classmethod
    def valid(cls, year: int, number: int) -> bool:
        return 2000 <= year <= 2100 and 1 <= number <= 4

    @property
    def key(self) -> int:
        return self.year * 10 + self.number

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * (self.number - 1) + 1, 1)

    @property
    def last_day(self) -> date:
        following = self.next().first_day
        return date.fromordinal(following.toordinal() - 1)

    @property
    def starts(self) -> datetime:
        """The first moment of the quarter (midnight UK time), in UTC."""
        return datetime.combine(self.first_day, time(), LOCAL_TIME).astimezone(UTC)

    @property
    def ends(self) -> datetime:
        """The first moment after the quarter, in UTC."""
        return self.next().starts

    @property
    def months(self) -> str:
        """The quarter's months, as people say them: "July to September 2026"."""
        return f"{MONTHS[self.number - 1]} to {LAST_MONTHS[self.number - 1]} {self.year}"

    @property
    def financial(self) -> str:
        """The council's own name for it: its financial year starts in April, so July to September 2026
        is "Q2 2026/27" and January to March 2027 is "Q4 2026/27"."""
        starts = self.year if self.number > 1 else self.year - 1
        return f"Q{(self.number - 2) % 4 + 1} {starts}/{(starts + 1) % 100:02d}"

    @property
    def label(self) -> str:
        """How every page, export and email names a quarter: "July to September 2026 (Q2 2026/27)"."""
        return f"{self.months} ({self.financial})"

    @property
    def short(self) -> str:
        """Where room is short (a chart's axis, a table's column): the financial quarter."""
        return self.financial

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def back(self, count: int) -> list[Quarter]:
        """This quarter and the ones before it, ``count`` in all, newest first."""
        found = [self]
        while len(found) < count:
            found.append(found[-1].previous())
        return found

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)


# -- retention periods ----------------------------------------------------------------------------


def midnight_before(day: date) -> datetime:
    """The moment ``day`` begins in the UK, in UTC."""
    return datetime.combine(day, time(), LOCAL_TIME).astimezone(UTC)


def months_earlier(day: date, months: int) -> date:
    """The same date ``months`` calendar months before ``day``; the month's last day where it is shorter
    (31 March less one month is 28 or 29 February), so a period counted from it is never cut short."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def as_of_moment(day: date) -> datetime:
    """The moment a question "as on ``day``" is judged at: now for today, else the end of that day."""
    return min(utcnow(), midnight_before(day + timedelta(days=1)))
