"""The public privacy notice: ``/privacy`` (the version shown now) and ``/privacy/<version>`` (any other)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template
from sqlalchemy.orm import Session

from hub import db
from hub.config import current_config
from hub.providers.services import active_providers
from hub.referrals import notice
from hub.referrals.intake import TRS_NAME

bp = Blueprint("privacy_notice", __name__)


@dataclass(frozen=True)
class HowLong:
    """One line of "how long we keep it": what is kept, and for how long, in words."""

    what: str
    period: str


def retention_periods(db: Session) -> list[HowLong]:
    """How long each kind of record is kept, as the notice says it.

    The one source of these periods for the notice: the hub's default schedule, in words.
    """
    del db  # the periods are the defaults until the schedule is held as data
    return [
        HowLong("Answers to a form you started but did not send", "24 hours after you last saved a page"),
        HowLong("The words of emails we send", "30 days after they are sent"),
        HowLong("Your answers and notes about your support", "7 years after your referral is closed"),
        HowLong(
            "The facts we count, like dates, which organisation and how support ended",
            "kept, without your name or anything else that says who you are",
        ),
    ]


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
