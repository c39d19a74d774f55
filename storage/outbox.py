"""The outbox: what Slack must be told after a change, stored with the change and sent exactly once.

An item is written in the same transaction as the change it tells of, so an acknowledged change is never
without its messages and a rolled-back one never has any. Senders claim items with a compare-and-set on their
status; items of one lane go out in the order they were written, one at a time. A claim whose sender died is
handed back after a lease; a sent item is deleted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from storage.models import Breakthrough, Outbox, OutboxStatus, Ref, Renegotiation, Request, Stand

_REF_COLUMNS: dict[Ref, tuple[type[Any], str, str]] = {
    Ref.REQUESTER_CARD: (Request, "requester_channel", "requester_ts"),
    Ref.RECIPIENT_CARD: (Request, "recipient_channel", "recipient_ts"),
    Ref.ANNOUNCEMENT: (Stand, "channel_id", "message_ts"),
    Ref.CELEBRATION: (Breakthrough, "channel_id", "message_ts"),
    Ref.RENEGOTIATION_QUESTION: (Renegotiation, "channel_id", "message_ts"),
}


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One thing to tell Slack: what kind of call, in which lane, with what payload (plain JSON data)."""

    team_id: str
    kind: str
    lane: str
    payload: dict[str, Any]
    user_id: str | None = None
    ref: tuple[Ref, int] | None = None
    coalesce: bool = False
    """A refresh rendered when sent: one already waiting in its lane (not yet taken) makes this one redundant."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """An item a sender now holds."""

    id: int
    team_id: str
    user_id: str | None
    kind: str
    payload: dict[str, Any]
    ref: tuple[Ref, int] | None
    attempts: int


def enqueue(items: Iterable[Outgoing], *, now: datetime, session: Session) -> int:
    """Write `items` in the caller's transaction; returns how many were written (coalesced ones are not)."""
    written = [
        (item, item.lane[:80], json.dumps(item.payload, separators=(",", ":"), ensure_ascii=False)) for item in items
    ]
    # Refreshes already waiting are looked for (and held, see `_waiting`) in one order in every transaction, so two
    # changes that coalesce into the same two waiting rows cannot each hold one and wait for the other.
    refreshes = sorted({(lane, item.kind, payload) for item, lane, payload in written if item.coalesce})
    redundant = {key for key in refreshes if _waiting(*key, session=session)}
    rows = []
    for item, lane, payload in written:
        key = (lane, item.kind, payload)
        if item.coalesce:
            if key in redundant:
                continue
            redundant.add(key)  # the same refresh twice in one change: once is enough
        rows.append(
            Outbox(
                team_id=item.team_id,
                user_id=item.user_id,
                lane=lane,
                kind=item.kind,
                payload=payload,
                ref_kind=item.ref[0] if item.ref else None,
                ref_id=item.ref[1] if item.ref else None,
                next_attempt_at=now,
                created_at=now,
            )
        )
    session.add_all(rows)
    return len(rows)


def _waiting(lane: str, kind: str, payload: str, *, session: Session) -> bool:
    """Whether the same refresh is already waiting in the lane, not yet taken; it is then held until this transaction
    ends. A refresh is rendered when sent, so the waiting one shows this change too, but only if no sender takes it
    and renders it before this change commits: on PostgreSQL a sender's claim (an UPDATE of that row) would not wait
    for a transaction that only read it, and the card would show the state before the change, for good. The row
    lock makes the claim wait. (SQLite runs one writer at a time, and a claim is a write.)"""
    found = session.execute(
        select(col(Outbox.id))
        .where(
            col(Outbox.lane) == lane,
            col(Outbox.kind) == kind,
            col(Outbox.payload) == payload,
            col(Outbox.status) == OutboxStatus.PENDING,
        )
        .limit(1)
        .with_for_update()
    ).first()
    return found is not None


def release_stale(*, stale_before: datetime, session: Session) -> int:
    """Hand back items whose sender claimed them before `stale_before` and never finished (it died)."""
    result = session.execute(
        update(Outbox)
        .where(col(Outbox.status) == OutboxStatus.CLAIMED, col(Outbox.claimed_at) < stale_before)
        .values(status=OutboxStatus.PENDING, claimed_at=None)
        .returning(col(Outbox.id))
    )
    return len(result.all())


def due(*, now: datetime, limit: int, session: Session) -> list[int]:
    """Items ready to send: pending, their time come, and nothing earlier in their lane still owed."""
    earlier = aliased(Outbox)
    blocked = exists().where(
        col(earlier.lane) == col(Outbox.lane),
        col(earlier.id) < col(Outbox.id),
        col(earlier.status) != OutboxStatus.FAILED,
    )
    rows = session.execute(
        select(col(Outbox.id))
        .where(col(Outbox.status) == OutboxStatus.PENDING, col(Outbox.next_attempt_at) <= now, ~blocked)
        .order_by(col(Outbox.id))
        .limit(limit)
    )
    return [row[0] for row in rows]


def claim(item_id: int, *, now: datetime, session: Session) -> Claimed | None:
    """Take the item if it is still pending; None when another sender took it first."""
    row = session.execute(
        update(Outbox)
        .where(col(Outbox.id) == item_id, col(Outbox.status) == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CLAIMED, claimed_at=now, attempts=col(Outbox.attempts) + 1)
        .returning(
            col(Outbox.id),
            col(Outbox.team_id),
            col(Outbox.user_id),
            col(Outbox.kind),
            col(Outbox.payload),
            col(Outbox.ref_kind),
            col(Outbox.ref_id),
            col(Outbox.attempts),
        )
    ).first()
    if row is None:
        return None
    ref = (Ref(row.ref_kind), int(row.ref_id)) if row.ref_kind and row.ref_id is not None else None
    return Claimed(row.id, row.team_id, row.user_id, row.kind, json.loads(row.payload), ref, row.attempts)


def sent(item: Claimed, *, session: Session, channel: str | None = None, ts: str | None = None) -> None:
    """The item went out: forget it, and remember where its message is when it carries a ref to keep."""
    session.execute(delete(Outbox).where(col(Outbox.id) == item.id))
    if item.ref is not None and channel and ts:
        model, channel_column, ts_column = _REF_COLUMNS[item.ref[0]]
        session.execute(
            update(model)
            .where(model.id == item.ref[1], model.team_id == item.team_id)
            .values({channel_column: channel, ts_column: ts})
        )


def locate(ref: tuple[Ref, int], *, team_id: str, session: Session) -> tuple[str | None, str | None]:
    """Where the message a ref names is (channel, ts), once it has been posted."""
    model, channel_column, ts_column = _REF_COLUMNS[ref[0]]
    row = session.execute(
        select(getattr(model, channel_column), getattr(model, ts_column)).where(
            model.id == ref[1], model.team_id == team_id
        )
    ).first()
    return (row[0], row[1]) if row else (None, None)


def retry_later(item: Claimed, *, at: datetime, error: str, counted: bool = True, session: Session) -> None:
    """Give the item back, to be tried again at `at`; an attempt not `counted` (Slack asked us to wait) is
    given back too."""
    attempts = col(Outbox.attempts) if counted else col(Outbox.attempts) - 1
    session.execute(
        update(Outbox)
        .where(col(Outbox.id) == item.id)
        .values(
            status=OutboxStatus.PENDING, claimed_at=None, next_attempt_at=at, last_error=error[:64], attempts=attempts
        )
    )


def release(item: Claimed, *, session: Session) -> None:
    """Give the item back as it was, its attempt not counted (the sender is stopping)."""
    session.execute(
        update(Outbox)
        .where(col(Outbox.id) == item.id)
        .values(status=OutboxStatus.PENDING, claimed_at=None, attempts=col(Outbox.attempts) - 1)
    )


def failed(item: Claimed, *, error: str, session: Session) -> None:
    """Slack refused for good: keep the item as failed (it no longer holds up its lane)."""
    session.execute(
        update(Outbox)
        .where(col(Outbox.id) == item.id)
        .values(status=OutboxStatus.FAILED, claimed_at=None, last_error=error[:64])
    )


def set_aside(item_id: int, *, error: str, session: Session) -> None:
    """Mark an item failed by its id (its sender could not even handle it)."""
    session.execute(
        update(Outbox)
        .where(col(Outbox.id) == item_id)
        .values(status=OutboxStatus.FAILED, claimed_at=None, last_error=error[:64])
    )


def prune_failed(*, before: datetime, session: Session) -> int:
    """Delete failed items older than `before`."""
    result = session.execute(
        delete(Outbox)
        .where(and_(col(Outbox.status) == OutboxStatus.FAILED, col(Outbox.created_at) < before))
        .returning(col(Outbox.id))
    )
    return len(result.all())


def counts(*, session: Session) -> dict[str, int]:
    """How many items are in each status (for tests and the health of the sender)."""
    rows = session.execute(select(col(Outbox.status), func.count()).group_by(col(Outbox.status)))
    return {str(status): int(count) for status, count in rows}


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next attempt after `attempts` failed ones: 1 s doubling, at most 5 minutes."""
    return timedelta(seconds=min(300, 2 ** max(0, attempts - 1)))


MAX_ATTEMPTS = 10
"""After this many failed attempts (about 8 minutes of backoff) an item is given up as failed."""

__all__: Sequence[str] = [
    "MAX_ATTEMPTS",
    "Claimed",
    "Outgoing",
    "Ref",
    "backoff",
    "claim",
    "counts",
    "due",
    "enqueue",
    "failed",
    "locate",
    "prune_failed",
    "release",
    "release_stale",
    "retry_later",
    "sent",
    "set_aside",
]
