"""Signing in and out: a password, then a second factor (set up at the first sign-in)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from hub import db
from hub.auth import services, totp
from hub.auth.access import roles_required, start_session
from hub.auth.forms import CodeForm, SignInForm
from hub.auth.models import Role, StaffUser
from hub.db import utcnow
from hub.extensions import configured_limit, limiter
from hub.forms import StaffForm

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(configured_limit("form_rate_limit"), methods=["POST"])
def sign_in() -> str | Response:
    form = SignInForm()
    problem = None
    if form.validate_on_submit():
        try:
            user = services.check_password(
                db.session(), form.email.data or "", form.password.data or "", request.remote_addr
            )
        except services.SignInFailed as failed:
            problem = str(failed)
        else:
            session.clear()
            session.update(pending_user=str(user.id), pending_at=utcnow().isoformat())
            return redirect(url_for("auth.second_factor" if user.enrolled else "auth.enrol"), code=303)
    return render_template("auth/sign_in.html", form=form, problem=problem)


def _pending_user() -> StaffUser:
    """The account whose password was right a moment ago, or back to the start."""
    user = services.pending_user(db.session(), session.get("pending_user"), session.get("pending_at"))
    if user is None:
        abort(redirect(url_for("auth.sign_in")))
    return user


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(configured_limit("form_rate_limit"), methods=["POST"])
def second_factor() -> str | Response:
    user = _pending_user()
    if not user.enrolled:
        return redirect(url_for("auth.enrol"))
    form = CodeForm()
    problem = None
    if form.validate_on_submit():
        try:
            token = services.check_second_factor(
                db.session(), user, form.code.data or "", request.remote_addr
            )
        except services.CodeRefused as refused:
            problem = str(refused)
        else:
            start_session(user, token)
            return redirect(url_for("workplace.home"), code=303)
    return render_template("auth/second_factor.html", form=form, problem=problem)


@bp.route("/login/set-up", methods=["GET", "POST"])
@limiter.limit(configured_limit("form_rate_limit"), methods=["POST"])
def enrol() -> str | Response:
    user = _pending_user()
    if user.enrolled:
        return redirect(url_for("auth.second_factor"))
    secret = services.pending_secret(db.session(), user)
    form = CodeForm()
    problem = None
    if form.validate_on_submit():
        try:
            codes, token = services.confirm_enrolment(
                db.session(), user, form.code.data or "", request.remote_addr
            )
        except services.CodeRefused as refused:
            problem = str(refused)
        else:
            start_session(user, token)
            return render_template("auth/recovery_codes.html", codes=codes)
    uri = totp.provisioning_uri(secret, user.email or "")
    return render_template("auth/enrol.html", form=form, problem=problem, qr=totp.qr_svg(uri), secret=secret)


@bp.post("/logout")
def sign_out() -> Response:
    services.sign_out(db.session(), session.get("token"))
    logout_user()
    session.clear()
    return redirect(url_for("auth.signed_out"), code=303)


@bp.post("/logout/everywhere")
@roles_required(*Role)
def sign_out_everywhere() -> Response:
    services.sign_out_everywhere(db.session(), current_user, request.remote_addr)
    logout_user()
    session.clear()
    flash("You are signed out on every computer and phone.")
    return redirect(url_for("auth.signed_out"), code=303)


@bp.get("/signed-out")
def signed_out() -> str:
    return render_template("auth/signed_out.html", form=StaffForm())
