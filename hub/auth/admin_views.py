"""Administration of staff accounts: list, create, disable and enable, reset a second factor or a password.

Every change is a service call that writes an audit entry; these views only parse and render. Each
confirmation banner names no one: flashed messages travel in the session cookie, which must never
hold personal data.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub import db
from hub.auth import services
from hub.auth.access import current_actor, roles_required
from hub.auth.forms import (
    ChangePasswordForm,
    ChoosePasswordForm,
    NewAccountForm,
    ResetPasswordForm,
)
from hub.auth.models import Role, StaffUser
from hub.forms import StaffForm, options
from hub.providers.models import Provider

bp = Blueprint("admin", __name__)


def _to_accounts(done: str) -> Response:
    """Back to the list of accounts, saying what was done (naming no one)."""
    flash(done)
    return redirect(url_for("admin.users"), code=303)


def _account(user_id: str) -> StaffUser:
    try:
        user = db.session().get(StaffUser, uuid.UUID(user_id))
    except ValueError:
        user = None
    if user is None:
        abort(404)
    return user


@bp.get("/admin/users")
@roles_required(Role.ADMIN)
def users() -> str:
    accounts = db.session().scalars(select(StaffUser).order_by(StaffUser.created_at)).all()
    providers = {p.id: p.name for p in db.session().scalars(select(Provider))}
    return render_template("admin/users.html", accounts=accounts, providers=providers, form=StaffForm())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user() -> str | Response:
    form = _new_account_form()
    problem = None
    if form.validate_on_submit():
        try:
            _create_account(form)
        except services.AccountError as error:
            problem = str(error)
        else:
            return _to_accounts(
                "The account is added. Give them their first password in person or by phone. "
                "They choose their own when they first sign in."
            )
    return render_template("admin/new_user.html", form=form, problem=problem)


def _new_account_form() -> NewAccountForm:
    """The form, offering every role and every provider (offered again when it comes back)."""
    form = NewAccountForm()
    form.role.choices = options([(r.value, r.label) for r in Role])
    form.provider.choices = options(
        [(p.slug, p.name) for p in db.session().scalars(select(Provider).order_by(Provider.name))]
    )
    return form


def _create_account(form: NewAccountForm) -> None:
    provider_id = (
        db.session().scalar(select(Provider.id).where(Provider.slug == form.provider.data))
        if form.provider.data
        else None
    )
    services.create_user(
        db.session(),
        email=form.email.data or "",
        display_name=form.display_name.data or "",
        role=Role(form.role.data),
        password=form.password.data or "",
        provider_id=provider_id,
        actor=current_actor(),
        must_change_password=True,
    )


@bp.post("/admin/users/<user_id>/disable")
@roles_required(Role.ADMIN)
def disable(user_id: str) -> Response:
    services.set_disabled(db.session(), _account(user_id), True, current_actor())
    return _to_accounts("The account is disabled. It cannot sign in, and every session it had has ended.")


@bp.post("/admin/users/<user_id>/enable")
@roles_required(Role.ADMIN)
def enable(user_id: str) -> Response:
    services.set_disabled(db.session(), _account(user_id), False, current_actor())
    return _to_accounts("The account is enabled. They can sign in again.")


@bp.post("/admin/users/<user_id>/reset-second-factor")
@roles_required(Role.ADMIN)
def reset_second_factor(user_id: str) -> Response:
    services.reset_second_factor(db.session(), _account(user_id), current_actor())
    return _to_accounts("The authenticator is reset. They set up a new one the next time they sign in.")


@bp.route("/admin/users/<user_id>/reset-password", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def reset_password(user_id: str) -> str:
    """Ask for the administrator's own code; then show the temporary password, once, on this response.

    It is never redirected with, flashed, emailed or logged: the page that shows it is not stored
    (every page is sent with ``Cache-Control: no-store``).
    """
    account = _account(user_id)
    form = ResetPasswordForm()
    problem = None
    if form.validate_on_submit():
        try:
            temporary = services.reset_password_confirmed(
                db.session(), account, current_user, form.code.data or "", request.remote_addr
            )
        except services.AccountError as error:
            problem = str(error)
        else:
            return render_template("admin/temporary_password.html", account=account, temporary=temporary)
    return render_template("admin/reset_password.html", form=form, problem=problem, account=account)


@bp.route("/account/password", methods=["GET", "POST"])
@roles_required(*Role)
def change_password() -> str | Response:
    """Change one's password; after a reset, choose one (the only staff page open until then)."""
    forced = current_user.must_change_password
    form = ChoosePasswordForm() if forced else ChangePasswordForm()
    problem = None
    if form.validate_on_submit():
        try:
            services.change_password(
                db.session(),
                current_user,
                form.current.data or "" if isinstance(form, ChangePasswordForm) else None,
                form.new.data or "",
                request.remote_addr,
            )
        except services.AccountError as error:
            problem = str(error)
        else:
            flash("Your password is changed. Sign in with your new password.")
            return redirect(url_for("auth.sign_in"), code=303)
    return render_template("admin/change_password.html", form=form, problem=problem, forced=forced)
