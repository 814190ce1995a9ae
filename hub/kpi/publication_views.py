"""Commissioners publish an ended quarter on the public pathway report, and withdraw it (each audited).

The rules are in hub.kpi.publication; these views parse, call and go back to the quarter's joint return
with a banner that says what was done, or why nothing was.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from werkzeug.wrappers import Response

from hub import db
from hub.auth.access import current_actor, roles_required
from hub.auth.models import Role
from hub.calendar import Quarter
from hub.config import current_config
from hub.kpi import publication
from hub.kpi.forms import PublishForm

bp = Blueprint("publication", __name__)


@bp.post("/commissioner/kpi/publish")
@roles_required(Role.COMMISSIONER)
def publish() -> Response:
    form = PublishForm()
    quarter = form.quarter.quarter if form.validate() else None
    if quarter is None:
        return _back(None, form.quarter.message, "problem")
    config = current_config()
    try:
        publication.publish(
            db.session(), current_actor(), quarter, config.suppression_threshold, config.overdue_working_days
        )
    except publication.NotPublishable as refused:
        return _back(quarter, str(refused), "problem")
    return _back(quarter, f"{quarter.label} is published on the public pathway report, as it stands now.")


@bp.post("/commissioner/kpi/withdraw")
@roles_required(Role.COMMISSIONER)
def withdraw() -> Response:
    form = PublishForm()
    quarter = form.quarter.quarter if form.validate() else None
    if quarter is None:
        return _back(None, form.quarter.message, "problem")
    try:
        publication.withdraw(db.session(), current_actor(), quarter)
    except publication.NotPublishable as refused:
        return _back(quarter, str(refused), "problem")
    return _back(quarter, f"{quarter.label} is no longer on the public pathway report.")


def _back(quarter: Quarter | None, message: str, category: str = "message") -> Response:
    flash(message, category)
    key = quarter.key if quarter else None
    return redirect(url_for("commissioner.quarter_page", quarter=key), code=303)
