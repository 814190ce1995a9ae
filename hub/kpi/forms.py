"""The KPI forms: a provider's quarterly return, built from the definitions in force for its quarter,
and the administrator's forms for adding and retiring a figure. CSRFProtect checks every POST's token
before any view runs.

A return's rules live in ``hub.kpi.returns``: the form reads each figure by that rule (so the boxes and
the service judge alike), runs the rules across the return for its error messages, and refuses figures
the page did not offer. The service checks everything again when it saves.
"""

from __future__ import annotations

from typing import Any

from flask import request
from govuk_frontend_wtf.wtforms_widgets import GovSelect
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from wtforms import Field, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Regexp, ValidationError

from hub import posted
from hub.calendar import Quarter
from hub.forms import StaffForm, TextInput, clean_line, line, options, text
from hub.kpi import returns
from hub.kpi.models import KpiDefinition, Unit

BUTTONS = frozenset({"save", "submit", "amend"})
NOT_OFFERED = (
    "Some figures sent are not part of this return, so nothing was saved. "
    "Use the boxes on this page and try again."
)


def pressed() -> str:
    """The return page's button that sent the form (saving, when none is named)."""
    button = request.form.get("action", "save")
    if button not in BUTTONS:
        raise BadRequest()  # only the page's own buttons
    return button


class FigureField(Field):
    """One figure's box, kept as typed and read by the return's own rule for the figure's unit."""

    data: int | float | None

    def __init__(self, definition: KpiDefinition, **kwargs: Any) -> None:
        super().__init__(definition.label, **kwargs)
        self.definition = definition
        self.typed = ""

    def process_data(self, value: Any) -> None:
        self.typed = "" if value is None else str(value)
        self.data = None

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.typed = str(valuelist[0]) if valuelist else ""

    def pre_validate(self, form: Any) -> None:
        self.data, problem = returns.read_figure(self.definition, self.typed)
        if problem:
            raise ValidationError(problem)

    def _value(self) -> str:
        return self.typed[: returns.FIGURE_TYPED_MAX]

    @property
    def code(self) -> str:
        return self.definition.code


class ReturnForm(StaffForm):
    """A box for each figure asked for (``figure-<code>``), and for each figure the hub fills in, a
    reason for changing it (``reason-<code>``). Build it with :func:`return_form`."""

    def __init__(self, opened: returns.QuarterReturn, *, submitting: bool, **kwargs: Any) -> None:
        self.opened, self.submitting = opened, submitting
        self.to_check = opened.to_check()
        self.not_offered: list[str] = []
        super().__init__(**kwargs)

    def process(self, formdata: Any = None, obj: Any = None, data: Any = None, **kwargs: Any) -> None:
        formdata = self.meta.wrap_formdata(self, formdata)
        self.not_offered = sorted(_not_offered(formdata, self._fields)) if formdata is not None else []
        super().process(formdata, obj, data, **kwargs)

    def figures(self) -> list[FigureField]:
        return [field for field in self if isinstance(field, FigureField)]

    def typed(self) -> dict[str, str]:
        return {field.code: field.typed for field in self.figures()}

    def reasons(self) -> dict[str, str]:
        return {
            name.removeprefix("reason-"): field.data or ""
            for name, field in self._fields.items()
            if name.startswith("reason-")
        }

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)  # each figure on its own
        read = returns.Checked(
            figures={field.code: field.data for field in self.figures()},
            typed={field.code: field._value() for field in self.figures()},
            errors={field.code: field.errors[0] for field in self.figures() if field.errors},
        )
        self.explain(
            returns.check_together(
                self.opened.definitions, read, self.reasons(), self.opened.known, complete=self.submitting
            )
        )
        if self.not_offered:
            self.form_errors.append(NOT_OFFERED)
        return not self.errors

    def explain(self, checked: returns.Checked) -> None:
        """Show the return's problems on its boxes, and the figures that do not fit together."""
        for field in self.figures():
            if field.code in checked.errors:
                field.errors = [checked.errors[field.code]]
        self.to_check = {
            code: why for code, why in checked.contradictions.items() if code not in checked.errors
        }


def _not_offered(formdata: MultiDict[str, Any], offered: Any) -> set[str]:
    """Figures and reasons sent that the page did not ask for (an empty one says nothing)."""
    return {
        name
        for name, value in formdata.items(multi=True)
        if name.startswith(("figure-", "reason-")) and name not in offered and str(value).strip()
    }


def return_form(opened: returns.QuarterReturn, *, submitting: bool = False) -> ReturnForm:
    """The return's form for the definitions in force for its quarter, holding the saved figures (or
    the hub's own) until something is posted."""
    fields: dict[str, Any] = {}
    for definition in opened.definitions:
        fields[f"figure-{definition.code}"] = FigureField(definition)
        if definition.prefilled:
            fields[f"reason-{definition.code}"] = StringField(
                "If you change the hub's figure, say why", filters=[clean_line]
            )
    built = type("QuarterReturnForm", (ReturnForm,), fields)
    figures, reasons = opened.starting_figures(), opened.saved()[1]
    starting = {f"figure-{code}": typed for code, typed in figures.items()}
    starting |= {f"reason-{code}": reason for code, reason in reasons.items()}
    posting = request.method == "POST"  # a box left out of a post is empty, not its saved figure
    form: ReturnForm = built(opened, submitting=submitting, data=None if posting else starting)
    return form


class AmendForm(StaffForm):
    amendment_reason = TextAreaField("Why does it need amending?", filters=[clean_line])


# -- the administrator's forms ----------------------------------------------------------------------

CODE_MAX = 60
CODE_RULE = "The code must start with a letter and use only small letters, digits and _ (2 to 60 characters)"
QUARTERS_OFFERED = 6


def offered_quarters() -> list[Quarter]:
    """This quarter and the next few: the quarters a change can start from."""
    found = [Quarter.current()]
    while len(found) < QUARTERS_OFFERED:
        found.append(found[-1].next())
    return found


def _quarter_key(value: Any) -> int:
    """A real quarter's key (``20264``) from what was sent; anything else is a ValueError."""
    key = posted.whole_number(value if isinstance(value, str) else str(value))
    if key is None or not Quarter.valid(key // 10, key % 10):
        raise ValueError(value)
    return key


class QuarterField(SelectField):
    """A quarter from a list. Any real quarter is read, so the service can say why an ended one cannot
    change; anything else gets ``message``."""

    def __init__(self, label: str, message: str, **kwargs: Any) -> None:
        self.message = message
        super().__init__(
            label,
            validators=[InputRequired(message)],
            coerce=_quarter_key,
            validate_choice=False,
            invalid_value_message=message,  # type: ignore[call-arg]  # stubs predate 3.3
            choices=options([(str(q.key), q.label) for q in offered_quarters()]),
            widget=GovSelect(),
            **kwargs,
        )

    @property
    def quarter(self) -> Quarter | None:
        return Quarter.from_key(self.data) if isinstance(self.data, int) else None


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class DefinitionForm(StaffForm):
    code = StringField(
        "Code",
        validators=[
            DataRequired("Enter a code for the figure, for example waiting_over_4_weeks"),
            Regexp(rf"[a-z][a-z0-9_]{{1,{CODE_MAX - 1}}}\Z", message=CODE_RULE),
        ],
        filters=[clean_line, _lower],
        widget=TextInput(),
        description=(
            "Small letters, digits and _, for example waiting_over_4_weeks. It names the figure in exports."
        ),
        render_kw={"spellcheck": "false", "class": "govuk-input--width-20"},
    )
    label = line("Name", 200, DataRequired("Enter the figure's name"))  # spaces alone are no name
    unit = SelectField(
        "Unit",
        choices=options([(u.value, u.value) for u in Unit]),
        invalid_choice_message="Choose the unit",  # type: ignore[call-arg]  # stubs predate 3.3
        widget=GovSelect(),
    )
    description = text("What it counts", called="What the figure counts")
    starts = QuarterField("Asked for from", "Choose the first quarter")
    breakdown = line(
        "Breakdown (optional)",
        CODE_MAX,
        hint=(
            "For a part of a breakdown, its name (for example Age band) and the code of the total it adds"
            " up to."
        ),
        **{"class": "govuk-input--width-20"},
    )
    sums_to = line(
        "Adds up to (code, optional)",
        CODE_MAX,
        called="The code it adds up to",
        spellcheck="false",
        **{"class": "govuk-input--width-20"},
    )


class RetireForm(StaffForm):
    starts = QuarterField("Retire it from", "Choose the quarter to retire it from")


class PublishForm(StaffForm):
    """Publish a quarter on the public pathway report, or withdraw it."""

    quarter = QuarterField("Quarter", "Choose a quarter that has ended")
