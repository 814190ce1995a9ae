"""A member of staff signed in through the real pages: password, then a code from their authenticator."""

from __future__ import annotations

import html
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub.auth.models import Role, StaffUser

from . import factories
from .journeys import TOKEN


def sign_in(client: FlaskClient, user: StaffUser, secret: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = TOKEN.search(page)
    assert token
    data = {"csrf_token": token.group(1), "email": user.email, "password": factories.TEST_PASSWORD}
    assert client.post("/login", data=data).headers["Location"] == "/login/two-factor"
    token = TOKEN.search(client.get("/login/two-factor").get_data(as_text=True))  # a new session, a new token
    assert token
    code = {"csrf_token": token.group(1), "code": pyotp.TOTP(secret).now()}
    assert client.post("/login/two-factor", data=code).headers["Location"] == "/staff"


def signed_in(app: Flask, db: Session, role: Role, **fields: Any) -> tuple[FlaskClient, StaffUser]:
    """A new account with an authenticator already set up, and a client signed in as it."""
    secret = pyotp.random_base32()
    user = factories.staff_user(db, role=role, totp_secret=secret, totp_last_step=1, **fields)
    db.commit()
    client = app.test_client()
    sign_in(client, user, secret)
    return client, user


class Desk:
    """A signed-in member of staff at their pages, with the session's CSRF token for posting."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        token = TOKEN.search(client.get("/staff").get_data(as_text=True))
        assert token
        self.token = token.group(1)

    def get(self, path: str) -> tuple[int, str]:
        response = self.client.get(path)
        return response.status_code, html.unescape(response.get_data(as_text=True))

    def send(self, path: str, **data: Any) -> Any:
        """POST the form with the CSRF token; the test client's response."""
        return self.client.post(path, data={"csrf_token": self.token, **data})
