"""The two ways in (``/refer`` and ``/self-refer``) and the status check (``/status``).

Each question page is one small form. Answers are kept sealed on the server between pages; the
browser's session holds only the draft's random id.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from hub import db
from hub.extensions import configured_limit, limiter, public_forms_limit, with_limits
from hub.forms import options
from hub.keyring import current_keyring
from hub.providers.models import HELP_CHOOSING, NO_PREFERENCE
from hub.providers.services import active_providers, offered_specialisms, provider_choices
from hub.referrals import intake, intake_forms
from hub.referrals.consent import SELF_V1, WORDINGS
from hub.referrals.models import ReferralSource
from hub.referrals.status import check_status
from hub.templating import summary_value

bp = Blueprint("intake", __name__)


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    form: type[intake_forms.PublicForm]
    # Whether checking this page's answers needs another page's (so must read the draft first).
    reads_earlier_answers: bool = False


@dataclass(frozen=True)
class Journey:
    name: str
    source: ReferralSource
    pages: tuple[Page, ...]

    def page(self, slug: str) -> Page:
        for page in self.pages:
            if page.slug == slug:
                return page
        abort(404)

    def next_slug(self, slug: str) -> str | None:
        slugs = [p.slug for p in self.pages]
        position = slugs.index(slug)
        return slugs[position + 1] if position + 1 < len(slugs) else None


PROFESSIONAL = Journey(
    "refer",
    ReferralSource.PROFESSIONAL,
    (
        Page("referrer", "About you", intake_forms.ReferrerForm),
        Page("consent", "The person's agreement", intake_forms.ConsentForm),
        Page("person", "About the person", intake_forms.PersonForm),
        Page("support", "Support they would like", intake_forms.SupportForm),
        Page("risks", "Risks and safeguarding", intake_forms.RisksForm),
        Page("access", "Language and access needs", intake_forms.AccessForm),
        Page(
            "contact",
            "Contacting them safely",
            intake_forms.ProfessionalContactForm,
            reads_earlier_answers=True,
        ),
    ),
)
SELF = Journey(
    "self-refer",
    ReferralSource.SELF,
    (
        Page("about", "About you", intake_forms.AboutYouForm),
        Page("contact", "Contacting you safely", intake_forms.SelfContactForm),
        Page("provider", "Choosing an organisation", intake_forms.ProviderChoiceForm),
        Page("support", "The help you would like", intake_forms.SelfSupportForm),
    ),
)


def form_session() -> str:
    """The rate-limit key of one person's journey: a random id kept in their (signed) session."""
    return f"form-session:{session.get('form_session', 'none')}"


@bp.before_request
def _give_a_form_session() -> None:
    """Each visitor to a question page gets a form session id (it says nothing about them)."""
    if request.endpoint in {"intake.refer_page", "intake.self_page"} and "form_session" not in session:
        session["form_session"] = secrets.token_urlsafe(16)


form_limits = [
    limiter.limit(configured_limit("public_form_rate_limit"), methods=["POST"]),
    limiter.limit(
        configured_limit("form_session_rate_limit"),
        key_func=form_session,
        scope="form-session",
        methods=["POST"],
    ),
    public_forms_limit(),
]
limited = with_limits(*form_limits)


# -- start pages --------------------------------------------------------------------------------


@bp.get("/refer")
def refer_start() -> str:
    return render_template("intake/refer_start.html", first=url_for("intake.refer_page", slug="referrer"))


@bp.get("/self-refer")
def self_start() -> str:
    return render_template("intake/self_start.html", first=url_for("intake.self_page", slug="about"))


# -- question pages -----------------------------------------------------------------------------


@bp.route("/refer/<slug>", methods=["GET", "POST"])
@limited
def refer_page(slug: str) -> str | Response:
    return _question(PROFESSIONAL, slug)


@bp.route("/self-refer/<slug>", methods=["GET", "POST"])
@limited
def self_page(slug: str) -> str | Response:
    return _question(SELF, slug)


def _draft(journey: Journey) -> intake.Draft | None:
    return intake.load_draft(db.session(), session.get("draft_id"), journey.source)


def _question(journey: Journey, slug: str) -> str | Response:
    if slug == "check":
        return _check(journey)
    page = journey.page(slug)
    # A posted page is checked against what was posted and saved in one write; what was saved
    # before is read only to show a page, or for a page whose checks depend on another page.
    posted = request.method == "POST"
    answers = {} if posted and not page.reads_earlier_answers else intake.answers_of(_draft(journey))
    form = page.form(data=answers.get(slug))
    _fill_choices(form, journey)
    if isinstance(form, intake_forms.ProfessionalContactForm):
        person = answers.get("person", {})
        form.known_details = frozenset(k for k in ("phone", "email", "address") if person.get(k))
    if form.validate_on_submit():
        if form.is_bot:
            abort(400)
        draft_id = intake.save_page(
            db.session(), session.get("draft_id"), journey.source, slug, form.answers()
        )
        if session.get("draft_id") != str(draft_id):
            session["draft_id"] = str(draft_id)
        following = journey.next_slug(slug)
        if request.args.get("change") or following is None:
            return redirect(_url(journey, "check"), code=303)
        return redirect(_url(journey, following), code=303)
    if posted and not answers:
        answers = intake.answers_of(_draft(journey))
    return render_template(
        "intake/question.html",
        journey=journey,
        page=page,
        form=form,
        back=_back(journey, slug),
        provider_items=_provider_items(form),
        under_18=intake.is_under_18(intake.date_of_birth(answers)) and slug not in {"about", "person"},
    )


def _fill_choices(form: intake_forms.PublicForm, journey: Journey) -> None:
    """Specialisms and providers are data, so the pages that offer them read them each time."""
    if isinstance(form, intake_forms.SupportForm | intake_forms.SelfSupportForm):
        form.specialisms.choices = options([(s.code, s.label) for s in offered_specialisms(db.session())])
    if isinstance(form, intake_forms.SupportForm):
        providers = provider_choices(db.session())
        form.preferred_provider.choices = options([*providers, (NO_PREFERENCE, "No preference")])
    if isinstance(form, intake_forms.ProviderChoiceForm):
        form.provider.choices = options([*provider_choices(db.session()), (HELP_CHOOSING, HELP_ME_CHOOSE)])


HELP_ME_CHOOSE = "Help me choose"
HELP_ME_CHOOSE_HINT = (
    f"The {intake.TRS_NAME} team will choose with you. They look at what you tell us, who each "
    "organisation supports and which has space, usually within 5 working days. They get in touch only "
    "in the ways you say are safe."
)
ASKED_FOR_HELP = "You asked us to help you choose"


def _provider_items(form: intake_forms.PublicForm) -> list[dict[str, Any]] | None:
    """The organisations to choose from, each with who it supports, then "Help me choose" and what
    happens next (GOV.UK radios with hints)."""
    if not isinstance(form, intake_forms.ProviderChoiceForm):
        return None
    items: list[dict[str, Any]] = [
        {
            "value": p.slug,
            "text": p.name,
            "hint": {"text": " ".join(filter(None, [p.summary.strip(), f"{p.who_served}."]))},
            "checked": form.provider.data == p.slug,
        }
        for p in active_providers(db.session())
    ]
    if items:
        items.append({"divider": "or"})
    help_item = {"value": HELP_CHOOSING, "text": HELP_ME_CHOOSE, "hint": {"text": HELP_ME_CHOOSE_HINT}}
    return [*items, {**help_item, "checked": form.provider.data == HELP_CHOOSING}]


def _url(journey: Journey, slug: str, **args: Any) -> str:
    endpoint = "intake.refer_page" if journey is PROFESSIONAL else "intake.self_page"
    return url_for(endpoint, slug=slug, **args)


def _back(journey: Journey, slug: str) -> str:
    if request.args.get("change"):
        return _url(journey, "check")
    slugs = [p.slug for p in journey.pages]
    position = slugs.index(slug)
    if position == 0:
        return url_for("intake.refer_start" if journey is PROFESSIONAL else "intake.self_start")
    return _url(journey, slugs[position - 1])


# -- check your answers and send ----------------------------------------------------------------


def _check(journey: Journey) -> str | Response:
    draft = _draft(journey)
    answers = intake.answers_of(draft)
    missing = intake.missing_pages(journey.source, answers)
    if draft is None:
        return _nothing_to_send(journey)
    if missing:
        return redirect(_url(journey, missing[0]), code=303)
    form = intake_forms.PublicForm()
    problem = None
    if form.validate_on_submit():
        if form.is_bot:
            abort(400)
        try:
            submitted = intake.submit(db.session(), current_keyring(), draft)
        except intake.AlreadySent:
            session.pop("draft_id", None)
            return _nothing_to_send(journey)
        except intake.IntakeError as error:
            problem = (str(error), _url(journey, error.page, change=1))
        else:
            session.pop("draft_id", None)
            return render_template("intake/done.html", journey=journey, submitted=submitted)
    return render_template(
        "intake/check.html",
        journey=journey,
        form=form,
        problem=problem,
        sections=_summary(journey, answers),
        under_18=intake.is_under_18(intake.date_of_birth(answers)),
        # What a person referring themselves agrees to by sending (the consent record names it).
        agreement=WORDINGS[SELF_V1] if journey.source is ReferralSource.SELF else None,
    )


def _nothing_to_send(journey: Journey) -> str:
    return render_template(
        "intake/nothing_to_send.html", journey=journey, start=_url(journey, journey.pages[0].slug)
    )


def _summary(journey: Journey, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Each page as a GOV.UK summary list: the question, what was given, and a Change link."""
    sections = []
    for page in journey.pages:
        form = page.form(data=answers.get(page.slug))
        _fill_choices(form, journey)
        rows = []
        for field in form:
            if field.name in {"csrf_token", "website"}:
                continue
            rows.append(
                {
                    "key": {"text": field.label.text.replace(" (optional)", "")},
                    "value": summary_value(_shown(field)),
                    "actions": {
                        "items": [
                            {
                                "href": _url(journey, page.slug, change=1) + f"#{field.id}",
                                "text": "Change",
                                "visuallyHiddenText": field.label.text.replace(" (optional)", "").lower(),
                            }
                        ]
                    },
                }
            )
        sections.append({"title": page.title, "rows": rows})
    return sections


def _shown(field: Any) -> str | list[str]:
    choices = {choice.value: choice.label for choice in getattr(field, "choices", None) or []}
    if isinstance(field.data, list):
        return [str(choices.get(v, v)) for v in field.data]
    if isinstance(field, intake_forms.DateOfBirthField):
        return field.data.strftime("%-d %B %Y") if field.data else "Not given"
    if field.data in (None, ""):
        return "Not given"
    if field.name == "provider" and field.data == HELP_CHOOSING:
        return ASKED_FOR_HELP
    if field.name in {"provider", "preferred_provider"} and field.data not in choices:
        return "An organisation that is no longer taking referrals. Change this to choose again."
    return str(choices.get(field.data, field.data))


# -- status -------------------------------------------------------------------------------------


@bp.route("/status", methods=["GET", "POST"])
@limiter.limit(configured_limit("status_rate_limit"), methods=["POST"])
def status() -> str:
    form = intake_forms.StatusForm()
    answer = None
    not_found = False
    if form.validate_on_submit():
        if form.is_bot:
            abort(400)
        answer = check_status(
            db.session(),
            current_keyring(),
            form.reference.data or "",
            form.proof.data or "",
        )
        not_found = answer is None
    return render_template("intake/status.html", form=form, answer=answer, not_found=not_found)
