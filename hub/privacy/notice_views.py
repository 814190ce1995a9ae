"""The public privacy notice: ``/privacy`` (the version shown now) and ``/privacy/<version>`` (any other)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template
from sqlalchemy.orm import Session

from hub import db
from hub.config import current_config
from hub.privacy import schedule
from hub.privacy.schedule import Kind
from hub.providers.services import active_providers
from hub.referrals import notice
from hub.referrals.intake import TRS_NAME

bp = Blueprint("privacy_notice", __name__)


@dataclass(frozen=True)
class HowLong:
    """One line of "how long we keep it": what is kept, and for how long, in words."""

    what: str
    period: str


# The kinds of record the notice tells a person about, in their words: what is kept, and the event
# its period runs from. Staff accounts and the audit log are not about them.
ABOUT_YOU = {
    Kind.REFERRAL_ANSWERS: ("Your answers on the referral form", "after your referral is closed"),
    Kind.CASE_RECORDS: ("Notes about your referral and your support", "after your referral is closed"),
    Kind.SENT_EMAILS: ("The words of emails we send, and the address they went to", "after they are sent"),
    Kind.FORM_DRAFTS: ("Answers to a form you started but did not send", "after you last saved a page"),
    Kind.CONSULTATION_VOLUNTEERS: (
        "Your name and contact details, if you offered to help shape the service",
        "after you gave them, or less if you ask us to delete them",
    ),
}


def retention_periods(db: Session) -> list[HowLong]:
    """How long each kind of record about the person is kept, read from the live retention schedule
    (``/admin/retention``), so the notice always says what the hub does."""
    periods = [
        HowLong(ABOUT_YOU[rule.kind][0], "kept" if rule.kept else f"{rule.period} {ABOUT_YOU[rule.kind][1]}")
        for rule in schedule.rules(db)
        if rule.kind in ABOUT_YOU
    ]
    periods.append(
        HowLong(
            "The facts we count, like dates, which organisation and how support ended",
            "kept, without your name or anything else that says who you are",
        )
    )
    return periods


@bp.get("/privacy")
def current() -> str:
    return _page(notice.current())


@bp.get("/privacy/<version>")
def earlier(version: str) -> str | tuple[str, int]:
    shown = notice.find(version)
    if shown is None:
        return render_template("privacy/unknown_version.html"), 404
    return _page(shown)


def _page(shown: notice.NoticeVersion) -> str:
    session = db.session()
    return render_template(
        shown.template,
        notice=shown,
        newest=notice.current(),
        versions=notice.VERSIONS,
        providers=[p.name for p in active_providers(session)],
        trs_name=TRS_NAME,
        periods=retention_periods(session),
        contact=current_config().data_protection_contact,
    )
