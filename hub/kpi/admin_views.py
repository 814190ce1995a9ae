"""Administrators' page for the common KPI set: add a figure or retire one, from a quarter on."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub import db
from hub.auth.access import current_actor, roles_required
from hub.auth.models import Role
from hub.calendar import Quarter
from hub.kpi import definitions
from hub.kpi.forms import DefinitionForm, RetireForm, offered_quarters
from hub.kpi.models import KpiDefinition, Unit

bp = Blueprint("kpi_admin", __name__)


@bp.route("/admin/kpi", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def kpi_definitions() -> str | Response:
    form, problem = DefinitionForm(), None
    if form.validate_on_submit() and (starts := form.starts.quarter) is not None:
        try:
            added = definitions.add(
                db.session(),
                code=form.code.data or "",
                label=form.label.data or "",
                unit=Unit(form.unit.data),
                description=form.description.data or "",
                starts=starts,
                actor=current_actor(),
                breakdown=form.breakdown.data or None,
                sums_to=form.sums_to.data or None,
            )
        except definitions.DefinitionError as error:
            problem = str(error)
        else:
            return _back(f"“{added.label}” is asked for from {starts.label} on.")
    return _page(form, problem)


def _page(form: DefinitionForm, problem: str | None) -> str:
    found = (
        db.session().scalars(select(KpiDefinition).order_by(KpiDefinition.position, KpiDefinition.id)).all()
    )
    return render_template(
        "admin/kpi.html",
        definitions=found,
        quarters=offered_quarters(),
        form=form,
        problem=problem,
        label_of=lambda key: Quarter.from_key(key).label if key else "",
    )


@bp.post("/admin/kpi/<int:definition_id>/retire")
@roles_required(Role.ADMIN)
def retire(definition_id: int) -> Response:
    form = RetireForm()
    starts = form.starts.quarter if form.validate() else None
    if starts is None:
        return _back(form.starts.message, "problem")
    try:
        retired = definitions.retire(db.session(), definition_id, starts, current_actor())
    except definitions.DefinitionError as error:
        return _back(str(error), "problem")
    return _back(f"“{retired.label}” is no longer asked for from {starts.label} on.")


def _back(message: str, category: str = "message") -> Response:
    """Back to the definitions, saying what was done or why nothing was."""
    flash(message, category)
    return redirect(url_for("kpi_admin.kpi_definitions"), code=303)
