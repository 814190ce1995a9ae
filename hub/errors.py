"""Plain, kind error pages. The 500 handler rolls back whatever the request had not saved."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from flask import Flask, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException, InternalServerError, TooManyRequests

from hub import db
from hub.plurals import counted

MESSAGES = {
    400: ("Sorry, there is a problem with that request", "Please go back and try again."),
    403: (
        "You cannot see this page",
        "Your account does not give you access to it. Ask an administrator if you need it.",
    ),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Sorry, that did not work", "Please go back and try again."),
    415: ("Sorry, we could not read that", "This page only takes answers sent from its own form."),
    413: ("That was too much to send at once", "Please go back, shorten your answers, and try again."),
    500: (
        "Sorry, there is a problem with the service",
        "What you sent has not been saved. Please try again later.",
    ),
    503: ("Sorry, the service is unavailable", "Please try again later."),
}


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(TooManyRequests, _too_many)
    app.register_error_handler(InternalServerError, _server_error)


def _page(code: int, advice_given: str | None = None) -> tuple[str, int]:
    title, advice = MESSAGES.get(code, MESSAGES[400] if code < 500 else MESSAGES[500])
    advice = advice_given or advice
    # Signed-in staff keep their own header and footer (no survivor's quick exit); a server error
    # shows the plain public page, which asks nothing of the database.
    staff = code < 500 and current_user.is_authenticated
    return render_template("error.html", title=title, advice=advice, code=code, staff=staff), code


def _http_error(error: HTTPException) -> tuple[str, int]:
    # The hub's own refusals (hub.posted) say what was wrong; werkzeug's own wording is not shown.
    return _page(error.code or 500, getattr(error, "advice", None))


def _server_error(_error: InternalServerError) -> tuple[str, int]:
    db.roll_back_request()
    return _page(500)


JOURNEYS = frozenset({"intake.refer_page", "intake.self_page"})


def _too_many(_error: TooManyRequests) -> tuple[str, int, dict[str, str]]:
    """Say what happened and when to try again; a journey's saved answers are kept in its draft."""
    from hub import calendar
    from hub.extensions import limiter

    hit = limiter.current_limit
    reset_at = hit.reset_at if hit is not None else time.time() + 60
    seconds = max(1, math.ceil(reset_at - time.time()))
    minutes = max(1, round(seconds / 60))
    wait = f"about {counted(minutes, 'minute')}" if minutes < 60 else "about an hour"
    at = calendar.local(datetime.fromtimestamp(reset_at, UTC)).strftime("%-I:%M%p").lower()
    journey = None
    if request.endpoint in JOURNEYS and request.view_args:
        journey = url_for(request.endpoint, slug=request.view_args.get("slug", "check"))
    page = render_template("too_many.html", wait=wait, at=at, journey=journey)
    return page, 429, {"Retry-After": str(seconds)}
