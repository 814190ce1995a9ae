"""Data-protection officers' pages for restricting referrals (``/admin/restrictions``).

The list of restricted referrals, a way to find one by its reference, a page to confirm restricting
it or lifting its restriction with the legal basis, and a banner after each. The rules and the
transactions are in ``hub.referrals.restriction``.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from hub import db
from hub.auth.access import current_actor, data_protection_required, owned_or_404
from hub.privacy.restriction_forms import BasisForm, FindForm
from hub.referrals import restriction
from hub.referrals.models import AllocationStatus, Referral

bp = Blueprint("restriction", __name__)

HOLDING = (AllocationStatus.PENDING, AllocationStatus.ACCEPTED)
"""An offer waiting for the provider, or a case they took on: its provider sees the referral."""
NOT_FOUND = "No referral has that reference. Check it and try again"


@bp.route("/admin/restrictions", methods=["GET", "POST"])
@data_protection_required
def restrictions() -> str | Response:
    form = FindForm()
    if form.validate_on_submit():
        found = restriction.find(db.session(), form.reference.data or "")
        if found is not None:
            return redirect(url_for(".referral", referral_id=found.id), code=303)
        form.reference.errors = [NOT_FOUND]
    return render_template(
        "privacy/restrictions.html", form=form, restricted=restriction.restricted(db.session())
    )


@bp.get("/admin/restrictions/<referral_id>")
@data_protection_required
def referral(referral_id: str) -> str:
    return _confirm(owned_or_404(Referral, referral_id), BasisForm(formdata=None))


@bp.post("/admin/restrictions/<referral_id>/restrict")
@data_protection_required
def restrict(referral_id: str) -> str | Response:
    found = owned_or_404(Referral, referral_id)
    done = f"{found.reference} is restricted. Providers see its reference, status and dates only."
    return _decide(found, restriction.restrict, done)


@bp.post("/admin/restrictions/<referral_id>/lift")
@data_protection_required
def lift(referral_id: str) -> str | Response:
    found = owned_or_404(Referral, referral_id)
    done = f"The restriction on {found.reference} is lifted. Its provider sees the person's details again."
    return _decide(found, restriction.lift, done)


def _decide(found: Referral, act: Callable[..., Referral], done: str) -> str | Response:
    """Restrict or lift with the basis given; back to the list with a banner, or the page again."""
    form = BasisForm()
    if form.validate_on_submit():
        try:
            act(db.session(), found, current_actor(), basis=form.basis.data or "")
        except restriction.RestrictionRefused as error:
            form.basis.errors = [str(error)]
        else:
            flash(done)
            return redirect(url_for(".restrictions"), code=303)
    return _confirm(found, form)


def _confirm(found: Referral, form: BasisForm) -> str:
    return render_template(
        "privacy/restriction.html",
        referral=found,
        form=form,
        restricted=restriction.hides_details(found),
        providers=[a.provider.name for a in found.allocations if a.status in HOLDING],
    )
