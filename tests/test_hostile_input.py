"""Hostile values posted to every public form: always a clear page, never a 500, never markup echoed."""

from __future__ import annotations

from urllib.parse import quote_from_bytes

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.referrals.public_views import PROFESSIONAL, SELF

from .journeys import TOKEN

FIELDS = sorted(
    {
        name
        for journey in (PROFESSIONAL, SELF)
        for page in journey.pages
        for name in page.form.__dict__
        if not name.startswith("_")
    }
    | {"date_of_birth-day", "date_of_birth-month", "date_of_birth-year", "reference", "proof", "website"}
)
FORMS = [f"/refer/{p.slug}" for p in PROFESSIONAL.pages] + [f"/self-refer/{p.slug}" for p in SELF.pages]
FORMS += ["/refer/check", "/self-refer/check", "/status"]

hostile_text = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=2_001, max_size=3_000),
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            '=HYPERLINK("http://x")',
            "\x00\x01\x02\x1b[31m",
            "\u202egnp.exe",
            "Robert'); DROP TABLE referral;--",
            "../../etc/passwd",
            "31",
            "2",
            "99999",
            "email",
            "referral",
            "help",
        ]
    ),
)
hostile_bytes = st.binary(max_size=40).map(lambda raw: raw + b"\xff\xfe")
fields = st.lists(st.tuples(st.sampled_from(FIELDS), st.one_of(hostile_text, hostile_bytes)), max_size=12)


def encode(pairs: list[tuple[str, str | bytes]], token: str, with_token: bool) -> bytes:
    """A form body made by hand, so repeated fields and invalid UTF-8 reach the app as sent."""
    parts = [f"csrf_token={token}".encode()] if with_token else []
    for name, value in pairs:
        raw = value if isinstance(value, bytes) else value.encode("utf-8", errors="surrogatepass")
        parts.append(name.encode() + b"=" + quote_from_bytes(raw).encode())
    return b"&".join(parts)


@pytest.mark.parametrize("path", FORMS)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=fields, with_token=st.booleans())
def test_no_hostile_post_breaks_a_public_form(
    app: Flask, client: FlaskClient, path: str, pairs: list[tuple[str, str | bytes]], with_token: bool
) -> None:
    token = TOKEN.search(client.get("/self-refer/about").get_data(as_text=True))
    assert token
    response = client.post(
        path,
        data=encode(pairs, token.group(1), with_token),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in {200, 303, 400, 413, 429}, response.status_code
    if response.status_code != 303:
        page = response.get_data(as_text=True)
        assert page.startswith("<!DOCTYPE html>") and "<h1" in page
        assert "<script>alert(1)</script>" not in page
        assert "<img src=x" not in page
