"""The registry of validated outcome measures: each measure's shape, scoring and thresholds, as data.

No question's wording is ever stored: a provider gives the questionnaire under its own licence and
enters the item scores. Thresholds are data with their citation (``source``), so a council can correct
them; every change is audited (hub.measures.registry).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, Created, UTCDateTime


class Total(enum.StrEnum):
    """How the total is made: the item scores added up, or their sum converted through a table."""

    SUM = "sum"
    TABLE = "table"


class OutcomeMeasure(Base):
    """One questionnaire: how many items, the one score range every item shares, which items are
    reverse-scored and which ask about risk, how the total is made, and when a person is in the clinical
    range and what change counts as reliable (Jacobson and Truax, 1991).

    One range for every item is enough for the measures a council uses (CORE-10, PHQ-9, GAD-7,
    SWEMWBS); a measure whose items differ in range cannot be held here.
    """

    __tablename__ = "outcome_measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    version: Mapped[str] = mapped_column(String(40), default="")
    item_count: Mapped[int]
    item_min: Mapped[int]
    item_max: Mapped[int]
    # Item numbers (from 1): reverse-scored items count as ``item_max + item_min - answer``.
    reverse_items: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Item numbers whose answer above the lowest score shows the risk alert on the case page.
    risk_items: Mapped[list[int]] = mapped_column(JSON, default=list)
    total: Mapped[Total] = mapped_column(
        Enum(Total, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e]),
        default=Total.SUM,
    )
    # For ``Total.TABLE``: the raw sum (as text, a JSON object's keys) to the score it converts to.
    conversion: Mapped[dict[str, float] | None] = mapped_column(JSON)
    # In the clinical range at or above the cut-off when a higher score is worse, below it otherwise.
    higher_is_worse: Mapped[bool] = mapped_column(default=True)
    clinical_cutoff: Mapped[float] = mapped_column(Float)
    # The smallest change of the total that counts as reliable.
    reliable_change: Mapped[float] = mapped_column(Float)
    licence: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[Created]
    # A retired measure is offered for no new record; records made with it keep it.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.retired_at is None

    @property
    def lowest(self) -> float:
        """The lowest total the measure can give."""
        return min(self.totals())

    @property
    def highest(self) -> float:
        return max(self.totals())

    def totals(self) -> list[float]:
        """Every total the measure can give (for a table, the converted scores)."""
        sums = range(self.item_count * self.item_min, self.item_count * self.item_max + 1)
        if self.total is Total.TABLE:
            table = self.conversion or {}
            return [float(table[str(s)]) for s in sums if str(s) in table] or [0.0]
        return [float(s) for s in sums]

    def totals_text(self) -> str:
        """The totals it can give, in words: "0 to 40"."""
        return f"{number_text(self.lowest)} to {number_text(self.highest)}"

    @property
    def reliable_change_text(self) -> str:
        return number_text(self.reliable_change)

    @property
    def cutoff_text(self) -> str:
        return number_text(self.clinical_cutoff)

    def describe_range(self) -> str:
        """The clinical range in words: "11 or more", "below 19.3"."""
        cutoff = number_text(self.clinical_cutoff)
        return f"{cutoff} or more" if self.higher_is_worse else f"below {cutoff}"


def number_text(value: Any) -> str:
    """A score as people write it: whole numbers without a decimal point, others to two places at most."""
    number = float(value)
    if number.is_integer():
        return str(int(number))
    return f"{number:.2f}".rstrip("0")
