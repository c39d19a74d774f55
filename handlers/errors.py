"""The one error handler: refusals get a kind line, faults get logged with context and a kind apology."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient
from sqlalchemy.exc import SQLAlchemyError

from bot.coach import CoachRefusal, Replayed
from bot.coach.rules import MoveRefused, Role
from handlers.blocks.primitives import esc
from handlers.blocks.words import refused_state_words
from handlers.parsing import ParseError

log = logging.getLogger("handlers.errors")


def kind_words(error: Exception) -> tuple[str, bool]:
    """What to tell the member about `error`, and whether it was a fault worth logging as one."""
    if isinstance(error, ParseError | CoachRefusal):
        # A refusal may quote the member's words (a date it couldn't read): escaped, so they ping no one.
        return esc(error.message), False
    if isinstance(error, MoveRefused):
        if error.reason == "other_side":
            side = "the person who made the request" if error.owner is Role.REQUESTER else "the person asked"
            return f"That button is for {side} — nothing changed.", False
        return f"This request is {refused_state_words(error.status)} — nothing changed.", False
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


def register(app: App) -> None:
    """Install the one error handler: listeners raise, this answers.

    Listeners store, then ack; whatever they raise before the ack (a refusal, a fault) comes here with the
    response not yet sent, and the answer goes in it: an ephemeral line for a command, the words under the
    form's first field for a modal (the member's input stays), and for a button — whose ack body Slack
    ignores — the response_url.
    """

    @app.error
    def on_error(error: Exception, body: dict[str, Any], response: BoltResponse | None, client: WebClient) -> None:
        if isinstance(error, Replayed) and response is not None:
            # Another copy of this request was handled first: answer as it was answered, change nothing.
            log.info("answered a replayed delivery as the first was answered, and rolled back what it did")
            response.status, response.body = 200, error.answer
            if error.answer.startswith("{"):
                response.headers["content-type"] = ["application/json;charset=utf-8"]
            return
        message, user = _report(error, body)
        if response is None:
            tell(client, body, user, message)
            return
        response.status = 200
        kind = body.get("type")
        if kind == "view_submission":
            field = _first_input(body.get("view") or {})
            if field is not None:
                response.body = json.dumps({"response_action": "errors", "errors": {field: message}})
                response.headers["content-type"] = ["application/json;charset=utf-8"]
                return
            response.body = ""  # no field to show it under: the modal closes and the words follow by DM
            tell(client, {}, user, message)
            return
        if kind in ("block_actions", "event_callback") or body.get("event"):
            response.body = ""
            tell(client, body, user, message)
            return
        response.body = json.dumps({"response_type": "ephemeral", "text": message})
        response.headers["content-type"] = ["application/json;charset=utf-8"]


def _first_input(view: dict[str, Any]) -> str | None:
    for block in view.get("blocks") or []:
        if block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return None


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
