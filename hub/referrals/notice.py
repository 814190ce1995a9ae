"""The privacy notice, by version: what a person (or their referrer) was told when a referral was sent.

Each version's words are a template of their own, never changed once published: a new text is a
new version, added at the end of :data:`VERSIONS`. Every referral records the version that was
current when it was sent (``Referral.privacy_notice``), and every version stays readable at
``/privacy/<version>``, because a person may come back years later and ask what they were told.
The names in a notice (the council, the providers) and the retention periods are filled in from
the hub's settings and data when the page is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class NoticeVersion:
    version: str
    """Short and stable, like "2026-12": it is stored on referrals and appears in the page's address."""
    took_effect: date
    template: str
    """The template that holds this version's words."""


VERSIONS: tuple[NoticeVersion, ...] = (
    NoticeVersion("2026-12", date(2026, 12, 1), "privacy/notice_2026_12.html"),
)
"""Every version ever published, oldest first; the last is the one shown now."""

CURRENT = VERSIONS[-1].version


def find(version: str) -> NoticeVersion | None:
    """The published version with this name, or None."""
    return next((v for v in VERSIONS if v.version == version), None)


def current() -> NoticeVersion:
    """The version shown now."""
    return find(CURRENT) or VERSIONS[-1]
