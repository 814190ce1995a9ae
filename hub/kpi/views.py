"""The provider's quarterly returns. Views parse and render; ``hub.kpi.returns`` owns the rules."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from hub import db
from hub.auth.access import current_actor, roles_required
from hub.auth.models import Role
from hub.calendar import Quarter
from hub.db import utcnow
from hub.kpi import returns
from hub.kpi.prefill import prefill

bp = Blueprint("kpi", __name__)
QUARTERS_LISTED = 8


@bp.get("/kpi/returns")
@roles_required(Role.PROVIDER_STAFF)
def return_list() -> str:
    quarters = Quarter.last_ended().back(QUARTERS_LISTED)
    rows = [
        (q, returns.state_of(returns.versions(db.session(), current_user.provider_id, q))) for q in quarters
    ]
    return render_template("kpi/returns.html", rows=rows)


@bp.route("/kpi/returns/<int:year>/<int:number>", methods=["GET", "POST"])
@roles_required(Role.PROVIDER_STAFF)
def return_page(year: int, number: int) -> str | Response:
    if not Quarter.valid(year, number):
        abort(404)
    quarter = Quarter(year, number)
    provider_id = current_user.provider_id
    session = db.session()
    found = returns.versions(session, provider_id, quarter)
    problem = None
    checked = None
    if request.method == "POST":
        action = request.form.get("action", "save")
        if action not in {"save", "submit", "amend"}:
            abort(400)  # only the page's own buttons
        try:
            if action == "amend":
                returns.amend(
                    session, provider_id, quarter, request.form.get("amendment_reason", ""), current_actor()
                )
                flash("A new version is open for changes. The submitted one is kept.")
                return redirect(url_for("kpi.return_page", year=year, number=number), code=303)
            typed = {k.removeprefix("figure-"): v for k, v in request.form.items() if k.startswith("figure-")}
            why = {k.removeprefix("reason-"): v for k, v in request.form.items() if k.startswith("reason-")}
            checked = returns.save(
                session, provider_id, quarter, typed, why, current_actor(), submit=action == "submit"
            )
        except returns.ReturnError as error:
            problem = str(error)
        else:
            if not checked.errors:
                saved = "The draft is saved."
                if checked.contradictions:
                    saved += " Some figures do not fit together: check them before you submit."
                flash("The return is submitted. Thank you." if action == "submit" else saved)
                return redirect(url_for("kpi.return_page", year=year, number=number), code=303)
    shown_version = request.args.get("version", type=int)
    shown = next((r for r in found if r.version == shown_version), found[-1] if found else None)
    typed, reasons = returns.typed_from(shown)
    editable = returns.can_change(found, shown)
    definitions = returns.definitions(session, quarter)
    to_check = returns.contradictions(definitions, shown.figures_checked()) if shown and editable else {}
    if checked is not None:
        typed, reasons, to_check = checked.typed, checked.reasons, checked.contradictions
    return render_template(
        "kpi/return.html",
        quarter=quarter,
        definitions=definitions,
        known=prefill(session, provider_id, quarter),
        versions=found,
        shown=shown,
        state=returns.state_of(found),
        editable=editable,
        amendable=returns.can_amend(found, shown),
        typed=typed,
        reasons=reasons,
        errors=checked.errors if checked else {},
        to_check={code: why for code, why in to_check.items() if not checked or code not in checked.errors},
        problem=problem,
        ended=quarter.ends <= utcnow(),
    )
