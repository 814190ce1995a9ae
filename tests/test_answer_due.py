"""When a request about a person's data must be answered: one calendar month (the ICO's rule), the
month's last day when the month is too short, and the next working day after a weekend or bank holiday."""

from __future__ import annotations

from datetime import date

import pytest

from hub.calendar import answer_due, months_later, next_working_day


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2027, 1, 31), date(2027, 3, 1)),  # 28 February 2027 is a Sunday: Monday 1 March
        (date(2027, 1, 29), date(2027, 3, 1)),  # no 29 February in 2027; the 28th is a Sunday
        (date(2028, 1, 31), date(2028, 2, 29)),  # a leap year: Tuesday 29 February
        (date(2027, 3, 31), date(2027, 4, 30)),  # April has no 31st: Friday 30 April
        (date(2026, 11, 25), date(2026, 12, 29)),  # Christmas, a Saturday, the Boxing Day holiday
        (date(2026, 11, 3), date(2026, 12, 3)),  # an ordinary Thursday stays
        (date(2026, 12, 15), date(2027, 1, 15)),  # across the new year
        (date(2027, 4, 3), date(2027, 5, 4)),  # 3 May 2027 is the early May bank holiday
    ],
)
def test_one_calendar_month_then_the_next_working_day(received: date, due: date) -> None:
    assert answer_due(received) == due


def test_the_same_date_next_month_or_the_last_day_of_a_short_month() -> None:
    assert months_later(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert months_later(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert months_later(date(2027, 3, 31), 1) == date(2027, 4, 30)
    assert months_later(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert months_later(date(2026, 12, 31), 1) == date(2027, 1, 31)


def test_an_extension_counts_from_the_day_received_not_from_the_first_due_date() -> None:
    # 31 January + 3 months is 30 April (not 28 February + 2 months, 28 April).
    assert answer_due(date(2027, 1, 31), 3) == date(2027, 4, 30)
    assert answer_due(date(2026, 11, 30), 3) == date(2027, 3, 1)  # 28 February 2027 is a Sunday


def test_a_working_day_is_its_own_next_working_day() -> None:
    assert next_working_day(date(2026, 12, 3)) == date(2026, 12, 3)
    assert next_working_day(date(2026, 12, 25)) == date(2026, 12, 29)
