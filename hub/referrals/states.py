"""One table of a referral's states and the moves between them: who may make each, from where, to where.

A move is named by the :class:`EventKind` it writes on the timeline. For each: who makes it (the
triage team or a provider), the referral statuses it may start from, the status it leads to (None:
the status stays), and what it does to offers (allocations): ``offer``, the one offer a move is made
on (its status before, None for a new offer, and after), and ``open_offers``, what becomes of the
referral's other offers.

Each service checks its move here before it writes, and refuses with its own message for the member
of staff; :func:`hub.referrals.timeline.record`, the one place a status is written, checks again and
raises :class:`IllegalMove` for anything the table does not allow, so an illegal move cannot be
written by mistake. The staff pages offer a move only when :func:`moves_from` lists it. The section
"States and moves" of docs/TRIAGE.md is :func:`markdown`'s output (a test keeps them the same).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from hub.auth.models import Role
from hub.referrals.models import AllocationStatus, EventKind, ReferralStatus

S, A = ReferralStatus, AllocationStatus
TRS, PROVIDER = Role.ALLOCATOR, Role.PROVIDER_STAFF
DPO = Role.ADMIN
"""Restriction is a data-protection officer's: an administrator who holds the duty (the views check it)."""
OPERATOR = "operator"
"""The hub's own commands (``seed-demo``) may make any move the table allows, whoever it is for."""

ARRIVES = S.SUBMITTED
"""Where a referral sent through the public forms starts. Intake makes it; no timeline event is written."""

FINAL = frozenset({S.CLOSED, S.SIGNPOSTED, S.WITHDRAWN})
"""Statuses no move leaves (recording sessions on a closed case, or a duplicate check, keeps it closed)."""

WAITING = frozenset({S.SUBMITTED, S.DECLINED_BY_PROVIDER})
OPEN = frozenset(S) - FINAL


class IllegalMove(Exception):
    """A move the table does not allow was about to be written: a mistake in the code, not the user's."""


@dataclass(frozen=True, eq=False)
class Move:
    kind: EventKind
    by: Role
    from_: frozenset[ReferralStatus]
    to: ReferralStatus | None = None
    offer: Mapping[AllocationStatus | None, AllocationStatus] = field(default_factory=dict)
    open_offers: Mapping[AllocationStatus, AllocationStatus] = field(default_factory=dict)


TABLE = (
    # The triage team.
    Move(EventKind.ALLOCATED, TRS, WAITING, S.ALLOCATED, offer={None: A.PENDING}),
    Move(EventKind.INFO_REQUESTED, TRS, WAITING, S.INFO_REQUESTED),
    Move(EventKind.INFO_RECEIVED, TRS, frozenset({S.INFO_REQUESTED}), S.SUBMITTED),
    Move(EventKind.SIGNPOSTED, TRS, WAITING | {S.INFO_REQUESTED}, S.SIGNPOSTED),
    Move(
        EventKind.WITHDRAWN,
        TRS,
        WAITING | {S.INFO_REQUESTED, S.ALLOCATED},
        S.WITHDRAWN,
        open_offers={A.PENDING: A.CANCELLED},
    ),
    # Consent can be recorded at any open stage: a referral allocated before consent was enforced
    # may have none yet, and its provider can do nothing with it until the triage team records it.
    Move(EventKind.CONSENT_RECORDED, TRS, OPEN),
    Move(EventKind.CONSENT_WITHDRAWN, TRS, OPEN, S.WITHDRAWN, open_offers={A.PENDING: A.CANCELLED}),
    Move(EventKind.DUPLICATE_SAME_PERSON, TRS, frozenset(S)),
    Move(EventKind.DUPLICATE_NOT_SAME, TRS, frozenset(S)),
    # A person's rights: an answer corrected, details restricted or the restriction lifted, at any stage.
    Move(EventKind.CORRECTED, TRS, frozenset(S)),
    Move(EventKind.RESTRICTED, DPO, frozenset(S)),
    Move(EventKind.RESTRICTION_LIFTED, DPO, frozenset(S)),
    # A provider's staff record a self-referral the person made directly to them: the referral, just
    # made (hub.referrals.direct makes it and this move in one transaction), is theirs at once, accepted.
    Move(EventKind.DIRECT_ACCEPTED, PROVIDER, frozenset({ARRIVES}), S.ACCEPTED, offer={None: A.ACCEPTED}),
    # The provider, on its own offer.
    Move(EventKind.ACCEPTED, PROVIDER, frozenset({S.ALLOCATED}), S.ACCEPTED, offer={A.PENDING: A.ACCEPTED}),
    Move(
        EventKind.DECLINED,
        PROVIDER,
        frozenset({S.ALLOCATED}),
        S.DECLINED_BY_PROVIDER,
        offer={A.PENDING: A.DECLINED},
    ),
    Move(
        EventKind.FIRST_CONTACT,
        PROVIDER,
        frozenset({S.ACCEPTED}),
        S.IN_SUPPORT,
        offer={A.ACCEPTED: A.ACCEPTED},
    ),
    # Sessions can be corrected after the case is closed.
    Move(
        EventKind.MEASURES_RECORDED,
        PROVIDER,
        frozenset({S.ACCEPTED, S.IN_SUPPORT, S.CLOSED}),
        offer={A.ACCEPTED: A.ACCEPTED},
    ),
    # A feedback code at a review point, once per case (cases.offer_feedback refuses a second), once
    # support has begun (the first contact made), as closing gives one only then.
    Move(
        EventKind.FEEDBACK_OFFERED,
        PROVIDER,
        frozenset({S.IN_SUPPORT}),
        offer={A.ACCEPTED: A.ACCEPTED},
    ),
    Move(
        EventKind.CLOSED,
        PROVIDER,
        frozenset({S.ACCEPTED, S.IN_SUPPORT}),
        S.CLOSED,
        offer={A.ACCEPTED: A.ACCEPTED},
    ),
)
MOVES = {move.kind: move for move in TABLE}


def allowed(kind: EventKind, status: ReferralStatus, offer: AllocationStatus | None = None) -> bool:
    """Whether the move may be made on a referral in ``status`` (and, for a move on an offer, an offer in
    ``offer``; None for a move that makes a new one)."""
    move = MOVES.get(kind)
    return move is not None and status in move.from_ and (not move.offer or offer in move.offer)


def moves_from(
    status: ReferralStatus, by: Role, offer: AllocationStatus | None = None
) -> frozenset[EventKind]:
    """The moves ``by`` may make now: what a page offers."""
    return frozenset(move.kind for move in TABLE if move.by is by and allowed(move.kind, status, offer))


def check(kind: EventKind, role: str, status: ReferralStatus, offer: AllocationStatus | None) -> Move:
    """The move, if the table allows it for ``role`` from here; otherwise :class:`IllegalMove`."""
    move = MOVES.get(kind)
    if move is None or role not in (move.by, OPERATOR) or not allowed(kind, status, offer):
        raise IllegalMove(f"{kind} by {role} from {status} (offer: {offer}) is not in the table of moves")
    return move


def with_provider(status: ReferralStatus) -> bool:
    """A provider holds the referral: a provider's move on an offer it holds takes it on from here."""
    return any(
        m.by is PROVIDER and m.to is not None and status in m.from_ and None not in m.offer for m in TABLE
    )


# -- the table in words, for docs/TRIAGE.md ------------------------------------------------------

WHO = {TRS: "Triage team", PROVIDER: "Provider", DPO: "Data-protection officer"}


def _statuses(found: frozenset[ReferralStatus]) -> str:
    if found == frozenset(S):
        return "any"
    return ", ".join(f"`{s.value}`" for s in S if s in found)


def _offers(move: Move) -> str:
    parts = []
    for before, after in move.offer.items():
        if before is None:
            parts.append(f"a new offer, `{after.value}`")
        elif before is after:
            parts.append(f"its offer, which must be `{after.value}`")
        else:
            parts.append(f"its offer, `{before.value}` → `{after.value}`")
    parts += [f"every `{before.value}` offer → `{after.value}`" for before, after in move.open_offers.items()]
    return "; ".join(parts) or "—"


def markdown() -> str:
    """The table as Markdown: the section "States and moves" of docs/TRIAGE.md."""
    lines = [
        "| move (timeline) | who | from | to | offers |",
        "| --- | --- | --- | --- | --- |",
        f"| Referral received | the public forms, or a provider's staff for a direct self-referral | — "
        f"| `{ARRIVES.value}` | — |",
    ]
    for move in TABLE:
        to = f"`{move.to.value}`" if move.to is not None else "(stays)"
        lines.append(
            f"| {move.kind.label} (`{move.kind.value}`) | {WHO[move.by]} | {_statuses(move.from_)} | {to} "
            f"| {_offers(move)} |"
        )
    lines.append("")
    lines.append(f"Final (no move leaves them): {_statuses(FINAL)}.")
    return "\n".join(lines) + "\n"
