"""What Slack is owed: the outbox's bookkeeping as the sender uses it, each step one unit of work.

The sender in `handlers/outbox.py` makes the Slack calls; here it claims what is due, and records what happened.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from storage import outbox
from storage.db import unit_of_work
from storage.models import Ref
from storage.outbox import MAX_ATTEMPTS as MAX_ATTEMPTS
from storage.outbox import Claimed as Claimed
from storage.outbox import Outgoing as Outgoing
from storage.outbox import backoff as backoff


class Owed:
    """The outbox, for its sender."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def release_stale(self, *, stale_before: datetime) -> int:
        """Hand back the claims of senders that died (claimed before `stale_before`)."""
        with unit_of_work(self.engine) as session:
            return outbox.release_stale(stale_before=stale_before, session=session)

    def due(self, *, now: datetime, limit: int) -> list[int]:
        """What may be sent now, the first waiting item of each lane."""
        with unit_of_work(self.engine, read_only=True) as session:
            return outbox.due(now=now, limit=limit, session=session)

    def claim(self, item_id: int, *, now: datetime) -> Claimed | None:
        """Take one item to send; None when another sender has it."""
        with unit_of_work(self.engine) as session:
            return outbox.claim(item_id, now=now, session=session)

    def sent(
        self,
        item: Claimed,
        *,
        channel: str | None = None,
        ts: str | None = None,
        then: Outgoing | None = None,
        now: datetime | None = None,
    ) -> None:
        """It went out (and, for a post the app keeps the place of, where it is); `then` is what it leaves owed, due
        `now`, written in the same unit: owed exactly when the item is done."""
        with unit_of_work(self.engine) as session:
            outbox.sent(item, session=session, channel=channel, ts=ts)
            if then is not None:
                outbox.enqueue([then], now=now or datetime.now(UTC), session=session)

    def release(self, item: Claimed) -> None:
        """Hand it back untouched: shutting down."""
        with unit_of_work(self.engine) as session:
            outbox.release(item, session=session)

    def retry_later(self, item: Claimed, *, at: datetime, error: str, counted: bool) -> None:
        """Try again at `at`; `counted` when the attempt counts toward giving up (a fault, not a 429)."""
        with unit_of_work(self.engine) as session:
            outbox.retry_later(item, at=at, error=error, counted=counted, session=session)

    def failed(self, item: Claimed, *, error: str) -> None:
        """Slack refused it for good."""
        with unit_of_work(self.engine) as session:
            outbox.failed(item, error=error, session=session)

    def set_aside(self, item_id: int, *, error: str) -> None:
        """An item its sender cannot handle (a bug): kept as failed rather than holding up its lane."""
        with unit_of_work(self.engine) as session:
            outbox.set_aside(item_id, error=error, session=session)

    def locate(self, ref: tuple[Ref, int], *, team_id: str) -> tuple[str | None, str | None]:
        """Where a message the app keeps the place of is: its channel and ts, if it was posted."""
        with unit_of_work(self.engine, read_only=True) as session:
            return outbox.locate(ref, team_id=team_id, session=session)
