"""Every error message is a sentence that says what to do (GOV.UK error message guidance): it starts with a
capital, names the thing in words a person would use, and is never a label pasted into a template
("Enter of those, people showing reliable improvement as a number").

Every form in the hub is found and sent empty, then with every text box too long; every KPI figure in the
common set is checked with each kind of wrong figure. Each message that comes back is judged here.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from wtforms import StringField, TextAreaField

import hub
from hub.kpi import returns
from hub.kpi.models import KpiDefinition, Unit
from hub.kpi.returns import AtMost, Checked, check_together, contradictions, figure_name, read_figure

STOP = frozenset(
    re.findall(
        r"\w+",
        "a an the of or and to for from in on at is it be by with you your their they them we us our"
        " this that what who when why how which were was there any other more",
    )
)
# Messages that name the thing in other words than its label (the judge matches words, not meanings).
NAMED_OTHERWISE = {
    "Choose the first quarter": "the box is labelled 'Asked for from': a quarter",
    "Choose how they told us": "the question is 'How did they tell us?'",
}
GENERIC = ("field", "this field", "not a valid", "invalid", "required", "cannot be longer")


def sentence_problems(message: str, about: str) -> list[str]:
    """What stops ``message`` being a sentence about ``about`` (the field's label, hint and name)."""
    found = []
    words = re.findall(r"[A-Za-z']+", message)
    if not message[:1].isupper() and not message[:1].isdigit():
        found.append("does not start with a capital")
    if len(words) < 3:
        found.append("too short to say what to do")
    if re.search(r"\b(\w+) \1\b", message, re.IGNORECASE):
        found.append("a doubled word")
    if re.search(r"\bof (those|which)\b", message, re.IGNORECASE):
        found.append("a label's lead-in ('of those')")
    if "?" in message:
        found.append("a question pasted in")
    if re.search(r"[a-z]: [a-z]", message) or "(optional" in message or ", optional" in message:
        found.append("a label's fragment")
    if re.search(r"\b(enter|select|choose) (of|as|with)\b", message, re.IGNORECASE):
        found.append("a verb with no object")
    if any(message.lower().startswith(g) for g in GENERIC):
        found.append("a generic message")
    named = {w.lower()[:5] for w in re.findall(r"[A-Za-z]+", about) if w.lower() not in STOP and len(w) > 2}
    if named and not named & {w.lower()[:5] for w in words} and message not in NAMED_OTHERWISE:
        found.append(f"does not name the thing ({about!r})")
    return found


def test_the_judge_catches_the_messages_built_from_labels() -> None:
    assert sentence_problems(
        "Enter of those, people showing reliable improvement as a number", "Of those, people showing"
    )
    assert sentence_problems("Enter age: under 25 as a number", "Age: under 25")
    assert sentence_problems(
        "What would you like us to call you? must be 100 characters or fewer",
        "What would you like us to call",
    )
    assert sentence_problems("Field cannot be longer than 20 characters.", "Security code")
    assert sentence_problems("enter the the date", "Date")
    assert sentence_problems("Enter a number", "People supported")
    assert not sentence_problems("Enter your email address", "Email address")


def every_form() -> Iterator[type[FlaskForm]]:
    for module in pkgutil.walk_packages(hub.__path__, "hub."):
        if module.name.endswith(("forms", "forms_")) or module.name.split(".")[-1].endswith("_forms"):
            importlib.import_module(module.name)
    seen: set[type[Any]] = set()
    stack: list[type[Any]] = [FlaskForm]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen and sub.__module__.startswith("hub."):
                seen.add(sub)
                yield sub
            stack.append(sub)


def about(field: Any) -> str:
    return " ".join(str(x) for x in (field.label.text, field.description, getattr(field, "called", "")))


def messages(form: FlaskForm) -> Iterator[tuple[str, str, str]]:
    for field in form:
        if hasattr(field, "choices") and field.choices is None:
            field.choices = []  # as the view would set them: none, so nothing posted is a choice
    form.validate()
    for name, errors in form.errors.items():
        field = form._fields.get(name)
        for message in errors if isinstance(errors, list) else [errors]:
            yield name, str(message), about(field) if field is not None else ""


def test_every_forms_messages_are_sentences(app: Flask) -> None:
    forms = list(every_form())
    assert len(forms) >= 20, [f.__name__ for f in forms]
    judged, wrong = 0, []
    with app.test_request_context(method="POST"):
        for kind in forms:
            try:
                empty = kind(formdata=MultiDict())
            except TypeError:
                continue  # a form built from data (the return): judged below
            texts = [n for n, f in empty._fields.items() if isinstance(f, StringField | TextAreaField)]
            long_ones = MultiDict({n: "x" * 10_001 for n in texts if n != "website"})
            for form in (empty, kind(formdata=long_ones)):
                for name, message, described in messages(form):
                    judged += 1
                    wrong += [
                        f"{kind.__name__}.{name}: {message!r}: {p}"
                        for p in sentence_problems(message, described)
                    ]
    assert judged > 60
    assert not wrong, "\n".join(wrong)


WRONG_FIGURES = ("lots", "-1", "1.55", "101", "2.5", "99999999999", "x" * 41)


def test_every_figures_messages_are_sentences_whatever_its_label(db_session: Session) -> None:
    found = list(db_session.scalars(select(KpiDefinition)))
    assert len(found) > 30
    wrong = []
    for definition in found:
        for typed in WRONG_FIGURES:
            _, problem = read_figure(definition, typed)
            if problem:
                wrong += [
                    f"{definition.code} {typed!r}: {problem!r}: {p}"
                    for p in sentence_problems(problem, definition.label)
                ]
        result = check_together(found, Checked(figures={}), {definition.code: "r" * 1001}, {}, complete=True)
        for code, problem in result.errors.items():
            label = next(d.label for d in found if d.code == code)
            wrong += [f"{code}: {problem!r}: {p}" for p in sentence_problems(problem, label)]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("Of those, people showing reliable improvement", "people showing reliable improvement"),
        ("Of which, people who referred themselves", "people who referred themselves"),
        ("Age: under 25", "age (under 25)"),
        ("Ethnicity: White", "ethnicity (White)"),
        ("Declined: no space", "declined (no space)"),
        ("People supported in the quarter", "people supported in the quarter"),
        ("BSL interpreters booked", "BSL interpreters booked"),
        ("  Odd   spacing: here ", "odd spacing (here)"),
    ],
)
def test_a_figures_label_reads_inside_a_sentence(label: str, name: str) -> None:
    assert figure_name(label) == name


def test_breakdowns_and_contradictions_name_both_figures_in_a_sentence() -> None:
    total = KpiDefinition(code="people_supported", label="People supported in the quarter", unit=Unit.COUNT)
    part = KpiDefinition(
        code="age_under_25",
        label="Age: under 25",
        unit=Unit.COUNT,
        breakdown="Age band",
        sums_to="people_supported",
    )
    improved = KpiDefinition(
        code="reliable_improvement", label="Of those, people showing reliable improvement", unit=Unit.COUNT
    )
    measured = KpiDefinition(code="outcome_measured", label="People with an outcome measure", unit=Unit.COUNT)
    read = check_together(
        [total, part], Checked(figures={"people_supported": 3, "age_under_25": 5}), {}, {}, complete=False
    )
    assert read.errors == {
        "age_under_25": "The age band figures add up to 5, but people supported in the quarter is 3. "
        "They must be equal."
    }
    problems = contradictions([improved, measured], {"reliable_improvement": 4, "outcome_measured": 2})
    assert problems == {
        "reliable_improvement": "People showing reliable improvement (4) cannot be more than people with an "
        "outcome measure (2). Check both figures."
    }
    assert isinstance(returns.AT_MOST[0], AtMost)
