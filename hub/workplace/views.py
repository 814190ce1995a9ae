"""The staff home page, at /staff: each role's own, starting with what needs doing."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from hub import db
from hub.auth.access import current_actor, roles_required
from hub.auth.models import Role
from hub.config import current_config
from hub.forms import StaffForm
from hub.workplace import home as homes

bp = Blueprint("workplace", __name__)


@bp.get("/staff")
@roles_required(*Role)
def home() -> str:
    shown = homes.page(db.session(), current_user, current_actor(), current_config())
    return render_template(
        f"workplace/home_{current_user.role.value}.html", user=current_user, form=StaffForm(), **shown
    )
