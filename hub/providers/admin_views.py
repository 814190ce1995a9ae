"""Administrators' pages for providers (``/admin/providers``) and specialisms (``/admin/specialisms``).

The rules and transactions are in hub.providers.admin; these views parse, call and render. Each change
lands back on its list with a banner saying what was done; a refusal changes nothing and says why.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub import db
from hub.auth.access import current_actor, roles_required
from hub.auth.models import Role
from hub.forms import StaffForm
from hub.providers import admin
from hub.providers.forms import ProviderForm, SpecialismForm, provider_form
from hub.providers.models import Provider, Serves, Specialism
from hub.providers.services import offered_specialisms

bp = Blueprint("provider_admin", __name__)


def _back(endpoint: str, message: str, category: str = "message") -> Response:
    flash(message, category)
    return redirect(url_for(endpoint), code=303)


def _refused(endpoint: str, error: admin.AdminError) -> Response:
    """Back to the list with why nothing changed (the message ends without a full stop, as the error
    summary shows it; a banner is a sentence, as the accounts' banners are)."""
    return _back(endpoint, f"{error}.", "problem")


@bp.get("/admin/providers")
@roles_required(Role.ADMIN)
def provider_list() -> str:
    return render_template(
        "admin/providers.html", providers=admin.every_provider(db.session()), form=StaffForm()
    )


@bp.route("/admin/providers/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_provider() -> str | Response:
    form = provider_form(offered_specialisms(db.session()), serves=Serves.EVERYONE.value)
    problem = None
    if form.validate_on_submit():
        try:
            added = admin.create_provider(db.session(), _details(form), current_actor())
        except admin.AdminError as error:
            problem = str(error)
        else:
            return _back(
                "provider_admin.provider_list",
                f"{added.name} is added. The triage team can offer it referrals now, and people "
                "asking for support can choose it.",
            )
    return render_template("admin/provider.html", form=form, provider=None, problem=problem)


@bp.route("/admin/providers/<int:provider_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_provider(provider_id: int) -> str | Response:
    provider = db.session().get(Provider, provider_id) or abort(404)
    # What the provider has now fills the form only when it is first shown: a posted form is read alone,
    # so a box left unticked (sent as nothing) is unticked, never the old value kept.
    shown = _current(provider) if request.method == "GET" else {}
    form = provider_form(offered_specialisms(db.session()), **shown)
    problem = None
    if form.validate_on_submit():
        try:
            changed = admin.update_provider(db.session(), provider.id, _details(form), current_actor())
        except admin.AdminError as error:
            problem = str(error)
        else:
            what = (
                f"Changed: {', '.join(changed)}." if changed else "Nothing was different, so nothing changed."
            )
            return _back("provider_admin.provider_list", f"{provider.name} is saved. {what}")
    return render_template("admin/provider.html", form=form, provider=provider, problem=problem)


def _current(provider: Provider) -> dict[str, object]:
    """What the form shows for a provider before anything is posted."""
    capacity = provider.capacity
    found: dict[str, object] = {
        "name": provider.name,
        "summary": provider.summary,
        "serves": provider.serves.value,
        "min_age": provider.min_age,
        "max_age": provider.max_age,
        "specialisms": [str(s.id) for s in provider.specialisms if not s.retired],
        "referrals_email": provider.referrals_email or "",
        "new_starts_per_quarter": capacity.new_starts_per_quarter if capacity else None,
        "max_active": capacity.max_active if capacity else None,
    }
    found |= {
        f"limit_{limit.specialism_id}": limit.new_starts_per_quarter for limit in provider.specialism_limits
    }
    return found


def _details(form: ProviderForm) -> admin.ProviderDetails:
    return admin.ProviderDetails(
        name=form.name.data or "",
        summary=form.summary.data or "",
        serves=Serves(form.serves.data),
        min_age=form.min_age.data,
        max_age=form.max_age.data,
        specialism_ids=[int(value) for value in form.specialisms.data or []],
        referrals_email=form.referrals_email.data or None,
        new_starts_per_quarter=form.new_starts_per_quarter.data,
        max_active=form.max_active.data,
        specialism_limits={sid: field.data for sid, field in form.limit_fields() if field.data is not None},
    )


@bp.route("/admin/providers/<int:provider_id>/deactivate", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def deactivate(provider_id: int) -> str | Response:
    """Ask first: says what deactivating does; the warning button does it."""
    provider = db.session().get(Provider, provider_id) or abort(404)
    form, open_offers = StaffForm(), current_app.extensions["hub.open_offers"]
    if not form.validate_on_submit():
        waiting = open_offers(db.session(), provider.id)
        return render_template(
            "admin/provider_deactivate.html", form=form, provider=provider, waiting=waiting
        )
    try:
        admin.deactivate(db.session(), provider.id, current_actor(), open_offers)
    except admin.AdminError as error:
        return _refused("provider_admin.provider_list", error)
    return _back(
        "provider_admin.provider_list",
        f"{provider.name} is deactivated. It is offered no new referrals and no one can choose it. "
        "Its staff can still sign in to finish the cases they have and make their returns.",
    )


@bp.post("/admin/providers/<int:provider_id>/reactivate")
@roles_required(Role.ADMIN)
def reactivate(provider_id: int) -> Response:
    try:
        provider = admin.reactivate(db.session(), provider_id, current_actor())
    except admin.AdminError as error:
        return _refused("provider_admin.provider_list", error)
    return _back(
        "provider_admin.provider_list", f"{provider.name} is active again and can be offered referrals."
    )


# -- specialisms ------------------------------------------------------------------------------------


@bp.route("/admin/specialisms", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def specialism_list() -> str | Response:
    form, problem = SpecialismForm(), None
    if form.validate_on_submit():
        try:
            added = admin.create_specialism(
                db.session(), form.label.data or "", form.description.data or "", current_actor()
            )
        except admin.AdminError as error:
            problem = str(error)
        else:
            return _back(
                "provider_admin.specialism_list", f"{added.label} is added. Providers can now offer it."
            )
    session = db.session()
    return render_template(
        "admin/specialisms.html",
        specialisms=admin.every_specialism(session),
        offering=admin.providers_offering(session),
        form=form,
        problem=problem,
    )


@bp.route("/admin/specialisms/<int:specialism_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit_specialism(specialism_id: int) -> str | Response:
    specialism = db.session().get(Specialism, specialism_id) or abort(404)
    form, problem = SpecialismForm(label=specialism.label, description=specialism.description), None
    if form.validate_on_submit():
        try:
            admin.update_specialism(
                db.session(),
                specialism.id,
                form.label.data or "",
                form.description.data or "",
                current_actor(),
            )
        except admin.AdminError as error:
            problem = str(error)
        else:
            return _back("provider_admin.specialism_list", f"{specialism.label} is saved.")
    return render_template("admin/specialism.html", form=form, specialism=specialism, problem=problem)


@bp.post("/admin/specialisms/<int:specialism_id>/retire")
@roles_required(Role.ADMIN)
def retire_specialism(specialism_id: int) -> Response:
    return _set_retired(specialism_id, True)


@bp.post("/admin/specialisms/<int:specialism_id>/restore")
@roles_required(Role.ADMIN)
def restore_specialism(specialism_id: int) -> Response:
    return _set_retired(specialism_id, False)


def _set_retired(specialism_id: int, retired: bool) -> Response:
    try:
        specialism = admin.set_retired(db.session(), specialism_id, retired, current_actor())
    except admin.AdminError as error:
        return _refused("provider_admin.specialism_list", error)
    done = (
        "is retired. It is not offered for new choices, and stays on every record that has it."
        if retired
        else "is offered again."
    )
    return _back("provider_admin.specialism_list", f"{specialism.label} {done}")
