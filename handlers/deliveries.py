"""Deliveries remembered: a retried or replayed request from Slack changes nothing the second time.

Slack retries an event it thinks was not acked in time (`X-Slack-Retry-Num`), and anyone on the path can send the
same signed request again. Each delivery has a key:

- events by their `event_id`, the same on every retry;
- everything else (commands, buttons, modal submissions) by the signed request itself, a hash of its timestamp
  and signature; in Socket Mode, which has no signature, by a hash of the payload (each carries a unique
  `trigger_id` or action ids, so two different requests never share it).

A command, button or form that stores something records its key, with the answer it acked with, in the very
transaction that stores its change: the listener acks inside `Coach.transaction()`, and this module's `ack` writes
the record there. So the change and the record commit together or not at all: a delivery whose handler died left
nothing behind and is simply handled again, and one that committed is never handled twice: a replay finds the
record at its own ack, rolls back everything it did, and is answered as the first was (`Replayed`). Replays are
rare, so they pay for this rather than every request paying for a lookup before its listener. A listener that
stores nothing (a form opening, a refusal) records nothing: a replay of it does the same harmless thing again.
Events are remembered as they arrive, before their listener, since what they do (publishing App Home) is not
stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.coach import Coach

log = logging.getLogger(__name__)

KEY_LENGTH = 64  # the deliveries table's key column


def register(app: App, coach: Coach) -> None:
    """Answer replays from what was stored, and give each listener an `ack` that records its delivery."""
    app.middleware(RememberDeliveries(coach))


class RememberDeliveries(Middleware):
    """Bolt's global middleware that remembers each delivery (events as they come, the rest at their ack).

    A `Middleware` rather than a decorated function: Bolt builds a function middleware's arguments (some thirty
    of them, read from the payload) at every request, which cost more than what this one does."""

    def __init__(self, coach: Coach) -> None:
        self._coach = coach

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],
    ) -> BoltResponse | None:
        """Answer a replayed event without handling it; give everything else a remembering `ack`."""
        key = None if req.lazy_only else delivery_key(req)  # a lazy listener's run belongs to its delivery
        if key is None:
            next()
            return None
        retry = (req.headers.get("x-slack-retry-num") or ["0"])[0]
        team_id, user_id = _short(req.context.team_id), _short(req.context.user_id)
        if req.body.get("type") == "event_callback":
            if not self._coach.remember_event(key, team_id=team_id, user_id=user_id):
                log.info("answered a replayed delivery again without handling it (retry %s)", retry)
                return BoltResponse(status=200, body="")
        else:
            req.context["ack"] = RememberingAck(key, self._coach, team_id, user_id)
        # Bolt's global middleware never sees the answer (`next()` returns nothing; listeners run after this
        # returns), so the ack itself records it. None, not `resp`: Bolt answers with the ack only then.
        next()
        return None


class RememberingAck(Ack):
    """An `ack` that records the delivery, with its answer, in the transaction open when the listener acks.

    Every way Bolt sets the answer goes through `response`; only an answer given inside a unit of work (a listener
    that stored something) is recorded, and only a 200 one.
    """

    def __init__(self, key: str, coach: Coach, team_id: str | None, user_id: str | None) -> None:
        self._key = key
        self._coach = coach
        self._team_id = team_id
        self._user_id = user_id
        self._response: BoltResponse | None = None
        super().__init__()  # type: ignore[no-untyped-call]

    def __deepcopy__(self, memo: dict[int, Any]) -> RememberingAck:
        # Bolt deep-copies the request for lazy listeners; they cannot ack, so sharing this one is safe (and an
        # coach's engine cannot be copied).
        return self

    @property
    def response(self) -> BoltResponse | None:
        """The answer, once given."""
        return self._response

    @response.setter
    def response(self, answer: BoltResponse | None) -> None:
        if answer is not None and answer.status == 200:
            body = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
            # Raises Replayed when another copy of this request committed first: ours rolls back, and this one
            # answers as that one did (handlers.errors).
            self._coach.record_answer(self._key, team_id=self._team_id, user_id=self._user_id, answer=body)
        self._response = answer


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
