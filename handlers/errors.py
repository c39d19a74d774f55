"""The one error handler: refusals get a kind line, faults get logged with context and a kind apology."""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from sqlalchemy.exc import SQLAlchemyError

from bot.coach import CoachRefusal
from bot.parsing import ParseError
from bot.rules import MoveRefused, Role
from handlers.gate import WorkGate

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


Listener = Callable[..., Iterator[None] | None]
_FINISHED = object()


class Guard:
    """Wraps every listener: answers whatever it raises kindly, and keeps acks ahead of the work.

    Errors: Bolt's thread runner resets the ack to None when a listener raises after acking, and the request
    thread may not have seen the ack yet, so Slack would get no answer at all. Refusals and faults are therefore
    handled here, inside the listener, and never reach Bolt; `register`'s handler covers anything outside.

    Acks first: a listener that is a generator acks, then `yield`s; what follows the yield runs later on the
    small work pool, after the work gate (see WorkGate). Bolt's own threads only ever parse and ack, so a burst of
    commands is acked at the framework's pace while their work queues. A plain function runs at once in full
    (modal openers: a trigger_id lives only three seconds).
    """

    def __init__(self, gate: WorkGate, work: Executor) -> None:
        self._gate = gate
        self._work = work

    def __call__(self, listener: Listener) -> Callable[..., None]:
        """The listener, guarded."""
        wanted = set(inspect.signature(listener).parameters)

        def run(
            ack: Ack,
            body: dict[str, Any],
            client: WebClient,
            context: BoltContext,
            respond: Respond,
            payload: dict[str, Any],
        ) -> None:
            acked = body.get("type") == "event_callback"  # Bolt acks events itself

            def ack_once(*args: Any, **kwargs: Any) -> None:
                nonlocal acked
                acked = True
                ack(*args, **kwargs)

            def fail(error: Exception) -> None:
                message, user = _report(error, body)
                if acked:
                    tell(client, body, user, message)
                elif body.get("type") == "view_submission":
                    ack()  # close the modal; the words follow by DM
                    tell(client, {}, user, message)
                else:
                    ack(response_type="ephemeral", text=message)

            def finish(rest: Iterator[None]) -> None:
                self._gate.enter()
                try:
                    for _ in rest:
                        pass
                except Exception as error:
                    fail(error)

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
                steps = listener(**{name: value for name, value in offered.items() if name in wanted})
                if steps is None or next(steps, _FINISHED) is _FINISHED:  # up to the ack, or to its end
                    return
            except Exception as error:
                fail(error)
                return
            self._work.submit(finish, steps)

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
