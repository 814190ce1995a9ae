"""Administration of staff accounts: list, create, change a role, disable and enable (one by one, or
every account unused for a while), reset a second factor or a password.

Every change is a service call that writes an audit entry; these views only parse and render. Each
change says what was done in a banner and lands where the work goes on: the account's own page, or
the list it was made from. The banners name no one: flashed messages travel in the session cookie,
which must never hold personal data.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub import calendar, db
from hub.auth import services
from hub.auth.access import current_actor, roles_required
from hub.auth.forms import (
    NO_PROVIDER,
    ChangePasswordForm,
    ChoosePasswordForm,
    DataProtectionForm,
    InactiveAccountsForm,
    NewAccountForm,
    ResetPasswordForm,
    RoleForm,
)
from hub.auth.models import Role, StaffUser
from hub.config import current_config
from hub.forms import StaffForm, options
from hub.plurals import counted
from hub.providers.models import Provider

bp = Blueprint("admin", __name__)


def _to_account(user: StaffUser, done: str, category: str = "message") -> Response:
    """Back to the account's own page, saying what was done or why not (naming no one)."""
    flash(done, category)
    return redirect(url_for("admin.account", user_id=user.id), code=303)


def _account(user_id: str) -> StaffUser:
    try:
        user = db.session().get(StaffUser, uuid.UUID(user_id))
    except ValueError:
        user = None
    if user is None:
        abort(404)
    return user


def _providers() -> list[Provider]:
    return list(db.session().scalars(select(Provider).order_by(Provider.name)))


@bp.get("/admin/users")
@roles_required(Role.ADMIN)
def users() -> str:
    accounts = db.session().scalars(select(StaffUser).order_by(StaffUser.created_at)).all()
    days = current_config().inactive_account_days
    unused = services.inactive_accounts(db.session(), calendar.today(), days, current_user.id)
    return render_template(
        "admin/users.html",
        accounts=accounts,
        providers={p.id: p.name for p in _providers()},
        unused=len(unused),
        days=days,
    )


@bp.get("/admin/users/<user_id>")
@roles_required(Role.ADMIN)
def account(user_id: str) -> str:
    user = _account(user_id)
    provider = db.session().get(Provider, user.provider_id) if user.provider_id else None
    return render_template("admin/account.html", account=user, provider=provider, form=StaffForm())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new_user() -> str | Response:
    form = _new_account_form()
    problem = None
    if form.validate_on_submit():
        try:
            made = _create_account(form)
        except services.AccountError as error:
            problem = str(error)
        else:
            return _to_account(
                made,
                "The account is added. Give them their first password in person or by phone. "
                "They choose their own when they first sign in.",
            )
    return render_template("admin/new_user.html", form=form, problem=problem)


def _new_account_form() -> NewAccountForm:
    """The form, offering every role and every provider (offered again when it comes back)."""
    form = NewAccountForm()
    form.role.choices = options([(r.value, r.label) for r in Role])
    form.provider.choices = options([(p.slug, p.name) for p in _providers()])
    return form


def _create_account(form: NewAccountForm) -> StaffUser:
    provider_id = (
        db.session().scalar(select(Provider.id).where(Provider.slug == form.provider.data))
        if form.provider.data
        else None
    )
    return services.create_user(
        db.session(),
        email=form.email.data or "",
        display_name=form.display_name.data or "",
        role=Role(form.role.data),
        password=form.password.data or "",
        provider_id=provider_id,
        actor=current_actor(),
        must_change_password=True,
    )


@bp.route("/admin/users/<user_id>/role", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def change_role(user_id: str) -> str | Response:
    user = _account(user_id)
    form, providers = _role_form(user), {p.slug: p.id for p in _providers()}
    problem = None
    if form.validate_on_submit():
        try:
            changed = services.set_role(
                db.session(),
                user,
                Role(form.role.data),
                providers.get(form.provider.data or ""),
                current_actor(),
            )
        except services.AccountError as error:
            problem = str(error)
        else:
            return _to_account(
                user, ROLE_CHANGED if changed else "Nothing changed: that is already their role."
            )
    return render_template("admin/change_role.html", form=form, problem=problem, account=user)


ROLE_CHANGED = (
    "The role is changed. They are signed out everywhere, and the new role applies when they next sign in."
)


def _role_form(user: StaffUser) -> RoleForm:
    """The form, starting from the account's role and provider; every choice is offered again on a post."""
    form = RoleForm()
    form.role.choices = options([(r.value, r.label) for r in Role])
    providers = _providers()
    form.provider.choices = options(
        [(p.slug, p.name) for p in providers] + [(NO_PROVIDER, "Not provider staff")]
    )
    if not form.is_submitted():
        form.role.data = user.role.value
        form.provider.data = next((p.slug for p in providers if p.id == user.provider_id), NO_PROVIDER)
    return form


@bp.post("/admin/users/<user_id>/data-protection")
@roles_required(Role.ADMIN)
def data_protection(user_id: str) -> Response:
    """Give or take the data-protection duty (subject access and the other rights requests)."""
    user, form = _account(user_id), DataProtectionForm()
    if not form.validate_on_submit():
        return _to_account(user, "Nothing changed: choose whether they hold the duty.", "problem")
    holds = form.holds.data == "yes"
    try:
        changed = services.set_data_protection(db.session(), user, holds, current_actor())
    except services.AccountError as error:
        return _to_account(user, f"{error}.", "problem")
    if not changed:
        return _to_account(user, "Nothing changed: that is already so.")
    return _to_account(user, DUTY_GIVEN if holds else DUTY_TAKEN)


DUTY_GIVEN = (
    "They now hold the data-protection duty: they can record and answer requests about a person's data."
)
DUTY_TAKEN = "They no longer hold the data-protection duty."


@bp.post("/admin/users/<user_id>/disable")
@roles_required(Role.ADMIN)
def disable(user_id: str) -> Response:
    user = _account(user_id)
    try:
        services.set_disabled(db.session(), user, True, current_actor())
    except services.AccountError as error:
        return _to_account(user, f"{error}.", "problem")
    return _to_account(
        user, "The account is disabled. It cannot sign in, and every session it had has ended."
    )


@bp.post("/admin/users/<user_id>/enable")
@roles_required(Role.ADMIN)
def enable(user_id: str) -> Response:
    user = _account(user_id)
    services.set_disabled(db.session(), user, False, current_actor())
    return _to_account(user, "The account is enabled. They can sign in again.")


@bp.route("/admin/users/<user_id>/reset-second-factor", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def reset_second_factor(user_id: str) -> str | Response:
    """Ask first: resetting signs the person out and they must set up their authenticator again."""
    user = _account(user_id)
    form = StaffForm()
    if form.validate_on_submit():
        services.reset_second_factor(db.session(), user, current_actor())
        return _to_account(
            user, "The authenticator is reset. They set up a new one the next time they sign in."
        )
    return render_template("admin/reset_second_factor.html", form=form, account=user)


@bp.route("/admin/users/inactive", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def inactive() -> str | Response:
    """Accounts unused for a while, and one button to disable those shown (each checked again)."""
    form, days, today = InactiveAccountsForm(), current_config().inactive_account_days, calendar.today()
    if form.validate_on_submit():
        done, left = services.disable_inactive(
            db.session(), form.accounts.data or [], current_actor(), today, days
        )
        _say_what_was_disabled(done, left)
        return redirect(url_for("admin.inactive"), code=303)
    accounts = services.inactive_accounts(db.session(), today, days, current_user.id)
    providers = {p.id: p.name for p in _providers()}
    return render_template(
        "admin/inactive.html", form=form, accounts=accounts, days=days, providers=providers
    )


def _say_what_was_disabled(done: int, left: int) -> None:
    if done:
        flash(
            f"{counted(done, 'account')} disabled. They cannot sign in, and every session they had has ended."
        )
    if left:
        flash(
            f"{counted(left, 'account was', 'accounts were')} left as before: signed in, or changed, "
            "since the list was shown.",
            "problem",
        )
    if not done and not left:
        flash("No account was disabled: there was none on the list.", "problem")


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
