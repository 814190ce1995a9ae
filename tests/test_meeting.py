"""The joint meeting: a commissioner shares a quarter, and then (and only then, for that quarter only)
the triage team and the providers read its joint view, record and pack; the record's actions are carried
forward until done; the pack's PDF opens in a PDF reader and holds the quarter's headline figures."""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator
from datetime import date, datetime
from typing import ClassVar

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.audit import Actor, AuditEntry
from hub.auth.models import Role, StaffUser
from hub.calendar import Quarter
from hub.kpi import meeting, returns
from hub.kpi.meeting_models import ActionStatus, MeetingAction, MeetingRecord
from hub.kpi.meeting_pack import as_pdf
from hub.kpi.models import Direction, KpiQuarter, KpiTarget
from hub.providers.models import Provider

from . import factories
from .staff import Desk, signed_in
from .test_kpi_joint import supporting
from .test_kpi_returns import AFTER_Q3, Q3

PROVIDER = Actor(id=None, role="provider_staff")
COMMISSIONER = Actor(id=None, role="commissioner")
Q2, Q4 = Quarter(2026, 2), Quarter(2026, 4)
AFTER_Q4 = "2027-01-11 10:00:00+00:00"


@pytest.fixture
def providers(db_session: Session) -> tuple[Provider, Provider]:
    harbour = factories.provider(db_session, name="Harbour")
    lighthouse = factories.provider(db_session, name="Lighthouse")
    db_session.commit()
    return harbour, lighthouse


def desk(app: Flask, db: Session, role: Role, **fields: object) -> tuple[Desk, StaffUser]:
    client, user = signed_in(app, db, role, **fields)
    return Desk(client), user


def refusals(db: Session, user: StaffUser) -> list[str | None]:
    db.expire_all()
    found = select(AuditEntry.object_id).where(AuditEntry.action == "access.refused")
    return list(db.scalars(found.where(AuditEntry.actor == str(user.id)).order_by(AuditEntry.seq)))


def status(client: FlaskClient, path: str) -> int:
    return client.get(path).status_code


def test_sharing_opens_the_joint_view_to_trs_and_providers_for_that_quarter_only(
    app: Flask, db_session: Session, providers: tuple[Provider, Provider]
) -> None:
    harbour, lighthouse = providers
    with time_machine.travel(AFTER_Q3, tick=False):
        for provider, people in ((harbour, 40), (lighthouse, 25)):
            figures = supporting(db_session, provider, Q3, people)
            assert not returns.save(db_session, provider.id, Q3, figures, {}, PROVIDER, submit=True).errors
        commissioner, _ = desk(app, db_session, Role.COMMISSIONER)
        trs, _ = desk(app, db_session, Role.ALLOCATOR)
        harbour_staff, staff_user = desk(app, db_session, Role.PROVIDER_STAFF, provider_id=harbour.id)
        pages = ("/meeting/20263", "/meeting/20263/record", "/meeting/20263/pack", "/meeting/20263/pack.pdf")

        # Before sharing: not found, and the commissioners' own page says only they can see it.
        assert [status(harbour_staff.client, p) for p in pages] == [404] * 4
        assert "No quarter is shared for the meeting yet." in harbour_staff.get("/meeting")[1]
        assert (
            "Share July to September 2026 (Q2 2026/27) for the meeting"
            in commissioner.get("/commissioner/kpi?quarter=20263")[1]
        )

        shared = commissioner.send("/commissioner/kpi/share", quarter="20263")
        assert shared.status_code == 303
        assert "is shared for the meeting" in commissioner.get(shared.headers["Location"])[1]

        for reader in (trs, harbour_staff):
            assert [status(reader.client, p) for p in pages] == [200] * 4
            _code, page = reader.get("/meeting/20263")
            assert "Harbour</th>" in page and "Lighthouse</th>" in page  # every provider's figures
            assert ">65<" in page.replace(" ", "")  # people supported, 40 + 25
            assert "The triage team's own figures" in page and "Referrals by referring agency" in page
            assert "/meeting/20263" in reader.get("/meeting")[1]

        # Another quarter, the one still running, and guessed ones: not found, each refusal audited.
        guesses = ["20262", "20261", "20254", "20264", "20265", "20300", "99994"]
        for key in guesses:
            assert status(harbour_staff.client, f"/meeting/{key}") == 404, key
            assert status(harbour_staff.client, f"/meeting/{key}/pack.pdf") == 404, key
        assert status(trs.client, "/meeting/20262/record") == 404
        assert set(refusals(db_session, staff_user)) >= {"20263", "20262", "20261", "20254"}

        # Stop sharing: a link kept from before finds nothing.
        assert commissioner.send("/commissioner/kpi/unshare", quarter="20263").status_code == 303
        assert [status(harbour_staff.client, p) for p in pages] == [404] * 4
        assert [status(trs.client, p) for p in pages] == [404] * 4
        assert "/meeting/20263" not in harbour_staff.get("/meeting")[1]
        assert [status(commissioner.client, p) for p in pages[:3]] == [200] * 3  # commissioners still can
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("kpi.quarter_%")))
    assert list(actions) == ["kpi.quarter_shared", "kpi.quarter_unshared"]


def test_the_trends_of_a_shared_quarter_open_no_earlier_quarter_that_is_not_shared(
    app: Flask, db_session: Session, providers: tuple[Provider, Provider]
) -> None:
    harbour = providers[0]
    with time_machine.travel(AFTER_Q3, tick=False):
        for quarter, people in ((Q2, 977), (Q3, 40)):
            figures = supporting(db_session, harbour, quarter, people)
            saved = returns.save(db_session, harbour.id, quarter, figures, {}, PROVIDER, submit=True)
            assert not saved.errors
        meeting.share(db_session, COMMISSIONER, Q3)
        staff, _ = desk(app, db_session, Role.PROVIDER_STAFF, provider_id=providers[1].id)
        for path in ("/meeting/20263", "/meeting/20263/pack"):
            page = staff.get(path)[1]
            assert ">40<" in page.replace(" ", "") and "977" not in page, path  # Q2 is not shared
        meeting.share(db_session, COMMISSIONER, Q2)
        assert "977" in staff.get("/meeting/20263")[1]


def test_a_refused_share_changes_nothing(
    app: Flask, db_session: Session, providers: tuple[Provider, Provider]
) -> None:
    def state() -> tuple[list[tuple[int, datetime | None]], int]:
        db_session.expire_all()
        rows = [(r.quarter, r.shared_at) for r in db_session.scalars(select(KpiQuarter))]
        entries = db_session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("kpi.q%"))
        )
        return rows, entries or 0

    with time_machine.travel(AFTER_Q3, tick=False):
        commissioner, _ = desk(app, db_session, Role.COMMISSIONER)
        trs, _ = desk(app, db_session, Role.ALLOCATOR)
        staff, _ = desk(app, db_session, Role.PROVIDER_STAFF, provider_id=providers[0].id)
        before = state()
        assert staff.send("/commissioner/kpi/share", quarter="20263").status_code == 403
        assert trs.send("/commissioner/kpi/share", quarter="20263").status_code == 403
        json_body = commissioner.client.post(
            "/commissioner/kpi/share", json={"quarter": "20263"}, headers={"X-CSRFToken": commissioner.token}
        )
        assert json_body.status_code == 415
        for key, said in (
            ("20264", "only a quarter that has ended can be"),  # still running
            ("20301", "only a quarter that has ended can be"),
            ("20223", "only a quarter that has ended can be"),  # older than the joint view offers
            ("20265", "Choose a quarter from the list"),
            ("", "Choose a quarter from the list"),
            ("²", "Choose a quarter from the list"),
        ):
            response = commissioner.send("/commissioner/kpi/share", quarter=key)
            assert response.status_code == 303
            assert said in commissioner.get(response.headers["Location"])[1], key
        assert state() == before
        no_such = commissioner.send("/commissioner/kpi/unshare", quarter="20263")
        assert (
            "is not shared for the meeting, so nothing was changed"
            in commissioner.get(no_such.headers["Location"])[1]
        )
        assert state() == before

        commissioner.send("/commissioner/kpi/share", quarter="20263")
        once = state()
        again = commissioner.send("/commissioner/kpi/share", quarter="20263")
        assert "is already shared for the meeting" in commissioner.get(again.headers["Location"])[1]
        assert state() == once and once[1] == before[1] + 1


def test_actions_are_carried_to_each_later_record_until_one_marks_them_done(
    db_session: Session, providers: tuple[Provider, Provider]
) -> None:
    owner = meeting.provider_key(providers[0])
    q1 = Quarter(2026, 1)
    with time_machine.travel(AFTER_Q4, tick=False):
        carried = meeting.add_action(
            db_session, COMMISSIONER, q1, "Agree how to count no-shows.", owner, date(2026, 6, 1)
        )
        closed = meeting.add_action(
            db_session, COMMISSIONER, q1, "Share the allocation times.", "trs", date(2026, 5, 1)
        )
        meeting.set_status(db_session, COMMISSIONER, q1, closed, ActionStatus.DONE)
        later = meeting.add_action(
            db_session, COMMISSIONER, Q3, "Bring the feedback.", "commissioners", date(2026, 12, 1)
        )

        def listed(quarter: Quarter) -> list[str]:
            return [a.what or "" for a in meeting.actions_for(db_session, quarter)]

        assert listed(q1) == ["Share the allocation times.", "Agree how to count no-shows."]
        assert listed(Q2) == ["Agree how to count no-shows."]  # the done one is not carried
        meeting.set_status(db_session, COMMISSIONER, Q2, carried, ActionStatus.IN_PROGRESS)
        assert listed(Q3) == ["Agree how to count no-shows.", "Bring the feedback."]
        meeting.set_status(db_session, COMMISSIONER, Q3, carried, ActionStatus.DONE)
        assert listed(Q3) == ["Agree how to count no-shows.", "Bring the feedback."]  # done at this meeting
        assert listed(Q4) == ["Bring the feedback."]  # carried no further
        assert listed(Q2) == ["Agree how to count no-shows."]  # the earlier record still lists it
        # An action can be changed only from a record that lists it.
        assert meeting.find_action(db_session, Q2, later.id) is None
        assert meeting.find_action(db_session, Q4, carried.id) is None
        assert meeting.find_action(db_session, Q2, closed.id) is None
        with pytest.raises(meeting.MeetingRefused, match="already done"):
            meeting.set_status(db_session, COMMISSIONER, Q3, carried, ActionStatus.DONE)


def test_a_commissioner_keeps_the_record_and_others_read_it(
    app: Flask, db_session: Session, providers: tuple[Provider, Provider]
) -> None:
    harbour, _lighthouse = providers
    with time_machine.travel(AFTER_Q4, tick=False):
        old = meeting.add_action(
            db_session, COMMISSIONER, Q2, "Agree how to count no-shows.", "trs", date(2026, 9, 1)
        )
        commissioner, _ = desk(app, db_session, Role.COMMISSIONER)
        trs, _ = desk(app, db_session, Role.ALLOCATOR)
        form = commissioner.get("/meeting/20263/record/edit")[1]
        assert "Harbour" in form and "Trauma and Resilience Service (TRS)" in form
        saved = commissioner.send(
            "/meeting/20263/record/edit",
            **{"held_on-day": "14", "held_on-month": "10", "held_on-year": "2026"},
            attended=[meeting.provider_key(harbour), "trs", "commissioners"],
            notes="Waits are down.\nFeedback next time.",
        )
        assert saved.headers["Location"] == "/meeting/20263/record"
        added = commissioner.send(
            "/meeting/20263/actions/new",
            what="Publish the report.",
            owner="commissioners",
            **{"due_on-day": "29", "due_on-month": "1", "due_on-year": "2027"},
        )
        assert added.status_code == 303
        changed = commissioner.send(f"/meeting/20263/actions/{old.id}", status="done")
        assert "The action is now done." in commissioner.get(changed.headers["Location"])[1]
        commissioner.send("/commissioner/kpi/share", quarter="20263")

        code, page = trs.get("/meeting/20263/record")
        assert code == 200 and "14 October 2026" in page and "Waits are down." in page
        assert "Harbour" in page and "Lighthouse" not in page  # who attended, as chosen
        assert "Publish the report." in page and "29 January 2027" in page and "Commissioners" in page
        assert "Carried from the meeting about April to June 2026 (Q1 2026/27)" in page
        assert "Add an action" not in page and "/record/edit" not in page and "Change<" not in page
        assert trs.send("/meeting/20263/record/edit", notes="Mine now.").status_code == 403
        assert trs.send("/meeting/20263/actions/new", what="x", owner="trs").status_code == 403
        assert trs.send(f"/meeting/20263/actions/{old.id}", status="open").status_code == 403
    db_session.expire_all()
    record = db_session.scalars(select(MeetingRecord)).one()
    assert record.notes == "Waits are down.\nFeedback next time." and record.attended[1:] == [
        "trs",
        "commissioners",
    ]
    assert db_session.get(MeetingAction, old.id).done_in == 20263  # type: ignore[union-attr]


def test_an_owner_or_attendee_not_offered_is_refused_and_changes_nothing(
    app: Flask, db_session: Session, providers: tuple[Provider, Provider]
) -> None:
    later = factories.provider(db_session, name="Opened Later", created_at=Q4.starts)  # not in Q3's list
    db_session.commit()
    due = {"due_on-day": "29", "due_on-month": "1", "due_on-year": "2027"}
    with time_machine.travel(AFTER_Q4, tick=False):
        commissioner, _ = desk(app, db_session, Role.COMMISSIONER)
        for owner in (meeting.provider_key(later), "provider-999999", "admin", "", "trs,commissioners"):
            response = commissioner.send("/meeting/20263/actions/new", what="Do it.", owner=owner, **due)
            assert response.status_code == 200, owner
            page = response.get_data(as_text=True)
            assert "<title>Error: " in page and "Do it." in page  # what was typed is kept
        for attended in ([meeting.provider_key(later)], ["everyone"]):
            response = commissioner.send("/meeting/20263/record/edit", attended=attended, notes="Kept.")
            assert response.status_code == 200 and "Kept." in response.get_data(as_text=True)
        with pytest.raises(meeting.MeetingRefused):
            meeting.save_record(db_session, COMMISSIONER, Q3, None, ["provider-999999"], "")
        with pytest.raises(meeting.MeetingRefused):
            meeting.add_action(
                db_session, COMMISSIONER, Q3, "x", meeting.provider_key(later), date(2027, 1, 1)
            )
    assert db_session.scalar(select(func.count()).select_from(MeetingAction)) == 0
    assert db_session.scalar(select(func.count()).select_from(MeetingRecord)) == 0


def test_mistakes_on_the_record_are_explained_and_what_was_typed_is_kept(
    app: Flask, db_session: Session, providers: tuple[Provider, Provider]
) -> None:
    with time_machine.travel(AFTER_Q4, tick=False):
        commissioner, _ = desk(app, db_session, Role.COMMISSIONER)
        early = commissioner.send(
            "/meeting/20263/record/edit",
            **{"held_on-day": "30", "held_on-month": "9", "held_on-year": "2026"},
            notes="Waits are down.",
        ).get_data(as_text=True)
        assert "<title>Error: " in early and "Waits are down." in early
        assert "The date the meeting was held must be after the quarter ended on 30 September 2026" in early
        future = commissioner.send(
            "/meeting/20263/record/edit", **{"held_on-day": "1", "held_on-month": "2", "held_on-year": "2027"}
        ).get_data(as_text=True)
        assert "The date the meeting was held must be today or in the past" in future
        no_due = commissioner.send("/meeting/20263/actions/new", what="Publish it.", owner="trs").get_data(
            as_text=True
        )
        assert "Enter the date the action is due" in no_due and "Publish it." in no_due
        no_what = commissioner.send(
            "/meeting/20263/actions/new",
            what="  ",
            owner="trs",
            **{"due_on-day": "31", "due_on-month": "2", "due_on-year": "2027"},
        ).get_data(as_text=True)
        assert "Enter what is to be done" in no_what and "The due date must be a real date" in no_what
        # A quarter still running has no meeting yet; an action id that is not this record's is not found.
        assert status(commissioner.client, "/meeting/20271/record/edit") == 404
        assert (
            status(commissioner.client, "/meeting/20263/actions/00000000-0000-4000-8000-000000000009") == 404
        )
    assert db_session.scalar(select(func.count()).select_from(MeetingRecord)) == 0


class Listener(http.server.BaseHTTPRequestHandler):
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Listener.asked.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), Listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Listener.asked = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_pdf_opens_and_holds_the_quarters_headline_figures(
    app: Flask, db_session: Session, providers: tuple[Provider, Provider]
) -> None:
    harbour, lighthouse = providers
    db_session.add(
        KpiTarget(code="people_supported", from_quarter=20261, value=50, direction=Direction.AT_LEAST)
    )
    db_session.add(
        KpiTarget(code="waiting_at_quarter_end", from_quarter=20261, value=0, direction=Direction.AT_MOST)
    )
    db_session.commit()
    with time_machine.travel(AFTER_Q3, tick=False):
        for provider, people in ((harbour, 40), (lighthouse, 25)):
            figures = supporting(db_session, provider, Q3, people)
            assert not returns.save(db_session, provider.id, Q3, figures, {}, PROVIDER, submit=True).errors
        meeting.add_action(
            db_session, COMMISSIONER, Q3, "Publish the report.", "commissioners", date(2027, 1, 29)
        )
        commissioner, _ = desk(app, db_session, Role.COMMISSIONER)
        response = commissioner.client.get("/meeting/20263/pack.pdf")
        page = commissioner.get("/meeting/20263/pack")[1]
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert 'filename="meeting-pack-q2-2026-27.pdf"' in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join((p.extract_text() or "") for p in reader.pages).replace("\n", " ")
    assert reader.metadata and "July to September 2026 (Q2 2026/27)" in (reader.metadata.title or "")
    assert "Joint meeting pack, July to September 2026 (Q2 2026/27)" in text
    assert "Met: 65 against a target of at least 50" in text  # people supported, 40 + 25
    assert "Met: 0 against a target of at most 0" in text
    assert "Harbour" in text and "Lighthouse" in text and "Publish the report." in text
    assert "the figures in the chart" in text
    assert "Met: 65 against a target of at least 50" in page and 'media="print"' in page
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("meeting.pack%")))
    assert list(actions) == ["meeting.pack_downloaded", "meeting.pack_viewed"]


def test_the_pdf_fetches_nothing_a_page_points_at(listener: str) -> None:
    html = (
        f'<html><head><link rel="stylesheet" href="{listener}/style.css"></head><body>'
        f'<h1>Pack</h1><img src="{listener}/image.png" alt=""><img src="file:///etc/hostname" alt="">'
        f'<p style="background: url({listener}/background.png)">Figures</p></body></html>'
    )
    reader = PdfReader(io.BytesIO(as_pdf(html)))
    assert "Figures" in (reader.pages[0].extract_text() or "")
    assert Listener.asked == []
