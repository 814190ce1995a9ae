"""Hostile input to every form: a clear page or a form error, never a 500, never stored or echoed."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.models import Role
from hub.calendar import Quarter, today
from hub.db import Base
from hub.feedback import codes as feedback_codes
from hub.kpi.models import KpiDefinition
from hub.measures.models import OutcomeMeasure
from hub.providers.models import Specialism
from hub.referrals.consultation_forms import TakePartForm
from hub.referrals.intake_views import PROFESSIONAL, SELF
from hub.referrals.models import AllocationStatus, ReferralStatus

from . import factories
from .journeys import PROFESSIONAL_ANSWERS, SELF_ANSWERS, TOKEN
from .staff import signed_in

FIELDS = sorted(
    {
        name
        for journey in (PROFESSIONAL, SELF)
        for page in journey.pages
        for name in page.form.__dict__
        if not name.startswith("_")
    }
    | {"date_of_birth-day", "date_of_birth-month", "date_of_birth-year", "reference", "proof", "website"}
    | {name for name in TakePartForm.__dict__ if not name.startswith("_")}
    | {"code", "felt_safer", "listened_to", "in_control", "satisfied", "recommend", "anything_else"}
)
FORMS = [f"/refer/{p.slug}" for p in PROFESSIONAL.pages] + [f"/self-refer/{p.slug}" for p in SELF.pages]
FORMS += ["/refer/check", "/self-refer/check", "/status", "/take-part", "/feedback", "/feedback/answers"]

hostile_text = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=2_001, max_size=3_000),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            '=HYPERLINK("http://x")',
            "\x00\x01\x02\x1b[31m",
            "\u202egnp.exe",
            "Robert'); DROP TABLE referral;--",
            "../../etc/passwd",
            "31",
            "2",
            "99999",
            "email",
            "referral",
            "help",
        ]
    ),
)
hostile_bytes = st.binary(max_size=40).map(lambda raw: raw + b"\xff\xfe")
fields = st.lists(st.tuples(st.sampled_from(FIELDS), st.one_of(hostile_text, hostile_bytes)), max_size=12)


def encode(pairs: list[tuple[str, str | bytes]], token: str, with_token: bool) -> bytes:
    """A form body made by hand, so repeated fields and invalid UTF-8 reach the app as sent."""
    parts = [f"csrf_token={token}".encode()] if with_token else []
    for name, value in pairs:
        raw = value if isinstance(value, bytes) else value.encode("utf-8", errors="surrogatepass")
        parts.append(name.encode() + b"=" + quote_from_bytes(raw).encode())
    return b"&".join(parts)


@pytest.mark.parametrize("path", FORMS)
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pairs=fields, with_token=st.booleans())
def test_no_hostile_post_breaks_a_public_form(
    app: Flask, client: FlaskClient, path: str, pairs: list[tuple[str, str | bytes]], with_token: bool
) -> None:
    token = TOKEN.search(client.get("/self-refer/about").get_data(as_text=True))
    assert token
    response = client.post(
        path,
        data=encode(pairs, token.group(1), with_token),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in {200, 303, 400, 413, 429}, response.status_code
    if response.status_code != 303:
        page = response.get_data(as_text=True)
        assert page.startswith("<!DOCTYPE html>") and "<h1" in page
        assert "<script>alert(1)</script>" not in page
        assert "<img src=x" not in page


# -- every form route, staff ones too -----------------------------------------------------------

LONG = "a" * 200_000
HUGE = "9" * 400
ODD_DIGITS = ["²", "٣", "\uff11\uff12"]  # superscript two, Arabic-Indic three, full-width 12


@dataclass
class Ready:
    """What the walk needs to post to one form route: who, where, and a set of answers it would take."""

    role: Role | None
    path: str
    answers: dict[str, Any]
    numbers: tuple[str, ...] = ()  # fields that take a whole number
    number_in: str = "{}"  # how a number is written in those fields
    takes_answers: bool = True  # False for a bare button (accept, sign out): any body is its answer
    data_protection: bool = False  # an administrator who holds the data-protection duty


DIRECT_ANSWERS = {
    "preferred_name": "Sam",
    "methods": "text",
    "phone": "07700 900123",
    "voicemail": "no",
    "consent": "direct",
    "consent_method": "in_person",
    "consent_on-day": "1",
    "consent_on-month": "2",
    "consent_on-year": "2026",
}
DIRECT_NUMBERS = ("consent_on-day", "consent_on-year")
"""A direct self-referral (hub.referrals.direct) as its form takes it."""


def _referral_ready(db: Session) -> Any:
    return factories.referral(db, status=ReferralStatus.SUBMITTED)


def _case(db: Session, provider: Any, referral_status: ReferralStatus, status: AllocationStatus) -> Any:
    referral = factories.referral(db, status=referral_status)
    return factories.allocation(db, referral_id=referral.id, provider_id=provider.id, status=status)


def _meeting_ready(db: Session) -> dict[str, list[Ready]]:
    """The joint meeting's forms (hub.kpi.meeting_views), for the last quarter that ended."""
    quarter = Quarter.last_ended().key
    action = factories.meeting_action(db, raised_in=quarter)
    share = {"quarter": str(quarter)}
    date_parts = {"held_on-day": "", "held_on-month": "", "held_on-year": ""}
    due = {"due_on-day": "29", "due_on-month": "1", "due_on-year": ""}
    return {
        "meeting.share": [Ready(Role.COMMISSIONER, "/commissioner/kpi/share", share, ("quarter",))],
        "meeting.unshare": [Ready(Role.COMMISSIONER, "/commissioner/kpi/unshare", share, ("quarter",))],
        "meeting.edit_record": [
            Ready(
                Role.COMMISSIONER,
                f"/meeting/{quarter}/record/edit",
                {**date_parts, "attended": "trs", "notes": ""},
                ("held_on-day", "held_on-year"),
            )
        ],
        "meeting.new_action": [
            Ready(
                Role.COMMISSIONER,
                f"/meeting/{quarter}/actions/new",
                {"what": "", "owner": "trs", **due},
                ("due_on-day", "due_on-year"),
            )
        ],
        "meeting.action": [
            Ready(Role.COMMISSIONER, f"/meeting/{quarter}/actions/{action.id}", {"status": ""})
        ],
    }


def _targets_ready() -> dict[str, list[Ready]]:
    """A target that would be set, and one that would be ended (there is none to end: still refused)."""
    now = str(Quarter.current().key)
    answers = {"code": "people_supported", "starts": now, "direction": "at_most", "value": "90", "why": "So"}
    return {
        "targets.targets_page": [Ready(Role.COMMISSIONER, "/commissioner/targets", answers, ("value",))],
        "targets.end_target": [
            Ready(
                Role.COMMISSIONER,
                "/commissioner/targets/end",
                {"end-code": "people_supported", "end-starts": now},
            )
        ],
    }


def ready_routes(db: Session) -> tuple[dict[str, list[Ready]], Any]:
    """One or more ways to post to each form route. The walk fails when a POST route is not here."""
    provider = factories.provider(db, name="Harbour")
    other = factories.staff_user(db, role=Role.ALLOCATOR)
    referral = _referral_ready(db)
    not_shared = factories.referral(db, status=ReferralStatus.SUBMITTED, consent_to_share=False)
    allocated = _case(db, provider, ReferralStatus.ALLOCATED, AllocationStatus.PENDING)
    accepted = _case(db, provider, ReferralStatus.ACCEPTED, AllocationStatus.ACCEPTED)
    specialism = Specialism(code="hostile_check", label="Hostile check")
    db.add(specialism)
    db.flush()
    definition = db.scalars(select(KpiDefinition).order_by(KpiDefinition.id)).first()
    assert definition is not None
    quarter = Quarter.last_ended()
    feedback_code = feedback_codes.issue(db, provider.id)
    pro, own = PROFESSIONAL_ANSWERS, SELF_ANSWERS
    return {
        "intake.refer_page": [Ready(None, f"/refer/{slug}", pro[slug]) for slug in pro],
        "intake.self_page": [Ready(None, f"/self-refer/{slug}", own[slug]) for slug in own],
        "intake.status": [Ready(None, "/status", {"reference": "PAS-7KQ4-M2XD", "proof": "ABCD-EFGH"})],
        # A real code: what is refused must leave it unused, and store no answers.
        "feedback.start": [Ready(None, "/feedback", {"code": feedback_code})],
        "feedback.answers": [
            Ready(
                None,
                "/feedback/answers",
                {"code": feedback_code, "felt_safer": "yes", "satisfied": "partly", "anything_else": "Kind"},
            )
        ],
        "auth.sign_in": [Ready(None, "/login", {"email": other.email, "password": "not the password"})],
        "auth.second_factor": [Ready(None, "/login/two-factor", {"code": "123456"}, takes_answers=False)],
        "auth.enrol": [Ready(None, "/login/set-up", {"code": "123456"}, takes_answers=False)],
        "auth.sign_out": [Ready(Role.ALLOCATOR, "/logout", {}, takes_answers=False)],
        "auth.sign_out_everywhere": [Ready(Role.ALLOCATOR, "/logout/everywhere", {}, takes_answers=False)],
        "admin.change_password": [
            Ready(Role.ADMIN, "/account/password", {"current": "wrong password here", "new": "x" * 20})
        ],
        "admin.new_user": [
            Ready(
                Role.ADMIN,
                "/admin/users/new",
                {"display_name": "Sam", "email": "", "role": "allocator", "password": "p" * 20},
            )
        ],
        "admin.disable": [Ready(Role.ADMIN, f"/admin/users/{other.id}/disable", {}, takes_answers=False)],
        "admin.enable": [Ready(Role.ADMIN, f"/admin/users/{other.id}/enable", {}, takes_answers=False)],
        "admin.reset_second_factor": [
            Ready(Role.ADMIN, f"/admin/users/{other.id}/reset-second-factor", {}, takes_answers=False)
        ],
        "admin.reset_password": [
            Ready(Role.ADMIN, f"/admin/users/{other.id}/reset-password", {"code": "123456"})
        ],
        "admin.change_role": [
            Ready(
                Role.ADMIN, f"/admin/users/{other.id}/role", {"role": "commissioner", "provider": "harbour"}
            )
        ],
        "admin.inactive": [Ready(Role.ADMIN, "/admin/users/inactive", {"accounts": str(other.id)})],
        "admin.data_protection": [
            Ready(
                Role.ADMIN, f"/admin/users/{other.id}/data-protection", {"holds": "yes"}, takes_answers=False
            )
        ],
        "triage.allocate_referral": [
            Ready(Role.ALLOCATOR, f"/triage/referrals/{referral.id}/allocate", {"provider": "", "reason": ""})
        ],
        "triage.move": [
            Ready(Role.ALLOCATOR, f"/triage/referrals/{referral.id}/signpost", {"signpost-note": ""}),
            Ready(Role.ALLOCATOR, f"/triage/referrals/{referral.id}/withdraw", {"withdraw-note": ""}),
        ],
        "triage.record_consent": [
            Ready(
                Role.ALLOCATOR,
                f"/triage/referrals/{not_shared.id}/consent",
                {
                    "consent-from_whom": "Their referrer",
                    "consent-on-day": "1",
                    "consent-on-month": "1",
                    "consent-on-year": "2026",
                    "consent-method": "phone",
                    "consent-note": "",
                },
                ("consent-on-day", "consent-on-month", "consent-on-year"),
            )
        ],
        "triage.withdraw_consent": [
            Ready(
                Role.ALLOCATOR,
                f"/triage/referrals/{referral.id}/consent-withdrawn",
                {
                    "consent-withdrawn-on-day": "1",
                    "consent-withdrawn-on-month": "1",
                    "consent-withdrawn-on-year": "2026",
                    "consent-withdrawn-method": "phone",
                    "consent-withdrawn-note": "",
                },
                ("consent-withdrawn-on-day", "consent-withdrawn-on-year"),
            )
        ],
        "triage.decide_duplicate": [
            Ready(
                Role.ALLOCATOR,
                f"/triage/referrals/{referral.id}/duplicates",
                {"duplicates-other": str(not_shared.id), "duplicates-same_person": "yes"},
            )
        ],
        **_rights_ready(referral),
        "triage.plan_page": [
            Ready(
                Role.ALLOCATOR,
                "/triage/plan",
                {"pairs": f"{referral.id}:{provider.id}"},
                ("pairs",),
                number_in=f"{referral.id}:{{}}",
            )
        ],
        "cases.direct_self_referral": [
            Ready(Role.PROVIDER_STAFF, "/provider/direct-self-referral", DIRECT_ANSWERS, DIRECT_NUMBERS)
        ],
        "cases.case_action": [
            Ready(
                Role.PROVIDER_STAFF,
                f"/provider/cases/{allocated.id}/decline",
                {"decline-reason": "", "decline-note": ""},
            ),
            Ready(
                Role.PROVIDER_STAFF,
                f"/provider/cases/{accepted.id}/measures",
                {"measures-sessions_offered": "", "measures-sessions_attended": "4"},
                ("measures-sessions_offered", "measures-sessions_attended"),
            ),
            Ready(Role.PROVIDER_STAFF, f"/provider/cases/{allocated.id}/accept", {}, takes_answers=False),
            *_outcome_measure_ready(db, provider),
        ],
        "providers.capacity": [
            Ready(
                Role.PROVIDER_STAFF,
                "/provider/capacity",
                {"new_starts_per_quarter": "12", "max_active": ""},
                ("new_starts_per_quarter", "max_active"),
            )
        ],
        "kpi.return_page": [
            Ready(
                Role.PROVIDER_STAFF,
                f"/kpi/returns/{quarter.year}/{quarter.number}",
                {"action": "save", "figure-people_supported": "4", "reason-people_supported": ""},
                ("figure-people_supported",),
            )
        ],
        "kpi_admin.kpi_definitions": [
            Ready(
                Role.ADMIN,
                "/admin/kpi",
                {"code": "new_figure", "label": "", "unit": "count", "description": "", "starts": ""},
                ("starts",),
            )
        ],
        "kpi_admin.retire": [
            Ready(Role.ADMIN, f"/admin/kpi/{definition.id}/retire", {"starts": ""}, ("starts",))
        ],
        "publication.publish": [
            Ready(Role.COMMISSIONER, "/commissioner/kpi/publish", {"quarter": ""}, ("quarter",))
        ],
        "publication.withdraw": [
            Ready(Role.COMMISSIONER, "/commissioner/kpi/withdraw", {"quarter": ""}, ("quarter",))
        ],
        **_targets_ready(),
        **_admin_ready(provider, specialism),
        **_measures_admin_ready(db),
        **_consultation_ready(db),
        **_privacy_ready(db, referral),
        **_requests_ready(db, referral),
        **_meeting_ready(db),
    }, provider


def _rights_ready(referral: Any) -> dict[str, list[Ready]]:
    """Correcting an answer (the triage team), restricting a referral (a data-protection officer)."""
    correct = f"/triage/referrals/{referral.id}/correct"
    born = {"value-day": "1", "value-month": "2", "value-year": "1990", "reason": ""}
    safe = {"methods": "text", "voicemail": "no", "say_who": "no", "safe_times": "", "reason": ""}
    here = f"/admin/restrictions/{referral.id}"
    return {
        "triage.correct_answer": [
            Ready(Role.ALLOCATOR, f"{correct}/email", {"value": "new@example.org", "reason": ""}),
            Ready(Role.ALLOCATOR, f"{correct}/date-of-birth", born, ("value-day", "value-year")),
            Ready(Role.ALLOCATOR, f"{correct}/safe-contact", safe),
        ],
        "restriction.restrictions": [
            Ready(Role.ADMIN, "/admin/restrictions", {"reference": "PAS-7KQ4-M2XD"}, data_protection=True)
        ],
        "restriction.restrict": [Ready(Role.ADMIN, f"{here}/restrict", {"basis": ""}, data_protection=True)],
        "restriction.lift": [Ready(Role.ADMIN, f"{here}/lift", {"basis": ""}, data_protection=True)],
    }


def _requests_ready(db: Session, referral: Any) -> dict[str, list[Ready]]:
    here = f"/admin/requests/{factories.rights_request(db).id}"
    born = {"born-day": "14", "born-month": "3", "born-year": "1994"}
    search = {"name": "Robin Quill", **born, "email": "robin@example.org", "phone": "07700 900123"}
    numbers = ("born-day", "born-month", "born-year")
    new = {
        "kind": "access",
        "person_name": "Robin Quill",
        "asker": "person",
        "asker_name": "",
        "identity_check": "Saw a passport",
        "received-day": "2",
        "received-month": "11",
        "received-year": "2026",
        "details": "",
    }
    on = {"on-day": "2", "on-month": "11", "on-year": "2026"}
    return {
        "requests.new_request": [
            Ready(
                Role.ADMIN,
                "/admin/requests/new",
                new,
                ("received-day", "received-year"),
                data_protection=True,
            )
        ],
        "requests.search": [Ready(Role.ADMIN, f"{here}/search", search, numbers, data_protection=True)],
        "requests.link": [
            Ready(
                Role.ADMIN,
                f"{here}/link",
                {**search, "referrals": str(referral.id)},
                numbers,
                data_protection=True,
            )
        ],
        "requests.unlink": [
            Ready(Role.ADMIN, f"{here}/unlink", {"referral": str(referral.id)}, data_protection=True)
        ],
        "requests.extend": [
            Ready(
                Role.ADMIN,
                f"{here}/extend",
                {"further": "1", "reason": "Complex"},
                ("further",),
                data_protection=True,
            )
        ],
        "requests.close": [
            Ready(
                Role.ADMIN,
                f"{here}/close",
                {"result": "refused", **on, "outcome": "Manifestly unfounded"},
                ("on-day", "on-year"),
                data_protection=True,
            )
        ],
    }


def _admin_ready(provider: Any, specialism: Specialism) -> dict[str, list[Ready]]:
    details = {
        "name": "Lighthouse",
        "summary": "Women who were exploited as children.",
        "serves": "women",
        "min_age": "18",
        "max_age": "",
        "specialisms": str(specialism.id),
        "referrals_email": "team@example.org",
        "new_starts_per_quarter": "5",
        "max_active": "",
        f"limit_{specialism.id}": "2",
    }
    numbers = ("min_age", "max_age", "new_starts_per_quarter", "max_active", f"limit_{specialism.id}")
    here = f"/admin/specialisms/{specialism.id}"
    return {
        "provider_admin.new_provider": [Ready(Role.ADMIN, "/admin/providers/new", details, numbers)],
        "provider_admin.edit_provider": [
            Ready(Role.ADMIN, f"/admin/providers/{provider.id}", {**details, "name": "Harbour"}, numbers)
        ],
        "provider_admin.deactivate": [
            Ready(Role.ADMIN, f"/admin/providers/{provider.id}/deactivate", {}, takes_answers=False)
        ],
        "provider_admin.reactivate": [
            Ready(Role.ADMIN, f"/admin/providers/{provider.id}/reactivate", {}, takes_answers=False)
        ],
        "provider_admin.specialism_list": [
            Ready(Role.ADMIN, "/admin/specialisms", {"label": "Art therapy", "description": ""})
        ],
        "provider_admin.edit_specialism": [Ready(Role.ADMIN, here, {"label": "Renamed", "description": ""})],
        "provider_admin.retire_specialism": [Ready(Role.ADMIN, f"{here}/retire", {}, takes_answers=False)],
        "provider_admin.restore_specialism": [Ready(Role.ADMIN, f"{here}/restore", {}, takes_answers=False)],
    }


def _outcome_measure_ready(db: Session, provider: Any) -> list[Ready]:
    """A case in support since yesterday, and a GAD-7 taken today: every item a number to break."""
    supported = _case(db, provider, ReferralStatus.IN_SUPPORT, AllocationStatus.ACCEPTED)
    supported.first_contact_on = today() - timedelta(days=1)
    items = {f"outcome-measure-item_{n}": "2" for n in range(1, 8)}
    on = today()
    answers = {
        "measure": "gad-7",
        "outcome-measure-point": "start",
        "outcome-measure-taken_on-day": str(on.day),
        "outcome-measure-taken_on-month": str(on.month),
        "outcome-measure-taken_on-year": str(on.year),
        **items,
    }
    return [
        Ready(Role.PROVIDER_STAFF, f"/provider/cases/{supported.id}/outcome-measure", answers, tuple(items))
    ]


def _measures_admin_ready(db: Session) -> dict[str, list[Ready]]:
    core = db.scalars(select(OutcomeMeasure).where(OutcomeMeasure.code == "core-10")).one()
    table = "\n".join(f"{raw} = {raw}.5" for raw in range(3, 16))
    new = {
        "code": "hostile-check",
        "name": "Hostile check",
        "version": "",
        "item_count": "3",
        "item_min": "1",
        "item_max": "5",
        "reverse_items": "3",
        "risk_items": "",
        "total": "table",
        "conversion": table,
        "higher_is_worse": "no",
        "clinical_cutoff": "7.5",
        "reliable_change": "2.5",
        "licence": "Made up for the test.",
        "source": "Made up for the test.",
    }
    here = f"/admin/measures/{core.id}"
    thresholds = {"clinical_cutoff": "10", "reliable_change": "5", "source": "A study.", "licence": "Free."}
    return {
        "measures_admin.new_measure": [
            Ready(Role.ADMIN, "/admin/measures/new", new, ("item_count", "item_min", "item_max"))
        ],
        "measures_admin.thresholds": [Ready(Role.ADMIN, here, thresholds)],
        "measures_admin.retire": [Ready(Role.ADMIN, f"{here}/retire", {}, takes_answers=False)],
        "measures_admin.restore": [Ready(Role.ADMIN, f"{here}/restore", {}, takes_answers=False)],
    }


def _consultation_ready(db: Session) -> dict[str, list[Ready]]:
    volunteer = factories.consultation_volunteer(db)
    opted_in = factories.referral(db, consultation_opt_in=True)
    take_part = {
        "name": "Sam",
        "method": "email",
        "phone": "",
        "email": "sam@example.org",
        "address": "",
        "voicemail": "no",
        "say_who": "no",
        "safe_times": "",
    }
    return {
        "consultation.take_part": [Ready(None, "/take-part", take_part)],
        "consultation_list.remove": [
            Ready(Role.ALLOCATOR, "/triage/consultation/remove", {"volunteer": str(volunteer.id)}),
            Ready(Role.ALLOCATOR, "/triage/consultation/remove", {"referral": str(opted_in.id)}),
        ],
    }


def _privacy_ready(db: Session, referral: Any) -> dict[str, list[Ready]]:
    held = factories.referral(db, status=ReferralStatus.CLOSED)
    hold = factories.legal_hold(db, referral_id=held.id)
    rule = {"amount": "10", "unit": "years", "reason": "Longer for records of abuse."}
    erase = {"decision": "erase", "exemption": "", "basis": "Article 17(1)(a)", "confirm": "yes"}
    refuse = {"decision": "refuse", "exemption": "legal_claims", "basis": "A claim is expected"}
    return {
        "privacy.change_rule": [Ready(Role.ADMIN, "/admin/retention/referral_answers", rule, ("amount",))],
        "privacy.holds_page": [
            Ready(
                Role.ADMIN,
                "/admin/holds",
                {"reference": referral.reference, "reason": "A court case"},
                data_protection=True,
            )
        ],
        "privacy.lift_hold": [
            Ready(
                Role.ADMIN, f"/admin/holds/{hold.id}/lift", {"reason": "The case ended"}, data_protection=True
            )
        ],
        "privacy.erasure_request": [
            Ready(Role.ADMIN, f"/admin/referrals/{referral.id}/erasure", erase, data_protection=True),
            Ready(Role.ADMIN, f"/admin/referrals/{referral.id}/erasure", refuse, data_protection=True),
        ],
    }


FORM_ROUTES = [
    "intake.refer_page",
    "intake.self_page",
    "intake.status",
    "feedback.start",
    "feedback.answers",
    "auth.sign_in",
    "auth.second_factor",
    "auth.enrol",
    "auth.sign_out",
    "auth.sign_out_everywhere",
    "admin.change_password",
    "admin.new_user",
    "admin.disable",
    "admin.enable",
    "admin.reset_second_factor",
    "admin.reset_password",
    "admin.change_role",
    "admin.inactive",
    "admin.data_protection",
    "triage.allocate_referral",
    "triage.move",
    "triage.record_consent",
    "triage.withdraw_consent",
    "triage.decide_duplicate",
    "triage.plan_page",
    "triage.correct_answer",
    "consultation.take_part",
    "consultation_list.remove",
    "restriction.restrictions",
    "restriction.restrict",
    "restriction.lift",
    "cases.case_action",
    "cases.direct_self_referral",
    "providers.capacity",
    "kpi.return_page",
    "kpi_admin.kpi_definitions",
    "kpi_admin.retire",
    "publication.publish",
    "publication.withdraw",
    "targets.targets_page",
    "targets.end_target",
    "provider_admin.new_provider",
    "provider_admin.edit_provider",
    "provider_admin.deactivate",
    "provider_admin.reactivate",
    "provider_admin.specialism_list",
    "provider_admin.edit_specialism",
    "provider_admin.retire_specialism",
    "provider_admin.restore_specialism",
    "measures_admin.new_measure",
    "measures_admin.thresholds",
    "measures_admin.retire",
    "measures_admin.restore",
    "privacy.change_rule",
    "privacy.holds_page",
    "privacy.lift_hold",
    "privacy.erasure_request",
    "requests.new_request",
    "requests.search",
    "requests.link",
    "requests.unlink",
    "requests.extend",
    "requests.close",
    "meeting.share",
    "meeting.unshare",
    "meeting.edit_record",
    "meeting.new_action",
    "meeting.action",
]


def _post_routes(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in (rule.methods or set())}


def snapshot(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the audit log (a refused post may record that it was refused)."""
    db.expire_all()
    return {
        table.name: sorted(map(tuple, db.execute(table.select()).all()), key=repr)
        for table in Base.metadata.sorted_tables
        if table.name not in {"audit_entry", "audit_head"}
    }


def _client_for(
    app: Flask, db: Session, role: Role | None, provider: Any, data_protection: bool = False
) -> FlaskClient:
    if role is None:
        return app.test_client()
    fields: dict[str, Any] = {"provider_id": provider.id} if role is Role.PROVIDER_STAFF else {}
    fields |= {"data_protection": True} if data_protection else {}
    client, _user = signed_in(app, db, role, **fields)
    return client


def _token(client: FlaskClient, role: Role | None) -> str:
    page = client.get("/staff" if role else "/self-refer/about").get_data(as_text=True)
    token = TOKEN.search(page)
    assert token, "no form with a CSRF token on the page"
    return token.group(1)


def test_the_walk_covers_every_post_route(app: Flask, db_session: Session) -> None:
    routes, _provider = ready_routes(db_session)
    missing = _post_routes(app) - set(routes)
    assert not missing, f"add these POST routes to ready_routes in {__name__}: {sorted(missing)}"
    assert set(FORM_ROUTES) == set(routes) == _post_routes(app)


def _refused_cleanly(response: Any) -> None:
    assert response.status_code < 500, response.status_code
    if response.status_code not in {302, 303}:
        page = response.get_data(as_text=True)
        assert "<h1" in page and "Traceback" not in page


@pytest.mark.parametrize("endpoint", FORM_ROUTES)
def test_no_hostile_body_breaks_or_changes_any_form_route(
    app: Flask, db_session: Session, endpoint: str
) -> None:
    routes, provider = ready_routes(db_session)
    db_session.commit()
    for ready in routes[endpoint]:
        client = _client_for(app, db_session, ready.role, provider, ready.data_protection)
        token = _token(client, ready.role)
        before = snapshot(db_session)

        # A JSON body is refused before any form is built, even with a good CSRF token in the header.
        nested: dict[str, Any] = {"a": "b"}
        for _ in range(50):
            nested = {"x": nested}
        for body in (
            {**ready.answers, "csrf_token": token},
            {name: {"nested": ["a", {"b": 1}]} for name in ready.answers} | {"csrf_token": token},
            nested,
        ):
            response = client.post(ready.path, json=body, headers={"X-CSRFToken": token})
            assert response.status_code == 415, (ready.path, response.status_code)
            assert "only takes answers sent from its own form" in response.get_data(as_text=True)
        deep = client.post(ready.path, data="[" * 100_000, content_type="application/json")
        assert deep.status_code == 415
        plain = client.post(ready.path, data="risks=x", content_type="text/plain")
        assert plain.status_code == 415
        # A file where a text answer belongs (a multipart body) is refused the same way.
        for name in [*ready.answers, "x"][:1]:
            upload = client.post(
                ready.path,
                data={**ready.answers, "csrf_token": token, name: (io.BytesIO(b"not text"), "answer.txt")},
                content_type="multipart/form-data",
            )
            assert upload.status_code == 415, (ready.path, upload.status_code)
        assert snapshot(db_session) == before, f"a JSON body changed something at {ready.path}"

        if not ready.takes_answers:
            for value in (LONG[:5000], HUGE, *ODD_DIGITS):
                _refused_cleanly(client.post(ready.path, data={"csrf_token": token, "x": value}))
            continue

        # Each answer in turn far too long: refused, nothing stored.
        for name in ready.answers:
            response = client.post(ready.path, data={**ready.answers, name: LONG, "csrf_token": token})
            _refused_cleanly(response)
            assert snapshot(db_session) == before, f"{len(LONG)} characters in {name} were kept"
        # Whole numbers: 400 digits and digits that are not ASCII are refused, nothing stored.
        for name in ready.numbers:
            for value in (HUGE, *ODD_DIGITS):
                typed = ready.number_in.format(value)
                response = client.post(ready.path, data={**ready.answers, name: typed, "csrf_token": token})
                _refused_cleanly(response)
                assert snapshot(db_session) == before, f"{value!r} in {name} was kept at {ready.path}"
        # Every answer a huge or odd number, missing answers, nested names: never a 500.
        for value in (HUGE, *ODD_DIGITS):
            _refused_cleanly(
                client.post(ready.path, data={**dict.fromkeys(ready.answers, value), "csrf_token": token})
            )
        _refused_cleanly(client.post(ready.path, data={"csrf_token": token}))
        _refused_cleanly(
            client.post(ready.path, data={"csrf_token": token, "a[b][c]": "1", "risks[0][x]": "y"})
        )


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.ALLOCATOR, f"/triage?page={HUGE}"),
        (Role.ALLOCATOR, "/triage?page=²"),
        (Role.ALLOCATOR, "/triage?page=٣"),
        (Role.COMMISSIONER, "/commissioner/kpi?quarter=²"),
        (Role.COMMISSIONER, f"/commissioner/kpi?quarter={HUGE}"),
        (Role.COMMISSIONER, "/commissioner/kpi/export?quarter=²"),
        (Role.PROVIDER_STAFF, f"/kpi/returns/{HUGE}/3"),
        (Role.PROVIDER_STAFF, f"/kpi/returns/2026/{HUGE}"),
    ],
)
def test_a_number_in_the_address_that_no_one_could_mean_is_a_clear_400(
    app: Flask, db_session: Session, role: Role, path: str
) -> None:
    fields = {"provider_id": factories.provider(db_session).id} if role is Role.PROVIDER_STAFF else {}
    client, _user = signed_in(app, db_session, role, **fields)
    response = client.get(path)
    assert response.status_code == 400
    assert "A number in the web address is not one we can use" in response.get_data(as_text=True)


def test_retiring_a_kpi_with_an_id_no_database_holds_is_a_400_and_changes_nothing(
    app: Flask, db_session: Session
) -> None:
    client, _user = signed_in(app, db_session, Role.ADMIN)
    token = _token(client, Role.ADMIN)
    before = snapshot(db_session)
    response = client.post(f"/admin/kpi/{HUGE}/retire", data={"csrf_token": token, "starts": "20271"})
    assert response.status_code == 400
    assert client.post("/admin/kpi/²/retire", data={"csrf_token": token}).status_code == 404
    assert snapshot(db_session) == before


def test_a_capacity_of_400_digits_is_a_kind_error_on_the_field_and_keeps_what_was_typed(
    app: Flask, db_session: Session
) -> None:
    provider = factories.provider(db_session, new_starts=10)
    client, _user = signed_in(app, db_session, Role.PROVIDER_STAFF, provider_id=provider.id)
    token = _token(client, Role.PROVIDER_STAFF)
    for typed in (HUGE, "١٢"):
        response = client.post(
            "/provider/capacity",
            data={"csrf_token": token, "new_starts_per_quarter": typed, "max_active": "5"},
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Enter a whole number from 0 to 10,000, or leave it empty" in page
        assert f'value="{typed}"' in page
    db_session.expire_all()
    assert provider.capacity is not None and provider.capacity.new_starts_per_quarter == 10


def test_a_json_body_with_200000_characters_of_risk_is_refused_and_nothing_is_kept(
    app: Flask, client: FlaskClient, db_session: Session
) -> None:
    token = _token(client, None)
    before = snapshot(db_session)
    response = client.post(
        "/refer/risks",
        json={"csrf_token": token, "current_risks": LONG, "children_in_household": {"a": ["b"]}},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 415
    assert "Sorry, we could not read that" in response.text
    assert snapshot(db_session) == before


@pytest.mark.parametrize(("definition_id", "status"), [(2**31, 400), (2**31 - 1, 303), (10**400, 400)])
def test_an_id_just_past_what_postgresql_holds_is_a_400_not_an_overflow(
    app: Flask, db_session: Session, definition_id: int, status: int
) -> None:
    client, _user = signed_in(app, db_session, Role.ADMIN)
    token = _token(client, Role.ADMIN)
    response = client.post(
        f"/admin/kpi/{definition_id}/retire", data={"csrf_token": token, "starts": "20271"}
    )
    assert response.status_code == status
