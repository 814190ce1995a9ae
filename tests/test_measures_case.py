"""Outcome measures on the case page: recorded item by item, scored, paired and classified in words; the
risk alert; and every refusal (wrong items, out of range, JSON, another provider's case, a restricted
case, no first contact) changes nothing and keeps what was typed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.db import clock_at
from hub.outbox import OutboxMessage
from hub.providers.models import Provider
from hub.referrals import cases, restriction
from hub.referrals.models import Allocation, ItemScores, MeasurePoint, MeasureRecord, ReferralEvent

from . import factories
from .clock import MIDDAY, TODAY
from .test_cases import offered, provider_desk, staff

pytestmark = pytest.mark.usefixtures("midday")
DPO = Actor(id=None, role="admin")


@pytest.fixture
def provider(db_session: Session) -> Provider:
    return factories.provider(db_session, name="Harbour")


def in_support(db: Session, provider: Provider) -> Allocation:
    who = staff(db, provider)
    with clock_at(MIDDAY - timedelta(days=31)):
        allocation = offered(db, provider)
        cases.accept(db, allocation.id, provider.id, who)
    with clock_at(MIDDAY - timedelta(days=30)):
        cases.record_first_contact(db, allocation.id, provider.id, who, TODAY - timedelta(days=30), "text")
    return allocation


def form(
    items: Sequence[int | str], *, measure: str = "core-10", point: str = "start", day: int = 1
) -> dict[str, Any]:
    on = TODAY - timedelta(days=day)
    fields: dict[str, Any] = {
        "measure": measure,
        "outcome-measure-point": point,
        "outcome-measure-taken_on-day": str(on.day),
        "outcome-measure-taken_on-month": str(on.month),
        "outcome-measure-taken_on-year": str(on.year),
    }
    fields |= {f"outcome-measure-item_{n}": str(v) for n, v in enumerate(items, start=1)}
    return fields


# Scored CORE-10 totals (items 2 and 3 are answered 4 - score).
START_28 = [4, 0, 0, 4, 4, 0, 4, 4, 0, 0]
END_8 = [0, 4, 4, 4, 4, 0, 0, 0, 0, 0]


def records(db: Session, allocation: Allocation) -> int:
    return db.scalar(select(func.count()).where(MeasureRecord.allocation_id == allocation.id)) or 0


def test_a_start_and_end_are_recorded_scored_and_classified_in_words(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = in_support(db_session, provider)
    desk = provider_desk(app, db_session, provider)
    path = f"/provider/cases/{allocation.id}/outcome-measure"
    # Start: 4 + 4 (item 2 answered 0) + 4 (item 3 answered 0) + 4 + 4 + 4 + 4 = 28; end: 4 + 4 = 8.
    response = desk.send(path, **form(START_28, day=20))
    assert response.status_code == 303
    _, page = desk.get(f"/provider/cases/{allocation.id}")
    assert "The outcome measure is recorded for" in page
    assert re.search(r"CORE-10</td>\s*<td[^>]*>At the start</td>", page)
    assert "28 <span" in page and "In the clinical range" in page
    assert "Once a measure has a record at the start and one at the end" in page
    assert desk.send(path, **form(END_8, point="end", day=2)).status_code == 303
    _, page = desk.get(f"/provider/cases/{allocation.id}")
    change = re.search(r'<li id="change-core-10">(.*?)</li>', page, re.S)
    assert change and "CORE-10: Reliable and clinically significant improvement (recovered)." in change.group(
        1
    )
    assert "From 28" in change.group(1) and "to 8" in change.group(1)
    assert "Not in the clinical range" in page
    db_session.expire_all()
    kept = db_session.scalars(select(MeasureRecord).where(MeasureRecord.allocation_id == allocation.id)).all()
    assert sorted(r.point for r in kept) == [MeasurePoint.END, MeasurePoint.START]
    assert {tuple(r.items.answers) for r in kept if r.items} == {tuple(START_28), tuple(END_8)}
    events = db_session.scalars(select(ReferralEvent).where(ReferralEvent.kind == "measures_recorded")).all()
    assert len(events) == 2 and all(e.note is None for e in events), "no score in the timeline"


def test_a_measure_can_be_chosen_and_its_own_boxes_are_shown(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = in_support(db_session, provider)
    desk = provider_desk(app, db_session, provider)
    _, page = desk.get(f"/provider/cases/{allocation.id}")
    assert 'name="outcome-measure-item_10"' in page and 'name="outcome-measure-item_11"' not in page
    assert "From 0 to 4" in page and "the hub reverses items 2 and 3 itself" in page
    _, page = desk.get(f"/provider/cases/{allocation.id}?measure=gad-7")
    assert 'name="outcome-measure-item_7"' in page and 'name="outcome-measure-item_8"' not in page
    assert 'name="measure" value="gad-7"' in page and "From 0 to 3" in page
    assert (
        desk.send(
            f"/provider/cases/{allocation.id}/outcome-measure", **form([3] * 7, measure="gad-7")
        ).status_code
        == 303
    )
    _, page = desk.get(f"/provider/cases/{allocation.id}")
    assert re.search(r"GAD-7</td>\s*<td[^>]*>At the start</td>", page) and "21 <span" in page


@pytest.mark.parametrize(
    ("fields", "message", "href"),
    [
        (
            form([0] * 9 + ["5"]),
            "Enter a score for item 10, a whole number from 0 to 4",
            "#outcome-measure-item_10",
        ),
        (
            form([0] * 9 + [""]),
            "Enter a score for item 10, a whole number from 0 to 4",
            "#outcome-measure-item_10",
        ),
        (
            form(["-1"] + [0] * 9),
            "Enter a score for item 1, a whole number from 0 to 4",
            "#outcome-measure-item_1",
        ),
        (
            form(["two"] + [0] * 9),
            "Enter a score for item 1, a whole number from 0 to 4",
            "#outcome-measure-item_1",
        ),
        (
            form(["²"] + [0] * 9),
            "Enter a score for item 1, a whole number from 0 to 4",
            "#outcome-measure-item_1",
        ),
        (form([0] * 10, day=-1), "must be today or in the past", None),
        (form([0] * 10, day=40), "cannot be before the first contact", None),
        (form([0] * 10, point="middle"), "Choose when the measure was taken", "#outcome-measure-point"),
        (form([0] * 10, measure="swemwbs"), "Choose a measure from the ones listed", "#outcome-measure"),
        (form([0] * 10, measure="<script>"), "Choose a measure from the ones listed", "#outcome-measure"),
    ],
)
def test_answers_that_cannot_be_scored_are_refused_kindly_and_kept(
    app: Flask,
    db_session: Session,
    provider: Provider,
    fields: dict[str, Any],
    message: str,
    href: str | None,
) -> None:
    allocation = in_support(db_session, provider)
    desk = provider_desk(app, db_session, provider)
    status, page = desk.post(f"/provider/cases/{allocation.id}/outcome-measure", **fields)
    assert status == 200
    assert page.startswith("<!DOCTYPE html>") and "<title>Error: " in page
    summary = re.search(r'<div class="govuk-error-summary__body">(.*?)</ul>', page, re.S)
    assert summary and message in summary.group(1)
    if href:
        assert f'href="{href}"' in summary.group(1)
    typed = fields.get("outcome-measure-item_1")
    if typed is not None and fields["measure"] == "core-10":
        assert re.search(rf'name="outcome-measure-item_1"[^>]*value="{re.escape(str(typed))}"', page) or (
            f'value="{typed}"' in page
        ), "what was typed is kept"
    assert records(db_session, allocation) == 0


def test_a_wrong_number_of_items_posted_is_refused_by_the_service(
    db_session: Session, provider: Provider
) -> None:
    allocation = in_support(db_session, provider)
    who = staff(db_session, provider)
    for answers in ([0] * 9, [0] * 11):
        with pytest.raises(cases.BadDetails, match="CORE-10 has 10 items, so it needs 10 scores"):
            cases.record_outcome_measure(
                db_session,
                allocation.id,
                provider.id,
                who,
                measure_code="core-10",
                point="start",
                taken_on=TODAY,
                answers=answers,
            )
    assert records(db_session, allocation) == 0


def test_an_end_before_the_start_or_a_start_after_the_end_is_refused_and_never_paired(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    """The pair is read as start then end: one the other way round would count a worsening as a recovery."""
    from hub.referrals.outcomes import case_measures

    allocation = in_support(db_session, provider)
    desk = provider_desk(app, db_session, provider)
    path = f"/provider/cases/{allocation.id}/outcome-measure"
    assert desk.send(path, **form(START_28, day=10)).status_code == 303
    status, page = desk.post(path, **form(END_8, point="end", day=12))
    assert status == 200 and "The end cannot be before the start" in page
    assert records(db_session, allocation) == 1
    assert desk.send(path, **form(END_8, point="end", day=5)).status_code == 303
    status, page = desk.post(path, **form(START_28, day=3))
    assert status == 200 and "The start cannot be after the end" in page
    assert records(db_session, allocation) == 2

    # A pair kept the wrong way round (from before the check) is not paired.
    other = in_support(db_session, provider)
    core = db_session.scalars(select(MeasureRecord.measure_id)).first()
    factories.measure_record(
        db_session,
        allocation_id=other.id,
        measure_id=core,
        point=MeasurePoint.START,
        taken_on=TODAY - timedelta(days=2),
        items=ItemScores(tuple(START_28)),
    )
    factories.measure_record(
        db_session,
        allocation_id=other.id,
        measure_id=core,
        point=MeasurePoint.END,
        taken_on=TODAY - timedelta(days=9),
        items=ItemScores(tuple(END_8)),
    )
    assert case_measures(db_session, other.id).pairs == []


def test_a_retired_measure_is_refused_by_the_service_and_nothing_is_kept(
    db_session: Session, provider: Provider
) -> None:
    from hub.measures.models import OutcomeMeasure

    allocation = in_support(db_session, provider)
    gad = db_session.scalars(select(OutcomeMeasure).where(OutcomeMeasure.code == "gad-7")).one()
    gad.retired_at = MIDDAY
    db_session.commit()
    with pytest.raises(cases.BadDetails, match="Choose a measure from the ones listed"):
        cases.record_outcome_measure(
            db_session,
            allocation.id,
            provider.id,
            staff(db_session, provider),
            measure_code="gad-7",
            point="start",
            taken_on=TODAY,
            answers=[1] * 7,
        )
    assert records(db_session, allocation) == 0


def test_no_measure_before_the_first_contact(app: Flask, db_session: Session, provider: Provider) -> None:
    allocation = offered(db_session, provider)
    cases.accept(db_session, allocation.id, provider.id, staff(db_session, provider))
    desk = provider_desk(app, db_session, provider)
    status, page = desk.post(f"/provider/cases/{allocation.id}/outcome-measure", **form([0] * 10, day=0))
    assert status == 200 and "No first contact is recorded, so no measure can have been taken yet" in page
    assert records(db_session, allocation) == 0


def test_a_json_body_is_refused_and_nothing_is_kept(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = in_support(db_session, provider)
    desk = provider_desk(app, db_session, provider)
    response = desk.client.post(
        f"/provider/cases/{allocation.id}/outcome-measure",
        json={**form([0] * 10), "csrf_token": desk.token},
        headers={"X-CSRFToken": desk.token},
    )
    assert response.status_code == 415
    assert records(db_session, allocation) == 0


def test_another_providers_case_is_not_found_and_nothing_is_kept(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    theirs = in_support(db_session, factories.provider(db_session, name="Elsewhere"))
    desk = provider_desk(app, db_session, provider)
    response = desk.send(f"/provider/cases/{theirs.id}/outcome-measure", **form([0] * 10))
    assert response.status_code == 404
    assert desk.get(f"/provider/cases/{theirs.id}")[0] == 404
    assert records(db_session, theirs) == 0
    with pytest.raises(cases.NotYourCase):
        cases.record_outcome_measure(
            db_session,
            theirs.id,
            provider.id,
            staff(db_session, provider),
            measure_code="core-10",
            point="start",
            taken_on=TODAY,
            answers=[0] * 10,
        )


def test_a_restricted_case_refuses_measures_and_shows_none(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = in_support(db_session, provider)
    who = staff(db_session, provider)
    cases.record_outcome_measure(
        db_session,
        allocation.id,
        provider.id,
        who,
        measure_code="core-10",
        point="start",
        taken_on=TODAY,
        answers=[0, 4, 4, 0, 0, 2, 0, 0, 0, 0],
    )
    restriction.restrict(db_session, allocation.referral, DPO, basis="The person asked, pending a decision.")
    desk = provider_desk(app, db_session, provider)
    _, page = desk.get(f"/provider/cases/{allocation.id}")
    assert "You cannot see or record outcome measures while the person's details are restricted" in page
    assert 'name="outcome-measure-item_1"' not in page
    assert "Risk: check the person's safety" not in page and "CORE-10" not in page
    status, page = desk.post(f"/provider/cases/{allocation.id}/outcome-measure", **form([0] * 10))
    assert status == 200
    assert "You cannot see or record outcome measures while the person's details are restricted" in page
    assert records(db_session, allocation) == 1


def test_a_risk_item_above_0_shows_a_prominent_alert_in_words_and_is_never_emailed(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = in_support(db_session, provider)
    desk = provider_desk(app, db_session, provider)
    sent_before = db_session.scalar(select(func.count()).select_from(OutboxMessage))
    assert (
        desk.send(
            f"/provider/cases/{allocation.id}/outcome-measure", **form([0, 4, 4, 0, 0, 0, 0, 0, 0, 0])
        ).status_code
        == 303
    )
    _, page = desk.get(f"/provider/cases/{allocation.id}")
    assert "Risk: check the person's safety" not in page, "a risk item of 0 shows no alert"
    assert (
        desk.send(
            f"/provider/cases/{allocation.id}/outcome-measure",
            **form([0, 4, 4, 0, 0, 1, 0, 0, 0, 0], point="review"),
        ).status_code
        == 303
    )
    _, page = desk.get(f"/provider/cases/{allocation.id}")
    alert = re.search(r'<div class="hub-risk-alert.*?</div>\s*</div>', page, re.S)
    assert alert, "the alert is shown"
    assert "CORE-10, at a review" in alert.group(0) and "the risk item 6 scored above 0" in alert.group(0)
    assert "govuk-warning-text" in alert.group(0) and "Warning" in alert.group(0)
    assert page.index("hub-risk-alert") < page.index("What you can do"), "near the top, before the actions"
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == sent_before
    notes = [e.note for e in db_session.scalars(select(ReferralEvent)) if e.note]
    assert not any("risk" in n.lower() for n in notes)


def test_recording_a_measure_is_on_the_timeline_and_audited(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    allocation = in_support(db_session, provider)
    desk = provider_desk(app, db_session, provider)
    desk.send(f"/provider/cases/{allocation.id}/outcome-measure", **form([0] * 10))
    _, page = desk.get(f"/provider/cases/{allocation.id}")
    assert "Sessions and outcome measures recorded" in page
    actions = db_session.scalars(select(AuditEntry.action)).all()
    assert "referral.measures_recorded" in actions


def test_the_sessions_form_no_longer_asks_for_scores_and_keeps_old_ones(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    from hub.referrals.models import Measures

    allocation = in_support(db_session, provider)
    allocation.measures = Measures(sessions_offered=4, outcome_start=22, outcome_end=9)
    db_session.commit()
    desk = provider_desk(app, db_session, provider)
    _, page = desk.get(f"/provider/cases/{allocation.id}")
    assert "measures-outcome_start" not in page and "measures-sessions_offered" in page
    assert (
        desk.send(
            f"/provider/cases/{allocation.id}/measures", **{"measures-sessions_offered": "6"}
        ).status_code
        == 303
    )
    db_session.expire_all()
    kept = db_session.get(Allocation, allocation.id)
    assert kept is not None and kept.measures == Measures(sessions_offered=6, outcome_start=22, outcome_end=9)


def test_erasing_the_referral_keeps_the_scores_and_the_outcome_figures(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    from hub.calendar import Quarter
    from hub.kpi.outcome_figures import outcome_figures
    from hub.privacy.erasure import erase_referral
    from hub.referrals.models import Outcome

    allocation = in_support(db_session, provider)
    who = staff(db_session, provider)
    for point, answers, before in (("start", START_28, 20), ("end", END_8, 2)):
        cases.record_outcome_measure(
            db_session,
            allocation.id,
            provider.id,
            who,
            measure_code="core-10",
            point=point,
            taken_on=TODAY - timedelta(days=before),
            answers=answers,
        )
    cases.close(db_session, allocation.id, provider.id, who, Outcome.SUPPORT_COMPLETED)
    quarter = Quarter.containing(TODAY)
    figures = {k: f.value for k, f in outcome_figures(db_session, provider.id, quarter).items()}
    assert figures["change_recovered"] == 1
    erase_referral(db_session, allocation.referral, DPO, because="Erased on request")
    db_session.expire_all()
    kept = db_session.scalars(select(MeasureRecord).where(MeasureRecord.allocation_id == allocation.id)).all()
    assert {tuple(r.items.answers) for r in kept if r.items} == {tuple(START_28), tuple(END_8)}
    assert {k: f.value for k, f in outcome_figures(db_session, provider.id, quarter).items()} == figures
    # Nothing more can be recorded on an erased case: a new end would change the figures kept.
    with pytest.raises(cases.Erased, match="The person's details were erased"):
        cases.record_outcome_measure(
            db_session,
            allocation.id,
            provider.id,
            who,
            measure_code="core-10",
            point="end",
            taken_on=TODAY,
            answers=START_28,
        )
    assert records(db_session, allocation) == 2
    desk = provider_desk(app, db_session, provider)
    status, page = desk.post(
        f"/provider/cases/{allocation.id}/outcome-measure", **form(START_28, point="end")
    )
    assert status == 200 and "nothing more can be recorded on this case" in page
    assert records(db_session, allocation) == 2


def test_the_subject_access_pack_lists_each_measure_with_its_scores(
    app: Flask, db_session: Session, provider: Provider
) -> None:
    import io
    import json
    import zipfile

    from hub.privacy.subject_access import pack

    allocation = in_support(db_session, provider)
    cases.record_outcome_measure(
        db_session,
        allocation.id,
        provider.id,
        staff(db_session, provider),
        measure_code="gad-7",
        point="start",
        taken_on=TODAY,
        answers=[3, 2, 1, 0, 1, 2, 3],
    )
    with app.test_request_context():
        made, _ = pack(db_session, [allocation.referral_id], DPO)
    archive = zipfile.ZipFile(io.BytesIO(made))
    contents = json.loads(archive.read("subject-access.json"))
    taken = contents["referrals"][0]["case_records"][0]["outcome_measures"]
    assert taken == [
        {
            "measure": "GAD-7",
            "version": "2006",
            "point": "At the start",
            "taken_on": TODAY.isoformat(),
            "item_scores": [3, 2, 1, 0, 1, 2, 3],
            "total": 12.0,
            "in_clinical_range": True,
        }
    ]
    document = archive.read("subject-access.html").decode()
    assert "Outcome measure: GAD-7" in document and "Item scores: 3, 2, 1, 0, 1, 2, 3" in document
