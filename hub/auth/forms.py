"""Sign-in forms. CSRFProtect checks every POST's token before any view runs."""

from __future__ import annotations

from typing import Any

from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovRadioInput
from wtforms import PasswordField, RadioField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Optional, ValidationError

from hub.forms import YES_NO, StaffForm, TextInput, options, too_long
from hub.providers.models import NO_PREFERENCE


class SignInForm(StaffForm):
    email = StringField(
        "Email address",
        validators=[InputRequired("Enter your email address"), too_long("Email address", 254)],
        widget=TextInput(),
        render_kw={"autocomplete": "username", "spellcheck": "false", "maxlength": 254},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password"), too_long("Password", 128)],
        widget=GovPasswordInput(),
        render_kw={"autocomplete": "current-password", "maxlength": 128},
    )


def _code_field(label: str, required: str, description: str, inputmode: str) -> StringField:
    """A security code: from an authenticator app (six digits) or, where allowed, a recovery code."""
    return StringField(
        label,
        validators=[InputRequired(required), too_long("The security code", 20)],
        description=description,
        widget=TextInput(),
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": inputmode,
            "spellcheck": "false",
            "maxlength": 20,
        },
    )


class CodeForm(StaffForm):
    code = _code_field(
        "Security code",
        "Enter the security code",
        "The 6-digit code from your authenticator app, or one of your recovery codes.",
        "text",
    )


class NewAccountForm(StaffForm):
    display_name = StringField(
        "Name",
        validators=[InputRequired("Enter the person's name"), too_long("Name", 100)],
        widget=TextInput(),
    )
    email = StringField(
        "Work email address",
        validators=[InputRequired("Enter their work email address"), too_long("Work email address", 254)],
        widget=TextInput(),
        render_kw={"spellcheck": "false"},
    )
    role = RadioField("Role", validators=[InputRequired("Choose a role")], widget=GovRadioInput())
    provider = RadioField(
        "Provider (for provider staff only)", validators=[Optional()], widget=GovRadioInput()
    )
    password = PasswordField(
        "A first password for them",
        validators=[InputRequired("Enter a first password for them"), too_long("The password", 128)],
        description=(
            "At least 12 characters. Give it to them in person or by phone, never by email. It works"
            " once: when they first sign in, they must choose their own password."
        ),
        widget=GovPasswordInput(),
        render_kw={"autocomplete": "new-password", "maxlength": 128},
    )


class ChangePasswordForm(StaffForm):
    current = PasswordField(
        "Current password",
        validators=[InputRequired("Enter your current password"), too_long("Current password", 128)],
        widget=GovPasswordInput(),
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        "New password",
        validators=[InputRequired("Enter a new password"), too_long("New password", 128)],
        description="At least 12 characters. Three or four random words work well.",
        widget=GovPasswordInput(),
        render_kw={"autocomplete": "new-password"},
    )


class ChoosePasswordForm(StaffForm):
    """After a reset, or on a new account: the password someone else chose was used up by signing in."""

    new = PasswordField(
        "New password",
        validators=[InputRequired("Enter a new password"), too_long("New password", 128)],
        description="At least 12 characters. Three or four random words work well.",
        widget=GovPasswordInput(),
        render_kw={"autocomplete": "new-password", "maxlength": 128},
    )


class ResetPasswordForm(StaffForm):
    code = _code_field(
        "Your security code",
        "Enter your security code",
        "The 6-digit code from your own authenticator app, to show it is really you.",
        "numeric",
    )


NO_PROVIDER = NO_PREFERENCE  # reserved: never a provider's slug


class RoleForm(StaffForm):
    """A new role and provider for an account; the choices are offered again when the form comes back."""

    role = RadioField("Role", validators=[InputRequired("Choose a role")], widget=GovRadioInput())
    provider = RadioField(
        "Provider",
        validators=[InputRequired("Choose the provider they work for, or “Not provider staff”")],
        description="Provider staff work for one provider and see only its cases. Other roles have none.",
        widget=GovRadioInput(),
    )

    def validate_provider(self, field: Any) -> None:
        if self.role.data == "provider_staff" and field.data == NO_PROVIDER:
            raise ValidationError("Choose the provider they work for: provider staff need one")
        if self.role.data != "provider_staff" and field.data != NO_PROVIDER:
            raise ValidationError("Choose “Not provider staff”: only provider staff work for a provider")


class DataProtectionForm(StaffForm):
    """Give or take the data-protection duty: the button sends "yes" or "no"."""

    holds = RadioField(
        "Data-protection duty",
        validators=[InputRequired("Choose whether they hold the data-protection duty")],
        choices=options(YES_NO),
        widget=GovRadioInput(),
    )


class InactiveAccountsForm(StaffForm):
    """The accounts the administrator was shown; each is checked again on the server before disabling."""

    accounts = SelectMultipleField("Accounts", validate_choice=False, validators=[Optional()])
