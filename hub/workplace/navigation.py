"""Which sections each role has: the one table the service navigation on every staff page is built from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, request
from flask_login import current_user

from hub.auth.access import holds_data_protection_duty
from hub.auth.models import Role


@dataclass(frozen=True)
class Section:
    label: str
    path: str
    """The section's first page; any page whose address starts with it (by whole parts) is in the section."""


HOME = Section("Home", "/staff")

SECTIONS: dict[Role, tuple[Section, ...]] = {
    Role.ALLOCATOR: (
        HOME,
        Section("Triage queue", "/triage"),
        Section("Plan", "/triage/plan"),
        Section("Consultation", "/triage/consultation"),
        Section("Joint meeting", "/meeting"),
    ),
    Role.PROVIDER_STAFF: (
        HOME,
        Section("Cases", "/provider/cases"),
        Section("Capacity", "/provider/capacity"),
        Section("Returns", "/kpi/returns"),
        Section("Feedback", "/provider/feedback"),
        Section("Joint meeting", "/meeting"),
    ),
    Role.COMMISSIONER: (
        HOME,
        Section("Joint KPIs", "/commissioner/kpi"),
        Section("Targets", "/commissioner/targets"),
        Section("Feedback", "/commissioner/feedback"),
        Section("Joint meeting", "/meeting"),
    ),
    Role.ADMIN: (
        HOME,
        Section("Staff accounts", "/admin/users"),
        Section("Providers", "/admin/providers"),
        Section("Specialisms", "/admin/specialisms"),
        Section("KPI definitions", "/admin/kpi"),
        Section("Outcome measures", "/admin/measures"),
        Section("Retention", "/admin/retention"),
    ),
}


DATA_PROTECTION = (Section("Requests", "/admin/requests"),)
"""What an administrator who holds the data-protection duty has besides."""


def init_app(app: Flask) -> None:
    app.context_processor(_navigation)


def _within(path: str, section: Section) -> bool:
    return path == section.path or path.startswith(section.path.rstrip("/") + "/")


def items(role: Role, path: str, root: str = "", *, data_protection: bool = False) -> list[dict[str, Any]]:
    """The GOV.UK service navigation's items for ``role`` on the page at ``path``.

    The section holding the page is marked: ``current`` on its first page (aria-current="page"),
    ``active`` anywhere else in it. When sections nest (the plan is under the queue), the longest wins.
    """
    shown = SECTIONS.get(role, ()) + (DATA_PROTECTION if data_protection else ())
    holding = max((s for s in shown if _within(path, s)), key=lambda s: len(s.path), default=None)
    return [
        {
            "text": section.label,
            "href": root + section.path,
            "current": section is holding and path == section.path,
            "active": section is holding and path != section.path,
        }
        for section in shown
    ]


def _navigation() -> dict[str, Any]:
    if not current_user or not current_user.is_authenticated or current_user.must_change_password:
        return {"staff_navigation": []}
    duty = holds_data_protection_duty(current_user)
    return {
        "staff_navigation": items(current_user.role, request.path, request.script_root, data_protection=duty)
    }
