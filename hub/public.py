"""The public pages that need no sign-in: the start page and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hub import db
from hub.providers.services import active_providers

bp = Blueprint("public", __name__)


@bp.app_context_processor
def _council() -> dict[str, str]:
    return {"council_name": current_app.extensions["hub.config"].council_name}


@bp.get("/")
def start() -> str:
    return render_template("start.html", providers=active_providers(db.session()))


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    try:
        db.session().execute(text("SELECT 1"))
    except SQLAlchemyError:
        current_app.logger.warning("health check: the database did not answer")
        return {"status": "unavailable"}, 503
    return {"status": "ok"}, 200
