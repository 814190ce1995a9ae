"""``/take-part`` (public: leave a name and one safe way to be asked to help shape the service) and the
allocator's list of everyone who said yes (``/triage/consultation``, audited)."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from hub import db
from hub.auth.access import current_actor, roles_required
from hub.auth.models import Role
from hub.config import current_config
from hub.extensions import configured_limit, limiter, public_forms_limit
from hub.referrals import consultation
from hub.referrals.consultation_forms import RemoveForm, TakePartForm

bp = Blueprint("consultation", __name__)
staff_bp = Blueprint("consultation_list", __name__, url_prefix="/triage/consultation")


@bp.route("/take-part", methods=["GET", "POST"])
@limiter.limit(configured_limit("public_form_rate_limit"), methods=["POST"])
@public_forms_limit()
def take_part() -> str | Response:
    form = TakePartForm()
    if form.validate_on_submit():
        if form.is_bot:
            abort(400)
        chosen = form.chosen
        assert chosen is not None  # noqa: S101 (validated: one of the ways offered)
        consultation.volunteer(
            db.session(),
            name=form.name.data or "",
            method=chosen,
            detail=form.detail,
            voicemail=form.voicemail.data or "",
            say_who=form.say_who.data or "",
            safe_times=form.safe_times.data or "",
        )
        return redirect(url_for(".thanks"), code=303)
    return render_template("consultation/take_part.html", form=form)


@bp.get("/take-part/thank-you")
def thanks() -> str:
    return render_template("consultation/thanks.html", contact=current_config().data_protection_contact)


# -- the allocator's list -----------------------------------------------------------------------


@staff_bp.get("")
@roles_required(Role.ALLOCATOR)
def listing() -> str:
    found = consultation.listing(db.session(), current_actor())
    return render_template("consultation/list.html", listing=found, form=RemoveForm(formdata=None))


@staff_bp.post("/remove")
@roles_required(Role.ALLOCATOR)
def remove() -> Response:
    form = RemoveForm()
    volunteer, referral = _id(form.volunteer.data), _id(form.referral.data)
    if (volunteer is None) == (referral is None):
        flash("Choose the person to take off the list", "problem")
        return redirect(url_for(".listing"), code=303)
    try:
        if volunteer is not None:
            consultation.remove_volunteer(db.session(), volunteer, current_actor())
        elif referral is not None:
            consultation.remove_referral(db.session(), referral, current_actor())
    except consultation.NotOnTheList:
        flash("That person is no longer on the list", "problem")
    else:
        flash("Taken off the list. We will not ask them again.")
    return redirect(url_for(".listing"), code=303)


def _id(value: str | None) -> uuid.UUID | None:
    if not value or len(value) > 36:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
