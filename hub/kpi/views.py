"""The provider's quarterly returns. Views parse and render; ``hub.kpi.returns`` owns the rules."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from hub import db
from hub.auth.access import current_actor, roles_required
from hub.auth.models import Role
from hub.calendar import Quarter
from hub.kpi import forms, returns
from hub.kpi.outcome_figures import OUTCOME_CODES, SHARE_CODE

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
    version = request.args.get("version", type=int)
    opened = returns.quarter_return(db.session(), current_user.provider_id, Quarter(year, number), version)
    button = forms.pressed() if request.method == "POST" else "save"
    form, amending = forms.return_form(opened, submitting=button == "submit"), forms.AmendForm()
    if request.method == "POST" and button == "amend":
        return _amend(opened, form, amending)
    # A page that offers no boxes (a locked return, a quarter not ended) is answered by the service.
    if request.method == "POST" and (not opened.takes_figures or form.validate()):
        return _save(opened, form, submit=button == "submit")
    return _page(opened, form, amending)


def _save(opened: returns.QuarterReturn, form: forms.ReturnForm, *, submit: bool) -> str | Response:
    try:
        checked = returns.save(
            db.session(),
            opened.provider_id,
            opened.quarter,
            form.typed(),
            form.reasons(),
            current_actor(),
            submit=submit,
        )
    except returns.ReturnError as error:
        return _page(opened, form, forms.AmendForm(), problem=str(error))
    if checked.errors:  # the service has the last word, though the form asked the same
        form.explain(checked)
        return _page(opened, form, forms.AmendForm())
    saved = "The draft is saved."
    if checked.contradictions:
        saved += " Some figures do not fit together: check them before you submit."
    flash("The return is submitted. Thank you." if submit else saved)
    return _again(opened)


def _amend(
    opened: returns.QuarterReturn, form: forms.ReturnForm, amending: forms.AmendForm
) -> str | Response:
    reason = amending.amendment_reason.data or ""
    try:
        returns.amend(db.session(), opened.provider_id, opened.quarter, reason, current_actor())
    except returns.ReturnError as error:
        return _page(opened, form, amending, problem=str(error))
    flash("A new version is open for changes. The submitted one is kept.")
    return _again(opened)


def _again(opened: returns.QuarterReturn) -> Response:
    return redirect(
        url_for("kpi.return_page", year=opened.quarter.year, number=opened.quarter.number), code=303
    )


def _page(
    opened: returns.QuarterReturn,
    form: forms.ReturnForm,
    amending: forms.AmendForm,
    problem: str | None = None,
) -> str:
    typed, reasons = opened.saved()
    return render_template(
        "kpi/return.html",
        opened=opened,
        form=form,
        amending=amending,
        typed=typed,
        reasons=reasons,
        problem=problem,
        outcome_codes=OUTCOME_CODES,
        share=opened.known.get(SHARE_CODE),
    )
