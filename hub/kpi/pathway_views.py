"""The public pathway report, ``/pathway``, and its CSV, ``/pathway.csv``: only quarters a commissioner
has published, as they were when published. No sign-in; the same limits as the other public pages."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from hub import db
from hub.extensions import configured_limit, limiter, with_limits
from hub.kpi import exports, pathway
from hub.kpi.publication import published

bp = Blueprint("pathway", __name__)
limited = with_limits(limiter.limit(configured_limit("public_form_rate_limit")))


@bp.get("/pathway")
@limited
def report() -> str:
    quarters = published(db.session())
    return render_template(
        "pathway/report.html",
        quarters=[(p, pathway.lines(p)) for p in quarters],
        trends=pathway.trends(quarters) if len(quarters) > 1 else [],
        footnotes=pathway.footnotes(quarters),
    )


@bp.get("/pathway.csv")
@limited
def report_csv() -> Response:
    rows = pathway.csv_rows(published(db.session()))
    return Response(
        exports.as_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="pathway-report.csv"'},
    )
