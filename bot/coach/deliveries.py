"""Deliveries from Slack remembered, each with the answer it got, so a retried or replayed one changes nothing twice.

handlers.deliveries says how a delivery's key is made and when it is recorded: an event as it arrives, anything else
at its ack, in the transaction that stored what it meant.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from storage.deliveries import record_delivery, seen_delivery


class Replayed(Exception):
    """This delivery was already handled and committed by another copy of it: roll back, answer as it did."""

    def __init__(self, answer: str) -> None:
        super().__init__("a replayed delivery")
        self.answer = answer


def _now() -> datetime:
    # Wall-clock, not the coach's clock: Slack retries and replays in real minutes, and housekeeping forgets by them.
    return datetime.now(UTC)


def remember_event(key: str, *, team_id: str | None, user_id: str | None, session: Session) -> bool:
    """Remember an event as it arrives; False when a copy of it already came."""
    return record_delivery(key=key, team_id=team_id, user_id=user_id, response="", now=_now(), session=session)


def record_answer(key: str, *, team_id: str | None, user_id: str | None, answer: str, session: Session) -> None:
    """Record the delivery with the answer it is acked with, in the transaction that stored what it meant.

    Raises `Replayed` when another copy of it committed first (it waited on our lock, or we on its row): ours must
    roll back, and be answered as that one was.
    """
    recorded = record_delivery(key=key, team_id=team_id, user_id=user_id, response=answer, now=_now(), session=session)
    if not recorded:
        seen = seen_delivery(key=key, session=session)
        raise Replayed(seen.response or "" if seen else "")
