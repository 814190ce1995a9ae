"""Deny by default: every endpoint needs a fully signed-in member of staff unless it is public.

A member of staff is fully signed in once both the password and the second factor are right. The
session then holds only the account's id, the account's session version, and two times; it ends
after ``idle_timeout_minutes`` without a request, after ``absolute_timeout_hours`` in all, and at
once when the account's password, role or status changes (the session version moves on).

The session also holds the token of a ``StaffSession`` row kept on the server; signing out ends
that row, so a copy of the cookie taken before signing out is worthless after it. While an account
must choose a new password, every staff page sends it to the page where it does that.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, redirect, request, session, url_for
from flask_login import current_user, logout_user
from sqlalchemy import Uuid, inspect
from werkzeug.wrappers import Response

from hub import audit, db
from hub.audit import Actor
from hub.auth.models import Role, StaffUser
from hub.config import current_config
from hub.db import utcnow
from hub.extensions import login_manager

PUBLIC_BLUEPRINTS = {"public", "intake", "privacy_notice", "consultation", "feedback", "pathway"}
# Signing out is open to anyone: ending a session that has already ended does no harm.
PUBLIC_ENDPOINTS = {
    "static",
    "auth.sign_in",
    "auth.second_factor",
    "auth.enrol",
    "auth.sign_out",
    "auth.signed_out",
}
# What an account that must choose a new password may still do.
BEFORE_NEW_PASSWORD = {"admin.change_password", "auth.sign_out", "auth.sign_out_everywhere"}

F = TypeVar("F", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = None  # the hub's own checks below; no IP pinning for mobile staff
    app.before_request(_deny_by_default)


@login_manager.user_loader  # type: ignore[untyped-decorator]
def _load(user_id: str) -> StaffUser | None:
    from hub.auth.services import load_user, session_is_live

    user = load_user(db.session(), user_id)
    if user is None or user.disabled or session.get("version") != user.session_version:
        return None
    if not session_is_live(db.session(), user, session.get("token")):
        return None
    return user


def is_public(endpoint: str | None) -> bool:
    return endpoint is None or endpoint in PUBLIC_ENDPOINTS or endpoint.split(".")[0] in PUBLIC_BLUEPRINTS


def _deny_by_default() -> Response | None:
    if is_public(request.endpoint):
        return None
    if not current_user.is_authenticated or _expired():
        if "_user_id" in session:  # a session that has ended: drop everything in it
            logout_user()
            session.clear()
        return redirect(url_for("auth.sign_in"))
    session["seen_at"] = utcnow().isoformat()
    if current_user.must_change_password and request.endpoint not in BEFORE_NEW_PASSWORD:
        return redirect(url_for("admin.change_password"), code=303)
    return None


def _expired() -> bool:
    config = current_config()
    try:
        signed_in = datetime.fromisoformat(session["signed_in_at"])
        seen = datetime.fromisoformat(session["seen_at"])
    except (KeyError, ValueError):
        return True
    now = utcnow()
    return now - seen > timedelta(minutes=config.idle_timeout_minutes) or now - signed_in > timedelta(
        hours=config.absolute_timeout_hours
    )


def start_session(user: StaffUser, token: str) -> None:
    """A new session for a fully signed-in account (the old one, and anything in it, is dropped).

    ``token`` names the session's row on the server, opened by the sign-in service.
    """
    from flask_login import login_user

    session.clear()
    login_user(user)
    now = utcnow().isoformat()
    session.update(version=user.session_version, token=token, signed_in_at=now, seen_at=now)


T = TypeVar("T")


def owned_or_404(model: type[T], object_id: Any) -> T:
    """Load a record and check the signed-in member of staff may see it, in one step.

    Provider staff see only records of their own provider; anything else is "not found", so they
    cannot even learn that it exists. Other staff roles are limited by ``roles_required``.
    """
    try:
        if isinstance(inspect(model).primary_key[0].type, Uuid) and not isinstance(object_id, uuid.UUID):
            object_id = uuid.UUID(str(object_id))
        found = db.session().get(model, object_id)
    except ValueError:
        found = None
    if found is None:
        abort(404)
    if (
        current_user.role is Role.PROVIDER_STAFF
        and getattr(found, "provider_id", None) != current_user.provider_id
    ):
        kind = getattr(model, "__tablename__", model.__name__)
        audit.refused(db.session(), current_actor(), kind, object_id)
        abort(404)
    return found


def current_actor() -> Actor:
    """The signed-in member of staff, as the services and the audit log name them."""
    return Actor(id=str(current_user.id), role=current_user.role.value, address=request.remote_addr)


def roles_required(*roles: Role) -> Callable[[F], F]:
    """The one place a staff view says who may use it; anyone else gets a 403 page."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated or current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapper.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def data_protection_required(view: F) -> F:
    """For an administrator who holds the data-protection duty (``StaffUser.data_protection``) only;
    anyone else, other administrators included, gets a 403 page."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated or not holds_data_protection_duty(current_user):
            abort(403)
        return view(*args, **kwargs)

    wrapper.allowed_roles = frozenset({Role.ADMIN})  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def holds_data_protection_duty(user: StaffUser) -> bool:
    return user.role is Role.ADMIN and user.data_protection and not user.disabled
