"""Staff pages for referrals: the TRS triage queue, one referral with its recommendation and actions,
and the whole-queue plan. The rules and the transactions are in the services these views call.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub import audit, db, posted
from hub.auth.access import current_actor, owned_or_404, roles_required
from hub.auth.models import Role
from hub.config import current_config
from hub.db import utcnow
from hub.forms import StaffForm, options
from hub.keyring import current_keyring
from hub.plurals import counted
from hub.providers.services import active_providers, all_specialisms
from hub.referrals import (
    consent,
    consent_forms,
    duplicates,
    rectification,
    rectification_forms,
    states,
    timeline,
    triage_forms,
    triage_moves,
)
from hub.referrals.allocation import (
    CONSENT_MESSAGE,
    STALE_PLAN,
    AllocationError,
    NotOffered,
    ReasonNeeded,
    allocate,
    confirm_plan,
    offered_pairs,
    propose_plan,
    recommend,
    sign_offer,
)
from hub.referrals.models import CORRECTABLE, ConsentMethod, EventKind, Referral, ReferralSource
from hub.referrals.presenting import answer_sections, consultation_answer, first_contact, returned_because
from hub.referrals.triage import Filters, QueuePage, overdue_before, queue

bp = Blueprint("triage", __name__)


def _filters() -> Filters:
    source = request.args.get("source")
    return Filters(
        source=ReferralSource(source) if source in {s.value for s in ReferralSource} else None,
        specialism=request.args.get("specialism") or None,
        under_18=request.args.get("under_18") == "yes",
        duplicate=request.args.get("duplicate") == "yes",
        returned=request.args.get("returned") == "yes",
        info_requested=request.args.get("info_requested") == "yes",
        consent_needed=request.args.get("consent_needed") == "yes",
        arrived_before=overdue_before(utcnow(), current_config().overdue_working_days)
        if request.args.get("overdue") == "yes"
        else None,
    )


@bp.get("/triage")
@roles_required(Role.ALLOCATOR)
def queue_page() -> str:
    result = queue(
        db.session(),
        _filters(),
        posted.number_argument("page", 1),
        current_config().overdue_working_days,
        utcnow(),
    )
    return render_template(
        "triage/queue.html",
        result=result,
        specialisms=all_specialisms(db.session()),
        pagination=_pagination(result),
    )


def _pagination(result: QueuePage) -> dict[str, Any]:
    """The GOV.UK pagination component's parameters, keeping the filters in each link."""
    args: dict[str, Any] = request.args.to_dict()

    def link(page: int) -> str:
        return url_for("triage.queue_page", **{**args, "page": str(page)})

    return {
        "previous": {"href": link(result.page - 1)} if result.page > 1 else None,
        "next": {"href": link(result.page + 1)} if result.page < result.pages else None,
        "items": [
            {"number": n, "href": link(n), "current": n == result.page} for n in range(1, result.pages + 1)
        ]
        if result.pages <= 10
        else [],
    }


# -- one referral -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    kind: EventKind
    form: type[StaffForm]
    button: str
    done: str  # the message shown afterwards; {reference} is filled in
    then_referral: bool = False  # land on the referral (its work goes on there), not on the queue


ACTIONS = {
    "request-information": Action(
        EventKind.INFO_REQUESTED,
        triage_forms.RequestInformationForm,
        "Ask for more information",
        "{reference} is waiting for more information. It is listed under “Waiting for more information”.",
    ),
    "information-received": Action(
        EventKind.INFO_RECEIVED,
        triage_forms.InformationReceivedForm,
        "Information received: put it back in the queue",
        "{reference} is back in the queue.",
        then_referral=True,
    ),
    "signpost": Action(
        EventKind.SIGNPOSTED,
        triage_forms.SignpostForm,
        "Close and signpost",
        "{reference} is closed and signposted.",
    ),
    "withdraw": Action(
        EventKind.WITHDRAWN,
        triage_forms.WithdrawForm,
        "Mark as withdrawn",
        "{reference} is marked withdrawn.",
    ),
}


@bp.get("/triage/referrals/<referral_id>")
@roles_required(Role.ALLOCATOR)
def referral_page(referral_id: str) -> str:
    return _show(owned_or_404(Referral, referral_id))


@bp.post("/triage/referrals/<referral_id>/allocate")
@roles_required(Role.ALLOCATOR)
def allocate_referral(referral_id: str) -> str | Response:
    referral = owned_or_404(Referral, referral_id)
    form = triage_forms.AllocateForm()
    providers = {str(p.id): p.name for p in active_providers(db.session())}
    form.provider.choices = options(list(providers.items()))
    problem = None
    if form.validate_on_submit():
        try:
            allocate(
                db.session(), referral.id, int(form.provider.data or 0), current_actor(), form.reason.data
            )
        except ReasonNeeded as error:
            form.reason.errors = [str(error)]
        except AllocationError as error:
            problem = str(error)
        else:
            flash(f"{referral.reference} is allocated to {providers[form.provider.data or '']}.")
            return redirect(url_for("triage.queue_page"), code=303)
    return _show(referral, "allocate", form, problem)


@bp.post("/triage/referrals/<referral_id>/<action>")
@roles_required(Role.ALLOCATOR)
def move(referral_id: str, action: str) -> str | Response:
    chosen = ACTIONS.get(action)
    if chosen is None:
        abort(404)
    referral = owned_or_404(Referral, referral_id)
    form = chosen.form(prefix=action)
    return _act_on(
        referral,
        action,
        form,
        lambda: triage_moves.move(
            db.session(), referral.id, chosen.kind, current_actor(), form.note.data or ""
        ),
        triage_moves.MoveRefused,
        chosen.done.format(reference=referral.reference),
        url_for("triage.referral_page", referral_id=referral.id)
        if chosen.then_referral
        else url_for("triage.queue_page"),
    )


def _act_on(
    referral: Referral,
    slug: str,
    form: Any,
    act: Callable[[], object],
    refused: type[Exception],
    done: str,
    then: str,
) -> str | Response:
    """One action from the referral page: if the form is good, ``act``; then say so and go on, or
    show the page again with the form's errors or the service's refusal."""
    if form.validate_on_submit():
        try:
            act()
        except refused as error:
            return _show(referral, slug, form, str(error))
        flash(done)
        return redirect(then, code=303)
    return _show(referral, slug, form)


def _show(
    referral: Referral, failed: str | None = None, failed_form: Any = None, problem: str | None = None
) -> str:
    """The referral page: every answer (the view is audited), the recommendation, the actions."""
    session = db.session()
    audit.viewed(session, current_actor(), "referral.viewed", "referral", referral.id)
    ranked = recommend(session, referral, active_providers(session))
    best = ranked[0] if ranked and ranked[0].recommended else None
    allocate_form = (
        failed_form
        if failed == "allocate"
        else triage_forms.AllocateForm(formdata=None, provider=str(best.provider.id) if best else None)
    )
    allocate_form.provider.choices = options([(str(r.provider.id), r.provider.name) for r in ranked])
    moves = states.moves_from(referral.status, Role.ALLOCATOR)
    actions = {}
    for slug, action in ACTIONS.items():
        if action.kind not in moves:
            continue
        form = failed_form if failed == slug else action.form(formdata=None, prefix=slug)
        actions[slug] = (action, form)
    return render_template(
        "triage/referral.html",
        referral=referral,
        sections=answer_sections(
            referral,
            correct=lambda answer: url_for(".correct_answer", referral_id=referral.id, answer=answer),
        )
        + first_contact(referral.allocations)
        + consultation_answer(referral),
        returned=returned_because(referral),
        ranked=ranked,
        recommended=best,
        consent_message=CONSENT_MESSAGE,
        can_allocate=EventKind.ALLOCATED in moves,
        allocate_form=allocate_form,
        actions=actions,
        failed=failed,
        failed_form=failed_form,
        problem=problem,
        timeline=timeline.entries(session, referral),
        **_consent_parts(referral, failed, failed_form),
    )


# -- consent and possible duplicates ------------------------------------------------------------


def _consent_parts(referral: Referral, failed: str | None, failed_form: Any) -> dict[str, Any]:
    """The referral page's consent and duplicate sections: the facts, and the forms allowed now."""
    session = db.session()

    def form(slug: str, kind: type[StaffForm]) -> Any:
        return failed_form if failed == slug else kind(formdata=None, prefix=slug)

    found = duplicates.matches(session, referral)
    duplicate_form = form("duplicates", consent_forms.DuplicateForm)
    duplicate_form.other.choices = _undecided(found)
    records = consent.records(session, referral)
    consent_needed = not referral.consent_to_share and states.allowed(
        EventKind.CONSENT_RECORDED, referral.status
    )
    return {
        "consent_needed": consent_needed,
        "with_provider": states.with_provider(referral.status),
        "consent_records": records,
        "consent_recorders": consent.recorders(session, records),
        "consent_wordings": consent.WORDINGS,
        "record_consent_form": form("consent", consent_forms.RecordConsentForm) if consent_needed else None,
        "withdraw_consent_form": form("consent-withdrawn", consent_forms.WithdrawConsentForm)
        if states.allowed(EventKind.CONSENT_WITHDRAWN, referral.status)
        else None,
        "matches": found,
        "duplicate_form": duplicate_form if duplicate_form.other.choices else None,
    }


def _undecided(found: list[duplicates.Match]) -> Any:
    return options(
        [
            (str(m.other.id), f"{m.other.reference} ({m.other.status.label}, {m.other.created_at:%-d %B %Y})")
            for m in found
            if m.same_person is None
        ]
    )


@bp.post("/triage/referrals/<referral_id>/consent")
@roles_required(Role.ALLOCATOR)
def record_consent(referral_id: str) -> str | Response:
    referral = owned_or_404(Referral, referral_id)
    form = consent_forms.RecordConsentForm(prefix="consent")
    return _act_on(
        referral,
        "consent",
        form,
        lambda: consent.record_share(
            db.session(),
            referral.id,
            current_actor(),
            from_whom=form.from_whom.data or "",
            on=form.on.data,
            method=ConsentMethod(form.method.data),
            note=form.note.data or "",
        ),
        consent.ConsentRefused,
        f"Consent to share is recorded for {referral.reference}. It can now be allocated.",
        url_for("triage.referral_page", referral_id=referral.id),
    )


@bp.post("/triage/referrals/<referral_id>/consent-withdrawn")
@roles_required(Role.ALLOCATOR)
def withdraw_consent(referral_id: str) -> str | Response:
    referral = owned_or_404(Referral, referral_id)
    form = consent_forms.WithdrawConsentForm(prefix="consent-withdrawn")
    return _act_on(
        referral,
        "consent-withdrawn",
        form,
        lambda: consent.withdraw(
            db.session(),
            referral.id,
            current_actor(),
            on=form.on.data,
            method=ConsentMethod(form.method.data),
            note=form.note.data or "",
        ),
        consent.ConsentRefused,
        f"{referral.reference} is closed: the person withdrew consent.",
        url_for("triage.queue_page"),
    )


@bp.post("/triage/referrals/<referral_id>/duplicates")
@roles_required(Role.ALLOCATOR)
def decide_duplicate(referral_id: str) -> str | Response:
    referral = owned_or_404(Referral, referral_id)
    form = consent_forms.DuplicateForm(prefix="duplicates")
    form.other.choices = _undecided(duplicates.matches(db.session(), referral))
    return _act_on(
        referral,
        "duplicates",
        form,
        lambda: duplicates.decide(
            db.session(),
            referral.id,
            uuid.UUID(form.other.data or ""),
            form.same_person.data == "yes",
            current_actor(),
        ),
        duplicates.DecisionRefused,
        f"Your decision about the possible duplicate of {referral.reference} is recorded.",
        url_for("triage.referral_page", referral_id=referral.id),
    )


# -- correcting an answer ------------------------------------------------------------------------


@bp.route("/triage/referrals/<referral_id>/correct/<answer>", methods=["GET", "POST"])
@roles_required(Role.ALLOCATOR)
def correct_answer(referral_id: str, answer: str) -> str | Response:
    if answer not in CORRECTABLE:
        abort(404)
    referral = owned_or_404(Referral, referral_id)
    form = rectification_forms.form_for(answer, referral, posted=request.method == "POST")
    if form.validate_on_submit() and _corrected(referral, answer, form):
        flash(f"{CORRECTABLE[answer][1]} is corrected for {referral.reference}. The old answer is kept.")
        return redirect(url_for(".referral_page", referral_id=referral.id, _anchor="timeline"), code=303)
    audit.viewed(db.session(), current_actor(), "referral.viewed", "referral", referral.id)
    held = rectification.in_words(rectification.current(referral, answer))
    return render_template(
        "triage/correct.html", referral=referral, label=CORRECTABLE[answer][1], form=form, held=held
    )


def _corrected(referral: Referral, answer: str, form: rectification_forms.CorrectionForm) -> bool:
    """Make the correction; when it is refused, say why on the field it is about."""
    try:
        rectification.correct(
            db.session(),
            current_keyring(),
            referral.id,
            answer,
            form.given(),
            current_actor(),
            reason=form.reason.data or "",
        )
    except rectification.CorrectionRefused as error:
        form[error.field].errors = [str(error)]
        return False
    return True


# -- the whole-queue plan -----------------------------------------------------------------------


@bp.route("/triage/plan", methods=["GET", "POST"])
@roles_required(Role.ALLOCATOR)
def plan_page() -> str | Response:
    form = triage_forms.PlanForm()
    # The choices are what the signed offer holds, never what was posted: a pair the page did not
    # offer (or any pair, when the offer is not good) is not a valid choice.
    offered = offered_pairs(current_config().secret_key, current_actor(), form.offer.data or "") or []
    form.pairs.choices = options([(pair, pair) for pair in offered])
    if form.validate_on_submit():
        return _confirm_plan(form)
    if form.pairs.data and form.pairs.errors:  # something ticked that this page did not offer
        flash(STALE_PLAN, "problem")
        return redirect(url_for("triage.plan_page"), code=303)
    proposal = propose_plan(db.session())
    form.offer.data = sign_offer(current_config().secret_key, current_actor(), proposal.offered())
    return render_template("triage/plan.html", proposal=proposal, form=form)


def _confirm_plan(form: triage_forms.PlanForm) -> Response:
    """Make the ticked allocations of the signed offer; each refused one is said, the rest are made."""
    try:
        done = confirm_plan(
            db.session(),
            current_config().secret_key,
            current_actor(),
            form.offer.data or "",
            form.pairs.data or [],
        )
    except NotOffered as error:
        flash(str(error), "problem")
        return redirect(url_for("triage.plan_page"), code=303)
    if done.made:
        flash(f"{counted(done.made, 'allocation')} made.")
    for message in done.refused:
        flash(message, "problem")
    return redirect(url_for("triage.plan_page"), code=303)
