"""The one error handler: refusals get a kind line, faults get logged with context and a kind apology."""

from __future__ import annotations

import inspect
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from sqlalchemy.exc import SQLAlchemyError

from bot.coach import CoachRefusal
from bot.parsing import ParseError
from bot.rules import MoveRefused, Role

log = logging.getLogger("handlers.errors")

STATE_WORDS = {
    "open": "still waiting for an answer",
    "accepted": "already accepted",
    "declined": "already declined",
    "countered": "waiting on a counter-offer",
    "done": "already reported done",
    "completed": "already completed",
    "cancelled": "already cancelled",
}


def kind_words(error: Exception) -> tuple[str, bool]:
    """What to tell the member about `error`, and whether it was a fault worth logging as one."""
    if isinstance(error, ParseError | CoachRefusal):
        return error.message, False
    if isinstance(error, MoveRefused):
        if error.reason == "other_side":
            side = "the person who made the request" if error.owner is Role.REQUESTER else "the person asked"
            return f"That button is for {side} — nothing changed.", False
        return f"This request is {STATE_WORDS.get(error.status, error.status)} — nothing changed.", False
    if isinstance(error, SQLAlchemyError):
        return "I couldn't reach my records just now, so nothing was saved. Please try again in a minute.", True
    if isinstance(error, SlackApiError):
        return (
            "Slack didn't take my reply just now — please try again in a minute. Anything already logged is saved.",
            True,
        )
    return "Something went wrong on my side. Please try again in a minute.", True


def _report(error: Exception, body: dict[str, Any]) -> tuple[str, str | None]:
    message, fault = kind_words(error)
    kind = body.get("type") or body.get("command") or body.get("event", {}).get("type")
    user = body.get("user_id") or (body.get("user") or {}).get("id") or body.get("event", {}).get("user")
    if fault:
        log.error("%s while handling %s for %s", type(error).__name__, kind, user, exc_info=error)
    else:
        log.info("refused %s for %s: %s", kind, user, message)
    return message, user


class Guard:
    """Wraps every listener: answers whatever it raises kindly, and keeps acks ahead of the work.

    Errors: Bolt's thread runner resets the ack to None when a listener raises after acking, and the request
    thread may not have seen the ack yet, so Slack would get no answer at all. Refusals and faults are therefore
    handled here, inside the listener, and never reach Bolt; `register`'s handler covers anything outside.

    Acks first: after its ack, a listener waits for one of a few work slots before doing its slow part. Under a
    burst, new commands are then acked while earlier ones' work queues, instead of every thread competing for
    the interpreter and each ack waiting behind others' database and Web API work (Slack gives up after 3 s).
    Listeners that open a modal right after the ack are `urgent`: a trigger_id lives only three seconds.
    """

    def __init__(self, work_slots: int) -> None:
        self._slots = threading.BoundedSemaphore(work_slots)

    def __call__(self, listener: Callable[..., None]) -> Callable[..., None]:
        """The listener, guarded, its work after the ack waiting for a slot."""
        return self._wrap(listener, gated=True)

    def urgent(self, listener: Callable[..., None]) -> Callable[..., None]:
        """The listener, guarded, going straight on after its ack (it opens a modal)."""
        return self._wrap(listener, gated=False)

    def _wrap(self, listener: Callable[..., None], *, gated: bool) -> Callable[..., None]:
        wanted = set(inspect.signature(listener).parameters)
        slots = self._slots

        def run(
            ack: Ack,
            body: dict[str, Any],
            client: WebClient,
            context: BoltContext,
            respond: Respond,
            payload: dict[str, Any],
        ) -> None:
            acked = holding = False

            def take_slot() -> None:
                nonlocal holding
                if gated and not holding:
                    slots.acquire()
                    holding = True

            def ack_once(*args: Any, **kwargs: Any) -> None:
                nonlocal acked
                acked = True
                ack(*args, **kwargs)
                take_slot()

            if body.get("type") == "event_callback":  # Bolt acks events itself
                acked = True
                take_slot()
            offered = {
                "ack": ack_once,
                "body": body,
                "client": client,
                "context": context,
                "respond": respond,
                "command": payload,
                "event": payload,
            }
            try:
                listener(**{name: value for name, value in offered.items() if name in wanted})
            except Exception as error:
                message, user = _report(error, body)
                if acked:
                    tell(client, body, user, message)
                elif body.get("type") == "view_submission":
                    ack()  # close the modal; the words follow by DM
                    tell(client, {}, user, message)
                else:
                    ack(response_type="ephemeral", text=message)
            finally:
                if holding:
                    slots.release()

        run.__name__ = run.__qualname__ = getattr(listener, "__name__", "listener")
        return run


def register(app: App) -> None:
    """Install the app-wide error handler, for errors raised outside our listeners (middleware, Bolt itself)."""

    @app.error
    def on_error(error: Exception, body: dict[str, Any], response: BoltResponse | None, client: WebClient) -> None:
        message, user = _report(error, body)
        if response is not None:
            # Not acked yet. Commands and buttons get the kind words in the ack itself; a modal simply closes
            # (Slack would otherwise show its own connection error) and the words follow by DM.
            response.status = 200
            if body.get("type") == "view_submission":
                response.body = ""
            else:
                response.body = json.dumps({"response_type": "ephemeral", "text": message})
                response.headers["content-type"] = ["application/json;charset=utf-8"]
                return
        tell(client, body, user, message)


def tell(client: WebClient, body: dict[str, Any], user: str | None, message: str) -> None:
    """Say something to the member after the ack: via the response_url when there is one, else by DM."""
    response_url = body.get("response_url") or next(
        (r.get("response_url") for r in body.get("response_urls", []) if r.get("response_url")), None
    )
    try:
        if response_url:
            WebhookClient(response_url).send(text=message, response_type="ephemeral", replace_original=False)
        elif user:
            client.chat_postMessage(channel=user, text=message)
    except Exception:
        log.warning("could not tell %s about an error", user, exc_info=True)
