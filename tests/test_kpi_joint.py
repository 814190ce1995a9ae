"""The commissioners' joint view and exports: side by side with totals, disclosure control with
secondary suppression, formula injection neutralised, accessible charts, every export audited."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import time_machine
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role
from hub.calendar import Quarter
from hub.kpi import disclosure, exports, returns
from hub.kpi.joint import Column, JointQuarter
from hub.kpi.models import KpiDefinition, Unit
from hub.providers.models import Provider

from . import factories
from .staff import signed_in
from .test_kpi_returns import AFTER_Q3, Q3, with_hub_figures

PROVIDER = Actor(id=None, role="provider_staff")
AGE = ["age_a", "age_b", "age_c"]


def supporting(db: Session, provider: Provider, quarter: Quarter, people: int) -> dict[str, str]:
    """A complete, consistent return: every breakdown puts everyone in one group."""
    figures = with_hub_figures(db, provider, people_supported=str(people))
    for code in figures:
        if code.startswith(("age_", "gender_", "ethnicity_", "disability_")):
            figures[code] = "0"
    figures.update(age_25_to_44=str(people), gender_woman=str(people), ethnicity_white=str(people))
    figures.update(disability_no=str(people))
    return figures


def crafted(columns: list[dict[str, int]]) -> JointQuarter:
    """A made-up quarter: a total ("supported") and an age breakdown that adds up to it."""
    found = [KpiDefinition(code="supported", label="People supported", unit=Unit.COUNT, position=0)]
    for n, code in enumerate(AGE):
        found.append(
            KpiDefinition(
                code=code,
                label=code,
                unit=Unit.COUNT,
                breakdown="Age band",
                sums_to="supported",
                position=n + 1,
            )
        )
    providers = [Provider(id=n + 1, slug=f"p{n}", name=f"Provider {n}") for n in range(len(columns))]
    cols = []
    for provider, figures in zip(providers, columns, strict=True):
        cols.append(Column(provider, "Submitted", {"supported": sum(figures.values()), **figures}))
    return JointQuarter(Q3, found, cols, {})


def grid(rows: list[list[Any]]) -> dict[str, list[Any]]:
    return {row[0]: row[3:] for row in rows[1:] if row and row[0] in {"supported", *AGE}}


def test_small_numbers_are_hidden_and_totals_rounded_with_their_breakdowns() -> None:
    joint = crafted([{"age_a": 3, "age_b": 22, "age_c": 12}, {"age_a": 14, "age_b": 31, "age_c": 9}])
    table = grid(exports.quarter_table(joint, publication=True))
    assert table["age_a"][0] == "*"  # 3 is a small count
    # Every shown count is a multiple of 5 and not a small one: totals too, never exact beside a part.
    for row in table.values():
        for value in row:
            assert value in {disclosure.SMALL, disclosure.WITHHELD} or (
                value % 5 == 0 and not 1 <= value <= 7
            )
    assert table["supported"][2] == 90  # 91 people, rounded like everything else
    # The totals are rounded too, so the sums do not give the 3 away and nothing more is withheld.
    assert table["supported"] == [35, 55, 90] and table["age_a"] == ["*", 15, 15]


def test_the_export_uses_the_one_rule() -> None:
    """The reported case: people supported 4,817, women 4,817 (rounded to 4,815), other genders 0."""
    joint = crafted([{"age_a": 4817, "age_b": 0, "age_c": 0}])
    table = grid(exports.quarter_table(joint, publication=True))
    assert table["supported"] == [4815, 4815] and table["age_a"] == [4815, 4815]
    assert table["age_b"] == [0, 0]


def test_the_threshold_is_configurable() -> None:
    joint = crafted([{"age_a": 9, "age_b": 30, "age_c": 30}])
    assert grid(exports.quarter_table(joint, publication=True, threshold=7))["age_a"][0] == 10
    assert grid(exports.quarter_table(joint, publication=True, threshold=10))["age_a"][0] == "*"
    assert grid(exports.quarter_table(joint, publication=False))["age_a"][0] == 9


def test_a_provider_without_a_return_leaves_blanks_and_nothing_loops() -> None:
    joint = crafted([{"age_a": 3, "age_b": 30, "age_c": 30}, {"age_a": 20, "age_b": 20, "age_c": 20}])
    joint.columns[1].figures = {}
    table = grid(exports.quarter_table(joint, publication=True))
    assert table["age_a"][:2] == ["*", None] and table["age_b"][1] is None


def test_text_that_a_spreadsheet_would_run_is_made_harmless() -> None:
    joint = crafted([{"age_a": 10, "age_b": 10, "age_c": 10}])
    joint.columns[0].provider.name = '=HYPERLINK("http://example.invalid","Click")'
    joint.columns[0].state = "@SUM(A1)"
    rows = exports.quarter_table(joint)
    written = list(csv.reader(io.StringIO(exports.as_csv(rows).decode("utf-8-sig"))))
    assert written[0][3] == '\'=HYPERLINK("http://example.invalid","Click")'
    assert any(row[3:4] == ["'@SUM(A1)"] for row in written)
    book = openpyxl.load_workbook(io.BytesIO(exports.as_xlsx({"Joint": rows})))
    cell = book.active["D1"] if book.active else None
    assert cell is not None and cell.data_type == "s" and str(cell.value).startswith("'=")
    numbers = [c.value for c in book.active[2]] if book.active else []
    assert 30 in numbers or 10 in numbers  # figures stay numbers


# -- the pages --------------------------------------------------------------------------------------


def test_the_joint_page_shows_submitted_returns_side_by_side_with_states_and_totals(
    app: Flask, db_session: Session
) -> None:
    harbour = factories.provider(db_session, name="Harbour")
    lighthouse = factories.provider(db_session, name="Lighthouse")
    factories.provider(db_session, name="Quiet Harbour")
    db_session.commit()
    with time_machine.travel(AFTER_Q3, tick=False):
        for provider, supported in ((harbour, 40), (lighthouse, 25)):
            figures = supporting(db_session, provider, Q3, supported)
            assert not returns.save(db_session, provider.id, Q3, figures, {}, PROVIDER, submit=True).errors
        returns.amend(db_session, lighthouse.id, Q3, "Fixing a typing slip.", PROVIDER)
        returns.save(db_session, lighthouse.id, Q3, {"people_supported": "9999"}, {}, PROVIDER)  # a draft
        client, _ = signed_in(app, db_session, Role.COMMISSIONER)
        page = client.get("/commissioner/kpi?quarter=20263").get_data(as_text=True)
        export = client.get("/commissioner/kpi/export?quarter=20263&kind=publication&format=xlsx")
    assert '<h1 class="govuk-heading-l">July to September 2026 (Q2 2026/27)</h1>' in page
    assert "Harbour</th>" in page and "Lighthouse</th>" in page
    assert "Not started" in page and "Amendment in progress" in page and "Submitted, 5 October 2026" in page
    assert "(amended: Fixing a typing slip.)" in page
    assert ">65<" in page.replace(" ", "")  # people supported: 40 + 25, the draft's 9999 not counted
    assert "9999" not in page
    assert 'role="img"' in page and "People supported in the quarter, by quarter</title>" in page
    assert "the figures in the chart" in page
    assert export.status_code == 200 and (export.mimetype or "").endswith("spreadsheetml.sheet")
    assert "kpi-q2-2026-27-publication.xlsx" in export.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(export.data))
    assert book.sheetnames == ["Q2 2026-27 publication"]  # a sheet's name may not hold "/"
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("kpi.%"))).all()
    assert "kpi.joint_viewed" in actions and "kpi.exported.publication.xlsx" in actions


def test_every_export_is_audited_and_an_unknown_kind_is_a_404(app: Flask, db_session: Session) -> None:
    factories.provider(db_session)
    db_session.commit()
    with time_machine.travel(AFTER_Q3, tick=False):
        client, _ = signed_in(app, db_session, Role.COMMISSIONER)
        for kind in ("joint", "publication", "trends"):
            for fmt in ("csv", "xlsx"):
                response = client.get(f"/commissioner/kpi/export?quarter=20263&kind={kind}&format={fmt}")
                assert response.status_code == 200
        assert (
            client.get("/commissioner/kpi/export?quarter=20263&kind=everything&format=csv").status_code == 404
        )
        assert client.get("/commissioner/kpi?quarter=20265").status_code == 404
    exported = db_session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("kpi.exported.%"))
    ).all()
    assert len(exported) == 6


def test_trends_follow_each_providers_submitted_returns(db_session: Session) -> None:
    from hub.kpi.joint import trends

    provider = factories.provider(db_session, name="Harbour")
    db_session.commit()
    for quarter, supported in ((Quarter(2026, 2), 30), (Q3, 40)):
        with time_machine.travel(quarter.ends.isoformat()):
            figures = supporting(db_session, provider, quarter, supported)
            assert not returns.save(
                db_session, provider.id, quarter, figures, {}, PROVIDER, submit=True
            ).errors
    [trend] = trends(db_session, Q3, 3, ["people_supported"])
    assert [q.short for q in trend.quarters] == ["Q4 2025/26", "Q1 2026/27", "Q2 2026/27"]
    assert trend.series["Harbour"] == [None, 30, 40]


def test_the_triage_teams_figures_are_controlled_in_the_publication_export_too() -> None:
    from hub.kpi.models import Prefilled

    joint = crafted([{"age_a": 20, "age_b": 20, "age_c": 20}])
    joint.trs = {
        "trs_declines": Prefilled(3, ""),
        "trs_first_allocations": Prefilled(43, ""),
        "trs_allocated_in_time": Prefilled(38, ""),
        "trs_allocated_in_time_pct": Prefilled(88.4, ""),
        "trs_median_working_days_to_allocation": Prefilled(2.5, ""),
    }
    published = {row[0]: row[-1] for row in exports.quarter_table(joint, publication=True) if row}
    assert published["trs_declines"] == "*" and published["trs_first_allocations"] == 45
    assert published["trs_allocated_in_time"] == 40
    assert published["trs_allocated_in_time_pct"] == 89  # 40 of 45, as shown: nothing more given away
    assert published["trs_median_working_days_to_allocation"] == 2
    exact = {row[0]: row[-1] for row in exports.quarter_table(joint) if row}
    assert exact["trs_declines"] == 3 and exact["trs_allocated_in_time_pct"] == 88.4
