"""Flask extensions, created unbound here and bound to the app in ``create_app``."""

from collections.abc import Callable

from flask_limiter import Limiter
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


login_manager = LoginManager()
