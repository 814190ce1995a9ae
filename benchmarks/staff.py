"""A member of staff signed in through the real pages, for benchmarks that time staff pages."""

from __future__ import annotations

import re
import secrets

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from hub import db
from hub.audit import Actor
from hub.auth.models import Role
from hub.auth.services import create_user

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def signed_in_client(app: Flask, role: Role) -> FlaskClient:
    """A new account with the role (its authenticator already set up), and a client signed in as it."""
    email = f"bench.{role.value}@example.org"
    secret, password = pyotp.random_base32(), secrets.token_urlsafe(16)
    with app.app_context():
        user = create_user(
            db.session(),
            email=email,
            display_name="Bench",
            role=role,
            password=password,
            actor=Actor(id=None, role="operator"),
        )
        user.totp_secret, user.totp_last_step = secret, 1
        db.session().commit()
    client = app.test_client()
    token = TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    signed = client.post("/login", data={"csrf_token": token, "email": email, "password": password})
    assert signed.headers.get("Location") == "/login/two-factor", (
        f"the benchmark's {role.value} could not sign in"
    )
    token = TOKEN.search(client.get("/login/two-factor").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    client.post("/login/two-factor", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()})
    return client
