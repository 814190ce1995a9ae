"""Sealed objects have one typed shape each: one reader that takes whatever any version stored and gives
the safe answer, one writer, and nothing else gets in (a plain dict, another shape, a value the reader
would change). Demo data and the intake journey therefore store the same shape for the same answers."""

from __future__ import annotations

import json
import math
import re
from datetime import date
from typing import Any, cast, get_origin

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.referrals import cases, presenting
from hub.referrals.models import (
    AccessNeeds,
    Allocation,
    ContactMethod,
    FirstContact,
    ItemScores,
    Measures,
    Referral,
    ReferralSource,
    Risks,
    SafeContact,
)
from hub.sealed import SEALED_FIELDS, Sealed, Shape

from . import factories
from .journeys import professional_journey, reference_and_code, self_journey
from .test_cases import offered, provider_desk, staff
from .test_sealed_storage import KNOWN_SHAPES

SHAPED = [f for f in SEALED_FIELDS if isinstance(f.kind, type) and issubclass(f.kind, Shape)]
MAPPINGS = [f for f in SEALED_FIELDS if get_origin(f.kind) is dict]


def field_id(field: Sealed[Any]) -> str:
    return f"{field.table}.{field.name}"


def test_every_sealed_object_is_a_shape_or_a_mapping_with_its_value_kinds_named() -> None:
    assert {field_id(f) for f in SHAPED} == {
        "referral.safe_contact",
        "referral.access_needs",
        "referral.risks",
        "allocation.measures",
        "referral_event.correction",
        "allocation.first_contact",
        "measure_record.items",
        "consultation_volunteer.safe_contact",
    }
    assert {field_id(f) for f in MAPPINGS} == {
        "intake_draft_page.answers",
        "kpi_return.figures",
        "kpi_return.reasons",
    }
    for kind in (dict, list, dict[int, str], Any):
        with pytest.raises(TypeError, match="Sealed takes str, date, bool, a text enum, a Shape or dict"):
            Sealed(kind)


# -- each shape reads back as written -------------------------------------------------------------


@pytest.mark.parametrize("kind", list(KNOWN_SHAPES), ids=lambda k: k.__name__)
def test_each_shape_reads_back_what_it_stores(kind: type[Shape]) -> None:
    for value in (kind.read(None), KNOWN_SHAPES[kind]("Some text, with “quotes”")):
        stored = json.loads(json.dumps(value.stored()))
        assert kind.read(stored) == value
        assert set(stored) == set(kind.__dataclass_fields__)


def test_text_a_person_typed_is_kept_as_typed() -> None:
    typed = "Two lines:\n  the second indented, with “quotes”."
    assert Risks.read(Risks(current_risks=typed, other_agencies=typed).stored()).current_risks == typed
    assert AccessNeeds.read(AccessNeeds(adjustments=typed).stored()).adjustments == typed


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**12) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
ANSWERS_USED = ["yes", "no", "unsure", "unknown", " YES ", "No", "", "maybe"]


@pytest.mark.parametrize("kind", list(KNOWN_SHAPES), ids=lambda k: k.__name__)
@given(data=st.data())
def test_whatever_was_stored_reads_without_error_as_a_shape_that_can_be_stored_again(
    kind: type[Shape], data: st.DataObject
) -> None:
    names = list(kind.__dataclass_fields__)
    value = st.one_of(
        json_values, st.sampled_from(ANSWERS_USED), st.lists(st.sampled_from(list(ContactMethod)))
    )
    stored = data.draw(
        st.one_of(
            json_values,
            st.dictionaries(st.sampled_from([*names, "unknown_key"]), value, max_size=len(names) + 1),
        )
    )
    read = kind.read(stored)
    assert type(read) is kind
    assert kind.read(json.loads(json.dumps(read.stored()))) == read


# -- what older versions stored still reads, as the safe answer ------------------------------------

NOT_OBJECTS: tuple[Any, ...] = (None, [], "yes", 3)
OLD_SHAPES: list[tuple[type[Shape], Any, Shape]] = [
    # Item scores: any answer that is not a whole number, 0 or more, leaves the record with none.
    (ItemScores, {"answers": [1, 2, 3]}, ItemScores((1, 2, 3))),
    (ItemScores, {"answers": [1, "2", 3]}, ItemScores()),
    (ItemScores, {"answers": [1, True]}, ItemScores()),
    (ItemScores, {"answers": [1, -1]}, ItemScores()),
    (ItemScores, {"answers": "123"}, ItemScores()),
    # Early demo data: booleans where "yes" and "no" are written now; a method no longer offered.
    (
        SafeContact,
        {"methods": ["email", "fax", "email"], "voicemail": False, "say_who": True},
        SafeContact(methods=(ContactMethod.EMAIL,), voicemail="no", say_who="yes"),
    ),
    (Risks, {"children_in_household": True}, Risks(children_in_household="yes")),
    (AccessNeeds, {"interpreter": False, "bsl": True}, AccessNeeds(interpreter="no", bsl="yes")),
    # Demo data once left out other_agencies; keys no version wrote are passed over.
    (
        Risks,
        {"current_risks": "A made-up risk.", "children_in_household": "no", "from_a_newer_version": 1},
        Risks(current_risks="A made-up risk.", children_in_household="no"),
    ),
    # Values of the wrong kind: a number kept as its text, anything else as not given.
    (
        Risks,
        {"current_risks": ["a list"], "children_in_household": "maybe", "other_agencies": 12},
        Risks(other_agencies="12"),
    ),
    (AccessNeeds, {"language": None, "interpreter": "unsure", "adjustments": {"a": 1}}, AccessNeeds()),
    (SafeContact, {"methods": "phone", "voicemail": 1, "safe_times": ["after 10am"]}, SafeContact()),
    # A count that is not a whole number, 0 or more, reads as not recorded: never as a number.
    (
        Measures,
        {
            "sessions_offered": "8",
            "sessions_attended": True,
            "sessions_not_attended": -1,
            "group_sessions": 2.5,
            "outcome_start": 0,
            "outcome_end": 31,
            "notes": "extra",
        },
        Measures(outcome_start=0, outcome_end=31),
    ),
    # How a first contact was made: an unknown way, or a yes or no not stored as a boolean, is not said.
    (FirstContact, {"channel": "fax", "voicemail_left": "yes", "service_named": 1}, FirstContact()),
    (
        FirstContact,
        {"channel": "phone", "voicemail_left": False, "from_a_newer_version": True},
        FirstContact(ContactMethod.PHONE, voicemail_left=False),
    ),
    # Not an object at all.
    *[(kind, odd, kind()) for kind in KNOWN_SHAPES for odd in NOT_OBJECTS],
]


@pytest.mark.parametrize(("kind", "stored", "expected"), OLD_SHAPES)
def test_old_and_odd_stored_shapes_read_as_the_safe_answer(
    kind: type[Shape], stored: Any, expected: Shape
) -> None:
    assert kind.read(stored) == expected


def test_only_yes_allows_a_voicemail_or_naming_the_service_whatever_was_stored() -> None:
    for stored in ({}, {"voicemail": "unsure", "say_who": None}, {"voicemail": 0, "say_who": "YES please"}):
        read = SafeContact.read(stored)
        assert not read.voicemail_safe and not read.may_say_who


def test_risks_flag_the_referral_only_for_current_risks_or_children() -> None:
    assert not Risks().flagged and not Risks(children_in_household="unknown", other_agencies="GP").flagged
    assert Risks(current_risks="x").flagged and Risks(children_in_household="yes").flagged
    assert Risks.read({"children_in_household": True}).flagged


def test_old_rows_read_through_the_model_and_show_on_the_referral_page(db_session: Session) -> None:
    referral = factories.referral(db_session, source=ReferralSource.PROFESSIONAL)
    factories.store_as_before(referral, "safe_contact", {"methods": ["phone"], "voicemail": True})
    factories.store_as_before(
        referral, "risks", {"current_risks": "Made-up.", "children_in_household": False}
    )
    factories.store_as_before(referral, "access_needs", {"interpreter": True, "language": 7})
    db_session.flush()
    db_session.expire_all()

    assert referral.safe_contact == SafeContact(methods=(ContactMethod.PHONE,), voicemail="yes")
    assert referral.risks == Risks(current_risks="Made-up.", children_in_household="no")
    assert referral.access_needs == AccessNeeds(language="7", interpreter="yes")
    shown = {
        (section["key"], row["key"]["text"]): row["value"]["text"]
        for section in presenting.answer_sections(referral)
        for row in section["rows"]
    }
    assert shown["safe-contact", "Safe to leave a voicemail"] == "Yes"
    assert shown["risks", "Children in the household"] == "No"
    assert shown["risks", "Other agencies involved"] == "Not given"
    assert shown["access", "Interpreter needed"] == "Yes" and shown["access", "Language"] == "7"

    # What was read can be stored again, now in the one shape.
    referral.risks, referral.access_needs = referral.risks, referral.access_needs
    assert factories.stored_json(referral, "risks") == {
        "current_risks": "Made-up.",
        "children_in_household": "no",
        "other_agencies": "",
    }


def test_a_case_with_old_measures_opens_and_offers_only_what_reads(app: Flask, db_session: Session) -> None:
    provider = factories.provider(db_session)
    allocation = offered(db_session, provider)
    cases.accept(db_session, allocation.id, provider.id, staff(db_session, provider))
    factories.store_as_before(allocation, "measures", {"sessions_offered": 8, "group_sessions": "3", "x": 1})
    db_session.commit()

    status, page = provider_desk(app, db_session, provider).get(f"/provider/cases/{allocation.id}")

    assert status == 200
    assert re.search(r'id="measures-sessions_offered"[^>]*value="8"', page)
    assert re.search(r'id="measures-group_sessions"', page)
    assert not re.search(r'id="measures-group_sessions"[^>]*value="3"', page)


def test_old_mappings_keep_only_values_of_the_kinds_they_take(db_session: Session) -> None:
    kpi_return = factories.kpi_return(db_session)
    factories.store_as_before(
        kpi_return, "figures", {"a": 3, "b": "4", "c": True, "d": None, "e": 87.5, "f": [1], "g": 1e400}
    )
    factories.store_as_before(kpi_return, "reasons", {"a": "Counted again.", "b": 3, "c": None})
    page = factories.draft_page(db_session)
    factories.store_as_before(
        page, "answers", {"a": "t", "b": ["x"], "c": None, "d": 5, "e": {"f": 1}, "g": ["x", 2]}
    )
    db_session.flush()
    db_session.expire_all()

    assert kpi_return.figures == {"a": 3, "b": None, "c": None, "d": None, "e": 87.5, "f": None, "g": None}
    assert kpi_return.reasons == {"a": "Counted again."}
    assert page.answers == {"a": "t", "b": ["x"], "c": None, "d": None, "e": None, "g": None}
    factories.store_as_before(kpi_return, "figures", [["a", 3]])
    assert kpi_return.figures == {}


# -- nothing else gets in -------------------------------------------------------------------------


def row_for(db: Session, field: Sealed[Any]) -> Any:
    return factories.BUILDERS[field.owner](db)  # type: ignore[index]


@pytest.mark.parametrize("field", SHAPED, ids=field_id)
def test_a_plain_dict_or_another_shape_is_refused_and_nothing_is_stored(
    db_session: Session, field: Sealed[Any]
) -> None:
    row = row_for(db_session, field)
    good = KNOWN_SHAPES[field.kind]("Kept")
    setattr(row, field.name, good)
    before = getattr(row, field.column)
    other = next(make("x") for kind, make in KNOWN_SHAPES.items() if kind is not field.kind)
    for wrong in (good.stored(), dict(good.stored()), other, "yes", [good]):
        with pytest.raises(TypeError, match=f"{field.table}.{field.name} takes {field.kind.__name__}"):
            setattr(row, field.name, wrong)
        assert getattr(row, field.column) == before
    assert getattr(row, field.name) == good


ONE_WRONG_FIELD: list[tuple[Shape, str]] = [
    (SafeContact(voicemail=False), "voicemail"),  # type: ignore[arg-type]
    (SafeContact(say_who="maybe"), "say_who"),  # type: ignore[arg-type]
    (SafeContact(methods=("phone",)), "methods"),  # type: ignore[arg-type]
    (SafeContact(methods=(ContactMethod.TEXT, ContactMethod.TEXT)), "methods"),
    (SafeContact(safe_times="  after   10am "), "safe_times"),
    (Risks(children_in_household="not sure"), "children_in_household"),  # type: ignore[arg-type]
    (Risks(current_risks=None), "current_risks"),  # type: ignore[arg-type]
    (AccessNeeds(interpreter="unsure"), "interpreter"),  # type: ignore[arg-type]
    (AccessNeeds(bsl=True), "bsl"),  # type: ignore[arg-type]
    (Measures(sessions_offered=-1), "sessions_offered"),
    (Measures(group_sessions=True), "group_sessions"),
    (Measures(outcome_start=2.5), "outcome_start"),  # type: ignore[arg-type]
    (Measures(outcome_end="31"), "outcome_end"),  # type: ignore[arg-type]
    (Measures(sessions_attended=date(2026, 1, 1)), "sessions_attended"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(
    ("value", "wrong"),
    ONE_WRONG_FIELD,
    ids=[f"{type(v).__name__}.{w}-{n}" for n, (v, w) in enumerate(ONE_WRONG_FIELD)],
)
def test_a_shape_holding_what_its_reader_would_change_is_refused(
    db_session: Session, value: Shape, wrong: str
) -> None:
    # The first field of the shape's kind (SafeContact is also a volunteer's: the same reader).
    field = next(f for f in SHAPED if f.kind is type(value))
    row = row_for(db_session, field)
    with pytest.raises(TypeError, match=f"{field.table}.{field.name} would not read back as written"):
        setattr(row, field.name, value)
    if wrong != "sessions_attended":  # a date cannot even be written out, so no field can be named
        with pytest.raises(TypeError, match=rf"\({wrong}\)"):
            setattr(row, field.name, value)
    assert getattr(row, field.column) is None


@pytest.mark.parametrize(
    ("name", "wrong", "message"),
    [
        ("figures", {"people_supported": "12"}, re.escape("takes int | float | None values, not str")),
        ("figures", {"people_supported": True}, "not bool"),
        ("figures", {"felt_safer_pct": math.nan}, "not float"),
        ("figures", {"felt_safer_pct": math.inf}, "not float"),
        ("figures", {1: 3}, "takes text keys"),
        ("figures", [("people_supported", 3)], "takes dict"),
        ("reasons", {"people_supported": 3}, "takes str values, not int"),
        ("reasons", {"people_supported": None}, "not NoneType"),
    ],
)
def test_a_return_takes_only_numbers_and_reasons_keyed_by_code(
    db_session: Session, name: str, wrong: Any, message: str
) -> None:
    kpi_return = factories.kpi_return(db_session, figures={"people_supported": 12}, reasons={"a": "why"})
    before = getattr(kpi_return, f"{name}_sealed")
    with pytest.raises(TypeError, match=message):
        setattr(kpi_return, name, wrong)
    assert getattr(kpi_return, f"{name}_sealed") == before


def test_a_draft_page_takes_only_what_a_public_form_gives(db_session: Session) -> None:
    page = factories.draft_page(db_session, answers={"name": "Robin", "methods": ["email"], "email": None})
    for wrong in ({"nested": {"a": 1}}, {"methods": ["email", 2]}, {"age": 30}, {"agreed": True}):
        with pytest.raises(TypeError, match=re.escape("answers takes str | list[str] | None values")):
            page.answers = wrong  # type: ignore[assignment]
    assert page.answers == {"name": "Robin", "methods": ["email"], "email": None}


@pytest.mark.parametrize("wrong", [True, "3", 2.5, -1])
def test_the_provider_can_record_only_whole_numbers(db_session: Session, wrong: Any) -> None:
    provider = factories.provider(db_session)
    who = staff(db_session, provider)
    allocation = offered(db_session, provider)
    cases.accept(db_session, allocation.id, provider.id, who)
    with pytest.raises(cases.BadDetails, match="whole numbers, 0 or more"):
        cases.record_measures(db_session, allocation.id, provider.id, who, {"outcome_end": wrong})
    db_session.expire_all()
    assert db_session.get(Allocation, allocation.id).measures is None  # type: ignore[union-attr]


# -- demo data and the intake journey store the same shape ------------------------------------------


def kinds(stored: Any) -> Any:
    """The keys and the kinds of the values, down through lists."""
    if isinstance(stored, dict):
        return {key: kinds(value) for key, value in stored.items()}
    if isinstance(stored, list):
        return [kinds(value) for value in stored]
    return type(stored).__name__


def stored_by_demo(db: Session, preferred_name: str) -> Referral:
    from hub.demo import seed

    seed(db)
    [found] = [r for r in db.scalars(select(Referral)) if r.preferred_name == preferred_name]
    return found


def stored_by_journey(db: Session, reference: str) -> Referral:
    return db.scalars(select(Referral).where(Referral.reference == reference)).one()


def test_demo_data_and_a_professional_referral_store_the_same_shapes_for_the_same_answers(
    client: FlaskClient, db_session: Session
) -> None:
    demo = stored_by_demo(db_session, "Sam")
    assert demo.source is ReferralSource.PROFESSIONAL and demo.risk_flagged
    journey = professional_journey(
        client,
        person={"email": "sam@example.org"},
        risks={
            "current_risks": "Demo: a made-up current risk.",
            "children_in_household": "no",
            "other_agencies": "",
        },
        contact={"methods": ["email"], "voicemail": "no", "say_who": "no", "safe_times": ""},
    )
    referral = stored_by_journey(db_session, reference_and_code(journey.complete())[0])

    for name in ("safe_contact", "risks"):
        from_demo, from_journey = factories.stored_json(demo, name), factories.stored_json(referral, name)
        assert kinds(from_demo) == kinds(from_journey), name
        assert from_demo == from_journey, name
    assert kinds(factories.stored_json(referral, "access_needs")) == {
        "language": "str",
        "interpreter": "str",
        "bsl": "str",
        "adjustments": "str",
    }
    assert demo.risk_flagged == referral.risk_flagged == demo.risks.flagged  # type: ignore[union-attr]


def test_demo_data_and_a_self_referral_store_the_same_safe_contact_for_the_same_answers(
    client: FlaskClient, db_session: Session
) -> None:
    demo = stored_by_demo(db_session, "Alex")
    assert demo.source is ReferralSource.SELF and demo.risks is None and demo.access_needs is None
    journey = self_journey(
        client, contact={"methods": ["email"], "voicemail": "no", "say_who": "no", "safe_times": ""}
    )
    referral = stored_by_journey(db_session, reference_and_code(journey.complete())[0])

    from_demo, from_journey = (
        factories.stored_json(demo, "safe_contact"),
        factories.stored_json(referral, "safe_contact"),
    )
    assert (
        kinds(from_demo)
        == kinds(from_journey)
        == {
            "methods": ["str"],
            "safe_times": "str",
            "say_who": "str",
            "voicemail": "str",
        }
    )
    assert from_demo == from_journey
    assert referral.risks is None and referral.access_needs is None


def test_every_shape_the_demo_writes_is_the_one_shape(db_session: Session) -> None:
    from hub.demo import seed

    seed(db_session)
    checked = 0
    for field in SHAPED:
        rows: list[Any] = list(db_session.scalars(select(cast(Any, field.owner))))
        for row in rows:
            if getattr(row, field.column) is not None:
                stored = factories.stored_json(row, field.name)
                assert stored == field.kind.read(stored).stored(), field_id(field)
                checked += 1
    assert checked >= 9
