"""The second factor: time-based one-time codes (RFC 6238) from an authenticator app.

A code is accepted once: the time step of the last accepted code is stored, and a code from that
step or an earlier one is refused. The QR code is drawn on the server as SVG, so nothing about the
secret leaves the hub.
"""

from __future__ import annotations

import io
import time

import pyotp
import segno

ISSUER = "Post-abuse support referrals"
STEP = 30


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret, interval=STEP).provisioning_uri(name=account, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title="QR code"
    )
    return out.getvalue().decode()


def accepted_step(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """The time step the code belongs to, if it is right, fresh, and newer than the last one used."""
    code = "".join(c for c in code if c in "0123456789")  # ASCII digits only: "²" is not a 2
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret, interval=STEP)
    current = int((time.time() if now is None else now) // STEP)
    for step in (current, current - 1, current + 1):  # one step either way for clock drift
        if last_step is not None and step <= last_step:
            continue
        if totp.verify(code, for_time=step * STEP):
            return step
    return None
