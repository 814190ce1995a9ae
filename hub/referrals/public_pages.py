"""Public pages that need no sign-in: start, safety advice, exit, the brand colour and the health check."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, render_template, session
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as BaseResponse

from hub import db
from hub.config import current_config
from hub.providers.services import active_providers

bp = Blueprint("public", __name__)


@bp.get("/")
def start() -> str:
    return render_template("start.html", providers=active_providers(db.session()))


@bp.get("/safety")
def safety() -> str:
    return render_template("safety.html")


@bp.get("/exit")
def exit_page() -> BaseResponse:
    """Forget this visit and go somewhere neutral. Works as a plain link, without JavaScript."""
    from hub.referrals.intake import forget_draft

    forget_draft(db.session(), session.get("draft_id"))
    session.clear()
    response = redirect(current_config().exit_url, code=303)
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@bp.get("/brand.css")
def brand_css() -> Response:
    colour = current_config().brand_colour
    return Response(f":root {{ --hub-brand-colour: {colour}; }}\n", mimetype="text/css")


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    try:
        db.session().execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.warning("health check: the database did not answer")
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200
