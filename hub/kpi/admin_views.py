"""Administrators' page for the common KPI set: add a figure or retire one, from a quarter on."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub import db, posted
from hub.auth.access import current_actor, roles_required
from hub.auth.models import Role
from hub.calendar import Quarter
from hub.kpi import definitions
from hub.kpi.models import KpiDefinition, Unit

bp = Blueprint("kpi_admin", __name__)
QUARTERS_OFFERED = 6


def _quarters() -> list[Quarter]:
    found = [Quarter.current()]
    while len(found) < QUARTERS_OFFERED:
        found.append(found[-1].next())
    return found


def _quarter(text: str) -> Quarter | None:
    key = posted.whole_number(text)
    if key is None or not Quarter.valid(key // 10, key % 10):
        return None
    return Quarter.from_key(key)


@bp.route("/admin/kpi", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def kpi_definitions() -> str | Response:
    problem, typed = None, {}
    if request.method == "POST":
        typed = {
            k: request.form.get(k, "")[:2000]
            for k in ("code", "label", "unit", "description", "starts", "breakdown", "sums_to")
        }
        starts = _quarter(typed["starts"])
        try:
            if starts is None or typed["unit"] not in {u.value for u in Unit}:
                raise definitions.DefinitionError("Choose the unit and the first quarter")
            added = definitions.add(
                db.session(),
                code=typed["code"],
                label=typed["label"],
                unit=Unit(typed["unit"]),
                description=typed["description"],
                starts=starts,
                actor=current_actor(),
                breakdown=typed["breakdown"] or None,
                sums_to=typed["sums_to"] or None,
            )
        except definitions.DefinitionError as error:
            problem = str(error)
        else:
            flash(f"“{added.label}” is asked for from {starts.label} on.")
            return redirect(url_for("kpi_admin.kpi_definitions"), code=303)
    found = (
        db.session().scalars(select(KpiDefinition).order_by(KpiDefinition.position, KpiDefinition.id)).all()
    )
    return render_template(
        "admin/kpi.html",
        definitions=found,
        quarters=_quarters(),
        units=list(Unit),
        typed=typed,
        problem=problem,
        label_of=lambda key: Quarter.from_key(key).short if key else "",
    )


@bp.post("/admin/kpi/<int:definition_id>/retire")
@roles_required(Role.ADMIN)
def retire(definition_id: int) -> Response:
    starts = _quarter(request.form.get("starts", ""))
    try:
        if starts is None:
            raise definitions.DefinitionError("Choose the quarter to retire it from")
        retired = definitions.retire(db.session(), definition_id, starts, current_actor())
    except definitions.DefinitionError as error:
        flash(str(error), "problem")
    else:
        flash(f"“{retired.label}” is no longer asked for from {starts.label} on.")
    return redirect(url_for("kpi_admin.kpi_definitions"), code=303)
