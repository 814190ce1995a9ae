"""Response headers that keep pages out of caches, frames and other sites' referrer logs."""

from __future__ import annotations

from flask import Flask, Response, request

from hub.config import current_config
from hub.keyring import current_keyring

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}

# Sent only when cookies are secure (served over HTTPS): a browser then never tries plain HTTP for a year.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    app.before_request(_refresh_keys)
    app.after_request(_set_headers)


def _refresh_keys() -> None:
    """Pick up a key added by ``keys rotate`` in another process, so new values use it at once."""
    current_keyring().refresh()


def _set_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_config().secure_cookies:
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    # No page is kept by a browser or shared cache; only the static assets may be, and revalidated.
    response.headers["Cache-Control"] = "no-cache" if request.endpoint == "static" else "no-store"
    return response
