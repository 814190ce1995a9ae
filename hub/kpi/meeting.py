"""The quarterly joint performance meeting: sharing a quarter's joint return with the triage team and
the providers, the meeting's record, and its actions carried forward until done.

A quarter is shared by a commissioner (and can stop being shared); until then, and after, the
triage team and the providers cannot open its joint view, record or pack. Each quarter's record
lists the actions raised at its meeting and every earlier action that was not yet done when it was
held, so an action is carried from record to record until one of them marks it done.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub import audit
from hub.audit import Actor
from hub.calendar import Quarter
from hub.db import committed, utcnow
from hub.kpi.charts import line_chart
from hub.kpi.expected import expected
from hub.kpi.joint import (
    JointQuarter,
    Standing,
    Trend,
    joint_quarter,
    quarters_up_to,
    reviewable_quarters,
    submitted_figures,
    trends,
)
from hub.kpi.meeting_models import ActionStatus, MeetingAction, MeetingRecord
from hub.kpi.models import KpiQuarter, Unit
from hub.kpi.returns import figure_text
from hub.kpi.targets import Judgement
from hub.providers.models import Provider

TRS, COMMISSIONERS = "trs", "commissioners"
TEAMS = {TRS: "Trauma and Resilience Service (TRS)", COMMISSIONERS: "Commissioners"}


class MeetingRefused(Exception):
    """What was asked cannot be done; the message says why, in a sentence for the person who asked."""


def provider_key(provider: Provider) -> str:
    return f"provider-{provider.id}"


def organisations(db: Session, quarter: Quarter) -> list[tuple[str, str]]:
    """Who may attend the quarter's meeting or own one of its actions: the quarter's providers, the
    triage team and the commissioners, as (key, name)."""
    return [(provider_key(p), p.name) for p in expected(db, quarter)] + list(TEAMS.items())


def names(db: Session) -> dict[str, str]:
    """Every organisation's name by key, providers that have since closed included."""
    return {**{provider_key(p): p.name for p in db.scalars(select(Provider))}, **TEAMS}


# -- sharing -----------------------------------------------------------------------------------------


def shareable(quarter: Quarter) -> bool:
    """Only a quarter that has ended, and one the joint view still offers, can be shared."""
    return quarter in reviewable_quarters()


def is_shared(db: Session, quarter: Quarter) -> bool:
    row = db.get(KpiQuarter, quarter.key)
    return row is not None and row.shared_at is not None


def sharing(db: Session, quarter: Quarter) -> KpiQuarter | None:
    """The quarter's row when it is shared for the meeting, else None."""
    row = db.get(KpiQuarter, quarter.key)
    return row if row is not None and row.shared_at is not None else None


def shared_quarters(db: Session) -> list[Quarter]:
    """Every quarter shared for the meeting, newest first."""
    keys = db.scalars(
        select(KpiQuarter.quarter)
        .where(KpiQuarter.shared_at.is_not(None))
        .order_by(KpiQuarter.quarter.desc())
    )
    return [Quarter.from_key(key) for key in keys]


def share(db: Session, actor: Actor, quarter: Quarter) -> None:
    """Open the quarter's joint view, record and pack to the triage team and the providers."""
    if not shareable(quarter):
        raise MeetingRefused(f"{quarter.label} cannot be shared: only a quarter that has ended can be.")
    try:
        with committed(db):
            row = db.get(KpiQuarter, quarter.key) or KpiQuarter(quarter=quarter.key)
            if row.shared_at is not None:
                raise MeetingRefused(f"{quarter.label} is already shared for the meeting.")
            row.shared_at, row.shared_by = utcnow(), _account(actor)
            db.add(row)
            audit.record_as(db, actor, "kpi.quarter_shared", "kpi_quarter", quarter.key)
    except IntegrityError as clash:  # another commissioner wrote the quarter's row at the same moment
        raise MeetingRefused(f"{quarter.label} was changed at the same moment. Please try again.") from clash


def unshare(db: Session, actor: Actor, quarter: Quarter) -> None:
    """Close the quarter to the triage team and the providers again (a link they kept stops working)."""
    with committed(db):
        row = db.get(KpiQuarter, quarter.key)
        if row is None or row.shared_at is None:
            raise MeetingRefused(f"{quarter.label} is not shared for the meeting, so nothing was changed.")
        row.shared_at, row.shared_by = None, None
        audit.record_as(db, actor, "kpi.quarter_unshared", "kpi_quarter", quarter.key)


Change = Callable[[Session, Actor, Quarter], None]
""":func:`share` or :func:`unshare`."""


def _account(actor: Actor) -> uuid.UUID | None:
    return uuid.UUID(actor.id) if actor.id else None


# -- the record and its actions ----------------------------------------------------------------------


def record_of(db: Session, quarter: Quarter) -> MeetingRecord | None:
    return db.scalars(select(MeetingRecord).where(MeetingRecord.quarter == quarter.key)).one_or_none()


def recorded_quarters(db: Session) -> list[Quarter]:
    """Quarters with a meeting record or an action, newest first."""
    keys = set(db.scalars(select(MeetingRecord.quarter))) | set(db.scalars(select(MeetingAction.raised_in)))
    return [Quarter.from_key(key) for key in sorted(keys, reverse=True)]


def save_record(
    db: Session, actor: Actor, quarter: Quarter, held_on: date | None, attended: Sequence[str], notes: str
) -> MeetingRecord:
    """Keep the record: only organisations the form offered may be named as attending."""
    offered = [key for key, _ in organisations(db, quarter)]
    if not set(attended) <= set(offered):
        raise MeetingRefused("Choose who attended from the organisations listed.")
    try:
        with committed(db):
            record = record_of(db, quarter) or MeetingRecord(quarter=quarter.key)
            record.held_on = held_on
            record.attended = [key for key in offered if key in attended]
            record.notes = notes or None
            record.updated_at, record.updated_by = utcnow(), _account(actor)
            db.add(record)
            audit.record_as(db, actor, "meeting.record_saved", "meeting_record", record.id)
    except IntegrityError as clash:  # another commissioner started the quarter's record at the same moment
        raise MeetingRefused("Someone else saved the record at the same moment. Please try again.") from clash
    return record


def actions_for(db: Session, quarter: Quarter) -> list[MeetingAction]:
    """The quarter's record's actions: those carried from earlier records (not done when it was held),
    then those raised at its own meeting, each group by due day."""
    found = db.scalars(
        select(MeetingAction)
        .where(
            MeetingAction.raised_in <= quarter.key,
            or_(
                MeetingAction.raised_in == quarter.key,
                MeetingAction.done_in.is_(None),
                MeetingAction.done_in >= quarter.key,
            ),
        )
        .order_by(MeetingAction.raised_in, MeetingAction.due_on, MeetingAction.created_at, MeetingAction.id)
    )
    return list(found)


def add_action(
    db: Session, actor: Actor, quarter: Quarter, what: str, owner: str, due_on: date
) -> MeetingAction:
    """A new action at the quarter's meeting, owned by one of the organisations the form offered."""
    if owner not in dict(organisations(db, quarter)):
        raise MeetingRefused("Choose who owns the action from the organisations listed.")
    with committed(db):
        action = MeetingAction(raised_in=quarter.key, owner=owner, due_on=due_on, created_by=_account(actor))
        action.what = what
        db.add(action)
        db.flush()
        audit.record_as(db, actor, "meeting.action_added", "meeting_action", action.id)
    return action


def find_action(db: Session, quarter: Quarter, action_id: uuid.UUID) -> MeetingAction | None:
    """The action, if the quarter's record lists it (an action can only be changed from such a record)."""
    return next((a for a in actions_for(db, quarter) if a.id == action_id), None)


def set_status(
    db: Session, actor: Actor, quarter: Quarter, action: MeetingAction, status: ActionStatus
) -> None:
    """Change an action's status from the quarter's record; done there, it is carried no further."""
    if status is action.progress:
        raise MeetingRefused(f"The action is already {status.label.lower()}, so nothing was changed.")
    with committed(db):
        action.progress = status
        action.done_in = quarter.key if status is ActionStatus.DONE else None
        action.updated_at = utcnow()
        audit.record_as(db, actor, "meeting.action_changed", "meeting_action", action.id)


# -- the headline figures against their targets --------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    label: str
    actual: str
    target: str
    judgement: Judgement | None


def headlines(joint: JointQuarter, codes: Sequence[str]) -> list[Headline]:
    """The named figures and every figure with a target in force, across all providers (a count added
    up, days and percentages the median of the providers' figures), then the triage team's own, each
    against its target as the joint view judges it (``JointQuarter.standing``)."""
    found = []
    for definition in joint.definitions:
        standing = joint.standing(definition.code)
        if definition.code not in codes and standing is None:
            continue
        values = [c.figures.get(definition.code) for c in joint.columns]
        numbers = [v for v in values if v is not None]
        if definition.unit is Unit.COUNT:
            actual, label = joint.total(definition), definition.label
        else:
            actual = round(float(statistics.median(numbers)), 1) if numbers else None
            label = f"{definition.label} (median of the providers)"
        found.append(_headline(label, actual, standing))
    for code, figure in joint.trs.items():
        standing = joint.standing(code)
        if standing is not None:
            found.append(_headline(f"{joint.trs_labels[code]} (triage team)", figure.value, standing))
    return found


def _headline(label: str, actual: int | float | None, standing: Standing | None) -> Headline:
    shown = "\u2013" if actual is None else figure_text(actual)
    if standing is None:
        return Headline(label, shown, "No target set", None)
    return Headline(label, shown, standing.target_words, standing.summary)


# -- the pages' figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    joint: JointQuarter
    trends: list[tuple[Trend, Markup]]


def figures(db: Session, quarter: Quarter, codes: list[str], count: int) -> Figures:
    """The quarter side by side and the chosen trends (each with its chart), as the joint view shows them,
    except that an earlier quarter's figures are in the trends only if it is shared for the meeting too:
    the meeting's pages open no quarter but those shared (and the one a commissioner chose)."""
    open_to_all = {q.key for q in shared_quarters(db)} | {quarter.key}
    opened = submitted_figures(db, [q.key for q in quarters_up_to(quarter, count) if q.key in open_to_all])
    found = trends(db, quarter, count, codes, opened=opened)
    charts = [(trend, line_chart(trend, f"chart-{trend.definition.code}")) for trend in found]
    return Figures(joint_quarter(db, quarter, opened), charts)
