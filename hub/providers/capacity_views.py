"""Provider staff's own pages for their organisation (their cases are in hub.referrals)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from hub import db
from hub.auth.access import current_actor, roles_required
from hub.auth.models import Role
from hub.providers.forms import CapacityForm
from hub.providers.models import Provider
from hub.providers.services import set_capacity

bp = Blueprint("providers", __name__)


@bp.route("/provider/capacity", methods=["GET", "POST"])
@roles_required(Role.PROVIDER_STAFF)
def capacity() -> str | Response:
    provider = db.session().get(Provider, current_user.provider_id)
    current = provider.capacity if provider else None
    form = CapacityForm(
        new_starts_per_quarter=current.new_starts_per_quarter if current else None,
        max_active=current.max_active if current else None,
    )
    if provider is not None and form.validate_on_submit():
        set_capacity(
            db.session(), provider.id, form.new_starts_per_quarter.data, form.max_active.data, current_actor()
        )
        flash("Your capacity is saved. The triage team sees it straight away.")
        return redirect(url_for("providers.capacity"), code=303)
    return render_template("providers/capacity.html", provider=provider, form=form)
