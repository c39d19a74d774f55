"""Deliveries remembered: a retried or replayed request from Slack changes nothing the second time.

Slack retries an event it thinks was not acked in time (`X-Slack-Retry-Num`), and anyone on the path can send the
same signed request again. A global middleware claims each delivery by a key before any listener sees it:

- events by their `event_id`, the same on every retry;
- everything else (commands, buttons, modal submissions) by the signed request itself, a hash of its timestamp
  and signature; in Socket Mode, which has no signature, by a hash of the payload (each carries a unique
  `trigger_id` or action ids, so two different requests never share it).

The first delivery is handled, and the answer it acked with is stored with its key. A replay of a finished one is
answered with that same answer and not handled; a replay while the first is still being handled gets an empty
ack (a command: a kind line) and is not handled either. Global middleware runs in HTTP and Socket Mode alike.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, BoltRequest, BoltResponse
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import Clock
from storage.db import unit_of_work
from storage.deliveries import (
    DONE,
    claim_delivery,
    finish_delivery,
    release_delivery,
    seen_delivery,
)

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
"""How long a delivery stays with its first handler: past it, the handler is taken to have died."""

ALREADY_ON_IT = "I'm already on it — your earlier request is still going through."
KEY_LENGTH = 64  # the deliveries table's key column


def register(app: App, engine: Engine, clock: Clock, *, lease: timedelta = LEASE) -> None:
    """Claim every delivery before its listener runs, and answer replays from what was stored."""

    @app.middleware
    def remember_deliveries(req: BoltRequest, next_: Callable[[], None]) -> BoltResponse | None:
        key = None if req.lazy_only else delivery_key(req)  # a lazy listener's run belongs to its delivery
        if key is None:
            next_()
            return None
        now = clock.now()
        with unit_of_work(engine) as session:
            claimed = claim_delivery(
                key=key,
                team_id=_short(req.context.team_id),
                user_id=_short(req.context.user_id),
                now=now,
                stale_before=now - lease,
                session=session,
            )
            seen = None if claimed else seen_delivery(key=key, session=session)
        if claimed:
            req.context["ack"] = RememberingAck(key, engine, clock)
            # Bolt's global middleware never sees the answer (`next()` returns nothing; listeners run after this
            # returns), so the ack itself stores it. None, not `resp`: Bolt answers with the ack only then.
            next_()
            return None
        retry = (req.headers.get("x-slack-retry-num") or ["0"])[0]
        if seen is not None and seen.status == DONE:
            log.info("answered a replayed delivery again without handling it (retry %s)", retry)
            return BoltResponse(status=200, body=seen.response or "")
        log.info("a delivery came again while the first is still being handled (retry %s)", retry)
        if "command" in req.body:
            return BoltResponse(status=200, body={"response_type": "ephemeral", "text": ALREADY_ON_IT})
        return BoltResponse(status=200, body="")


class RememberingAck(Ack):
    """An `ack` that stores the answer with the delivery's claim, so a replay gets it again.

    Every way Bolt sets the answer goes through `response`: the listener's `ack(...)`, Bolt's automatic ack of
    events, and the error path that answers for a listener that raised. An answer other than 200 gives the claim
    up, so that Slack's retry is handled afresh.
    """

    def __init__(self, key: str, engine: Engine, clock: Clock) -> None:
        self._key = key
        self._engine = engine
        self._clock = clock
        self._response: BoltResponse | None = None
        super().__init__()  # type: ignore[no-untyped-call]

    def __deepcopy__(self, memo: dict[int, Any]) -> RememberingAck:
        # Bolt deep-copies the request for lazy listeners; they cannot ack, so sharing this one is safe (and an
        # engine cannot be copied).
        return self

    @property
    def response(self) -> BoltResponse | None:
        """The answer, once given."""
        return self._response

    @response.setter
    def response(self, answer: BoltResponse | None) -> None:
        # Stored before it is published: in HTTP mode Bolt sends the answer as soon as it sees it, and a replay
        # that arrives after that must find it.
        if answer is not None:
            self._remember(answer)
        self._response = answer

    def _remember(self, answer: BoltResponse) -> None:
        try:
            with unit_of_work(self._engine) as session:
                if answer.status == 200:
                    finish_delivery(key=self._key, response=answer.body, now=self._clock.now(), session=session)
                else:
                    release_delivery(key=self._key, session=session)
        except SQLAlchemyError as error:
            # The answer still goes out; the claim stays "handling" until its lease runs out.
            log.warning("could not record the answer to a delivery: %s", type(error).__name__)


def delivery_key(req: BoltRequest) -> str | None:
    """The key that a retry or replay of this request shares with it, or None for requests not to remember."""
    body: Any = req.body
    if not isinstance(body, dict) or _passes_through(body):
        return None
    event_id = body.get("event_id")
    if body.get("type") == "event_callback" and isinstance(event_id, str) and event_id:
        key = f"event:{event_id}"
        return key if len(key) <= KEY_LENGTH else _digest(key)
    timestamp = (req.headers.get("x-slack-request-timestamp") or [""])[0]
    signature = (req.headers.get("x-slack-signature") or [""])[0]
    if timestamp and signature:
        return _digest(f"{timestamp}:{signature}")
    if req.raw_body:
        return _digest(req.raw_body)
    return _digest(json.dumps(body, sort_keys=True, separators=(",", ":")))


def _passes_through(body: dict[str, Any]) -> bool:
    # Slack's own checks of the endpoint: answered by Bolt's built-in middleware, never remembered.
    return body.get("type") == "url_verification" or body.get("ssl_check") == "1"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _short(value: str | None) -> str | None:
    return value[:32] if value else None
