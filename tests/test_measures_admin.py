"""The administrators' pages for outcome measures: list, add (with a made-up conversion table, not a
real one), change thresholds with a citation, retire and bring back; every change audited, every
refusal kind and keeping what was typed; no one else may use them."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit import AuditEntry
from hub.auth.models import Role
from hub.measures.models import OutcomeMeasure, Total
from hub.measures.scoring import Change, classify, score

from .staff import signed_in
from .test_cases import Desk

pytestmark = pytest.mark.usefixtures("midday")

MADE_UP_TABLE = "\n".join(f"{raw} = {raw * 1.5 - 1.25:.2f}" for raw in range(3, 16))
NEW = {
    "code": "made-up-wellbeing",
    "name": "Made-up wellbeing",
    "version": "1",
    "item_count": "3",
    "item_min": "1",
    "item_max": "5",
    "reverse_items": "3",
    "risk_items": "",
    "total": "table",
    "conversion": MADE_UP_TABLE,
    "higher_is_worse": "no",
    "clinical_cutoff": "7.5",
    "reliable_change": "2.5",
    "licence": "Registration needed; registered by the council on 1 December 2026.",
    "source": "A made-up source for the test.",
}


def admin(app: Flask, db: Session) -> Desk:
    client, _ = signed_in(app, db, Role.ADMIN)
    return Desk(client)


def audited(db: Session, action: str) -> int:
    return len(db.scalars(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_the_list_shows_each_measure_with_its_thresholds_and_source(app: Flask, db_session: Session) -> None:
    status, page = admin(app, db_session).get("/admin/measures")
    assert status == 200
    for name in ("CORE-10", "PHQ-9", "GAD-7"):
        assert f">{name}" in page
    assert "Barkham" in page and "Kroenke" in page and "Spitzer" in page
    assert "11 or more" in page and "6 points or more" in page


def test_an_administrator_adds_a_measure_with_a_conversion_table_and_it_scores(
    app: Flask, db_session: Session
) -> None:
    desk = admin(app, db_session)
    response = desk.send("/admin/measures/new", **NEW)
    assert response.status_code == 303
    _, page = desk.get("/admin/measures")
    assert "Made-up wellbeing is added" in page and "below 7.5" in page and "Registration needed" in page
    measure = db_session.scalars(
        select(OutcomeMeasure).where(OutcomeMeasure.code == "made-up-wellbeing")
    ).one()
    assert measure.total is Total.TABLE and not measure.higher_is_worse and measure.reverse_items == [3]
    assert measure.conversion and measure.conversion["3"] == 3.25 and len(measure.conversion) == 13
    start, end = score(measure, [1, 1, 5]), score(measure, [3, 2, 3])
    assert (start.total, end.total) == (3.25, 10.75)
    assert classify(measure, start, end) is Change.RECOVERED
    assert audited(db_session, "measure.added") == 1


@pytest.mark.parametrize(
    ("changed", "field", "message"),
    [
        ({"code": "Core 10!"}, "code", "The code must be small letters and numbers"),
        ({"code": "core-10"}, "code", "A measure with the code core-10 exists already"),
        ({"item_count": "0"}, "item_count", "Number of items must be a whole number from 1 to 60"),
        ({"item_count": "٣"}, "item_count", "Number of items must be a whole number from 1 to 60"),
        ({"item_max": "1"}, "item_max", "The highest item score must be more than the lowest"),
        ({"reverse_items": "2, three"}, "reverse_items", "Reverse-scored items must be item numbers"),
        ({"risk_items": "9"}, "risk_items", "Item 9 is not one of the measure's items"),
        ({"conversion": "3 = 3.25\nfour = 5"}, "conversion", "Each line of the conversion table must be"),
        ({"conversion": "3 = 3.25"}, "conversion", "The conversion table needs a score for every raw total"),
        (
            {"conversion": ""},
            "conversion",
            "The conversion table needs a score for every raw total from 3 to 15",
        ),
        ({"clinical_cutoff": "high"}, "clinical_cutoff", "The clinical cut-off must be a number"),
        ({"reliable_change": "0"}, "reliable_change", "The reliable change must be a number more than 0"),
        ({"source": "  "}, "source", "Say where the thresholds come from"),
        ({"total": "average"}, "total", "Not a valid choice"),
    ],
)
def test_a_measure_that_does_not_fit_together_is_refused_kindly_keeping_what_was_typed(
    app: Flask, db_session: Session, changed: dict[str, str], field: str, message: str
) -> None:
    desk = admin(app, db_session)
    before = len(db_session.scalars(select(OutcomeMeasure)).all())
    status, page = desk.post("/admin/measures/new", **{**NEW, **changed})
    assert status == 200 and "<title>Error: " in page
    summary = re.search(r'<div class="govuk-error-summary__body">(.*?)</ul>', page, re.S)
    assert summary and message in summary.group(1), summary and summary.group(1)
    assert f'href="#{field}"' in summary.group(1)
    assert "Made-up wellbeing" in page, "what was typed is kept"
    db_session.expire_all()
    assert len(db_session.scalars(select(OutcomeMeasure)).all()) == before
    assert audited(db_session, "measure.added") == 0


def test_thresholds_change_only_with_a_citation_and_the_change_is_audited(
    app: Flask, db_session: Session
) -> None:
    desk = admin(app, db_session)
    core = db_session.scalars(select(OutcomeMeasure).where(OutcomeMeasure.code == "core-10")).one()
    path = f"/admin/measures/{core.id}"
    _, page = desk.get(path)
    assert 'value="11"' in page and 'value="6"' in page
    status, page = desk.post(path, clinical_cutoff="10", reliable_change="5", source="", licence=core.licence)
    assert status == 200 and "Say where the thresholds come from" in page and 'value="10"' in page
    db_session.expire_all()
    assert db_session.get(OutcomeMeasure, core.id).clinical_cutoff == 11  # type: ignore[union-attr]
    response = desk.send(
        path,
        clinical_cutoff="10",
        reliable_change="5",
        source="The council's own study, 2027.",
        licence=core.licence,
    )
    assert response.status_code == 303
    _, page = desk.get("/admin/measures")
    assert "CORE-10 is saved. Changed: the clinical cut-off, the reliable change, the source." in page
    db_session.expire_all()
    changed = db_session.get(OutcomeMeasure, core.id)
    assert changed is not None and (changed.clinical_cutoff, changed.reliable_change) == (10, 5)
    assert audited(db_session, "measure.thresholds_changed") == 1
    assert desk.get("/admin/measures/999999")[0] == 404


def test_a_retired_measure_is_offered_for_no_new_record_and_can_come_back(
    app: Flask, db_session: Session
) -> None:
    desk = admin(app, db_session)
    gad = db_session.scalars(select(OutcomeMeasure).where(OutcomeMeasure.code == "gad-7")).one()
    assert desk.send(f"/admin/measures/{gad.id}/retire").status_code == 303
    _, page = desk.get("/admin/measures")
    assert "GAD-7 is retired" in page and "Retired</strong>" in page
    db_session.expire_all()
    assert not db_session.get(OutcomeMeasure, gad.id).active  # type: ignore[union-attr]
    assert desk.send(f"/admin/measures/{gad.id}/restore").status_code == 303
    db_session.expire_all()
    assert db_session.get(OutcomeMeasure, gad.id).active  # type: ignore[union-attr]
    assert (audited(db_session, "measure.retired"), audited(db_session, "measure.restored")) == (1, 1)


@pytest.mark.parametrize("role", [Role.ALLOCATOR, Role.PROVIDER_STAFF, Role.COMMISSIONER])
def test_no_one_but_an_administrator_may_use_the_pages(app: Flask, db_session: Session, role: Role) -> None:
    from . import factories

    fields = {"provider_id": factories.provider(db_session).id} if role is Role.PROVIDER_STAFF else {}
    client, _ = signed_in(app, db_session, role, **fields)
    desk = Desk(client)
    core = db_session.scalars(select(OutcomeMeasure).where(OutcomeMeasure.code == "core-10")).one()
    assert desk.get("/admin/measures")[0] == 403
    assert desk.send("/admin/measures/new", **NEW).status_code == 403
    assert desk.send(f"/admin/measures/{core.id}/retire").status_code == 403
    db_session.expire_all()
    assert db_session.get(OutcomeMeasure, core.id).active  # type: ignore[union-attr]
    assert not db_session.scalars(select(OutcomeMeasure).where(OutcomeMeasure.code == NEW["code"])).first()
