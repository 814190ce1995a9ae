"""Administration of staff accounts: list, create, disable and enable, reset a second factor.

Every change is a service call that writes an audit entry; these views only parse and render.
"""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub import db
from hub.auth import services
from hub.auth.access import current_actor, roles_required
from hub.auth.forms import ChangePasswordForm, NewAccountForm, StaffForm
from hub.auth.models import Role, StaffUser
from hub.providers.models import Provider
from hub.referrals.forms import options

bp = Blueprint("admin", __name__)


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
    form = NewAccountForm()
    form.role.choices = options([(r.value, r.label) for r in Role])
    form.provider.choices = options(
        [(p.slug, p.name) for p in db.session().scalars(select(Provider).order_by(Provider.name))]
    )
    problem = None
    if form.validate_on_submit():
        provider_id = (
            db.session().scalar(select(Provider.id).where(Provider.slug == form.provider.data))
            if form.provider.data
            else None
        )
        try:
            services.create_user(
                db.session(),
                email=form.email.data or "",
                display_name=form.display_name.data or "",
                role=Role(form.role.data),
                password=form.password.data or "",
                provider_id=provider_id,
                actor=current_actor(),
            )
        except services.AccountError as error:
            problem = str(error)
        else:
            return redirect(url_for("admin.users"), code=303)
    return render_template("admin/new_user.html", form=form, problem=problem)


@bp.post("/admin/users/<user_id>/disable")
@roles_required(Role.ADMIN)
def disable(user_id: str) -> Response:
    services.set_disabled(db.session(), _account(user_id), True, current_actor())
    return redirect(url_for("admin.users"), code=303)


@bp.post("/admin/users/<user_id>/enable")
@roles_required(Role.ADMIN)
def enable(user_id: str) -> Response:
    services.set_disabled(db.session(), _account(user_id), False, current_actor())
    return redirect(url_for("admin.users"), code=303)


@bp.post("/admin/users/<user_id>/reset-second-factor")
@roles_required(Role.ADMIN)
def reset_second_factor(user_id: str) -> Response:
    services.reset_second_factor(db.session(), _account(user_id), current_actor())
    return redirect(url_for("admin.users"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@roles_required(*Role)
def change_password() -> str | Response:
    form = ChangePasswordForm()
    problem = None
    if form.validate_on_submit():
        try:
            services.change_password(
                db.session(), current_user, form.current.data or "", form.new.data or "", request.remote_addr
            )
        except services.AccountError as error:
            problem = str(error)
        else:
            return redirect(url_for("auth.sign_in"), code=303)
    return render_template("admin/change_password.html", form=form, problem=problem)
