"""Who reads the feedback: provider staff their own organisation's (ended quarters with enough responses
only), commissioners everyone's. Each view is audited, as the words people wrote are sealed."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from hub import audit, db
from hub.auth.access import current_actor, roles_required
from hub.auth.models import Role
from hub.calendar import Quarter
from hub.feedback import summary
from hub.feedback.questions import BY_NAME
from hub.providers.models import Provider

bp = Blueprint("feedback_staff", __name__)


@bp.get("/provider/feedback")
@roles_required(Role.PROVIDER_STAFF)
def provider_feedback() -> str:
    session = db.session()
    found = summary.for_provider(session, current_user.provider_id, Quarter.current())
    audit.viewed(session, current_actor(), "feedback.viewed", "provider", current_user.provider_id)
    return render_template("feedback/provider.html", found=found, minimum=summary.minimum())


@bp.get("/commissioner/feedback")
@roles_required(Role.COMMISSIONER)
def commissioner_feedback() -> str:
    session, now = db.session(), Quarter.current()
    found = summary.for_commissioners(session)
    names = {provider_id: name for provider_id, name in session.execute(select(Provider.id, Provider.name))}
    audit.viewed(session, current_actor(), "feedback.viewed", "provider", "all")
    return render_template(
        "feedback/commissioner.html",
        found=found,
        names=names,
        minimum=summary.minimum(),
        questions=BY_NAME,
        visible=lambda tally: summary.shown_to_provider(tally, now),
    )
