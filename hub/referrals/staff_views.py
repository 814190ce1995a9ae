"""Staff pages for referrals: the TRS triage queue."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for

from hub import db
from hub.auth.access import roles_required
from hub.auth.models import Role
from hub.config import current_config
from hub.db import utcnow
from hub.providers.services import all_specialisms
from hub.referrals.models import ReferralSource
from hub.referrals.triage import Filters, QueuePage, queue

bp = Blueprint("triage", __name__)


def _filters() -> Filters:
    source = request.args.get("source")
    return Filters(
        source=ReferralSource(source) if source in {s.value for s in ReferralSource} else None,
        specialism=request.args.get("specialism") or None,
        under_18=request.args.get("under_18") == "yes",
        duplicate=request.args.get("duplicate") == "yes",
        returned=request.args.get("returned") == "yes",
    )


@bp.get("/triage")
@roles_required(Role.ALLOCATOR)
def queue_page() -> str:
    page = request.args.get("page", "1")
    result = queue(
        db.session(),
        _filters(),
        int(page) if page.isdigit() else 1,
        current_config().overdue_working_days,
        utcnow(),
    )
    return render_template(
        "triage/queue.html",
        result=result,
        specialisms=all_specialisms(db.session()),
        pagination=_pagination(result),
    )


def _pagination(result: QueuePage) -> dict[str, Any]:
    """The GOV.UK pagination component's parameters, keeping the filters in each link."""
    args: dict[str, Any] = request.args.to_dict()

    def link(page: int) -> str:
        return url_for("triage.queue_page", **{**args, "page": str(page)})

    return {
        "previous": {"href": link(result.page - 1)} if result.page > 1 else None,
        "next": {"href": link(result.page + 1)} if result.page < result.pages else None,
        "items": [
            {"number": n, "href": link(n), "current": n == result.page} for n in range(1, result.pages + 1)
        ]
        if result.pages <= 10
        else [],
    }
