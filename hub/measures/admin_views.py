"""Administrators' pages for the registry of outcome measures (``/admin/measures``): the list, adding a
measure, changing its thresholds (with their citation), retiring it or bringing it back. The rules and
transactions are in hub.measures.registry; each change lands back on the list with a banner."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from hub import db
from hub.auth.access import current_actor, roles_required
from hub.auth.models import Role
from hub.forms import StaffForm
from hub.measures import registry
from hub.measures.forms import MeasureForm, ThresholdsForm, read_decimal
from hub.measures.models import OutcomeMeasure

bp = Blueprint("measures_admin", __name__)


def _back(message: str, category: str = "message") -> Response:
    flash(message, category)
    return redirect(url_for("measures_admin.measure_list"), code=303)


@bp.get("/admin/measures")
@roles_required(Role.ADMIN)
def measure_list() -> str:
    return render_template(
        "admin/measures.html", measures=registry.every_measure(db.session()), form=StaffForm()
    )


@bp.route("/admin/measures/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_measure() -> str | Response:
    form, problem = MeasureForm(), None
    if form.validate_on_submit():
        try:
            added = registry.add(db.session(), registry.MeasureDetails(**form.details()), current_actor())
        except registry.RegistryError as error:
            problem = _explain(form, error)
        else:
            return _back(f"{added.name} is added. Providers can record it on their cases now.")
    return render_template("admin/measure_new.html", form=form, problem=problem)


def _explain(form: StaffForm, error: registry.RegistryError) -> str | None:
    """The refusal on its box if it is about one, else for the top of the page."""
    if error.field and error.field in form:
        form[error.field].errors = [str(error)]
        return None
    return str(error)


@bp.route("/admin/measures/<int:measure_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def thresholds(measure_id: int) -> str | Response:
    measure = db.session().get(OutcomeMeasure, measure_id) or abort(404)
    form, problem = ThresholdsForm(data=_current(measure)), None
    if form.validate_on_submit():
        try:
            changed = registry.change_thresholds(
                db.session(),
                measure.id,
                clinical_cutoff=read_decimal(form.clinical_cutoff.data) or 0.0,
                reliable_change=read_decimal(form.reliable_change.data) or 0.0,
                source=form.source.data or "",
                licence=form.licence.data or "",
                actor=current_actor(),
            )
        except registry.RegistryError as error:
            problem = _explain(form, error)
        else:
            what = (
                f"Changed: {', '.join(changed)}." if changed else "Nothing was different, so nothing changed."
            )
            return _back(f"{measure.name} is saved. {what}")
    return render_template("admin/measure.html", form=form, measure=measure, problem=problem)


def _current(measure: OutcomeMeasure) -> dict[str, object]:
    return {
        "clinical_cutoff": measure.cutoff_text,
        "reliable_change": measure.reliable_change_text,
        "source": measure.source,
        "licence": measure.licence,
    }


@bp.post("/admin/measures/<int:measure_id>/retire")
@roles_required(Role.ADMIN)
def retire(measure_id: int) -> Response:
    return _set_retired(measure_id, True)


@bp.post("/admin/measures/<int:measure_id>/restore")
@roles_required(Role.ADMIN)
def restore(measure_id: int) -> Response:
    return _set_retired(measure_id, False)


def _set_retired(measure_id: int, retired: bool) -> Response:
    try:
        measure = registry.set_retired(db.session(), measure_id, retired, current_actor())
    except registry.RegistryError as error:
        return _back(f"{error}.", "problem")
    if retired:
        return _back(f"{measure.name} is retired. No new record can use it; records made with it keep it.")
    return _back(f"{measure.name} is in use again.")
