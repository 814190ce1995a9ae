"""The commissioners' targets page: every target set, changed and ended, and the forms to do so."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from hub import db
from hub.auth.access import current_actor, roles_required
from hub.auth.models import Role
from hub.calendar import Quarter
from hub.kpi import targets
from hub.kpi.models import Direction
from hub.kpi.target_forms import end_form, read_value, set_form

bp = Blueprint("targets", __name__)


@bp.route("/commissioner/targets", methods=["GET", "POST"])
@roles_required(Role.COMMISSIONER)
def targets_page() -> str | Response:
    form, problem = set_form(_figures()), None
    if form.validate_on_submit():
        quarter = form.chosen_quarter()
        try:
            found = targets.set_target(
                db.session(),
                current_actor(),
                form.code.data,
                quarter,
                read_value(form.value.data),
                Direction(form.direction.data),
                form.why.data,
            )
        except targets.TargetError as error:
            problem = str(error)
        else:
            return _back(f"The target is set from {quarter.label}: {targets.target_text(found)}.")
    return _page(form, end_form(_ended_choices(), formdata=None), problem)


@bp.post("/commissioner/targets/end")
@roles_required(Role.COMMISSIONER)
def end_target() -> str | Response:
    form, problem = end_form(_ended_choices()), None
    if form.validate_on_submit():
        quarter = form.chosen_quarter()
        try:
            targets.set_target(
                db.session(), current_actor(), form.code.data, quarter, None, Direction.AT_LEAST, ""
            )
        except targets.TargetError as error:
            problem = str(error)
        else:
            return _back(f"The target ends: there is no target from {quarter.label}.")
    return _page(set_form(_figures(), formdata=None), form, problem, failed=form)


def _figures() -> list[targets.Figure]:
    """Every figure a target may be set on in any quarter offered, in the order the return lists them."""
    found: dict[str, targets.Figure] = {}
    for quarter in targets.quarters_offered():
        for code, figure in targets.targetable(db.session(), quarter).items():
            found.setdefault(code, figure)
    return list(found.values())


def _ended_choices() -> list[targets.Figure]:
    """The figures with a target set at any time, to choose from when ending one."""
    known = {f.code: f for f in _figures()}
    codes = dict.fromkeys(t.code for t in targets.history(db.session()) if t.value is not None)
    return [known[code] for code in codes if code in known]


def _page(form: Any, ending: Any, problem: str | None, failed: Any = None) -> str:
    session, now = db.session(), Quarter.current()
    return render_template(
        "kpi/targets.html",
        form=failed or form,
        set_form=form,
        end_form=ending,
        problem=problem,
        history=targets.history(session),
        now=now,
        in_force=targets.in_force(session, now),
        names={f.code: f.named for f in _figures()},
        label_of=lambda key: Quarter.from_key(key).label,
        target_text=targets.target_text,
    )


def _back(message: str) -> Response:
    flash(message)
    return redirect(url_for("targets.targets_page"), code=303)
