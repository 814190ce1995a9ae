"""The joint meeting's forms: sharing a quarter, the record, a new action, an action's status.

Choices (organisations) are built on the server for the quarter each time a form comes back, so only
what was offered can be chosen; the services check again.
"""

from __future__ import annotations

from typing import Any

from wtforms.validators import StopValidation

from hub.calendar import Quarter
from hub.forms import StaffForm, checkboxes, options, radios, required, text
from hub.kpi.meeting_models import ActionStatus
from hub.posted import WholeNumberField
from hub.referrals.intake_forms import DateOfBirthField

STATUSES = [(s.value, s.label) for s in ActionStatus]


class QuarterForm(StaffForm):
    """Share a quarter for the meeting, or stop sharing it: the quarter's key (20263)."""

    quarter = WholeNumberField("Quarter", validators=[required("Choose a quarter")])

    def chosen(self) -> Quarter | None:
        key = self.quarter.data
        if key is None or not Quarter.valid(key // 10, key % 10):
            return None
        return Quarter.from_key(key)


class RecordForm(StaffForm):
    held_on = DateOfBirthField(
        "Date the meeting was held (optional)",
        today_allowed=True,
        called="The date the meeting was held",
        description="For example, 14 10 2026",
    )
    attended = checkboxes("Who attended (optional)", [])
    notes = text("Notes (optional)", hint="What was discussed. Do not name people who use the services.")

    def __init__(self, quarter: Quarter, organisations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.meeting_quarter = quarter
        self.attended.choices = options(organisations)

    def validate_held_on(self, field: DateOfBirthField) -> None:
        if field.data is not None and field.data <= self.meeting_quarter.last_day:
            ended = f"{self.meeting_quarter.last_day:%-d %B %Y}"
            raise StopValidation(f"The date the meeting was held must be after the quarter ended on {ended}")


class ActionForm(StaffForm):
    what = text(
        "What is to be done",
        required("Enter what is to be done"),
        called="What is to be done",
        hint="Do not name people who use the services.",
    )
    owner = radios("Who owns the action", [], required("Choose who owns the action"))
    due_on = DateOfBirthField(
        "Due date",
        required_message="Enter the date the action is due",
        called="The due date",
        future_allowed=True,
        description="For example, 31 1 2027",
    )

    def __init__(self, organisations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.owner.choices = options(organisations)


class StatusForm(StaffForm):
    status = radios("Status", STATUSES, required("Choose the action's status"))
