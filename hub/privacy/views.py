"""The retention schedule (``/admin/retention``, administrators), legal holds (``/admin/holds``) and
erasure requests (``/admin/referrals/<id>/erasure``), both for data-protection officers only.

The rules and transactions are in hub.privacy; these views parse, call and render. Each change lands
back on its page with a banner; a refusal changes nothing and says why.
"""

from __future__ import annotations

import dataclasses
import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from hub import audit, calendar, db
from hub.auth.access import (
    current_actor,
    data_protection_required,
    holds_data_protection_duty,
    roles_required,
)
from hub.auth.models import Role
from hub.plurals import counted
from hub.privacy import erasure_requests, holds, purge, schedule
from hub.privacy.erasure import OnLegalHold, StillOpen
from hub.privacy.forms import KEEP, ErasureForm, HoldForm, LiftForm, RuleForm
from hub.privacy.models import LegalHold
from hub.referrals import states
from hub.referrals.models import Referral

bp = Blueprint("privacy", __name__)


def _back(url: str, message: str, category: str = "message") -> Response:
    flash(message, category)
    return redirect(url, code=303)


@bp.get("/admin/retention")
@roles_required(Role.ADMIN)
def retention_schedule() -> str:
    return render_template(
        "privacy/retention.html",
        rules=schedule.rules(db.session()),
        officer=holds_data_protection_duty(current_user),
    )


def _kind(kind: str) -> schedule.Kind:
    if kind not in {k.value for k in schedule.Kind}:
        abort(404)
    return schedule.Kind(kind)


@bp.route("/admin/retention/<kind>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def change_rule(kind: str) -> str | Response:
    """A shorter period asks first, saying how many records it makes due now."""
    current = schedule.rule(db.session(), _kind(kind))
    shown = {"amount": current.amount or "", "unit": current.unit or KEEP, "reason": current.reason}
    form = RuleForm(data=shown) if request.method == "GET" else RuleForm()
    problem = None
    if not current.fixed and form.validate_on_submit():
        amount, unit = form.period
        if schedule.shortens(current, amount, unit) and form.confirm.data != "yes":
            made_due, words = _made_due(current, amount, unit), schedule.period_words(amount, unit).lower()
            return render_template(
                "privacy/rule_confirm.html", form=form, rule=current, made_due=made_due, new=words
            )
        try:
            return _save_rule(current, form)
        except schedule.ScheduleError as error:
            problem = str(error)
    return render_template("privacy/rule.html", form=form, rule=current, problem=problem)


def _save_rule(current: schedule.Rule, form: RuleForm) -> Response:
    amount, unit = form.period
    reason = form.reason.data or ""
    changed = schedule.change(db.session(), current.kind, amount, unit, reason, current_actor())
    said = f"now {schedule.period_words(amount, unit).lower()}" if changed else "unchanged"
    return _back(url_for("privacy.retention_schedule"), f"The period for {current.label.lower()} is {said}.")


def _made_due(current: schedule.Rule, amount: int | None, unit: schedule.Unit | None) -> int:
    """How many records the shorter period makes due today that the current one does not."""
    today, changed = calendar.today(), dataclasses.replace(current, amount=amount, unit=unit)
    before = purge.due(db.session(), today, [current]).records.get(current.kind, 0)
    return max(0, purge.due(db.session(), today, [changed]).records.get(current.kind, 0) - before)


@bp.route("/admin/holds", methods=["GET", "POST"])
@data_protection_required
def holds_page() -> str | Response:
    form, problem = HoldForm(), None
    if form.validate_on_submit():
        try:
            held = holds.set_hold(
                db.session(), form.reference.data or "", form.reason.data or "", current_actor()
            )
        except holds.HoldError as error:
            problem = str(error)
        else:
            return _back(
                url_for("privacy.holds_page"),
                f"{held.reference} is under a legal hold. Nothing of it will be erased until it is lifted.",
            )
    held_now = holds.holds_in_force(db.session())
    return render_template("privacy/holds.html", form=form, problem=problem, held=held_now)


@bp.route("/admin/holds/<uuid:hold_id>/lift", methods=["GET", "POST"])
@data_protection_required
def lift_hold(hold_id: uuid.UUID) -> str | Response:
    hold = db.session().get(LegalHold, hold_id) or abort(404)
    referral = db.session().get(Referral, hold.referral_id) or abort(404)
    form, problem = LiftForm(), None
    if form.validate_on_submit():
        try:
            holds.lift(db.session(), hold.id, form.reason.data or "", current_actor())
        except holds.HoldError as error:
            problem = str(error)
        else:
            message = f"The hold on {referral.reference} is lifted. "
            return _back(url_for("privacy.holds_page"), message + "It will be erased when it is due.")
    if request.method == "GET":
        audit.viewed(db.session(), current_actor(), "legal_hold.viewed", "referral", referral.id)
    return render_template("privacy/lift.html", form=form, problem=problem, hold=hold, referral=referral)


@bp.get("/admin/erasure")
@data_protection_required
def find_for_erasure() -> str | Response:
    typed = request.args.get("reference", "")[:40]
    found = holds.by_reference(db.session(), typed) if typed else None
    if found is not None:
        return redirect(url_for("privacy.erasure_request", referral_id=found.id), code=303)
    problem = "There is no referral with that reference. Check it and try again" if typed else None
    return render_template("privacy/find.html", typed=typed, problem=problem)


@bp.route("/admin/referrals/<uuid:referral_id>/erasure", methods=["GET", "POST"])
@data_protection_required
def erasure_request(referral_id: uuid.UUID) -> str | Response:
    referral = db.session().get(Referral, referral_id) or abort(404)
    form, problem = ErasureForm(), None
    if form.validate_on_submit():
        if form.decision.data == "erase" and form.confirm.data != "yes":
            return render_template("privacy/erasure_confirm.html", form=form, referral=referral)
        try:
            message = _decide(referral, form)
        except (erasure_requests.DecisionError, OnLegalHold, StillOpen) as error:
            problem = str(error)
        else:
            return _back(url_for("privacy.erasure_request", referral_id=referral.id), message)
    return _erasure_page(referral, form, problem)


def _decide(referral: Referral, form: ErasureForm) -> str:
    basis, actor = form.basis.data or "", current_actor()
    if form.decision.data == "erase":
        erased = erasure_requests.erase_on_request(db.session(), referral, basis, actor)
        return f"The person's details on {referral.reference} are erased ({counted(erased, 'record')})."
    erasure_requests.refuse(db.session(), referral, form.exemption.data or "", basis, actor)
    return f"The request to erase {referral.reference} is refused. The exemption and the basis are recorded."


def _erasure_page(referral: Referral, form: ErasureForm, problem: str | None) -> str:
    decided = erasure_requests.decisions(db.session(), referral.id)
    if request.method == "GET" and decided:
        audit.viewed(db.session(), current_actor(), "erasure.viewed", "referral", referral.id)
    return render_template(
        "privacy/erasure.html",
        form=form,
        problem=problem,
        referral=referral,
        held=holds.in_force(db.session(), referral.id),
        still_open=referral.status not in states.FINAL,
        decisions=decided,
        exemptions=erasure_requests.EXEMPTIONS,
    )
