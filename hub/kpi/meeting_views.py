"""The joint meeting's pages: sharing a quarter (commissioners), the shared quarters, each one's joint
view, record and printable pack (the triage team, the providers and the commissioners).

The triage team and the providers reach a quarter only while it is shared: otherwise (an unshared
quarter, a guessed one, a link kept from before sharing stopped) it is "not found", and the refusal is
audited. Commissioners reach every quarter that has ended.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from hub import audit, db
from hub.auth.access import current_actor, roles_required
from hub.auth.models import Role
from hub.calendar import Quarter
from hub.kpi import meeting
from hub.kpi.agencies import referrals_by_agency
from hub.kpi.joint import TREND_CODES, TREND_QUARTERS
from hub.kpi.meeting_forms import ActionForm, QuarterForm, RecordForm, StatusForm
from hub.kpi.meeting_models import ActionStatus, MeetingAction
from hub.kpi.meeting_pack import as_pdf

bp = Blueprint("meeting", __name__)
AT_THE_MEETING = (Role.ALLOCATOR, Role.PROVIDER_STAFF, Role.COMMISSIONER)


@bp.app_template_global()
def quarter_sharing(quarter: Quarter) -> dict[str, object]:
    """For the commissioners' joint view: whether the quarter is shared, and whether it can be."""
    return {"row": meeting.sharing(db.session(), quarter), "shareable": meeting.shareable(quarter)}


@bp.app_template_global()
def meeting_quarter_label(key: int) -> str:
    return Quarter.from_key(key).label


def _quarter(key: int) -> Quarter:
    """A quarter that has ended, which the signed-in member of staff may see at the meeting; else 404."""
    if not Quarter.valid(key // 10, key % 10) or Quarter.from_key(key) > Quarter.last_ended():
        abort(404)
    quarter = Quarter.from_key(key)
    if current_user.role is not Role.COMMISSIONER and not meeting.is_shared(db.session(), quarter):
        audit.refused(db.session(), current_actor(), "kpi_quarter", key)
        abort(404)
    return quarter


def _page(template: str, quarter: Quarter, **context: object) -> str:
    shared = meeting.sharing(db.session(), quarter)
    return render_template(template, quarter=quarter, shared=shared, meeting_trends=True, **context)


# -- sharing -----------------------------------------------------------------------------------------


@bp.post("/commissioner/kpi/share")
@roles_required(Role.COMMISSIONER)
def share() -> Response:
    return _sharing(
        meeting.share, "{} is shared for the meeting: the triage team and the providers can see it."
    )


@bp.post("/commissioner/kpi/unshare")
@roles_required(Role.COMMISSIONER)
def unshare() -> Response:
    return _sharing(meeting.unshare, "{} is no longer shared: only commissioners can see it.")


def _sharing(change: meeting.Change, done: str) -> Response:
    form = QuarterForm()
    quarter = form.chosen() if form.validate() else None
    if quarter is None:
        flash("Choose a quarter from the list, then try again.", "problem")
        return redirect(url_for("commissioner.quarter_page"), code=303)
    try:
        change(db.session(), current_actor(), quarter)
    except meeting.MeetingRefused as refused:
        flash(str(refused), "problem")
    else:
        flash(done.format(quarter.label))
    return redirect(url_for("commissioner.quarter_page", quarter=quarter.key), code=303)


# -- the pages -----------------------------------------------------------------------------------------


@bp.get("/meeting")
@roles_required(*AT_THE_MEETING)
def index() -> str:
    session = db.session()
    shared = meeting.shared_quarters(session)
    others = []
    if current_user.role is Role.COMMISSIONER:
        others = [q for q in meeting.recorded_quarters(session) if q not in shared]
    return render_template("meeting/index.html", shared=shared, others=others)


@bp.get("/meeting/<int:quarter>")
@roles_required(*AT_THE_MEETING)
def joint(quarter: int) -> str:
    chosen = _quarter(quarter)
    found = meeting.figures(db.session(), chosen, TREND_CODES, TREND_QUARTERS)
    audit.viewed(db.session(), current_actor(), "meeting.joint_viewed", "kpi_quarter", chosen.key)
    agencies = referrals_by_agency(db.session(), chosen)
    return _page("meeting/joint.html", chosen, joint=found.joint, trends=found.trends, agencies=agencies)


@bp.get("/meeting/<int:quarter>/record")
@roles_required(*AT_THE_MEETING)
def record(quarter: int) -> str:
    chosen = _quarter(quarter)
    session = db.session()
    audit.viewed(session, current_actor(), "meeting.record_viewed", "kpi_quarter", chosen.key)
    return _page(
        "meeting/record.html",
        chosen,
        record=meeting.record_of(session, chosen),
        actions=meeting.actions_for(session, chosen),
        names=meeting.names(session),
    )


@bp.route("/meeting/<int:quarter>/record/edit", methods=["GET", "POST"])
@roles_required(Role.COMMISSIONER)
def edit_record(quarter: int) -> str | Response:
    chosen, session = _quarter(quarter), db.session()
    kept = meeting.record_of(session, chosen)
    form = RecordForm(chosen, meeting.organisations(session, chosen), obj=kept)
    problem = None
    if form.validate_on_submit():
        try:
            meeting.save_record(
                session,
                current_actor(),
                chosen,
                form.held_on.data,
                form.attended.data or [],
                form.notes.data or "",
            )
        except meeting.MeetingRefused as refused:
            problem = str(refused)
        else:
            flash(f"The record of the meeting about {chosen.label} is saved.")
            return redirect(url_for("meeting.record", quarter=chosen.key), code=303)
    return render_template("meeting/record_edit.html", form=form, quarter=chosen, problem=problem)


@bp.route("/meeting/<int:quarter>/actions/new", methods=["GET", "POST"])
@roles_required(Role.COMMISSIONER)
def new_action(quarter: int) -> str | Response:
    chosen, session = _quarter(quarter), db.session()
    form, problem = ActionForm(meeting.organisations(session, chosen)), None
    if form.validate_on_submit() and form.due_on.data is not None:
        owner, what = form.owner.data or "", form.what.data or ""
        try:
            meeting.add_action(session, current_actor(), chosen, what, owner, form.due_on.data)
        except meeting.MeetingRefused as refused:
            problem = str(refused)
        else:
            flash("The action is added to the record.")
            return redirect(url_for("meeting.record", quarter=chosen.key), code=303)
    return render_template("meeting/action_new.html", form=form, quarter=chosen, problem=problem)


@bp.route("/meeting/<int:quarter>/actions/<uuid:action_id>", methods=["GET", "POST"])
@roles_required(Role.COMMISSIONER)
def action(quarter: int, action_id: uuid.UUID) -> str | Response:
    chosen, session = _quarter(quarter), db.session()
    found: MeetingAction = meeting.find_action(session, chosen, action_id) or abort(404)
    form, problem = StatusForm(status=found.progress.value), None
    if form.validate_on_submit():
        try:
            meeting.set_status(session, current_actor(), chosen, found, ActionStatus(form.status.data))
        except meeting.MeetingRefused as refused:
            problem = str(refused)
        else:
            flash(f"The action is now {ActionStatus(form.status.data).label.lower()}.")
            return redirect(url_for("meeting.record", quarter=chosen.key), code=303)
    names = meeting.names(session)
    return render_template(
        "meeting/action.html", form=form, quarter=chosen, action=found, names=names, problem=problem
    )


@bp.get("/meeting/<int:quarter>/pack")
@roles_required(*AT_THE_MEETING)
def pack(quarter: int) -> str:
    chosen = _quarter(quarter)
    found = _pack(chosen)
    audit.viewed(db.session(), current_actor(), "meeting.pack_viewed", "kpi_quarter", chosen.key)
    return _page("meeting/pack.html", chosen, **found)


@bp.get("/meeting/<int:quarter>/pack.pdf")
@roles_required(*AT_THE_MEETING)
def pack_pdf(quarter: int) -> Response:
    chosen = _quarter(quarter)
    found = _pack(chosen)
    audit.viewed(db.session(), current_actor(), "meeting.pack_downloaded", "kpi_quarter", chosen.key)
    html = _page("meeting/pack_pdf.html", chosen, **found)
    named = chosen.financial.replace("/", "-").replace(" ", "-").lower()
    return Response(
        as_pdf(html),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="meeting-pack-{named}.pdf"'},
    )


def _pack(quarter: Quarter) -> dict[str, object]:
    session = db.session()
    found = meeting.figures(session, quarter, TREND_CODES, TREND_QUARTERS)
    return {
        "joint": found.joint,
        "trends": found.trends,
        "headlines": meeting.headlines(found.joint, TREND_CODES),
        "record": meeting.record_of(session, quarter),
        "actions": meeting.actions_for(session, quarter),
        "names": meeting.names(session),
    }
