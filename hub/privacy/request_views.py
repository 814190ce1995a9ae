"""The requests register at ``/admin/requests``: for an administrator who holds the data-protection duty.

Searches are posted, never put in a web address, and their results are shown on that response; the
audit log records that a search was made for a request, never what was searched for.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response as Redirect

from hub import audit, calendar, db
from hub.auth.access import current_actor, data_protection_required
from hub.keyring import current_keyring
from hub.plurals import counted
from hub.privacy import requests, subject_access
from hub.privacy.models import Asker, RequestKind, RightsRequest
from hub.privacy.request_forms import CloseForm, ExtendForm, LinkForm, NewRequestForm, SearchForm, UnlinkForm
from hub.privacy.subject_access import Search, SearchRefused

bp = Blueprint("requests", __name__)


def _request(request_id: str) -> RightsRequest:
    found = requests.load(db.session(), request_id)
    if found is None:
        abort(404)
    return found


def _back(request: RightsRequest, said: str, category: str = "message") -> Redirect:
    flash(said, category)
    return redirect(url_for("requests.request_page", request_id=request.id), code=303)


@bp.get("/admin/requests")
@data_protection_required
def request_list() -> str:
    listed = requests.register(db.session())
    return render_template("privacy/register.html", listed=listed, today=calendar.today())


@bp.route("/admin/requests/new", methods=["GET", "POST"])
@data_protection_required
def new_request() -> str | Redirect:
    form, problem = NewRequestForm(), None
    if form.validate_on_submit():
        try:
            made = requests.add(db.session(), _new(form), current_actor())
        except requests.RequestRefused as error:
            problem = f"{error}."
        else:
            return _back(made, f"The request is recorded. It is due on {made.due_on:%-d %B %Y}.")
    return render_template("privacy/new.html", form=form, problem=problem)


def _new(form: NewRequestForm) -> requests.NewRequest:
    received = form.received.data
    assert isinstance(received, date)  # noqa: S101  (the form requires a real date)
    return requests.NewRequest(
        kind=RequestKind(form.kind.data),
        asker=Asker(form.asker.data),
        person_name=form.person_name.data or "",
        asker_name=form.asker_name.data or "",
        identity_check=form.identity_check.data or "",
        received_on=received,
        details=form.details.data or "",
    )


@bp.get("/admin/requests/<request_id>")
@data_protection_required
def request_page(request_id: str) -> str:
    return _page(_request(request_id))


def _page(request: RightsRequest, **forms: object) -> str:
    """The request's page, with any form that came back with errors, or a search's results."""
    audit.viewed(db.session(), current_actor(), "privacy.request_viewed", "rights_request", request.id)
    shown = {
        "search_form": SearchForm(formdata=None),
        "extend_form": ExtendForm(formdata=None),
        "close_form": CloseForm(formdata=None),
        **forms,
    }
    return render_template(
        "privacy/request.html", request=request, today=calendar.today(), unlink_form=UnlinkForm(), **shown
    )


def _terms(form: SearchForm) -> Search:
    born = form.born.data if isinstance(form.born.data, date) else None
    return Search(form.name.data or "", born, form.email.data or "", form.phone.data or "")


@bp.post("/admin/requests/<request_id>/search")
@data_protection_required
def search(request_id: str) -> str:
    request, form = _request(request_id), SearchForm()
    found, problem = None, None
    if form.validate_on_submit():
        try:
            found = subject_access.find(db.session(), current_keyring(), _terms(form))
        except SearchRefused as error:
            problem = f"{error}."
        else:
            subject_access.searched(db.session(), current_actor(), request.id)
    return _page(request, search_form=form, found=found, problem=problem)


@bp.post("/admin/requests/<request_id>/link")
@data_protection_required
def link(request_id: str) -> Redirect:
    request, form = _request(request_id), LinkForm()
    try:
        if not form.validate_on_submit():
            raise requests.RequestRefused(
                "Search again, then choose the referrals that are about this person"
            )
        found = {f.id for f in subject_access.find(db.session(), current_keyring(), _terms(form))}
        added = requests.link(db.session(), request, form.referrals.data or [], found, current_actor())
    except (requests.RequestRefused, SearchRefused) as error:
        return _back(request, f"{error}.", "problem")
    return _back(request, f"{counted(added, 'more referral')} linked to this request.")


@bp.post("/admin/requests/<request_id>/unlink")
@data_protection_required
def unlink(request_id: str) -> Redirect:
    request, form = _request(request_id), UnlinkForm()
    form.validate_on_submit()
    try:
        requests.unlink(db.session(), request, form.referral.data or "", current_actor())
    except requests.RequestRefused as error:
        return _back(request, f"{error}.", "problem")
    return _back(request, "The referral is no longer linked to this request.")


@bp.post("/admin/requests/<request_id>/extend")
@data_protection_required
def extend(request_id: str) -> str | Redirect:
    request, form = _request(request_id), ExtendForm()
    if not form.validate_on_submit():
        return _page(request, extend_form=form)
    try:
        due = requests.extend(
            db.session(), request, int(form.further.data or 0), form.reason.data or "", current_actor()
        )
    except requests.RequestRefused as error:
        return _back(request, f"{error}.", "problem")
    return _back(request, f"The request is extended. It is now due on {due:%-d %B %Y}.")


@bp.post("/admin/requests/<request_id>/close")
@data_protection_required
def close(request_id: str) -> str | Redirect:
    request, form = _request(request_id), CloseForm()
    if not form.validate_on_submit() or not isinstance(form.on.data, date):
        return _page(request, close_form=form)
    done = form.result.data == "done"
    try:
        requests.close(
            db.session(),
            request,
            done=done,
            on=form.on.data,
            outcome=form.outcome.data or "",
            actor=current_actor(),
        )
    except requests.RequestRefused as error:
        return _back(request, f"{error}.", "problem")
    return _back(request, "The request is closed as done." if done else "The request is closed as refused.")


@bp.get("/admin/requests/<request_id>/pack")
@data_protection_required
def pack(request_id: str) -> Redirect:
    request = _request(request_id)
    if not request.links:
        return _back(request, "Link the person's referrals to this request first.", "problem")
    body, references = subject_access.pack(
        db.session(), [one.referral_id for one in request.links], current_actor()
    )
    response = Response(body, mimetype="application/zip")
    name = subject_access.file_name(references)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
