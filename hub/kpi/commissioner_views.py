"""The commissioners' pages: one quarter's joint return, trends, and the exports (each audited)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from hub import audit, db, posted
from hub.auth.access import current_actor, roles_required
from hub.auth.models import Role
from hub.calendar import Quarter
from hub.config import current_config
from hub.kpi import exports, publication
from hub.kpi.agencies import referrals_by_agency
from hub.kpi.charts import line_chart
from hub.kpi.joint import (
    TREND_CODES,
    TREND_QUARTERS,
    joint_quarter,
    quarters_up_to,
    reviewable_quarters,
    submitted_figures,
    trends,
)

bp = Blueprint("commissioner", __name__)


def _chosen() -> Quarter:
    if not request.args.get("quarter"):
        return Quarter.last_ended()
    key = posted.number_argument("quarter", 0)
    if not Quarter.valid(key // 10, key % 10):
        abort(404)
    return Quarter.from_key(key)


@bp.get("/commissioner/kpi")
@roles_required(Role.COMMISSIONER)
def quarter_page() -> str:
    quarter = _chosen()
    session = db.session()
    opened = submitted_figures(session, [q.key for q in quarters_up_to(quarter, TREND_QUARTERS)])
    joint = joint_quarter(session, quarter, opened)
    found = trends(session, quarter, TREND_QUARTERS, TREND_CODES, opened=opened)
    audit.viewed(session, current_actor(), "kpi.joint_viewed", "kpi_quarter", quarter.key)
    choices = reviewable_quarters()
    return render_template(
        "kpi/commissioner.html",
        joint=joint,
        trends=[(trend, line_chart(trend, f"chart-{trend.definition.code}")) for trend in found],
        choices=choices,
        published=publication.is_published(session, quarter),
        current_quarter=Quarter.current(),
        agencies=referrals_by_agency(session, quarter),
    )


@bp.get("/commissioner/kpi/export")
@roles_required(Role.COMMISSIONER)
def export() -> Response:
    quarter = _chosen()
    kind, fmt = request.args.get("kind", "joint"), request.args.get("format", "csv")
    if kind not in {"joint", "publication", "trends"} or fmt not in {"csv", "xlsx"}:
        abort(404)
    session = db.session()
    if kind == "trends":
        rows = exports.trend_table(trends(session, quarter, TREND_QUARTERS, TREND_CODES, each_provider=True))
    else:
        rows = exports.quarter_table(
            joint_quarter(session, quarter),
            publication=kind == "publication",
            threshold=current_config().suppression_threshold,
        )
    audit.viewed(session, current_actor(), f"kpi.exported.{kind}.{fmt}", "kpi_quarter", quarter.key)
    named = quarter.financial.replace("/", "-")  # "Q2 2026-27": neither a sheet nor a file name holds "/"
    return _download(rows, f"kpi-{named.replace(' ', '-').lower()}-{kind}", fmt, f"{named} {kind}")


def _download(rows: list[list[exports.Cell]], name: str, fmt: str, sheet: str) -> Response:
    if fmt == "csv":
        body, mimetype = exports.as_csv(rows), "text/csv"
    else:
        body = exports.as_xlsx({sheet: rows})
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    )
