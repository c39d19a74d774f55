"""A member's records as a whole: what the export lists, and forgetting a member."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, update
from sqlmodel import Session, SQLModel, col, select

from storage.models import (
    FORGOTTEN_USER,
    Action,
    Breakdown,
    Breakthrough,
    Delivery,
    Follower,
    FollowUp,
    Idea,
    Member,
    Nudge,
    Outbox,
    Pause,
    Promise,
    Reading,
    Recap,
    Renegotiation,
    RenegotiationStatus,
    Request,
    RequestStatus,
    Share,
    Stand,
    StandDraft,
    Workspace,
)

# What `export` lists, with the model behind each: the contract's lists in its order, then everything else stored
# about members. `deliveries` (requests from Slack already taken in, kept a short while so that a replay changes
# nothing twice) is bookkeeping rather than anything a member made or was told: forget deletes it, export leaves
# it out.
EXPORTED: tuple[tuple[str, type[SQLModel]], ...] = (
    ("stands", Stand),
    ("shares", Share),
    ("actions", Action),
    ("requests", Request),
    ("promises", Promise),
    ("breakdowns", Breakdown),
    ("breakthroughs", Breakthrough),
    ("nudges", Nudge),
    ("recaps", Recap),
    ("renegotiations", Renegotiation),
    ("pauses", Pause),
    ("members", Member),
    ("followers", Follower),
    ("stand_drafts", StandDraft),
    ("readings", Reading),
    ("ideas", Idea),
    ("follow_ups", FollowUp),
    ("outbox", Outbox),
    ("workspaces", Workspace),
)


def _names_member(model: type[SQLModel], user_id: str) -> ColumnElement[bool]:
    """Where a row of `model` is about the member: their own, or someone else's that names them."""
    if model is Workspace:
        return col(Workspace.recap_set_by) == user_id
    own: ColumnElement[bool] = getattr(model, "user_id") == user_id  # noqa: B009
    if model is Share:  # shares that name them
        return own | (col(Share.told_user_id) == user_id)
    if model is Request:  # requests they received, and those they accepted: their promises
        return own | (col(Request.recipient_id) == user_id)
    if model is Stand:  # the stands they follow
        return own | col(Stand.id).in_(select(Follower.stand_id).where(Follower.user_id == user_id))
    if model is Follower:  # who follows their stands
        return own | col(Follower.stand_id).in_(select(Stand.id).where(Stand.user_id == user_id))
    if model is Idea:  # ideas offered for their stand
        return own | col(Idea.stand_id).in_(select(Stand.id).where(Stand.user_id == user_id))
    if model is Renegotiation:  # new dates asked of them, as the requester
        return own | col(Renegotiation.request_id).in_(select(Request.id).where(Request.user_id == user_id))
    return own


def export_rows(*, session: Session, team_id: str | None = None, user_id: str | None = None) -> dict[str, list[Any]]:
    """Every exported row, by list name, optionally for one team and/or everything about one member."""
    document: dict[str, list[Any]] = {}
    for name, model in EXPORTED:
        query = select(model)
        if team_id is not None:
            query = query.where(getattr(model, "team_id") == team_id)  # noqa: B009
        if user_id is not None:
            query = query.where(_names_member(model, user_id))
        order = model.__table__.primary_key.columns  # type: ignore[attr-defined]
        document[name] = list(session.exec(query.order_by(*order)))
    return document


def forget_member(*, team_id: str, user_id: str, now: datetime, session: Session) -> dict[str, int]:
    """Delete the member's own records and anonymize them on records shared with others, their DM's channel and
    message timestamps included; returns counts."""
    counts: dict[str, int] = {}
    for label, statement in (
        *_settle_what_waits_on(team_id, user_id, now),
        *_anonymize_shared(team_id, user_id),
        *_delete_own(team_id, user_id),
    ):
        counts[label] = counts.get(label, 0) + int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
    return counts


Statements = list[tuple[str, Any]]


def _involving(user_id: str) -> Any:
    return (col(Request.user_id) == user_id) | (col(Request.recipient_id) == user_id)


def _settle_what_waits_on(team_id: str, user_id: str, now: datetime) -> Statements:
    """Requests still waiting on the member end; a date-change question they would ask or answer is withdrawn."""
    involving = select(Request.id).where(Request.team_id == team_id, _involving(user_id))
    return [
        (
            "requests_cancelled",
            update(Request)
            .where(
                col(Request.team_id) == team_id,
                _involving(user_id),
                col(Request.status).in_((RequestStatus.OPEN, RequestStatus.COUNTERED)),
            )
            .values(status=RequestStatus.CANCELLED),
        ),
        (
            "renegotiations_withdrawn",
            update(Renegotiation)
            .where(
                col(Renegotiation.team_id) == team_id,
                col(Renegotiation.request_id).in_(involving),
                col(Renegotiation.status) == RenegotiationStatus.PROPOSED,
            )
            .values(status=RenegotiationStatus.WITHDRAWN, settled_at=now),
        ),
    ]


def _anonymize_shared(team_id: str, user_id: str) -> Statements:
    """Records that are also someone else's keep their place without the member: requests both ways, shares naming
    them, date-change questions (whose DM's channel and timestamp point at them as surely as their ID)."""
    stand_ids = select(Stand.id).where(Stand.team_id == team_id, Stand.user_id == user_id)
    asked_by = select(Request.id).where(Request.team_id == team_id, Request.user_id == user_id)
    statements: Statements = [
        (
            "renegotiations_anonymized",
            update(Renegotiation)
            .where(col(Renegotiation.team_id) == team_id, col(Renegotiation.request_id).in_(asked_by))
            .values(channel_id=None, message_ts=None),
        ),
        (
            "renegotiations_anonymized",
            update(Renegotiation)
            .where(col(Renegotiation.team_id) == team_id, col(Renegotiation.user_id) == user_id)
            .values(user_id=FORGOTTEN_USER),
        ),
    ]
    for side, channel, ts in (
        ("user_id", "requester_channel", "requester_ts"),
        ("recipient_id", "recipient_channel", "recipient_ts"),
    ):
        statements.append(
            (
                "requests_anonymized",
                update(Request)
                .where(col(Request.team_id) == team_id, getattr(Request, side) == user_id)
                .values({side: FORGOTTEN_USER, channel: None, ts: None}),
            )
        )
    return [
        *statements,
        (
            "shares_anonymized",
            update(Share)
            .where(col(Share.team_id) == team_id, col(Share.told_user_id) == user_id)
            .values(told_user_id=FORGOTTEN_USER),
        ),
        (
            "requests_unlinked",
            update(Request)
            .where(col(Request.team_id) == team_id, col(Request.stand_id).in_(stand_ids))
            .values(stand_id=None),
        ),
        (
            "follows_deleted",
            delete(Follower).where(
                col(Follower.team_id) == team_id,
                (col(Follower.user_id) == user_id) | col(Follower.stand_id).in_(stand_ids),
            ),
        ),
        (
            "recaps_anonymized",
            update(Recap).where(col(Recap.team_id) == team_id, col(Recap.user_id) == user_id).values(user_id=None),
        ),
        (
            "workspace",
            update(Workspace)
            .where(col(Workspace.team_id) == team_id, col(Workspace.recap_set_by) == user_id)
            .values(recap_set_by=None),
        ),
    ]


_OWN = (
    ("breakthroughs", Breakthrough),
    ("readings", Reading),
    ("ideas", Idea),
    ("stands", Stand),
    ("stand_drafts", StandDraft),
    ("shares", Share),
    ("actions", Action),
    ("promises", Promise),
    ("breakdowns", Breakdown),
    ("nudges", Nudge),
    ("follow_ups", FollowUp),
    ("pauses", Pause),
    ("outbox", Outbox),
)


def _delete_own(team_id: str, user_id: str) -> Statements:
    """What is the member's alone, deleted; the member row last."""
    statements: Statements = [
        (label, delete(model).where(getattr(model, "team_id") == team_id, getattr(model, "user_id") == user_id))  # noqa: B009
        for label, model in _OWN
    ]
    # A delivery may have come with no team (some events carry none); the member's ID alone is theirs.
    statements.append(
        (
            "deliveries",
            delete(Delivery).where(
                col(Delivery.team_id).is_(None) | (col(Delivery.team_id) == team_id), col(Delivery.user_id) == user_id
            ),
        )
    )
    statements.append(("member", delete(Member).where(col(Member.team_id) == team_id, col(Member.user_id) == user_id)))
    return statements
