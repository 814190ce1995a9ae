"""Forms for consent and possible duplicates on the triage team's referral page.

CSRFProtect checks every POST's token before any view runs. The duplicate form's choices are the
matches the server found for the referral, built again when the form comes back.
"""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput
from wtforms import RadioField
from wtforms.validators import DataRequired, InputRequired

from hub.forms import StaffForm, line, options
from hub.referrals.intake_forms import NAME_MAX, day_so_far
from hub.referrals.models import ConsentMethod
from hub.referrals.triage_forms import note_field

METHODS = options([(m.value, m.label) for m in ConsentMethod])


class RecordConsentForm(StaffForm):
    from_whom = line(
        "Who gave consent",
        NAME_MAX,
        DataRequired("Say who gave consent"),  # after the spaces are trimmed
        called="The name of who gave consent",
        hint="For example, the person themselves, or their social worker after asking them.",
    )
    on = day_so_far("When did they agree?", "the date they agreed")
    method = RadioField(
        "How did they agree?",
        validators=[InputRequired("Choose how they agreed")],
        choices=METHODS,
        widget=GovRadioInput(),
    )
    note = note_field(
        "Anything else to note (optional)", "Only the triage team sees this.", None, called="The note"
    )


class WithdrawConsentForm(StaffForm):
    on = day_so_far("When did they withdraw consent?", "the date they withdrew consent")
    method = RadioField(
        "How did they tell us?",
        validators=[InputRequired("Choose how they told us")],
        choices=METHODS,
        widget=GovRadioInput(),
    )
    note = note_field(
        "What the person asked for",
        "Only the triage team sees this. The referral will be closed and the provider will see only "
        "its reference.",
        "Say what the person asked for",
        called="The note of what the person asked for",
    )


class DuplicateForm(StaffForm):
    other = RadioField(
        "Which referral did you check?",
        validators=[InputRequired("Choose the referral you checked")],
        widget=GovRadioInput(),
    )
    same_person = RadioField(
        "Is it the same person?",
        validators=[InputRequired("Choose whether it is the same person")],
        choices=options(
            [("yes", "Yes, the same person: link the two"), ("no", "No, not the same person: clear the flag")]
        ),
        widget=GovRadioInput(),
    )
