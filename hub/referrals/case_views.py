"""Provider staff's case pages: their own organisation's cases only, and the actions on each.

Every case is loaded with ``owned_or_404``: another provider's case is "not found", and the attempt
is audited. The rules and transactions are in ``hub.referrals.cases``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from hub import audit, db
from hub.auth.access import current_actor, owned_or_404, roles_required
from hub.auth.models import Role
from hub.config import current_config
from hub.forms import StaffForm, options
from hub.keyring import current_keyring
from hub.measures import registry
from hub.providers.services import offered_specialisms
from hub.referrals import case_forms, cases, direct, direct_forms, outcomes, restriction, states, timeline
from hub.referrals.models import (
    Allocation,
    AllocationStatus,
    ContactMethod,
    DeclineReason,
    EventKind,
    Measures,
    Outcome,
    Referral,
    SafeContact,
)
from hub.referrals.presenting import answer_sections, first_contact

bp = Blueprint("cases", __name__)


@bp.get("/provider/cases")
@roles_required(Role.PROVIDER_STAFF)
def case_list() -> str:
    found = cases.case_list(
        db.session(),
        current_user.provider_id,
        request.args.get("group", ""),
        request.args.get("risk") == "yes",
    )
    return render_template("cases/list.html", found=found, groups=cases.GROUPS)


@bp.route("/provider/direct-self-referral", methods=["GET", "POST"])
@roles_required(Role.PROVIDER_STAFF)
def direct_self_referral() -> str | Response:
    form = direct_forms.DirectReferralForm()
    form.specialisms.choices = options([(s.code, s.label) for s in offered_specialisms(db.session())])
    problem = None
    if form.validate_on_submit():
        try:
            done = direct.take_on(
                db.session(),
                current_keyring(),
                current_actor(),
                current_user.provider_id,
                form.pages(),
                form.agreed(),
            )
        except direct.DirectRefused as error:
            if error.field and error.field in form:
                form[error.field].errors = [str(error)]
            else:
                problem = str(error)
        else:
            flash(_direct_recorded(done))
            return redirect(url_for("cases.case_page", case_id=done.allocation_id), code=303)
    return render_template("cases/direct.html", form=form, problem=problem)


def _direct_recorded(done: direct.Recorded) -> str:
    said = f"Direct self-referral {done.reference} is recorded and accepted as your case."
    if done.places_left is not None and done.places_left < 0:
        return f"{said} It takes you past the capacity you set, so the triage team will offer you no one new."
    if done.places_left == 0:
        return f"{said} It was your last space, so the triage team will offer you no one new for now."
    return said


@dataclass(frozen=True)
class CaseAction:
    kind: EventKind
    form: Any
    title: str
    done: str


ACTIONS = {
    "accept": CaseAction(
        EventKind.ACCEPTED, StaffForm, "Accept the referral", "You have accepted {reference}."
    ),
    "decline": CaseAction(
        EventKind.DECLINED,
        case_forms.DeclineForm,
        "Decline the referral",
        "You have declined {reference}. The triage team has been told.",
    ),
    "first-contact": CaseAction(
        EventKind.FIRST_CONTACT,
        case_forms.FirstContactForm,
        "Record first contact",
        "First contact is recorded for {reference}.",
    ),
    "measures": CaseAction(
        EventKind.MEASURES_RECORDED,
        case_forms.MeasuresForm,
        "Record sessions",
        "Sessions are recorded for {reference}.",
    ),
    "outcome-measure": CaseAction(
        EventKind.MEASURES_RECORDED,
        case_forms.OutcomeMeasureForm,
        "Record an outcome measure",
        "The outcome measure is recorded for {reference}.",
    ),
    "close": CaseAction(EventKind.CLOSED, case_forms.CloseForm, "Close the case", "{reference} is closed."),
    "feedback": CaseAction(
        EventKind.FEEDBACK_OFFERED,
        StaffForm,
        "Give a feedback code now",
        "A feedback code was made for {reference}.",
    ),
}

CONTACT_ACTIONS = frozenset({"first-contact"})
"""Actions that contact the person: the page shows how, when and as whom it is safe beside each."""
NEEDS_CONTACT = frozenset({"outcome-measure"})
"""Actions offered only once a first contact is recorded."""


def _case(case_id: str) -> Allocation:
    return owned_or_404(Allocation, case_id)


@bp.get("/provider/cases/<case_id>")
@roles_required(Role.PROVIDER_STAFF)
def case_page(case_id: str) -> str:
    return _show(_case(case_id))


@bp.post("/provider/cases/<case_id>/<action>")
@roles_required(Role.PROVIDER_STAFF)
def case_action(case_id: str, action: str) -> str | Response:
    chosen = ACTIONS.get(action)
    if chosen is None:
        abort(404)
    allocation = _case(case_id)
    form = _form(chosen, action, allocation)
    problem = None
    if form.validate_on_submit():
        try:
            _act(allocation, action, form)
        except cases.CaseError as error:
            if error.field and error.field in form:
                form[error.field].errors = [str(error)]
            else:
                problem = str(error)
        else:
            flash(
                chosen.done.format(reference=allocation.referral.reference)
                + _feedback_said(allocation, action)
            )
            # After a decline the case is no longer theirs; every other action goes on on the case.
            if action == "decline":
                return redirect(url_for("cases.case_list"), code=303)
            return redirect(url_for("cases.case_page", case_id=allocation.id), code=303)
    return _show(allocation, action, form, problem)


def _feedback_said(allocation: Allocation, action: str) -> str:
    """Where the feedback code the action made went: kept for the case page to show, or emailed."""
    made = action == "feedback" or (action == "close" and cases.gives_feedback_code(allocation))
    if not made:
        return ""
    if getattr(allocation, Allocation.feedback_code.column) is not None:
        if restriction.hides_details(allocation.referral):
            return " Their feedback code will be shown on this page, once, when the restriction is lifted."
        return " Their feedback code is shown below, once."
    return " Their feedback code was emailed to them, as email is a safe way to reach them."


def _form(chosen: CaseAction, slug: str, allocation: Allocation, **kwargs: Any) -> Any:
    """The action's form; one that offers choices from the case is given them (again) here."""
    if slug == "outcome-measure":
        return _measure_form(slug, **kwargs)
    form = chosen.form(prefix=slug, **kwargs)
    if hasattr(form, "offer"):
        form.offer(SafeContact.of(allocation.referral))
    return form


def _measure_form(slug: str, **kwargs: Any) -> case_forms.OutcomeMeasureForm:
    """The form for the measure chosen (posted with the form, or picked on the page); the first in use
    when none is chosen. A measure posted that is not in use gets no boxes: the service refuses it."""
    in_use = {m.code: m for m in registry.active_measures(db.session())}
    posted = request.form.get("measure") if request.method == "POST" else request.args.get("measure")
    code = posted if posted is not None else next(iter(in_use), "")
    form = case_forms.outcome_measure_form(in_use.get(code))(prefix=slug, **kwargs)
    form.measure_code = str(code)[:40]
    return form


def _act(allocation: Allocation, action: str, form: Any) -> None:
    session, provider_id, actor = db.session(), current_user.provider_id, current_actor()
    if action == "accept":
        cases.accept(session, allocation.id, provider_id, actor)
    elif action == "decline":
        cases.decline(
            session, allocation.id, provider_id, actor, DeclineReason(form.reason.data), form.note.data or ""
        )
    elif action == "first-contact":
        cases.record_first_contact(
            session, allocation.id, provider_id, actor, form.on.data, form.channel.data, **form.answers()
        )
    elif action == "feedback":
        cases.offer_feedback(session, allocation.id, provider_id, actor)
    elif action == "measures":
        values = {name: form[name].data for name in Measures.names() if name in form}
        cases.record_measures(session, allocation.id, provider_id, actor, values)
    elif action == "outcome-measure":
        cases.record_outcome_measure(
            session,
            allocation.id,
            provider_id,
            actor,
            measure_code=form.measure_code,
            point=form.point.data or "",
            taken_on=form.taken_on.data,
            answers=form.answers(),
        )
    else:
        cases.close(
            session, allocation.id, provider_id, actor, Outcome(form.outcome.data), form.note.data or ""
        )


def _forms(
    allocation: Allocation, failed: str | None, failed_form: Any, leave_out: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The actions the table of moves allows from here (the service checks again when one is used)."""
    moves = states.moves_from(allocation.referral.status, Role.PROVIDER_STAFF, allocation.status)
    forms = {}
    for slug, action in ACTIONS.items():
        if action.kind not in moves or slug in leave_out:
            continue
        if slug == "feedback" and allocation.feedback_offered_on is not None:
            continue
        if failed == slug:
            forms[slug] = (action, failed_form)
        else:
            data = (allocation.measures or Measures()).stored() if slug == "measures" else {}
            forms[slug] = (action, _form(action, slug, allocation, formdata=None, data=data))
    return forms


def _show_restricted(
    allocation: Allocation, failed: str | None, failed_form: Any, problem: str | None
) -> str:
    """A restricted referral: its reference, status and dates, the actions that need nothing the person
    told us, and the timeline without its notes. Nothing the person told us, so the view is not audited."""
    forms = _forms(allocation, failed, failed_form, leave_out=frozenset(restriction.PROVIDER_CANNOT))
    held_back = {
        ACTIONS[slug].title: message
        for slug, message in restriction.PROVIDER_CANNOT.items()
        if ACTIONS[slug].kind
        in states.moves_from(allocation.referral.status, Role.PROVIDER_STAFF, allocation.status)
    }
    return render_template(
        "cases/restricted.html",
        allocation=allocation,
        referral=allocation.referral,
        notice=restriction.FOR_PROVIDERS,
        forms=forms,
        held_back=held_back,
        failed=failed,
        failed_form=failed_form,
        problem=problem,
        contact_actions=CONTACT_ACTIONS,
        timeline=restriction.without_notes(
            timeline.entries(db.session(), allocation.referral, for_provider=allocation.provider_id)
        ),
    )


def _show(
    allocation: Allocation, failed: str | None = None, failed_form: Any = None, problem: str | None = None
) -> str:
    referral: Referral = allocation.referral
    if allocation.status in (AllocationStatus.DECLINED, AllocationStatus.CANCELLED):
        # No longer this provider's case: say so, and show nothing the person told us.
        return render_template("cases/gone.html", allocation=allocation, referral=referral)
    if not referral.consent_to_share:
        # No consent to share (never given, or withdrawn): the reference and nothing the person told us.
        return render_template("cases/no_consent.html", allocation=allocation, referral=referral)
    if restriction.hides_details(referral):
        return _show_restricted(allocation, failed, failed_form, problem)
    session = db.session()
    audit.viewed(session, current_actor(), "referral.viewed", "referral", referral.id)
    # A HEAD request (a link checker, a prefetch) reads no page, so it must not use up the code.
    feedback_code = (
        None if request.method == "HEAD" else cases.take_feedback_code(session, allocation, current_actor())
    )
    # No measure can have been taken before the first contact (the service refuses it too).
    forms = _forms(
        allocation, failed, failed_form, NEEDS_CONTACT if allocation.first_contact_on is None else frozenset()
    )
    safe = SafeContact.of(referral)
    return render_template(
        "cases/case.html",
        allocation=allocation,
        referral=referral,
        sections=answer_sections(referral) + first_contact([allocation]),
        forms=forms,
        failed=failed,
        failed_form=failed_form,
        problem=problem,
        safe=safe,
        safe_channels=[m.label for m in safe.methods],
        through_referrer=safe.allows(ContactMethod.REFERRER),
        contact_actions=CONTACT_ACTIONS,
        timeline=timeline.entries(session, referral, for_provider=allocation.provider_id),
        outcome=outcomes.case_measures(session, allocation.id),
        measures_in_use=registry.active_measures(session),
        feedback_code=feedback_code,
        feedback_code_days=current_config().feedback_code_days,
    )
