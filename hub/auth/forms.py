"""Sign-in forms. CSRFProtect checks every POST's token before any view runs."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovTextInput
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length


class StaffForm(FlaskForm):
    class Meta:
        csrf = False


class SignInForm(StaffForm):
    email = StringField(
        "Email address",
        validators=[InputRequired("Enter your email address"), Length(max=254)],
        widget=GovTextInput(),
        render_kw={"autocomplete": "username", "spellcheck": "false", "maxlength": 254},
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter your password"), Length(max=128)],
        widget=GovPasswordInput(),
        render_kw={"autocomplete": "current-password", "maxlength": 128},
    )


class CodeForm(StaffForm):
    code = StringField(
        "Security code",
        validators=[InputRequired("Enter the security code"), Length(max=20)],
        description="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=GovTextInput(),
        render_kw={
            "autocomplete": "one-time-code",
            "inputmode": "text",
            "spellcheck": "false",
            "maxlength": 20,
        },
    )
