"""Response headers that keep pages out of caches, frames and other sites' referrer logs."""

from __future__ import annotations

from flask import Flask, Response, current_app

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


def init_app(app: Flask) -> None:
    app.before_request(_refresh_keys)
    app.after_request(_set_headers)


def _refresh_keys() -> None:
    """Pick up a key added by ``keys rotate`` in another process, so new values use it at once."""
    current_app.extensions["hub.keyring"].refresh()


def _set_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    # Nothing the hub serves should be kept by a shared or personal browser cache.
    if not response.headers.get("Cache-Control"):
        response.headers["Cache-Control"] = "no-store"
    return response
