"""Forms on the data-protection officers' restriction pages. Forms validate; they never write."""

from __future__ import annotations

from hub.forms import StaffForm, line, required
from hub.referrals.triage_forms import note_field


class FindForm(StaffForm):
    reference = line(
        "Reference",
        20,
        required("Enter the referral's reference"),
        hint="For example, PAS-7KQ4-M2XD",
        spellcheck="false",
    )


class BasisForm(StaffForm):
    basis = note_field(
        "The legal basis for this decision",
        "For example, the article of UK GDPR and what the person asked for. It is kept, sealed, "
        "on the referral's timeline.",
        "Give the legal basis for this decision",
        called="The legal basis",
    )
