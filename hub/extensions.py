"""Flask extensions, created unbound here and bound to the app in ``create_app``."""

from collections.abc import Callable
from typing import Any, TypeVar

from flask_limiter import Limiter, RouteLimit
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)


def configured_limit(setting: str) -> Callable[[], str]:
    """A rate limit read from the settings at request time, e.g. ``configured_limit("form_rate_limit")``."""

    def limit() -> str:
        from hub.config import current_config

        return str(getattr(current_config(), setting))

    return limit


View = TypeVar("View", bound=Callable[..., Any])


def public_forms_limit() -> RouteLimit:
    """The one limit on the posts of every public form together (the whole hub's, not an address's):
    ``overall_rate_limit``, shared under one scope by every public form that uses it."""
    return limiter.shared_limit(
        configured_limit("overall_rate_limit"),
        scope="public-forms",
        key_func=lambda: "everyone",
        methods=["POST"],
    )


def with_limits(*limits: Any) -> Callable[[View], View]:
    """One decorator that applies each of ``limits`` to a view."""

    def apply(view: View) -> View:
        for decorator in limits:
            view = decorator(view)
        return view

    return apply


login_manager = LoginManager()
