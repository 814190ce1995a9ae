"""The access matrix: every route of the app, for every kind of visitor, has one expected outcome.

The route list comes from the app's URL map, so a new route without a row here fails the test.
Outcomes: ``ok`` (the page, or its redirect onward), ``login`` (sent to sign in), ``forbidden``
(403), ``not_found`` (404).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from hub.audit import Actor
from hub.auth.models import Role
from hub.measures.models import OutcomeMeasure
from hub.providers.models import Provider, Specialism
from hub.referrals.models import ReferralStatus

from . import factories
from .journeys import TOKEN
from .staff import signed_in

# "dpo": an administrator who also holds the data-protection duty (hub.privacy).
PERSONAS = ("anonymous", "allocator", "provider_a", "provider_b", "commissioner", "admin", "dpo")
STAFF = PERSONAS[1:]
EVERYONE = dict.fromkeys(PERSONAS, "ok")
SIGNED_IN = {"anonymous": "login", **dict.fromkeys(STAFF, "ok")}
ALLOCATOR_ONLY = {"anonymous": "login", **dict.fromkeys(STAFF, "forbidden"), "allocator": "ok"}
PROVIDERS_ONLY = {
    "anonymous": "login",
    **dict.fromkeys(STAFF, "forbidden"),
    "provider_a": "ok",
    "provider_b": "ok",
}
COMMISSIONER_ONLY = {"anonymous": "login", **dict.fromkeys(STAFF, "forbidden"), "commissioner": "ok"}
ADMIN_ONLY = {"anonymous": "login", **dict.fromkeys(STAFF, "forbidden"), "admin": "ok", "dpo": "ok"}
DATA_PROTECTION_ONLY = {"anonymous": "login", **dict.fromkeys(STAFF, "forbidden"), "dpo": "ok"}
AT_THE_MEETING = {**PROVIDERS_ONLY, "allocator": "ok", "commissioner": "ok"}
# A quarter not shared for the joint meeting: only commissioners find it; TRS and providers get "not found".
UNSHARED_QUARTER = {
    **AT_THE_MEETING,
    "allocator": "not_found",
    "provider_a": "not_found",
    "provider_b": "not_found",
}

MATRIX: dict[str, dict[str, str]] = {
    "public.start": EVERYONE,
    "public.safety": EVERYONE,
    "privacy_notice.current": EVERYONE,
    "privacy_notice.earlier": EVERYONE,
    "public.brand_css": EVERYONE,
    "public.healthz": EVERYONE,
    "intake.refer_start": EVERYONE,
    "intake.self_start": EVERYONE,
    "intake.refer_page": EVERYONE,
    "intake.self_page": EVERYONE,
    "intake.status": EVERYONE,
    "consultation.take_part": EVERYONE,
    "consultation.thanks": EVERYONE,
    "feedback.start": EVERYONE,
    "feedback.answers": EVERYONE,
    "feedback.thank_you": EVERYONE,
    "auth.sign_in": EVERYONE,
    "auth.second_factor": dict.fromkeys(PERSONAS, "login"),  # only just after a right password
    "auth.enrol": dict.fromkeys(PERSONAS, "login"),
    "auth.signed_out": EVERYONE,
    "workplace.home": SIGNED_IN,
    "admin.change_password": SIGNED_IN,
    "admin.users": ADMIN_ONLY,
    "triage.queue_page": ALLOCATOR_ONLY,
    "triage.referral_page": ALLOCATOR_ONLY,
    "triage.allocate_referral": ALLOCATOR_ONLY,
    "triage.move": ALLOCATOR_ONLY,
    "triage.plan_page": ALLOCATOR_ONLY,
    "triage.record_consent": ALLOCATOR_ONLY,
    "triage.withdraw_consent": ALLOCATOR_ONLY,
    "triage.decide_duplicate": ALLOCATOR_ONLY,
    "triage.correct_answer": ALLOCATOR_ONLY,
    # The list of people who said we may ask them to help shape the service, and taking one off it.
    "consultation_list.listing": ALLOCATOR_ONLY,
    "consultation_list.remove": ALLOCATOR_ONLY,
    "providers.capacity": PROVIDERS_ONLY,
    "cases.case_list": PROVIDERS_ONLY,
    "cases.direct_self_referral": PROVIDERS_ONLY,
    "kpi.return_list": PROVIDERS_ONLY,
    "kpi.return_page": PROVIDERS_ONLY,
    "commissioner.quarter_page": COMMISSIONER_ONLY,
    "commissioner.export": COMMISSIONER_ONLY,
    "publication.publish": COMMISSIONER_ONLY,
    "publication.withdraw": COMMISSIONER_ONLY,
    "pathway.report": EVERYONE,
    "pathway.report_csv": EVERYONE,
    "meeting.share": COMMISSIONER_ONLY,
    "meeting.unshare": COMMISSIONER_ONLY,
    "meeting.index": AT_THE_MEETING,
    "meeting.joint": UNSHARED_QUARTER,
    "meeting.record": UNSHARED_QUARTER,
    "meeting.pack": UNSHARED_QUARTER,
    "meeting.pack_pdf": UNSHARED_QUARTER,
    "meeting.edit_record": COMMISSIONER_ONLY,
    "meeting.new_action": COMMISSIONER_ONLY,
    # No action has the example id: a commissioner finds nothing there.
    "meeting.action": {**COMMISSIONER_ONLY, "commissioner": "not_found"},
    "targets.targets_page": COMMISSIONER_ONLY,
    "targets.end_target": COMMISSIONER_ONLY,
    "feedback_staff.provider_feedback": PROVIDERS_ONLY,
    "feedback_staff.commissioner_feedback": COMMISSIONER_ONLY,
    "kpi_admin.kpi_definitions": ADMIN_ONLY,
    "kpi_admin.retire": ADMIN_ONLY,
    "provider_admin.provider_list": ADMIN_ONLY,
    "provider_admin.new_provider": ADMIN_ONLY,
    "provider_admin.edit_provider": ADMIN_ONLY,
    "provider_admin.deactivate": ADMIN_ONLY,
    "provider_admin.reactivate": ADMIN_ONLY,
    "provider_admin.specialism_list": ADMIN_ONLY,
    "provider_admin.edit_specialism": ADMIN_ONLY,
    "provider_admin.retire_specialism": ADMIN_ONLY,
    "provider_admin.restore_specialism": ADMIN_ONLY,
    "measures_admin.measure_list": ADMIN_ONLY,
    "measures_admin.new_measure": ADMIN_ONLY,
    "measures_admin.thresholds": ADMIN_ONLY,
    "measures_admin.retire": ADMIN_ONLY,
    "measures_admin.restore": ADMIN_ONLY,
    # The example case is provider A's: provider B gets "not found", never a hint it exists.
    "cases.case_page": {**PROVIDERS_ONLY, "provider_b": "not_found"},
    "cases.case_action": {**PROVIDERS_ONLY, "provider_b": "not_found"},
    "admin.new_user": ADMIN_ONLY,
    "admin.disable": ADMIN_ONLY,
    "admin.enable": ADMIN_ONLY,
    "admin.reset_second_factor": ADMIN_ONLY,
    "admin.reset_password": ADMIN_ONLY,
    "admin.account": ADMIN_ONLY,
    "admin.change_role": ADMIN_ONLY,
    "admin.data_protection": ADMIN_ONLY,
    "requests.request_list": DATA_PROTECTION_ONLY,
    "requests.new_request": DATA_PROTECTION_ONLY,
    "requests.request_page": DATA_PROTECTION_ONLY,
    "requests.search": DATA_PROTECTION_ONLY,
    "requests.link": DATA_PROTECTION_ONLY,
    "requests.unlink": DATA_PROTECTION_ONLY,
    "requests.extend": DATA_PROTECTION_ONLY,
    "requests.close": DATA_PROTECTION_ONLY,
    "requests.pack": DATA_PROTECTION_ONLY,
    "admin.inactive": ADMIN_ONLY,
    "privacy.retention_schedule": ADMIN_ONLY,
    "privacy.change_rule": ADMIN_ONLY,
    "privacy.holds_page": DATA_PROTECTION_ONLY,
    "privacy.lift_hold": DATA_PROTECTION_ONLY,
    "privacy.find_for_erasure": DATA_PROTECTION_ONLY,
    "privacy.erasure_request": DATA_PROTECTION_ONLY,
    # Restriction (hub.privacy): a data-protection officer's only; a plain administrator gets 403.
    "restriction.restrictions": DATA_PROTECTION_ONLY,
    "restriction.referral": DATA_PROTECTION_ONLY,
    "restriction.restrict": DATA_PROTECTION_ONLY,
    "restriction.lift": DATA_PROTECTION_ONLY,
    # These end the visit, so they run last. Signing out works even when already signed out.
    "auth.sign_out_everywhere": SIGNED_IN,
    "auth.sign_out": EVERYONE,
    "public.exit_page": EVERYONE,
}
ENDS_THE_VISIT = ("auth.sign_out_everywhere", "auth.sign_out", "public.exit_page")


def routes(app: Flask) -> dict[str, tuple[str, str]]:
    """endpoint -> (method, example url) for every route except static files."""
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        method = "GET" if "GET" in (rule.methods or ()) else "POST"
        arguments = {name: example(name, rule.endpoint) for name in rule.arguments}
        found[rule.endpoint] = (method, rule.build(arguments)[1])  # type: ignore[index]
    return found


EXAMPLES: dict[str, str | dict[str, str]] = {
    "slug": {"intake.refer_page": "referrer", "intake.self_page": "about"},
    "version": "2026-12",
    "user_id": "00000000-0000-4000-8000-000000000000",
    "referral_id": "00000000-0000-4000-8000-000000000001",
    "action": {"triage.move": "request-information", "cases.case_action": "accept"},
    "answer": "email",
    "case_id": "00000000-0000-4000-8000-000000000002",
    "year": "2026",
    "number": "3",
    "definition_id": "1",
    "provider_id": "424242",
    "specialism_id": "434343",
    "measure_id": "454545",
    "kind": "sent_emails",
    "hold_id": "00000000-0000-4000-8000-000000000003",
    "request_id": "00000000-0000-4000-8000-000000000004",
    "quarter": "20263",
    "action_id": "00000000-0000-4000-8000-000000000005",
}


def example(name: str, endpoint: str) -> str:
    value = EXAMPLES[name]
    return value if isinstance(value, str) else value[endpoint]


def outcome(response: TestResponse) -> str:
    location = response.headers.get("Location", "")
    if response.status_code in {301, 302, 303} and location.startswith("/login"):
        return "login"
    return {200: "ok", 303: "ok", 302: "ok", 403: "forbidden", 404: "not_found"}.get(
        response.status_code, str(response.status_code)
    )


def doubled_classes(response: TestResponse) -> list[str]:
    """Tags with a second ``class`` attribute, which browsers ignore (a box drawn at the wrong width)."""
    if response.mimetype != "text/html":
        return []
    tags = re.findall(r"<[a-zA-Z][^>]*>", response.get_data(as_text=True))
    return [tag for tag in tags if len(re.findall(r"\sclass=", tag)) > 1]


@pytest.fixture
def visitors(app: Flask, db_session: Session) -> Iterator[dict[str, FlaskClient]]:
    provider_a = factories.provider(db_session, name="Provider A")
    provider_b = factories.provider(db_session, name="Provider B")
    roles: dict[str, dict[str, Any]] = {
        "allocator": {"role": Role.ALLOCATOR},
        "provider_a": {"role": Role.PROVIDER_STAFF, "provider_id": provider_a.id},
        "provider_b": {"role": Role.PROVIDER_STAFF, "provider_id": provider_b.id},
        "commissioner": {"role": Role.COMMISSIONER},
        "admin": {"role": Role.ADMIN},
        "dpo": {"role": Role.ADMIN, "data_protection": True},
    }
    clients = {"anonymous": app.test_client()}
    with time_machine.travel("2026-11-02 09:00:00+00:00", tick=False):
        for persona, fields in roles.items():
            clients[persona], _ = signed_in(app, db_session, **fields)
        yield clients


def test_every_route_has_a_row(app: Flask) -> None:
    missing = set(routes(app)) - set(MATRIX)
    assert not missing, f"add these routes to the access matrix: {sorted(missing)}"
    assert not set(MATRIX) - set(routes(app)), "the matrix lists routes that no longer exist"
    assert all(set(row) == set(PERSONAS) for row in MATRIX.values())


def test_every_visitor_gets_the_expected_outcome_on_every_route(
    app: Flask, db_session: Session, visitors: dict[str, FlaskClient]
) -> None:
    target = factories.staff_user(db_session, role=Role.COMMISSIONER)
    referral = factories.referral(db_session)
    provider_a = db_session.scalars(select(Provider).where(Provider.name == "Provider A")).one()
    offered = factories.referral(db_session, status=ReferralStatus.ALLOCATED)
    case = factories.allocation(db_session, referral_id=offered.id, provider_id=provider_a.id)
    specialism = Specialism(code="access_check", label="Access check")
    db_session.add(specialism)
    measure = db_session.scalars(select(OutcomeMeasure).where(OutcomeMeasure.code == "gad-7")).one()
    hold = factories.legal_hold(db_session, referral_id=offered.id)
    rights_request = factories.rights_request(db_session)
    db_session.commit()
    examples = {
        "hold_id": str(hold.id),
        "user_id": str(target.id),
        "referral_id": str(referral.id),
        "case_id": str(case.id),
        "provider_id": str(provider_a.id),
        "specialism_id": str(specialism.id),
        "request_id": str(rights_request.id),
        "measure_id": str(measure.id),
    }
    table = routes(app)
    order = [e for e in MATRIX if e not in ENDS_THE_VISIT] + list(ENDS_THE_VISIT)
    wrong = []
    with time_machine.travel("2026-11-02 09:05:00+00:00", tick=False):
        for persona, client in visitors.items():
            token = TOKEN.search(client.get("/login").get_data(as_text=True))
            assert token
            for endpoint in order:
                if endpoint in ENDS_THE_VISIT:  # the one before may have emptied the session, token too
                    token = TOKEN.search(client.get("/login").get_data(as_text=True))
                    assert token
                method, url = table[endpoint]
                for name, value in examples.items():
                    url = url.replace(str(EXAMPLES[name]), value)
                response = client.open(
                    url, method=method, data={"csrf_token": token.group(1)} if method == "POST" else None
                )
                wrong += [
                    f"{persona} {url}: two class attributes in {tag}" for tag in doubled_classes(response)
                ]
                if outcome(response) != MATRIX[endpoint][persona]:
                    wrong.append(
                        f"{persona} {method} {url}: {outcome(response)}, expected {MATRIX[endpoint][persona]}"
                    )
    assert not wrong, "\n".join(wrong)


def test_an_unknown_account_id_is_a_404_for_an_admin(visitors: dict[str, FlaskClient]) -> None:
    admin = visitors["admin"]
    token = TOKEN.search(admin.get("/login").get_data(as_text=True))
    assert token
    with time_machine.travel("2026-11-02 09:05:00+00:00", tick=False):
        for bad in ("00000000-0000-4000-8000-000000000000", "not-an-id"):
            response = admin.post(f"/admin/users/{bad}/disable", data={"csrf_token": token.group(1)})
            assert response.status_code == 404


def test_a_post_without_a_csrf_token_is_refused_on_every_post_route(
    app: Flask, visitors: dict[str, FlaskClient]
) -> None:
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())]
    assert len(posts) >= 8
    with time_machine.travel("2026-11-02 09:05:00+00:00", tick=False):
        for persona in ("anonymous", "admin"):
            for rule in posts:
                url = rule.build({name: example(name, rule.endpoint) for name in rule.arguments})[1]  # type: ignore[index]
                response = visitors[persona].post(url, data={"anything": "x"})
                assert response.status_code == 400, f"{persona} POST {url}: {response.status_code}"


def test_provider_staff_see_only_their_own_providers_records(app: Flask, db_session: Session) -> None:
    from hub.audit import AuditEntry
    from hub.auth.access import owned_or_404
    from hub.referrals.models import Allocation

    app.add_url_rule(
        "/test/allocation/<item>", "test_allocation", lambda item: owned_or_404(Allocation, item).reason or ""
    )
    own_provider, other_provider = factories.provider(db_session), factories.provider(db_session)
    own = factories.allocation(db_session, provider_id=own_provider.id, reason="ours")
    other = factories.allocation(db_session, provider_id=other_provider.id, reason="theirs")
    with time_machine.travel("2026-11-02 09:00:00+00:00", tick=False):
        client, user = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=own_provider.id)
        assert client.get(f"/test/allocation/{own.id}").get_data(as_text=True) == "ours"
        refused = client.get(f"/test/allocation/{other.id}")
        assert refused.status_code == 404 and "theirs" not in refused.get_data(as_text=True)
        assert client.get("/test/allocation/00000000-0000-4000-8000-000000000000").status_code == 404
        assert client.get("/test/allocation/not-an-id").status_code == 404
    db_session.expire_all()
    refusals = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "access.refused")).all()
    assert [(e.actor, e.object_id) for e in refusals] == [(str(user.id), str(other.id))]


def test_a_role_change_ends_the_accounts_sessions(app: Flask, db_session: Session) -> None:
    from hub.auth import services

    with time_machine.travel("2026-11-02 09:00:00+00:00", tick=False):
        client, user = signed_in(app, db_session, Role.ALLOCATOR)
        assert client.get("/staff").status_code == 200
        services.set_role(db_session, user, Role.COMMISSIONER, None, Actor(id="admin", role="admin"))
        assert client.get("/staff").headers["Location"] == "/login"


def test_sign_in_attempts_are_limited_per_address(app: Flask) -> None:
    import dataclasses

    app.extensions["hub.config"] = dataclasses.replace(
        app.extensions["hub.config"], form_rate_limit="3 per minute"
    )
    client = app.test_client()
    with time_machine.travel("2026-11-02 09:00:00+00:00", tick=False):  # all four in the one minute
        token = TOKEN.search(client.get("/login").get_data(as_text=True))
        assert token
        data = {
            "csrf_token": token.group(1),
            "email": "someone@example.org",
            "password": "wrong password here",
        }
        codes = [client.post("/login", data=data).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
